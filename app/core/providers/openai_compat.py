"""OpenAI-compatible chat completions: OpenAI, OpenRouter, Groq, Mistral, DeepSeek,
Together, and local servers (Ollama, LM Studio, vLLM, llama.cpp's server).

They all speak ``POST {base_url}/chat/completions`` with ``stream: true`` and answer in
server-sent events ending with ``data: [DONE]``; ``base_url`` includes the version
prefix (``https://api.openai.com/v1``) because some servers use another one. The HTTP,
the key and the errors are ``RemoteProvider``'s (``remote.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.core.providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    StreamEvent,
    Usage,
    choice_schema,
)
from app.core.providers.errors import UnavailableError
from app.core.providers.remote import RemoteProvider, Reply, reported_tokens, unreadable
from app.core.tokens import default_counter


class OpenAICompatProvider(RemoteProvider):
    def __init__(
        self,
        id: str,
        base_url: str,
        api_key: Callable[[], str | None] | None = None,
        *,
        key_required: bool = True,  # local servers (Ollama, LM Studio, llama.cpp) take no key
        client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        super().__init__(
            id, base_url, api_key, key_required=key_required, client=client, timeout=timeout
        )

    async def list_models(self) -> list[str]:
        [page] = await self._get_pages("/models", None)
        try:
            models = {str(m["id"]): _window(m) for m in page["data"]}
        except (KeyError, TypeError):
            raise unreadable(self.id, "a model list") from None
        self.reported_windows = {model: tokens for model, tokens in models.items() if tokens}
        return sorted(models)

    def _headers(self, key: str | None = None) -> dict[str, str]:
        """``key`` is looked up here when not given; a server that needs none gets no header."""
        key = self._key() if key is None else key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _stream_url(self, model: str) -> str:
        return f"{self.base_url}/chat/completions"

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
        if request.choices:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "answer", "strict": True, "schema": choice_schema(request.choices)}}
        return body

    def _reply(self, request: ChatRequest, key: str) -> _Reply:
        return _Reply(self.id, key, request=request)


@dataclass
class _Reply(Reply):
    """Text written so far, and the finish reason and usage once the server sends them;
    ``done`` when data: [DONE] arrived."""

    request: ChatRequest = field(repr=False, kw_only=True)
    written: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None

    def apply(self, data: str) -> str:
        if data.strip() == "[DONE]":
            self.done = True
            return ""
        chunk = self.decode(data)
        error = chunk.get("error")
        if error:  # some servers report failures inside the stream, after a 200
            fields = error if isinstance(error, dict) else {"message": error}
            kind = str(fields.get("type") or fields.get("code") or "")
            raise self.error(kind, str(fields.get("message", "")))
        text = ""
        for choice in chunk.get("choices") or ():
            text += str((choice.get("delta") or {}).get("content") or "")
            # stop, length, content_filter, tool_calls: only "length" means cut short.
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = Usage(int(usage.get("prompt_tokens") or 0),
                               int(usage.get("completion_tokens") or 0))
        self.written.append(text)
        return text

    async def closing_events(self, cancelled: bool) -> list[StreamEvent]:
        if cancelled:
            return [await self._estimated_usage(), Finish("cancelled")]
        if not self.done and self.finish_reason is None:
            # Neither data: [DONE] nor a finish reason: the server stopped mid-reply.
            raise UnavailableError(f"{self.provider} stopped sending before the reply was complete",
                                   provider=self.provider)
        usage = self.usage or await self._estimated_usage()
        return [usage, Finish("length" if self.finish_reason == "length" else "stop")]

    async def _estimated_usage(self) -> Usage:
        """Usage counted with cl100k when the server reports none (llama.cpp's server,
        older Ollama): costs and budgets must not silently read zero. Off the loop, since
        the first count loads the vocabulary."""
        messages = self.request.messages

        def count() -> Usage:
            counter = default_counter()
            prompt = counter.count_all(m.text for m in messages) + 4 * len(messages)
            return Usage(prompt, counter.count("".join(self.written)), estimated=True)

        return await asyncio.to_thread(count)


def _message(message: ChatMessage) -> dict[str, Any]:
    if not message.images:
        return {"role": message.role, "content": message.text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.text}] if message.text else []
    parts += [
        {"type": "image_url", "image_url": {"url": image.data_url()}} for image in message.images
    ]
    return {"role": message.role, "content": parts}


# Where OpenAI-compatible servers put a model's context window in their model list:
# OpenRouter and Together, LM Studio, vLLM. OpenAI itself reports none.
_WINDOW_FIELDS = ("context_length", "max_context_length", "max_model_len")


def _window(model: dict[str, Any]) -> int | None:
    return next((n for name in _WINDOW_FIELDS if (n := reported_tokens(model.get(name)))), None)
