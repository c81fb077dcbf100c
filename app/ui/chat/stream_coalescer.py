"""Streamed text reaches the screen at most 20 times a second, however fast tokens come.

A token is a few characters; re-laying out a message for each one would spend the event
loop on layout at 70+ tokens/s. The coalescer keeps the text and flushes it on a timer.

Each flush lays the growing paragraph out and paints it on the main thread, holding the
GIL and a core the generating thread needs, so the interval follows what a flush costs:
the layout the receivers do in the flush (timed here) may take at most ``DUTY`` of the
time, and painting it afterwards costs about as much again. Never more often than every
``FASTEST_MS``, never less often than every ``SLOWEST_MS``. Tuned by ``bench.py ui`` on
two cores, the bundled model at ~90 tokens/s: at a fixed 50 ms the window kept 0.82-0.91
of the bare provider's speed, at 66 ms 0.92-0.97, at 100 ms 0.97; a flush there costs
1.2-1.5 ms, so the interval settles at 80-100 ms (10-12 updates a second, each a few
words), and a long paragraph, dearer to lay out, is shown less often. Where a flush is
cheap it stays at 50 ms.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

FASTEST_MS = 50  # ≤ 20 updates per second
SLOWEST_MS = 150  # text still moves several times a second
DUTY = 0.015  # of the main thread, what laying the text out may take (see above)
_SMOOTHING = 0.3  # weight of the newest flush in the running cost


class StreamCoalescer(QObject):
    sig_flushed = Signal(str)
    """The whole text so far; emitted at most once per interval."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = FASTEST_MS) -> None:
        super().__init__(parent)
        self._parts: list[str] = []
        self._text = ""
        self._fastest_ms = interval_ms
        self._cost_s = 0.0  # a flush's running cost, what its receivers spend on it
        self._timer = QTimer(self, singleShot=True, interval=interval_ms)
        self._timer.timeout.connect(self.flush)
        self.flushes = 0

    def reset(self, text: str = "") -> None:
        self._timer.stop()
        self._parts.clear()
        self._text = text

    def push(self, delta: str) -> None:
        self._parts.append(delta)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        if not self._parts:
            return
        self._text += "".join(self._parts)
        self._parts.clear()
        self.flushes += 1
        started = time.perf_counter()
        self.sig_flushed.emit(self._text)
        self._learn(time.perf_counter() - started)

    def interval_ms(self) -> int:
        return self._timer.interval()

    def text(self) -> str:
        return self._text + "".join(self._parts)

    def _learn(self, spent_s: float) -> None:
        self._cost_s += _SMOOTHING * (spent_s - self._cost_s)
        wanted = round(self._cost_s / DUTY * 1000)
        self._timer.setInterval(max(self._fastest_ms, min(SLOWEST_MS, wanted)))
