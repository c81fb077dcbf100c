"""A real HTTP server on 127.0.0.1 for tests of streaming clients: SSE, stalls, hang-ups.

A test gives ``SSEServer`` a handler that turns each ``RecordedRequest`` into a ``Reply``.
The reply's body is a sequence of chunks, written one by one as they come, so a client
really sees a stream: ``bytes`` are sent, a ``float`` pauses that many seconds (a stall),
``HANGUP`` drops the connection mid-reply. Every request is kept in ``.requests`` and
what happened to its reply (how many chunks went out, whether the client left early) in
``.served``.

    with SSEServer(lambda req: sse_reply(sse("ping", {}), 0.1, sse(None, "[DONE]"))) as server:
        ... httpx against server.url ...

Nothing here is specific to one API; provider tests build their event formats on top.
"""

from __future__ import annotations

import enum
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from tests.support.loopback_server import (
    CLIENT_GONE,
    LoopbackServer,
    TrackedHandler,
    shutdown_quietly,
)


class Fault(enum.Enum):
    HANGUP = "hangup"  # close the connection here, without finishing the reply


HANGUP = Fault.HANGUP

Chunk = bytes | float | Fault


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, with the query string
    headers: dict[str, str]  # lower-case names
    body: bytes = field(repr=False)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when there is no body."""
        return json.loads(self.body) if self.body else None

    @property
    def route(self) -> str:
        """The path without its query string."""
        return urllib.parse.urlsplit(self.path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)


@dataclass
class Reply:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    chunks: Iterable[Chunk] = ()
    # "chunked": HTTP/1.1 chunked transfer, the connection may be reused afterwards.
    # "close": no length at all, the end of the body is the end of the connection.
    framing: Literal["chunked", "close"] = "chunked"


@dataclass
class Served:
    """What became of one reply; filled in while it is written."""

    request: RecordedRequest
    chunks_written: int = 0
    complete: bool = False  # every chunk went out and the body was closed properly
    client_gone: bool = False  # the client hung up before the end


Handler = Callable[[RecordedRequest], Reply]


def sse(event: str | None, data: Mapping[str, Any] | list[Any] | str) -> bytes:
    """One server-sent event; a mapping or list is sent as JSON, a string as it is."""
    text = data if isinstance(data, str) else json.dumps(data)
    lines = [f"event: {event}"] if event is not None else []
    lines += [f"data: {line}" for line in text.split("\n")]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def sse_reply(*chunks: Chunk, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    """An event-stream reply made of ``chunks`` (usually ``sse(...)`` and pauses)."""
    merged = {"content-type": "text/event-stream", "cache-control": "no-cache", **(headers or {})}
    return Reply(status, merged, chunks)


def json_reply(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    merged = {"content-type": "application/json", **(headers or {})}
    return Reply(status, merged, [json.dumps(data).encode("utf-8")])


class _Stopped(Exception):
    """The server is stopping: abandon the reply being written."""


class SSEServer(LoopbackServer):
    """A threaded HTTP/1.1 server on 127.0.0.1 and a free port, answering with ``handler``.

    Use it as a context manager, or call ``start()`` and ``stop()``. ``stop()`` interrupts
    pauses, drops open connections and waits for every handler thread, so a test that
    ends leaves nothing running. An exception raised by the handler is answered with a
    500 and raised again by ``stop()``, so a broken test handler cannot pass silently.
    """

    name = "sse-server"
    quiet_errors = (*CLIENT_GONE, TimeoutError, _Stopped)

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[RecordedRequest] = []
        self.served: list[Served] = []
        self._lock = threading.Condition()  # also wakes wait_until_idle
        self._active = 0  # replies being written now

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _RequestHandler

    def wait_until_idle(self, timeout: float = 2.0) -> None:
        """Wait until no reply is being written (a client that left is noticed at the next write)."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._active == 0, timeout):
                raise TimeoutError(f"the test server was still replying after {timeout} s")

    # Called from handler threads.

    def _answer(self, request: RecordedRequest) -> Reply:
        self.requests.append(request)
        try:
            return self.handler(request)
        except Exception as exc:  # noqa: BLE001 - reported by stop(); the client gets a 500
            self.handler_errors.append(exc)
            return Reply(
                500, {"content-type": "text/plain"}, [f"test handler failed: {exc!r}".encode()]
            )

    def _pause(self, seconds: float) -> bool:
        """Sleep, unless the server stops first; True when it did stop."""
        return self._stopping.wait(seconds)

    def _begin(self, served: Served) -> None:
        with self._lock:
            self.served.append(served)
            self._active += 1

    def _end(self) -> None:
        with self._lock:
            self._active -= 1
            self._lock.notify_all()


class _RequestHandler(TrackedHandler):
    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _serve(self) -> None:
        owner = self.server.owner
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._read_body(),
        )
        reply = owner._answer(request)
        served = Served(request)
        owner._begin(served)
        try:
            self._write(reply, served)
        except CLIENT_GONE:
            served.client_gone = True
            self.close_connection = True
        except _Stopped:
            self.close_connection = True
        finally:
            owner._end()

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            return self._read_chunked_body()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked_body(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()  # the blank line after the last chunk (no trailers sent)
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, reply: Reply, served: Served) -> None:
        chunked = reply.framing == "chunked"
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        for chunk in reply.chunks:
            if chunk is Fault.HANGUP:
                self.close_connection = True
                shutdown_quietly(self.connection)
                return
            if isinstance(chunk, (int, float)):
                if self.server.owner._pause(float(chunk)):
                    raise _Stopped
                continue
            if chunk:  # an empty chunk would end a chunked body early
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                served.chunks_written += 1
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        served.complete = True

