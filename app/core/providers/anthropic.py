"""Anthropic's Messages API as a streaming provider.

``AnthropicProvider`` posts to ``/v1/messages`` with ``stream: true`` and turns the
server-sent events (message_start, content_block_delta, message_delta, message_stop,
ping, error) into TextDelta, Usage and Finish. Failures become the typed errors of
``errors.py`` through the shared mapping in ``http_errors.py``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

from app.core.providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    FinishReason,
    Health,
    StreamEvent,
    TextDelta,
    Usage,
)
from app.core.providers.errors import AuthError, ProviderError, UnavailableError
from app.core.providers.http_errors import error_for_event, error_for_status, error_for_transport

API_VERSION = "2023-06-01"
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=10.0)
_MODEL_PAGES = 5  # /v1/models pages of up to 1000 models; more than enough, and bounded
_REDACTED = "[redacted]"

# Every other stop reason (end_turn, stop_sequence, refusal, pause_turn, tool_use) ends
# the reply normally; these two mean it was cut short by a token limit.
_LENGTH_REASONS = frozenset({"max_tokens", "model_context_window_exceeded"})


class AnthropicProvider:
    def __init__(
        self,
        id: str,
        api_key: Callable[[], str | None],
        *,
        base_url: str = "https://api.anthropic.com",
        client: httpx.AsyncClient | None = None,
        default_max_tokens: int = 4096,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        """``api_key`` looks the key up when a request needs it; the key itself is never kept.

        ``timeout`` applies to the client created here; a ``client`` passed in keeps its own.
        """
        self.id = id
        self._lookup_key = api_key
        self._base_url = base_url.rstrip("/")
        self._default_max_tokens = default_max_tokens
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)

    def __repr__(self) -> str:
        return f"AnthropicProvider(id={self.id!r}, base_url={self._base_url!r})"

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        key = self._key()
        if request.cancel.cancelled:
            yield Finish("cancelled")
            return
        progress = _Progress()
        cancelled = False
        try:
            async with aconnect_sse(
                self._client,
                "POST",
                f"{self._base_url}/v1/messages",
                json=self._body(request),
                headers=self._headers(key),
            ) as source:
                await self._raise_for_status(source.response, key)
                async with aclosing(source.aiter_sse()) as events:
                    async for sse in events:
                        text = progress.apply(self._decode(sse.data), self.id, key)
                        if text:
                            yield TextDelta(text)
                        if request.cancel.cancelled:
                            cancelled = True
                            break
                        if progress.stopped:  # don't wait on a server that keeps the line open
                            break
        except SSEError as exc:  # a 2xx that is not an event stream: a proxy or portal page
            raise UnavailableError(
                f"{self.id} did not answer with a stream ({exc})", provider=self.id
            ) from exc
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.id, self._base_url) from exc
        if cancelled:
            yield Finish("cancelled")
            return
        for event in progress.closing_events(self.id):
            yield event

    async def list_models(self) -> list[str]:
        key = self._key()
        models: list[str] = []
        params: dict[str, str | int] = {"limit": 1000}
        for _ in range(_MODEL_PAGES):
            page = await self._get_json("/v1/models", params, key)
            models += [
                str(m["id"]) for m in _list(page.get("data")) if isinstance(m, dict) and "id" in m
            ]
            if not page.get("has_more") or not page.get("last_id"):
                break
            params = {"limit": 1000, "after_id": str(page["last_id"])}
        return models

    async def health(self) -> Health:
        try:
            models = await self.list_models()
        except ProviderError as exc:
            return Health(False, exc.message)
        return Health(True, f"OK, {len(models)} models")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _key(self) -> str:
        """The key for this one request; missing is an AuthError before anything is sent."""
        key = (self._lookup_key() or "").strip()
        if not key:
            raise AuthError(
                f"No API key for {self.id}. Add one in Settings → Providers.", provider=self.id
            )
        return key

    @staticmethod
    def _headers(key: str) -> dict[str, str]:
        return {
            "x-api-key": key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
        }

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or self._default_max_tokens,  # the API requires it
            "messages": [_message(m) for m in request.messages if m.role != "system"],
            "stream": True,
        }
        system = "\n\n".join(m.text for m in request.messages if m.role == "system" and m.text)
        if system:
            body["system"] = system
        sampling = request.sampling
        optional = {
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": sampling.top_k,
        }
        body.update({name: value for name, value in optional.items() if value is not None})
        if sampling.stop:
            body["stop_sequences"] = list(sampling.stop)
        # sampling.seed is left out: the Messages API has no seed.
        return body

    def _decode(self, data: str) -> dict[str, Any]:
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            raise UnavailableError(
                f"{self.id} sent a part of the reply that could not be read", provider=self.id
            )
        return event

    async def _raise_for_status(self, response: httpx.Response, key: str) -> None:
        if response.is_success:
            return
        body = (await response.aread()).decode("utf-8", "replace")
        # The key is masked by value too: a proxy may echo a key that scrub() would not recognise.
        raise error_for_status(
            response.status_code, body.replace(key, _REDACTED), response.headers, self.id
        )

    async def _get_json(self, path: str, params: dict[str, str | int], key: str) -> dict[str, Any]:
        try:
            response = await self._client.get(
                f"{self._base_url}{path}", params=params, headers=self._headers(key)
            )
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.id, self._base_url) from exc
        await self._raise_for_status(response, key)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise UnavailableError(
                f"{self.id} sent a model list that could not be read", provider=self.id
            )
        return data


@dataclass
class _Progress:
    """What the stream has said so far besides text: token counts, why it stopped, if it did."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    stopped: bool = False  # message_stop arrived

    def apply(self, event: dict[str, Any], provider: str, key: str) -> str:
        """Take in one event; returns the text it carries ("" for most kinds)."""
        kind = event.get("type")
        if kind == "content_block_delta":
            delta = _dict(event.get("delta"))
            # Only visible text; thinking, signatures and tool-call JSON are not the reply.
            return str(delta.get("text") or "") if delta.get("type") == "text_delta" else ""
        if kind == "message_start":
            self._count(_dict(_dict(event.get("message")).get("usage")))
        elif kind == "message_delta":
            self.stop_reason = _dict(event.get("delta")).get("stop_reason") or self.stop_reason
            self._count(_dict(event.get("usage")))
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            error = _dict(event.get("error"))
            message = str(error.get("message") or "").replace(key, _REDACTED)
            raise error_for_event(str(error.get("type") or "error"), message, provider)
        return ""  # ping, content_block_start/stop and kinds added later carry no text

    def closing_events(self, provider: str) -> list[StreamEvent]:
        if not self.stopped and self.stop_reason is None:
            raise UnavailableError(
                f"{provider} stopped sending before the reply was complete", provider=provider
            )
        events: list[StreamEvent] = []
        if self.input_tokens is not None or self.output_tokens is not None:
            events.append(Usage(self.input_tokens or 0, self.output_tokens or 0))
        reason: FinishReason = "length" if self.stop_reason in _LENGTH_REASONS else "stop"
        events.append(Finish(reason))
        return events

    def _count(self, usage: dict[str, Any]) -> None:
        # message_start has the prompt's count; message_delta's counts are running totals.
        if isinstance(usage.get("input_tokens"), int):
            self.input_tokens = usage["input_tokens"]
        if isinstance(usage.get("output_tokens"), int):
            self.output_tokens = usage["output_tokens"]


def _message(message: ChatMessage) -> dict[str, Any]:
    if not message.images:
        return {"role": message.role, "content": message.text}
    # Images first, then the words about them: the order Anthropic recommends.
    content: list[dict[str, Any]] = [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": image.mime, "data": image.base64()},
        }
        for image in message.images
    ]
    if message.text:  # the API rejects empty text blocks
        content.append({"type": "text", "text": message.text})
    return {"role": message.role, "content": content}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
