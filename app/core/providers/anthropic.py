"""Anthropic's Messages API as a streaming provider.

``AnthropicProvider`` posts to ``/v1/messages`` with ``stream: true`` and turns the
server-sent events (message_start, content_block_delta, message_delta, message_stop,
ping, error) into TextDelta, Usage and Finish. The HTTP, the key and the errors are
``RemoteProvider``'s (``remote.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from app.core.providers.base import ChatMessage, ChatRequest, choice_schema
from app.core.providers.remote import CountedReply, RemoteProvider, as_dict, as_list

API_VERSION = "2023-06-01"


class AnthropicProvider(RemoteProvider):
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
        super().__init__(id, base_url, api_key, client=client, timeout=timeout)
        self._default_max_tokens = default_max_tokens

    async def list_models(self) -> list[str]:
        pages = await self._get_pages("/v1/models", {"limit": "1000"}, _next_page)
        data = [m for page in pages for m in as_list(page.get("data"))]
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]

    def _headers(self, key: str) -> dict[str, str]:
        return {
            "x-api-key": key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
        }

    def _stream_url(self, model: str) -> str:
        return f"{self.base_url}/v1/messages"

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
        if request.choices:  # a forced tool call is Anthropic's structured output
            body["tools"] = [{"name": "answer", "description": "Give the answer.",
                              "input_schema": choice_schema(request.choices)}]
            body["tool_choice"] = {"type": "tool", "name": "answer"}
        return body

    def _reply(self, request: ChatRequest, key: str) -> _Reply:
        reply = _Reply(self.id, key)
        reply.structured = bool(request.choices)
        return reply


class _Reply(CountedReply):
    """What the stream has said so far; ``done`` when message_stop arrived."""

    structured = False

    # Every other stop reason (end_turn, stop_sequence, refusal, pause_turn, tool_use) ends
    # the reply normally; these two mean it was cut short by a token limit.
    LENGTH_REASONS = frozenset({"max_tokens", "model_context_window_exceeded"})

    def apply(self, data: str) -> str:
        event = self.decode(data)
        kind = event.get("type")
        if kind == "content_block_delta":
            delta = as_dict(event.get("delta"))
            # Only visible text; thinking and signatures are not the reply, and tool-call
            # JSON is only when the request asked for a structured answer.
            if delta.get("type") == "input_json_delta" and self.structured:
                return str(delta.get("partial_json") or "")
            return str(delta.get("text") or "") if delta.get("type") == "text_delta" else ""
        if kind == "message_start":
            self._count(as_dict(as_dict(event.get("message")).get("usage")))
        elif kind == "message_delta":
            self.stop_reason = as_dict(event.get("delta")).get("stop_reason") or self.stop_reason
            self._count(as_dict(event.get("usage")))
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            error = as_dict(event.get("error"))
            raise self.error(str(error.get("type") or "error"), str(error.get("message") or ""))
        return ""  # ping, content_block_start/stop and kinds added later carry no text

    def _count(self, usage: dict[str, Any]) -> None:
        # message_start has the prompt's count; message_delta's counts are running totals.
        if isinstance(usage.get("input_tokens"), int):
            self.input_tokens = usage["input_tokens"]
        if isinstance(usage.get("output_tokens"), int):
            self.output_tokens = usage["output_tokens"]


def _next_page(page: dict[str, Any]) -> dict[str, str] | None:
    if not page.get("has_more") or not page.get("last_id"):
        return None
    return {"limit": "1000", "after_id": str(page["last_id"])}


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
