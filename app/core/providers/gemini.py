"""Google's Gemini API as a streaming provider.

``GeminiProvider`` posts to ``/v1beta/models/{model}:streamGenerateContent?alt=sse``;
each server-sent event is one GenerateContentResponse, read for its text parts, finish
reason and usage. The key goes in the ``x-goog-api-key`` header, never in the URL, so it
cannot leak through a logged or reported address. The HTTP, the key and the errors are
``RemoteProvider``'s (``remote.py``).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

from app.core.providers.base import ChatMessage, ChatRequest
from app.core.providers.errors import BadRequestError
from app.core.providers.remote import CountedReply, RemoteProvider, as_dict, as_list, reported_tokens


class GeminiProvider(RemoteProvider):
    def __init__(
        self,
        id: str,
        api_key: Callable[[], str | None],
        *,
        base_url: str = "https://generativelanguage.googleapis.com",
        client: httpx.AsyncClient | None = None,
        default_max_tokens: int = 4096,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        """``default_max_tokens`` is accepted for a uniform constructor but not sent: Gemini
        does not require a limit, and its own default suits each model better."""
        super().__init__(id, base_url, api_key, client=client, timeout=timeout)

    async def list_models(self) -> list[str]:
        """Models that can chat (generateContent), without the "models/" prefix."""
        pages = await self._get_pages("/v1beta/models", {"pageSize": "1000"}, _next_page)
        models = [m for page in pages for m in as_list(page.get("models")) if _can_chat(m)]
        limits = {_model_id(m): reported_tokens(as_dict(m).get("inputTokenLimit")) for m in models}
        self.reported_windows = {model: limit for model, limit in limits.items() if limit}
        return [_model_id(m) for m in models]

    def _headers(self, key: str) -> dict[str, str]:
        return {"x-goog-api-key": key, "content-type": "application/json"}

    def _stream_url(self, model: str) -> str:
        # Quoted so a model name can never reach another path; "models/x" and "x" both work.
        name = urllib.parse.quote(model.removeprefix("models/"), safe="")
        return f"{self.base_url}/v1beta/models/{name}:streamGenerateContent?alt=sse"

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "contents": [_content(m) for m in request.messages if m.role != "system"]
        }
        system = "\n\n".join(m.text for m in request.messages if m.role == "system" and m.text)
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        config = _generation_config(request)
        if request.choices:
            config["responseMimeType"] = "application/json"
            config["responseSchema"] = {"type": "OBJECT", "required": ["answer"], "properties": {
                "answer": {"type": "STRING", "enum": list(request.choices)}}}
        if config:
            body["generationConfig"] = config
        return body

    def _reply(self, request: ChatRequest, key: str) -> _Reply:
        return _Reply(self.id, key)


class _Reply(CountedReply):
    """What the stream has said so far; its stop_reason is the candidate's finishReason."""

    # SAFETY, RECITATION and the like end the reply early, but it did end: "stop".
    LENGTH_REASONS = frozenset({"MAX_TOKENS"})

    def apply(self, data: str) -> str:
        """Take in one GenerateContentResponse; returns the text it carries."""
        chunk = self.decode(data)
        if "error" in chunk:
            error = as_dict(chunk["error"])
            kind = str(error.get("status") or error.get("code") or "error")
            raise self.error(kind, str(error.get("message") or ""))
        self._count(as_dict(chunk.get("usageMetadata")))
        candidates = as_list(chunk.get("candidates"))
        if not candidates:
            self._check_prompt_feedback(as_dict(chunk.get("promptFeedback")))
            return ""
        candidate = as_dict(candidates[0])
        self.stop_reason = candidate.get("finishReason") or self.stop_reason
        parts = as_list(as_dict(candidate.get("content")).get("parts"))
        # Thought summaries ("thought": true) are the model thinking aloud, not the reply.
        return "".join(
            str(p.get("text") or "") for p in map(as_dict, parts) if not p.get("thought")
        )

    def _count(self, usage: dict[str, Any]) -> None:
        # Each chunk repeats running totals, so the last one seen is the answer. Thinking
        # tokens are billed as output, so they count as output here.
        if not usage:
            return
        self.input_tokens = _int(usage.get("promptTokenCount"))
        self.output_tokens = _int(usage.get("candidatesTokenCount")) + _int(
            usage.get("thoughtsTokenCount")
        )

    def _check_prompt_feedback(self, feedback: dict[str, Any]) -> None:
        """No candidates and a block reason: Gemini refused the prompt itself."""
        reason = feedback.get("blockReason")
        if reason:
            raise BadRequestError(
                f"{self.provider} refused to answer this prompt (blocked: {reason})",
                provider=self.provider,
            )


def _next_page(page: dict[str, Any]) -> dict[str, str] | None:
    token = page.get("nextPageToken")
    return {"pageSize": "1000", "pageToken": str(token)} if token else None


def _generation_config(request: ChatRequest) -> dict[str, Any]:
    sampling = request.sampling
    config: dict[str, Any] = {
        name: value
        for name, value in (
            ("maxOutputTokens", request.max_tokens),
            ("temperature", sampling.temperature),
            ("topP", sampling.top_p),
            ("topK", sampling.top_k),
            ("seed", sampling.seed),
        )
        if value is not None
    }
    if sampling.stop:
        config["stopSequences"] = list(sampling.stop)
    return config


def _content(message: ChatMessage) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": message.text}] if message.text else []
    parts += [
        {"inlineData": {"mimeType": image.mime, "data": image.base64()}} for image in message.images
    ]
    return {"role": "model" if message.role == "assistant" else "user", "parts": parts}


def _model_id(model: object) -> str:
    return str(as_dict(model).get("name") or "").removeprefix("models/")


def _can_chat(model: object) -> bool:
    """Listed models include embedders and the like; keep the ones that generate text."""
    entry = as_dict(model)
    methods = entry.get("supportedGenerationMethods")
    return bool(entry.get("name")) and (methods is None or "generateContent" in as_list(methods))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
