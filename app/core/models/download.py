"""Downloading a model file: resumable, verified, cancellable, with progress.

Written by hand on ``httpx`` rather than with ``huggingface_hub``'s downloader, because
the model manager needs all of these together and that one does not give them: resume
from our own ``.part`` file after the app restarts; a free-space check before the first
byte; sha256 computed while streaming; GGUF validation before the final rename; a
cancel that leaves no stray files (or keeps the part, for "pause"); stalls detected and
retried instead of hanging at 60 % forever; throttled progress with speed and ETA.
``huggingface_hub`` still supplies the URL, size and sha256 (its file metadata); this
module only moves and checks bytes. It never imports Qt.

What ``download()`` guarantees:

- ``dest`` only ever appears complete: size, sha256 and GGUF header checked, fsynced, then
  ``os.replace``-d from ``dest.name + ".part"`` (atomic on one filesystem).
- The ``.part`` is always a prefix of the remote file, exactly as many bytes as were
  hashed, so a later call resumes with ``Range: bytes=<len>-`` (the existing part is
  hashed again first: cheaper than a wrong file). A 200 answer to a range request means
  the server cannot resume: the part is truncated and the body taken from byte 0.
- Dropped connections, short bodies, 5xx/429 answers and stalls (no byte for
  ``stall_timeout_s``) are retried from what is on disk with a short backoff; the retry
  budget (``max_retries``) counts consecutive attempts that brought no new byte, so a
  long download over a flaky line keeps going while a dead one gives up. Giving up keeps
  the part for a later resume. A server that cannot be found or refuses before this call
  got any byte fails at once (retrying a name that does not resolve only makes the user
  wait); the words name the cause (``hub_failures``).
- A full disk (ENOSPC/EDQUOT) raises ``NotEnoughSpace`` and keeps the part (resumable).
  A bad checksum or a file that is not a model deletes the part: it cannot be finished.
- Cancel (``cancel`` set) stops at once and deletes the part, unless
  ``keep_partial_on_cancel`` (pause). Cancelling the task running ``download()`` (the
  app shutting down) keeps the part and re-raises ``CancelledError``.
- Memory does not grow with the file: at most ``chunk`` bytes plus one network read are
  held. Disk writes are synchronous on the loop (one ``chunk`` at a time); hashing an
  existing part, GGUF validation and fsync run in a worker thread.

Two downloads to the same ``dest`` at once are not guarded against; the caller (the
model manager) must run one per destination.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from app.core.byte_size import format_bytes
from app.core.models.gguf_file import InvalidModelFile, read_gguf
from app.core.models.hub_failures import cause_of, failed_url, status_words, transport_words

__all__ = [
    "CONNECT_TIMEOUT_S",
    "DEFAULT_MARGIN",
    "ChecksumMismatch",
    "DownloadCancelled",
    "DownloadError",
    "DownloadRequest",
    "NotAModel",
    "NotEnoughSpace",
    "Progress",
    "download",
    "part_path",
]

CONNECT_TIMEOUT_S = 5.0  # a server that has not accepted by then is not going to
DEFAULT_MARGIN = 64 * 1024 * 1024  # headroom kept free on the disk beyond the file itself
PROGRESS_INTERVAL_S = 0.1  # at most ~10 progress callbacks a second
SPEED_WINDOW_S = 5.0  # speed is measured over this sliding window
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Failures before any byte that another try a second later will not change.
_FINAL_CAUSES = frozenset({"lookup", "refused", "unreachable", "secure"})
_DISK_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_HASH_BLOCK = 1 << 20

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    url: str
    dest: Path
    sha256: str | None = None  # lower- or upper-case hex; None skips the check
    size: int | None = None  # bytes; None: taken from the server's answer


@dataclass(frozen=True, slots=True)
class Progress:
    done: int  # bytes of the file we have (counting a resumed part); drops to 0 only
    #            when a server ignores Range and the download starts over
    total: int | None
    bytes_per_s: float  # over the last few seconds
    eta_s: float | None  # None while the total or the speed is unknown

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


class DownloadError(Exception):
    """A download failed; ``str()`` is a plain sentence the UI can show as it is."""


class ChecksumMismatch(DownloadError):
    def __init__(self, expected: str, actual: str) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(
            f"The downloaded file is damaged: its SHA-256 is {actual}, but {expected} was "
            "expected. It was deleted; try again."
        )


class NotEnoughSpace(DownloadError):
    """The disk is too small for the download, or filled up during it (the part is kept)."""


class NotAModel(DownloadError):
    """The file arrived whole but is not a usable GGUF model; it was deleted."""


class DownloadCancelled(DownloadError):
    """The cancel event was set; the part was deleted, or kept with keep_partial_on_cancel."""


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` collect until the download is verified."""
    return dest.with_name(dest.name + ".part")


def _disk_free(path: Path) -> int:
    return shutil.disk_usage(path).free


async def download(
    request: DownloadRequest,
    *,
    client: httpx.AsyncClient,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: asyncio.Event | None = None,
    max_retries: int = 5,
    chunk: int = 1 << 20,
    free_space: Callable[[Path], int] = _disk_free,
    margin: int = DEFAULT_MARGIN,
    stall_timeout_s: float = 30.0,
    backoff_s: float = 0.5,
    keep_partial_on_cancel: bool = False,
) -> Path:
    """Download ``request.url`` to ``request.dest``, verified; returns ``request.dest``.

    Raises ``DownloadError`` (or a subclass) with plain words. ``free_space`` is given the
    nearest existing folder of ``dest`` and returns free bytes (a test seam). ``backoff_s``
    is the first retry delay; it doubles per consecutive failure, up to 10 s.
    """
    meter = _Meter(on_progress)
    try:
        return await _download(request, client, meter, cancel, keep_partial_on_cancel,
                               max_retries=max_retries, chunk=chunk, free_space=free_space,
                               margin=margin, stall_timeout_s=stall_timeout_s, backoff_s=backoff_s)
    finally:
        meter.close()  # no late report after the outcome


async def _download(request: DownloadRequest, client: httpx.AsyncClient, meter: _Meter,
                    cancel: asyncio.Event | None, keep_partial_on_cancel: bool, **options: Any) -> Path:
    transfer = _Transfer(request, client, meter, **options)
    if cancel is None:
        return await transfer.run()
    if cancel.is_set():
        _cancelled_cleanup(transfer.part, keep_partial_on_cancel)
        raise _cancelled(keep_partial_on_cancel)
    work = asyncio.ensure_future(transfer.run())
    waiter = asyncio.ensure_future(cancel.wait())
    try:
        await asyncio.wait({work, waiter}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # our own task was cancelled: stop, keep the part
        work.cancel()
        waiter.cancel()
        await asyncio.gather(work, waiter, return_exceptions=True)
        raise
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    if work.done():  # finished (or failed) on its own, even if cancel came at the same time
        return work.result()
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)  # the part is closed after this
    _cancelled_cleanup(transfer.part, keep_partial_on_cancel)
    raise _cancelled(keep_partial_on_cancel)


def _cancelled(kept: bool) -> DownloadCancelled:
    if kept:
        return DownloadCancelled("Download paused; it will continue where it stopped.")
    return DownloadCancelled("Download cancelled.")


def _cancelled_cleanup(part: Path, keep: bool) -> None:
    if not keep:
        part.unlink(missing_ok=True)


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another try; str() says how."""


class _Transfer:
    def __init__(
        self,
        request: DownloadRequest,
        client: httpx.AsyncClient,
        meter: _Meter,
        *,
        max_retries: int,
        chunk: int,
        free_space: Callable[[Path], int],
        margin: int,
        stall_timeout_s: float,
        backoff_s: float,
    ) -> None:
        if chunk <= 0 or max_retries < 0:
            raise ValueError("chunk must be positive and max_retries not negative")
        self.request, self.client, self.meter = request, client, meter
        self.max_retries, self.chunk, self.margin = max_retries, chunk, margin
        self.free_space, self.stall_timeout_s, self.backoff_s = free_space, stall_timeout_s, backoff_s
        self.dest = request.dest
        self.part = part_path(request.dest)
        self.hasher = hashlib.sha256()
        self.done = 0  # bytes in the part, all of them hashed
        self.total = request.size

    async def run(self) -> Path:
        request = self.request
        if self.part.exists():
            if request.size is not None and self.part.stat().st_size > request.size:
                self.part.unlink()  # longer than the file can be: not a prefix of it
            else:
                self.hasher, self.done = await _in_thread(_hash_file, self.part, stop=threading.Event())
        if self.total is not None:
            self._check_space(self.total)  # before any request, before anything is written
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.meter.reset(self.done, self.total)
        if self.total is None or self.done < self.total:
            await self._transfer()
        self.meter.update(self.done, self.total, force=True)
        return await self._finish()

    async def _transfer(self) -> None:
        failures = 0
        started_at = self.done
        while True:
            before = self.done
            try:
                await self._attempt()
                return
            except httpx.UnsupportedProtocol:
                raise DownloadError(f"Cannot download {self.request.url}: not an http(s) address.") from None
            except _Retry as exc:
                reason = str(exc)
            except httpx.TransportError as exc:
                reason = self._transport_words(exc)
                if self.done == started_at and cause_of(exc) in _FINAL_CAUSES:
                    raise DownloadError(f"The download could not start. {reason}") from None
            failures = 1 if self.done > before else failures + 1
            if failures > self.max_retries:
                raise DownloadError(
                    f"The download keeps failing. {reason} {format_bytes(self.done)} was kept, "
                    "so a retry continues from there."
                )
            await asyncio.sleep(min(self.backoff_s * 2 ** (failures - 1), 10.0))

    async def _attempt(self) -> None:
        headers = {"Accept-Encoding": "identity"}  # byte offsets must be offsets into the file
        if self.done:
            headers["Range"] = f"bytes={self.done}-"
        async with self.client.stream(
            "GET", self.request.url, headers=headers, follow_redirects=True,
            timeout=httpx.Timeout(self.stall_timeout_s,
                                  connect=min(CONNECT_TIMEOUT_S, self.stall_timeout_s)),
        ) as response:
            status = response.status_code
            if status == 416 and self.done:
                _, total = _content_range(response.headers.get("content-range"))
                if total == self.done or (total is None and self.total == self.done):
                    self.total = self.done  # the part was already complete
                    return
                self._restart()
                raise _Retry("The server could not continue the partial file.")
            if status in _RETRY_STATUSES:
                raise _Retry(status_words(status, str(response.url), who="the server", what="the file"))
            if status == 206:
                start, total = _content_range(response.headers.get("content-range"))
                if start != self.done:
                    self._restart()
                    raise _Retry("The server sent the wrong part of the file.")
            elif status == 200:
                if self.done:
                    self._restart()  # Range ignored: the body is the whole file
                total = _content_length(response)
            else:
                raise DownloadError(status_words(status, str(response.url), who="the server",
                                                 what="the file"))
            self._learn_total(total)
            await self._receive(response)
        if self.total is not None and self.done < self.total:
            raise _Retry("The connection ended before the whole file arrived.")

    def _transport_words(self, exc: httpx.TransportError) -> str:
        url = failed_url(exc, self.request.url)
        is_connect = isinstance(exc, httpx.ConnectTimeout)
        return transport_words(exc, url, who="the server",
                               timeout_s=min(CONNECT_TIMEOUT_S, self.stall_timeout_s) if is_connect
                               else self.stall_timeout_s)

    def _restart(self) -> None:
        self.done = 0
        self.hasher = hashlib.sha256()
        self.meter.reset(0, self.total)

    def _learn_total(self, total: int | None) -> None:
        if total is None:
            return
        if self.request.size is not None and total != self.request.size:
            self.part.unlink(missing_ok=True)
            raise DownloadError(
                f"The server offers {format_bytes(total)} instead of the expected "
                f"{format_bytes(self.request.size)}; the file may have changed. Try again later."
            )
        self.total = total
        self._check_space(total)

    def _check_space(self, total: int) -> None:
        where = _existing_folder(self.dest.parent)
        needed = max(total - self.done, 0) + self.margin
        free = self.free_space(where)
        if free < needed:
            raise NotEnoughSpace(
                f"Not enough disk space: the download needs {format_bytes(needed)}, "
                f"{format_bytes(free)} free at {where}."
            )

    async def _receive(self, response: httpx.Response) -> None:
        pending = bytearray()
        with _open_part(self.part, self.done) as f:
            try:
                async for piece in response.aiter_raw():
                    pending += piece
                    if len(pending) >= self.chunk:
                        self._write(f, pending)
                        pending.clear()
                    self.meter.update(self.done + len(pending), self.total)
            except BaseException:  # a drop, a stall, a cancel: keep every byte that came
                if pending:
                    try:
                        self._write(f, pending)
                    except DownloadError:
                        pass  # the disk error matters less than the one on its way
                raise
            if pending:
                self._write(f, pending)

    def _write(self, f: io.FileIO, data: bytearray) -> None:
        """Append to the part and the hash, or leave the part exactly as it was."""
        try:
            _write_chunk(f, memoryview(data))
        except OSError as exc:
            try:  # a partial write must not leave unhashed bytes behind
                f.truncate(self.done)
                f.seek(self.done)
            except OSError:
                pass
            if exc.errno in _DISK_FULL:
                raise NotEnoughSpace(
                    f"The disk at {_existing_folder(self.dest.parent)} is full after "
                    f"{format_bytes(self.done)}{_of(self.total)}. Free some space and try again; "
                    "the download will continue from there."
                ) from None
            raise DownloadError(f"Cannot write {self.part}: {exc.strerror or exc}.") from None
        self.hasher.update(data)
        self.done += len(data)

    async def _finish(self) -> Path:
        request = self.request
        if request.size is not None and self.done != request.size:
            self.part.unlink(missing_ok=True)
            raise DownloadError(
                f"The server sent {format_bytes(self.done)} instead of "
                f"{format_bytes(request.size)}; "
                "the partial file was deleted. Try again."
            )
        actual = self.hasher.hexdigest()
        if request.sha256 is not None and actual != request.sha256.strip().lower():
            self.part.unlink(missing_ok=True)
            raise ChecksumMismatch(request.sha256.strip().lower(), actual)
        try:
            await _in_thread(read_gguf, self.part)
        except InvalidModelFile as exc:
            self.part.unlink(missing_ok=True)
            words = str(exc).replace(self.part.name, self.dest.name, 1)
            raise NotAModel(f"The downloaded file cannot be used: {words}. It was deleted.") from None
        await _in_thread(_fsync_file, self.part)
        os.replace(self.part, self.dest)
        _fsync_dir(self.dest.parent)
        return self.dest


class _Meter:
    """Throttled progress: at most one callback per PROGRESS_INTERVAL_S unless forced.

    A value held back by the throttle is still reported when the interval ends: without
    that, the bytes that arrived just before a stall would never show.
    """

    def __init__(self, callback: Callable[[Progress], None] | None) -> None:
        self.callback = callback
        self.samples: deque[tuple[float, int]] = deque()
        self.last_emit = float("-inf")
        self._held: tuple[int, int | None] | None = None
        self._trailing: asyncio.TimerHandle | None = None

    def close(self) -> None:
        if self._trailing is not None:
            self._trailing.cancel()
            self._trailing = None
        self._held = None

    def _flush_held(self) -> None:
        self._trailing = None
        if self._held is not None:
            done, total = self._held
            self.update(done, total, force=True)

    def reset(self, done: int, total: int | None) -> None:
        self.samples.clear()
        self.samples.append((time.monotonic(), done))
        self.update(done, total, force=True)

    def update(self, done: int, total: int | None, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self.last_emit < PROGRESS_INTERVAL_S:
            self._held = (done, total)
            if self._trailing is None:
                delay = PROGRESS_INTERVAL_S - (now - self.last_emit)
                self._trailing = asyncio.get_running_loop().call_later(delay, self._flush_held)
            return
        self.close()
        self.last_emit = now
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= SPEED_WINDOW_S:
            self.samples.popleft()
        start_t, start_done = self.samples[0]
        elapsed = now - start_t
        speed = (done - start_done) / elapsed if elapsed > 0 and done >= start_done else 0.0
        eta: float | None = None
        if total is not None:
            eta = 0.0 if done >= total else ((total - done) / speed if speed > 0 else None)
        self.callback(Progress(done, total, speed, eta))


# File and thread helpers. _write_chunk is module-level so tests can make the disk "fill up".

def _write_chunk(f: io.FileIO, data: memoryview) -> None:
    while data:
        written = f.write(data)
        data = data[written:]


def _open_part(part: Path, offset: int) -> io.FileIO:
    """The part, unbuffered, cut to ``offset`` and positioned there (created if missing)."""
    try:
        fd = os.open(part, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        f = io.FileIO(fd, "r+")
        f.truncate(offset)
        f.seek(offset)
    except OSError as exc:
        raise DownloadError(f"Cannot write {part}: {exc.strerror or exc}.") from None
    return f


def _hash_file(path: Path, stop: threading.Event) -> tuple[Any, int]:
    hasher, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while not stop.is_set() and (block := f.read(_HASH_BLOCK)):
            hasher.update(block)
            size += len(block)
    return hasher, size


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse; the rename itself already happened
    finally:
        os.close(fd)


async def _in_thread(fn: Callable[..., T], *args: Any, stop: threading.Event | None = None) -> T:
    """Run ``fn`` in a thread; on cancel, tell it to stop and wait for it (it holds files)."""
    if stop is not None:
        args = (*args, stop)
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if stop is not None:
            stop.set()
        await asyncio.gather(future, return_exceptions=True)
        raise


def _existing_folder(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


# Reading the server's answer.

def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total) from ``bytes a-b/total`` or ``bytes */total``; None when unknown."""
    if not value or not value.strip().lower().startswith("bytes"):
        return None, None
    spec = value.strip()[5:].strip()
    span, _, total_text = spec.partition("/")
    first_text = span.partition("-")[0].strip()
    first = int(first_text) if first_text.isdigit() else None
    total = int(total_text) if total_text.strip().isdigit() else None
    return first, total


def _content_length(response: httpx.Response) -> int | None:
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    value = response.headers.get("content-length", "")
    return int(value) if value.strip().isdigit() else None


def _of(total: int | None) -> str:
    return f" of {format_bytes(total)}" if total is not None else ""
