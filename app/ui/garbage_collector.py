"""Python's cyclic garbage collector, run on the main thread only.

Left automatic, a collection runs on whichever thread happens to allocate (a llama.cpp,
keyring or to_thread worker). Freeing a cycle that holds a Qt object there destroys it on
the wrong thread ("Timers cannot be stopped from another thread", or worse). Anki does the
same: automatic collection off, a timer on the GUI thread collecting when it is due.

Three things keep each collection short enough not to stall the window (measured while
scrolling a 1,000-message chat: collections of 30-86 ms, worst stall 94 ms; with them,
collections under 15 ms and a worst stall of 20 ms):
- the timer looks often, so a generation never grows far past its threshold;
- what start-up loaded (modules, llama.cpp, the vocabulary: hundreds of thousands of
  objects that live as long as the app) is frozen out of every later collection;
- the older generations are collected at every second look instead of every tenth: a
  message scrolled out of view leaves its widgets' Python wrappers as garbage, and
  freeing them is the expensive part; ten looks' worth at once froze the window.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 50
THRESHOLDS = (700, 1, 1)  # CPython's default is (700, 10, 10)
_FROZEN: set[str] = set()


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        gc.set_threshold(*THRESHOLDS)
        self._timer = QTimer(self, interval=CHECK_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self._timer.start()

    @staticmethod
    def freeze_start_up(what: str) -> None:
        """When start-up has made ``what``, something that lives as long as the app (the
        session, the token counter, the first model loaded): collect what it left, and
        keep the rest out of every later collection (each would scan it again for
        nothing). Once per ``what`` and process: a second window (a test's) would freeze
        the first one's leftovers for good, and a full collection is not free."""
        if what in _FROZEN:
            return
        _FROZEN.add(what)
        gc.collect()
        gc.freeze()

    @staticmethod
    def collect_if_due() -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        # The oldest generation whose count passed its threshold, as the automatic GC would.
        generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
        gc.collect(generation)
