"""Python's cyclic garbage collector, run on the main thread only.

Left automatic, a collection runs on whichever thread happens to allocate (a llama.cpp,
keyring or to_thread worker). Freeing a cycle that holds a Qt object there destroys it on
the wrong thread ("Timers cannot be stopped from another thread", or worse). Anki does the
same: automatic collection off, a timer on the GUI thread collecting when it is due.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 500


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self, interval=CHECK_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self._timer.start()

    @staticmethod
    def collect_if_due() -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        # The oldest generation whose count passed its threshold, as the automatic GC would.
        generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
        gc.collect(generation)
