"""What the loopback test servers share: serve on 127.0.0.1 from a thread, remember open
connections, and on stop drop them, join every handler thread and raise again an error a
handler hit (a test must not pass over a broken server).

A subclass names its request handler (a ``TrackedHandler``) in ``_handler_class``; errors a
handler raises land in ``handler_errors``, except a client hanging up (tests do that).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class OwnedHTTPServer(ThreadingHTTPServer):
    """An HTTP server on a free loopback port that reports to its ``LoopbackServer``."""

    daemon_threads = False  # server_close() joins them
    block_on_close = True
    allow_reuse_address = False

    def __init__(self, owner: LoopbackServer, handler: type[BaseHTTPRequestHandler]) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, self.owner.quiet_errors) or self.owner._stopping.is_set():
            return
        if exc is not None:
            self.owner.handler_errors.append(exc)


class TrackedHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, silent, and known to its server while connected (so stop can drop it)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: OwnedHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection)

    def finish(self) -> None:
        self.server.owner._untrack(self.connection)
        with contextlib.suppress(*CLIENT_GONE):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer:
    name = "loopback-server"
    quiet_errors: ClassVar[tuple[type[BaseException], ...]] = (*CLIENT_GONE, TimeoutError)

    def __init__(self) -> None:
        self.handler_errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: OwnedHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server has not been started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("the server was already started")
        self._httpd = OwnedHTTPServer(self, self._handler_class())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
            name=f"{self.name}-{self._httpd.server_address[1]}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and join every handler thread. Safe to call twice."""
        if self._httpd is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            shutdown_quietly(connection)
        self._httpd.server_close()  # joins the (non-daemon) handler threads
        if self._thread is not None:
            self._thread.join()
        if self.handler_errors:
            raise RuntimeError(f"the {self.name}'s handler failed") from self.handler_errors[0]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.stop()
            return
        with contextlib.suppress(RuntimeError):  # the test's own failure comes first
            self.stop()


def shutdown_quietly(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
