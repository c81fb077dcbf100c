"""Streamed text reaches the screen at most 20 times a second, however fast tokens come.

A token is a few characters; re-laying out a message for each one would spend the event
loop on layout at 70+ tokens/s. The coalescer keeps the text and flushes it on a timer.

Tuned by ``bench.py ui``: each flush lays the growing paragraph out on the main thread
while holding the GIL the generating thread needs. Without flushes the window generated
as fast as the bare provider (1.05); at 33 ms (~23 updates/s) it kept 0.85 of that, with
a worst stall of 25 ms; at 50 ms about 0.9 and 15 ms, and text still moves smoothly.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

FLUSH_MS = 50  # ≤ 20 updates per second


class StreamCoalescer(QObject):
    sig_flushed = Signal(str)
    """The whole text so far; emitted at most once per FLUSH_MS."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = FLUSH_MS) -> None:
        super().__init__(parent)
        self._parts: list[str] = []
        self._text = ""
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
        self.sig_flushed.emit(self._text)

    def text(self) -> str:
        return self._text + "".join(self._parts)
