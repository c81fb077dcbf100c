"""OpenAI-compatible chat completions: OpenAI, OpenRouter, Groq, Mistral, DeepSeek,
Together, and local servers (Ollama, LM Studio, vLLM, llama.cpp's server).

They all speak ``POST {base_url}/chat/completions`` with ``stream: true`` and answer in
server-sent events ending with ``data: [DONE]``; ``base_url`` includes the version
prefix (``https://api.openai.com/v1``) because some servers use another one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

from app.core.providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    Health,
    StreamEvent,
    TextDelta,
    Usage,
)
from app.core.providers.errors import AuthError, ProviderError, UnavailableError
from app.core.providers.http_errors import error_for_event, error_for_status, error_for_transport
from app.core.tokens import default_counter

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=10.0)
_FINISH = {"stop": "stop", "length": "length", "content_filter": "stop", "tool_calls": "stop"}


class OpenAICompatProvider:
    def __init__(
        self,
        id: str,
        base_url: str,
        api_key: Callable[[], str | None] | None = None,
        *,
        key_required: bool = True,
        client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.id = id
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or (lambda: None)
        # Local servers (Ollama, LM Studio, llama.cpp) take no key at all.
        self._key_required = key_required
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(id={self.id!r}, base_url={self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        key = self._api_key()
        if not key:
            if self._key_required:
                raise AuthError(f"No API key for {self.id}. Add one in Settings → Providers.",
                                provider=self.id)
            return {}
        return {"Authorization": f"Bearer {key}"}

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        headers = self._headers()
        body = self._body(request)
        finish: str | None = None
        usage: Usage | None = None
        written: list[str] = []
        try:
            async with aconnect_sse(self._client, "POST", f"{self.base_url}/chat/completions",
                                    json=body, headers=headers) as source:
                response = source.response
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    raise error_for_status(response.status_code, text, response.headers, self.id)
                async for sse in source.aiter_sse():
                    if sse.data.strip() == "[DONE]":
                        break
                    chunk = self._parse(sse.data)
                    for event in self._events(chunk):
                        if isinstance(event, Finish):
                            finish = event.reason
                        elif isinstance(event, Usage):
                            usage = event
                        else:
                            written.append(event.text)
                            yield event
                    if request.cancel.cancelled:
                        yield await _estimated_usage(request, written)
                        yield Finish("cancelled")
                        return
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.id, self.base_url) from None
        except SSEError as exc:
            raise UnavailableError(f"{self.id} sent a reply that is not an event stream ({exc})",
                                   provider=self.id) from None
        yield usage or await _estimated_usage(request, written)
        yield Finish("length" if finish == "length" else "stop")

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [_message(m) for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        s = request.sampling
        optional = {"temperature": s.temperature, "top_p": s.top_p, "seed": s.seed,
                    "max_tokens": request.max_tokens, "stop": list(s.stop) or None}
        body.update({k: v for k, v in optional.items() if v is not None})
        return body

    def _parse(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError:
            raise UnavailableError(f"{self.id} sent a malformed event in its reply", provider=self.id) from None
        if not isinstance(chunk, dict):
            raise UnavailableError(f"{self.id} sent a malformed event in its reply", provider=self.id)
        error = chunk.get("error")
        if error:
            # Some servers report failures inside the stream, after a 200.
            kind = str(error.get("type") or error.get("code") or "") if isinstance(error, dict) else ""
            message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
            raise error_for_event(kind, message, self.id)
        return chunk

    def _events(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                events.append(TextDelta(text))
            reason = choice.get("finish_reason")
            if reason:
                events.append(Finish("length" if _FINISH.get(reason) == "length" else "stop"))
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            events.append(Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)))
        return events

    async def list_models(self) -> list[str]:
        try:
            response = await self._client.get(f"{self.base_url}/models", headers=self._headers())
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.id, self.base_url) from None
        if response.status_code >= 400:
            raise error_for_status(response.status_code, response.text, response.headers, self.id)
        try:
            data = response.json()["data"]
            return sorted(str(m["id"]) for m in data)
        except (ValueError, KeyError, TypeError):
            raise UnavailableError(f"{self.id} sent a model list this app cannot read",
                                   provider=self.id) from None

    async def health(self) -> Health:
        try:
            models = await self.list_models()
        except ProviderError as exc:
            return Health(False, exc.message)
        return Health(True, f"OK, {len(models)} model{'s' if len(models) != 1 else ''}")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


async def _estimated_usage(request: ChatRequest, written: list[str]) -> Usage:
    """Usage counted with cl100k when the server reports none (llama.cpp's server,
    older Ollama): costs and budgets must not silently read zero. Off the loop, since
    the first count loads the vocabulary."""
    def count() -> Usage:
        counter = default_counter()
        prompt = counter.count_all(m.text for m in request.messages) + 4 * len(request.messages)
        return Usage(prompt, counter.count("".join(written)), estimated=True)

    return await asyncio.to_thread(count)


def _message(message: ChatMessage) -> dict[str, Any]:
    if not message.images:
        return {"role": message.role, "content": message.text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.text}] if message.text else []
    parts += [{"type": "image_url", "image_url": {"url": image.data_url()}} for image in message.images]
    return {"role": message.role, "content": parts}
