"""Google's Gemini API as a streaming provider.

``GeminiProvider`` posts to ``/v1beta/models/{model}:streamGenerateContent?alt=sse``;
each server-sent event is one GenerateContentResponse, read for its text parts, finish
reason and usage. The key goes in the ``x-goog-api-key`` header, never in the URL, so it
cannot leak through a logged or reported address. Failures become the typed errors of
``errors.py`` through the shared mapping in ``http_errors.py``.
"""

from __future__ import annotations

import json
import urllib.parse
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
from app.core.providers.errors import (
    AuthError,
    BadRequestError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from app.core.providers.http_errors import (
    error_for_event,
    error_for_status,
    error_for_transport,
    error_message,
)

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=10.0)
_MODEL_PAGES = 5  # pages of up to 1000 models; more than enough, and bounded
_REDACTED = "[redacted]"
_INVALID_KEY = "API_KEY_INVALID"  # google.rpc.ErrorInfo reason in a 400's details


class GeminiProvider:
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
        """``api_key`` looks the key up when a request needs it; the key itself is never kept.

        ``default_max_tokens`` is accepted for a uniform constructor but not sent: Gemini
        does not require a limit, and its own default suits each model better.
        ``timeout`` applies to the client created here; a ``client`` passed in keeps its own.
        """
        self.id = id
        self._lookup_key = api_key
        self._base_url = base_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)

    def __repr__(self) -> str:
        return f"GeminiProvider(id={self.id!r}, base_url={self._base_url!r})"

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
                self._stream_url(request.model),
                params={"alt": "sse"},
                json=_body(request),
                headers=_headers(key),
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
        """Models that can chat (generateContent), without the "models/" prefix."""
        key = self._key()
        models: list[str] = []
        params = {"pageSize": "1000"}
        for _ in range(_MODEL_PAGES):
            page = await self._get_json("/v1beta/models", params, key)
            models += [_model_id(m) for m in _list(page.get("models")) if _can_chat(m)]
            token = page.get("nextPageToken")
            if not token:
                break
            params = {"pageSize": "1000", "pageToken": str(token)}
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

    def _stream_url(self, model: str) -> str:
        # Quoted so a model name can never reach another path; "models/x" and "x" both work.
        name = urllib.parse.quote(model.removeprefix("models/"), safe="")
        return f"{self._base_url}/v1beta/models/{name}:streamGenerateContent"

    def _decode(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError:
            chunk = None
        if isinstance(chunk, list) and len(chunk) == 1:  # errors sometimes come wrapped in a list
            chunk = chunk[0]
        if not isinstance(chunk, dict):
            raise UnavailableError(
                f"{self.id} sent a part of the reply that could not be read", provider=self.id
            )
        return chunk

    async def _raise_for_status(self, response: httpx.Response, key: str) -> None:
        if response.is_success:
            return
        # The key is masked by value too: an error may echo a key that scrub() would not recognise.
        body = (await response.aread()).decode("utf-8", "replace").replace(key, _REDACTED)
        raise self._status_error(response.status_code, body, response.headers)

    def _status_error(self, status: int, body: str, headers: httpx.Headers) -> ProviderError:
        """The shared mapping, plus the two ways Gemini differs from plain HTTP."""
        if status == 400 and _INVALID_KEY in body:
            # Gemini answers a wrong key with 400 INVALID_ARGUMENT, not 401; it is still the key.
            return AuthError(
                f"{self.id} refused the API key: {error_message(body)}", provider=self.id
            )
        error = error_for_status(status, body, headers, self.id)
        if isinstance(error, RateLimitedError) and error.retry_after is None:
            error.retry_after = _retry_delay(
                body
            )  # Gemini says when in the body, not in Retry-After
        return error

    async def _get_json(self, path: str, params: dict[str, str], key: str) -> dict[str, Any]:
        try:
            response = await self._client.get(
                f"{self._base_url}{path}", params=params, headers=_headers(key)
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
    """What the stream has said so far besides text: token counts and why it stopped."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None

    def apply(self, chunk: dict[str, Any], provider: str, key: str) -> str:
        """Take in one GenerateContentResponse; returns the text it carries."""
        if "error" in chunk:
            error = _dict(chunk["error"])
            message = str(error.get("message") or "").replace(key, _REDACTED)
            raise error_for_event(
                str(error.get("status") or error.get("code") or "error"), message, provider
            )
        self._count(_dict(chunk.get("usageMetadata")))
        candidates = _list(chunk.get("candidates"))
        if not candidates:
            self._check_prompt_feedback(_dict(chunk.get("promptFeedback")), provider)
            return ""
        candidate = _dict(candidates[0])
        self.finish_reason = candidate.get("finishReason") or self.finish_reason
        parts = _list(_dict(candidate.get("content")).get("parts"))
        # Thought summaries ("thought": true) are the model thinking aloud, not the reply.
        return "".join(str(p.get("text") or "") for p in map(_dict, parts) if not p.get("thought"))

    def closing_events(self, provider: str) -> list[StreamEvent]:
        if self.finish_reason is None:
            raise UnavailableError(
                f"{provider} stopped sending before the reply was complete", provider=provider
            )
        events: list[StreamEvent] = []
        if self.input_tokens is not None or self.output_tokens is not None:
            events.append(Usage(self.input_tokens or 0, self.output_tokens or 0))
        # SAFETY, RECITATION and the like end the reply early, but it did end: "stop".
        reason: FinishReason = "length" if self.finish_reason == "MAX_TOKENS" else "stop"
        events.append(Finish(reason))
        return events

    def _count(self, usage: dict[str, Any]) -> None:
        # Each chunk repeats running totals, so the last one seen is the answer. Thinking
        # tokens are billed as output, so they count as output here.
        if not usage:
            return
        self.input_tokens = _int(usage.get("promptTokenCount"))
        self.output_tokens = _int(usage.get("candidatesTokenCount")) + _int(
            usage.get("thoughtsTokenCount")
        )

    @staticmethod
    def _check_prompt_feedback(feedback: dict[str, Any], provider: str) -> None:
        """No candidates and a block reason: Gemini refused the prompt itself."""
        reason = feedback.get("blockReason")
        if reason:
            raise BadRequestError(
                f"{provider} refused to answer this prompt (blocked: {reason})", provider=provider
            )


def _headers(key: str) -> dict[str, str]:
    return {"x-goog-api-key": key, "content-type": "application/json"}


def _body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contents": [_content(m) for m in request.messages if m.role != "system"]
    }
    system = "\n\n".join(m.text for m in request.messages if m.role == "system" and m.text)
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    config = _generation_config(request)
    if config:
        body["generationConfig"] = config
    return body


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


def _retry_delay(body: str) -> float | None:
    """Seconds from a google.rpc.RetryInfo detail, e.g. {"retryDelay": "27s"}."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, list) and data:  # errors sometimes come wrapped in a list
        data = data[0]
    for detail in _list(_dict(_dict(data).get("error")).get("details")):
        delay = _dict(detail).get("retryDelay")
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None


def _model_id(model: object) -> str:
    return str(_dict(model).get("name") or "").removeprefix("models/")


def _can_chat(model: object) -> bool:
    """Listed models include embedders and the like; keep the ones that generate text."""
    entry = _dict(model)
    methods = entry.get("supportedGenerationMethods")
    return bool(entry.get("name")) and (methods is None or "generateContent" in _list(methods))


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
