"""Who may call the local API, and how much: checked before any route runs.

In order, each answered in the API's own error shape:

1. the Host header names this computer, the configured host or one of the names the
   user allowed, else 403: a web page on
   another site that rebinds its DNS name to 127.0.0.1 still sends its own name;
2. a browser's ``Origin`` is one the user added (CORS), else 403; no CORS headers at all
   unless origins are configured;
3. the bearer token (``Authorization: Bearer …``, or Anthropic's ``x-api-key``), when one
   is set, else 401; compared in constant time, never logged;
4. the body is at most ``MAX_BODY_BYTES`` (413), and at most ``MAX_IN_FLIGHT`` requests run
   at once (429 with retry-after).

Requests for the local model also queue (``LocalQueue``): llama.cpp answers one at a
time, so at most ``LOCAL_QUEUE`` wait or run; one more is refused with 429 at once
rather than left to time out.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.api.errors import ApiError, Problem, dialect_of
from app.core.api_settings import is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 32 << 20  # a conversation with a few images as data URLs
MAX_IN_FLIGHT = 128
LOCAL_QUEUE = 16  # the one answering, and those waiting for the local model
RETRY_AFTER_S = 2.0


class LocalQueue:
    """Admission to the local model: a release while there is room, None when full."""

    def __init__(self, size: int = LOCAL_QUEUE) -> None:
        self.size = size
        self.taken = 0
        self.refused = 0

    def admit(self, target: str) -> Callable[[], None] | None:
        if self.taken >= self.size:
            self.refused += 1
            return None
        self.taken += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.taken -= 1

        return release


def host_allowed(host_header: str | None, configured: str, others: tuple[str, ...] = ()) -> bool:
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8765
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return is_loopback(host) or host == configured.strip().strip("[]").lower() or host in others


class Guard:
    """ASGI middleware in front of the routes."""

    def __init__(self, app: App, *, host: str, token: Callable[[], str | None],
                 cors_origins: tuple[str, ...] = (), allowed_hosts: tuple[str, ...] = (),
                 max_body: int = MAX_BODY_BYTES,
                 max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.app = app
        self.host = host
        self.token = token
        self.cors_origins = frozenset(cors_origins)
        self.allowed_hosts = tuple(h.lower() for h in allowed_hosts)
        self.max_body = max_body
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        cors = {"access-control-allow-origin": origin, "vary": "Origin"} \
            if origin and origin.rstrip("/") in self.cors_origins else {}
        try:
            self._check(scope, headers, origin)
        except ApiError as error:
            await error.response(dialect_of(scope["path"]), cors)(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and cors:  # a preflight from an origin the user added
            await _preflight(send, cors)
            return
        self.in_flight += 1
        try:
            await self.app(scope, self._limited(scope, receive), _with_headers(send, cors))
        finally:
            self.in_flight -= 1

    def _check(self, scope: Scope, headers: dict[str, str], origin: str | None) -> None:
        if not host_allowed(headers.get("host"), self.host, self.allowed_hosts):
            raise ApiError(Problem.FORBIDDEN, "This server answers only requests addressed to this "
                           "computer (the Host header names another site).")
        if origin and origin.rstrip("/") not in self.cors_origins:
            raise ApiError(Problem.FORBIDDEN, "Requests from web pages are refused unless their origin "
                           "is added in Settings → Local API server.")
        expected = self.token()
        if expected is not None and not hmac.compare_digest(_given_token(headers).encode(),
                                                            expected.encode()):
            raise ApiError(Problem.UNAUTHORIZED, "A valid API token is needed: send it as "
                           "'Authorization: Bearer <token>' (see Settings → Local API server).")
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > self.max_body:
            raise ApiError(Problem.TOO_LARGE, f"Requests are limited to {self.max_body >> 20} MB.")
        if self.in_flight >= self.max_in_flight:
            raise ApiError(Problem.BUSY, "Too many requests at once; try again shortly.",
                           retry_after=RETRY_AFTER_S)

    def _limited(self, scope: Scope, receive: Receive) -> Receive:
        """A body sent in chunks (no Content-Length) is counted as it comes."""
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise ApiError(Problem.TOO_LARGE, f"Requests are limited to {self.max_body >> 20} MB.")
            return message

        return limited


def _given_token(headers: dict[str, str]) -> str:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return headers.get("x-api-key", "").strip()


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    if not extra:
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []),
                                  *((k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items())]
        await send(message)

    return sending


async def _preflight(send: Send, cors: dict[str, str]) -> None:
    headers = {**cors, "access-control-allow-methods": "GET, POST, OPTIONS",
               "access-control-allow-headers": "authorization, content-type, x-api-key, "
                                               "anthropic-version, openai-organization",
               "access-control-max-age": "600"}
    await send({"type": "http.response.start", "status": 204,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]})
    await send({"type": "http.response.body", "body": b""})
