"""Events from a worker thread to the asyncio loop, merged and paced.

A token is a few characters. Waking the loop for each one costs the main thread more
than the token is worth (about 0.6 ms of its time per wake-up, measured with the window
streaming), and through the GIL and the shared cores the generating thread pays for it
too. So the worker appends to a buffer and wakes the loop only when no wake-up is
pending; and once the loop has taken a batch it does not take the next before ``pace``
seconds have passed: whatever arrived meanwhile comes in one go, consecutive text merged
into one ``TextDelta``. The first token after a quiet spell still comes at once. The
window shows text at most 20 times a second, so a 25 ms pace costs it nothing visible.
"""

from __future__ import annotations

import asyncio
import threading

from app.core.providers.base import TextDelta

PACE_S = 0.025


class ThreadEvents:
    def __init__(self, loop: asyncio.AbstractEventLoop, pace: float = PACE_S) -> None:
        self._loop = loop
        self._pace = pace
        self._lock = threading.Lock()
        self._buffer: list[object] = []
        # While True, put() does not wake the loop: a wake-up is on its way, or the loop
        # is pacing and will look at the buffer when its pause ends.
        self._wake_pending = False
        self._pacing = False  # touched on the loop's thread only
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
        if self._pacing:
            await asyncio.sleep(self._pace)
            if items := self._drain(keep_pacing=True):
                return items
        await self._ready.wait()
        return self._drain(keep_pacing=self._pace > 0)

    def _drain(self, keep_pacing: bool) -> list[object]:
        with self._lock:
            items, self._buffer = self._buffer, []
            self._ready.clear()
            # Pacing goes on only after a batch: an empty look ends it, so the next item
            # wakes the loop at once.
            self._pacing = keep_pacing and bool(items)
            self._wake_pending = self._pacing
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
