"""Events from a worker thread to the asyncio loop, merged while the loop is busy.

A token is a few characters. Waking the loop for each one costs the main thread more
than the token is worth, and through the GIL the generating thread pays for it too. The
worker appends to a buffer and wakes the loop only when no wake-up is pending: an idle
loop still gets each token at once, a busy one takes what arrived meanwhile in one go,
consecutive text merged into one ``TextDelta``.
"""

from __future__ import annotations

import asyncio
import threading

from app.core.providers.base import TextDelta


class ThreadEvents:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._buffer: list[object] = []
        self._wake_pending = False
        self._ready = asyncio.Event()  # touched on the loop's thread only

    def put(self, item: object) -> None:
        """From the worker thread: hand ``item`` over, in order."""
        with self._lock:
            self._buffer.append(item)
            if self._wake_pending:
                return
            self._wake_pending = True
        self._loop.call_soon_threadsafe(self._ready.set)

    async def take(self) -> list[object]:
        """On the loop: everything handed over since the last call (at least one item)."""
        await self._ready.wait()
        with self._lock:
            items, self._buffer = self._buffer, []
            self._wake_pending = False
            self._ready.clear()
        return merged(items)


def merged(items: list[object]) -> list[object]:
    """``items`` with each run of consecutive TextDeltas joined into one."""
    out: list[object] = []
    run: list[str] = []
    for item in items:
        if isinstance(item, TextDelta):
            run.append(item.text)
            continue
        if run:
            out.append(TextDelta("".join(run)))
            run = []
        out.append(item)
    if run:
        out.append(TextDelta("".join(run)))
    return out
