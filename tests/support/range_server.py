"""A real HTTP server on 127.0.0.1 serving one file with Range support and injected faults.

For downloader tests. ``Range: bytes=a-`` / ``bytes=a-b`` gets a 206 with Content-Range,
a range past the end a 416 with ``Content-Range: bytes */size``; every answer carries
Content-Length (HEAD too). Faults are queued and each request takes the next one:

    with RangeServer(payload) as server:          # bytes, or a Path read block by block
        server.cut_after(1000, times=2)            # next 2 replies hang up after 1000 body bytes
        server.ignore_range()                      # next reply: 200 and the whole file
        server.stall(2.0, after=4096)              # next reply pauses 2 s after 4096 body bytes
        server.add(Fault(status=503))              # next reply: 503, empty body
        ... httpx against server.file_url ...
        server.ranges                              # the Range header of each GET (None: none)

``stop()`` interrupts stalls, drops kept-alive connections and joins every handler
thread; an unexpected exception in a handler is raised again by ``stop()``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.loopback_server import (
    CLIENT_GONE,
    LoopbackServer,
    OwnedHTTPServer,
    TrackedHandler,
    shutdown_quietly,
)


@dataclass(frozen=True)
class Fault:
    cut_after: int | None = None  # hang up after this many body bytes
    ignore_range: bool = False  # answer 200 with the whole file even to a Range request
    stall_s: float = 0.0  # pause this long ...
    stall_after: int = 0  # ... after this many body bytes
    status: int | None = None  # answer only this status, with an empty body


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str] = field(repr=False)  # lower-case names

    @property
    def range(self) -> str | None:
        return self.headers.get("range")


class _Stopped(Exception):
    pass


class RangeServer(LoopbackServer):
    name = "range server"
    quiet_errors = (*CLIENT_GONE, TimeoutError, _Stopped)

    def _handler_class(self) -> type[TrackedHandler]:
        return _Handler  # defined below: looked up when the server starts

    def __init__(self, payload: bytes | Path, *, path: str = "/model.gguf", block: int = 64 * 1024) -> None:
        super().__init__()
        self.payload, self.path, self.block = payload, path, block
        self.size = payload.stat().st_size if isinstance(payload, Path) else len(payload)
        self.requests: list[RecordedRequest] = []
        self._faults: deque[Fault] = deque()

    # Faults, taken one per request in order.

    def add(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def cut_after(self, n_bytes: int, times: int = 1) -> None:
        self.add(*[Fault(cut_after=n_bytes)] * times)

    def ignore_range(self, times: int = 1) -> None:
        self.add(*[Fault(ignore_range=True)] * times)

    def stall(self, seconds: float, *, after: int = 0, times: int = 1) -> None:
        self.add(*[Fault(stall_s=seconds, stall_after=after)] * times)

    @property
    def ranges(self) -> list[str | None]:
        return [r.range for r in self.requests if r.method == "GET"]

    @property
    def file_url(self) -> str:
        return self.url + self.path

    # Life cycle.


    # Called from handler threads.

    def _take(self, request: RecordedRequest) -> Fault:
        with self._lock:
            self.requests.append(request)
            return self._faults.popleft() if self._faults else Fault()

    def _reader(self) -> tuple[Callable[[int, int], bytes], Callable[[], None]]:
        if isinstance(self.payload, Path):
            f = self.payload.open("rb")

            def read(offset: int, n: int) -> bytes:
                f.seek(offset)
                return f.read(n)

            return read, f.close
        data = memoryview(self.payload)
        return (lambda offset, n: bytes(data[offset:offset + n])), lambda: None




class _Handler(TrackedHandler):
    server: OwnedHTTPServer

    def do_GET(self) -> None:
        try:
            self._serve(body=True)
        except CLIENT_GONE:
            self.close_connection = True

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _empty(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve(self, *, body: bool) -> None:
        owner = self.server.owner
        request = RecordedRequest(self.command, self.path,
                                  {k.lower(): v for k, v in self.headers.items()})
        fault = owner._take(request)
        if self.path.split("?")[0] != owner.path:
            return self._empty(404)
        if fault.status is not None:
            return self._empty(fault.status)
        size, start, end, status = owner.size, 0, owner.size - 1, 200
        if request.range is not None and not fault.ignore_range:
            parsed = _parse_range(request.range, size)
            if parsed is None:
                return self._empty(416, {"Content-Range": f"bytes */{size}"})
            (start, end), status = parsed, 206
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if body:
            self._body(fault, start, length)

    def _body(self, fault: Fault, start: int, length: int) -> None:
        owner = self.server.owner
        read, close = owner._reader()
        try:
            sent, stalled = 0, fault.stall_s <= 0
            while sent < length:
                if not stalled and sent >= fault.stall_after:
                    stalled = True
                    if owner._stopping.wait(fault.stall_s):
                        raise _Stopped
                if fault.cut_after is not None and sent >= fault.cut_after:
                    self.close_connection = True
                    shutdown_quietly(self.connection)
                    return
                n = min(owner.block, length - sent)
                if not stalled:
                    n = min(n, fault.stall_after - sent)
                if fault.cut_after is not None:
                    n = min(n, fault.cut_after - sent)
                self.wfile.write(read(start + sent, n))
                sent += n
        finally:
            close()


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte for ``bytes=a-``, ``bytes=a-b`` or ``bytes=-n``; None if unsatisfiable."""
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, _, last_text = spec.strip().partition("-")
    if not first_text:  # the last n bytes
        n = int(last_text)
        return (max(size - n, 0), size - 1) if n > 0 and size > 0 else None
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    return (first, last) if first < size and first <= last else None
