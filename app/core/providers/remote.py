"""What every remote provider (OpenAI-compatible, Anthropic, Gemini) does the same way.

``RemoteProvider`` owns the HTTP client, looks the key up per request, posts the chat
request and reads its server-sent events, and turns every failure into the typed errors
of ``errors.py`` through ``http_errors.py``. A subclass says only what is particular to
its API: the headers, the stream's URL and body, a ``Reply`` that reads its events, and
how to list models. The key is masked by value in any error text a server sends back,
since a server or proxy may echo a key that ``scrub()`` would not recognise.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from httpx_sse import SSEError, aconnect_sse

from app.core.providers.base import ChatRequest, Finish, Health, StreamEvent, TextDelta, Usage
from app.core.providers.errors import AuthError, ProviderError, UnavailableError
from app.core.providers.http_errors import error_for_event, error_for_status, error_for_transport

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=10.0)
REDACTED = "[redacted]"
MODEL_PAGES = 5  # of up to 1000 models each: more than enough, and bounded


def reported_tokens(value: object) -> int | None:
    """A token count from a provider's model list, when it is one (JSON has no int type
    of its own: true, 1.5 or a string is no window)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000_000:
        return value
    return None


class RemoteProvider(ABC):
    def __init__(
        self,
        id: str,
        base_url: str,
        api_key: Callable[[], str | None] | None,
        *,
        key_required: bool = True,
        client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        """``api_key`` looks the key up when a request needs it; the key itself is never kept.

        ``timeout`` applies to the client created here; a ``client`` passed in keeps its own.
        """
        self.id = id
        self.base_url = base_url.rstrip("/")
        self._lookup_key = api_key or (lambda: None)
        self._key_required = key_required
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)
        # Context windows the last model list reported, where the API says ({"model": tokens}).
        self.reported_windows: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, base_url={self.base_url!r})"

    # What a subclass says about its API.

    @abstractmethod
    def _headers(self, key: str) -> dict[str, str]: ...

    @abstractmethod
    def _stream_url(self, model: str) -> str: ...

    @abstractmethod
    def _body(self, request: ChatRequest) -> dict[str, Any]: ...

    @abstractmethod
    def _reply(self, request: ChatRequest, key: str) -> Reply: ...

    @abstractmethod
    async def list_models(self) -> list[str]: ...

    # The rest of the Provider protocol, the same for all of them.

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        key = self._key()
        if request.cancel.cancelled:
            yield Finish("cancelled")
            return
        reply = self._reply(request, key)
        cancelled = False
        try:
            async with aconnect_sse(
                self._client,
                "POST",
                self._stream_url(request.model),
                json=self._body(request),
                headers=self._headers(key),
            ) as source:
                await self._raise_for_status(source.response, key)
                async with aclosing(source.aiter_sse()) as events:
                    async for sse in events:
                        text = reply.apply(sse.data)
                        if text:
                            yield TextDelta(text)
                        if request.cancel.cancelled:
                            cancelled = True
                            break
                        if reply.done:  # don't wait on a server that keeps the line open
                            break
        except SSEError as exc:  # a 2xx that is not an event stream: a proxy or portal page
            raise UnavailableError(
                f"{self.id} did not answer with a stream ({exc})", provider=self.id
            ) from exc
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.id, self.base_url) from exc
        for event in await reply.closing_events(cancelled):
            yield event

    async def health(self) -> Health:
        try:
            models = await self.list_models()
        except ProviderError as exc:
            return Health(False, exc.message)
        return Health(True, f"OK, {len(models)} model{'' if len(models) == 1 else 's'}")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # Helpers for subclasses.

    def _key(self) -> str:
        """The key for this one request ("" where none is needed); missing is an AuthError
        before anything is sent."""
        key = (self._lookup_key() or "").strip()
        if not key and self._key_required:
            raise AuthError(
                f"No API key for {self.id}. Add one in Settings → Providers.", provider=self.id
            )
        return key

    async def _get_pages(
        self,
        path: str,
        params: dict[str, str] | None,
        next_params: Callable[[dict[str, Any]], dict[str, str] | None] = lambda page: None,
    ) -> list[dict[str, Any]]:
        """GET ``base_url + path``, a model list, as its pages of JSON: ``next_params`` says
        how to ask for the page after one (None: there is none). A few pages at the most."""
        key = self._key()
        pages: list[dict[str, Any]] = []
        for _ in range(MODEL_PAGES):
            pages.append(await self._get_json(path, params, key))
            params = next_params(pages[-1])
            if params is None:
                break
        return pages

    async def _get_json(
        self, path: str, params: dict[str, str] | None, key: str
    ) -> dict[str, Any]:
        try:
            response = await self._client.get(
                f"{self.base_url}{path}", params=params, headers=self._headers(key)
            )
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, self.id, self.base_url) from exc
        await self._raise_for_status(response, key)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise unreadable(self.id, "a model list")
        return data

    async def _raise_for_status(self, response: httpx.Response, key: str) -> None:
        if response.is_success:
            return
        body = redact((await response.aread()).decode("utf-8", "replace"), key)
        raise error_for_status(response.status_code, body, response.headers, self.id)


@dataclass
class Reply(ABC):
    """One streamed reply being read, event by event."""

    provider: str
    key: str = field(repr=False)  # masked in any error text the server sends
    done: bool = False  # the server said the reply is over: stop reading, though the line is open

    @abstractmethod
    def apply(self, data: str) -> str:
        """Take in one event's data; returns the text it carries ("" for most events)."""

    @abstractmethod
    async def closing_events(self, cancelled: bool) -> list[StreamEvent]:
        """What follows the text (usage when known, then one Finish); raises if cut short."""

    def decode(self, data: str) -> dict[str, Any]:
        """One event's data as the JSON object it should be; anything else is UnavailableError."""
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if isinstance(event, list) and len(event) == 1:  # Gemini sometimes wraps errors in a list
            event = event[0]
        if not isinstance(event, dict):
            raise unreadable(self.provider, "a malformed event")
        return event

    def error(self, kind: str, message: str) -> ProviderError:
        """An error the server sent inside the stream."""
        return error_for_event(kind, redact(message, self.key), self.provider)


@dataclass
class CountedReply(Reply):
    """A reply from a server that reports its own token counts and why it stopped
    (Anthropic, Gemini); a subclass reads its events in ``apply``."""

    LENGTH_REASONS: ClassVar[frozenset[str]]  # stop reasons that mean a token limit cut it

    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None

    async def closing_events(self, cancelled: bool) -> list[StreamEvent]:
        if cancelled:
            return [Finish("cancelled")]
        if not self.done and self.stop_reason is None:
            raise UnavailableError(
                f"{self.provider} stopped sending before the reply was complete",
                provider=self.provider,
            )
        events: list[StreamEvent] = []
        if self.input_tokens is not None or self.output_tokens is not None:
            events.append(Usage(self.input_tokens or 0, self.output_tokens or 0))
        events.append(Finish("length" if self.stop_reason in self.LENGTH_REASONS else "stop"))
        return events


def redact(text: str, key: str) -> str:
    """``text`` with the key masked by value."""
    return text.replace(key, REDACTED) if key else text


def unreadable(provider: str, what: str) -> UnavailableError:
    return UnavailableError(f"{provider} sent {what} that could not be read", provider=provider)


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
