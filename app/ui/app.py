"""Start the desktop app: Qt on a qasync event loop, the window first, the rest after."""

from __future__ import annotations

import asyncio
import json
import os
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from app import __version__

# Benchmarks (scripts/bench.py ui) set this to learn when the window is on screen.
REPORT_SHOWN_ENV = "SWITCHBOARD_REPORT_SHOWN"


def make_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        existing.setQuitOnLastWindowClosed(False)
        return existing
    # Fractional scale factors (150 %) as the desktop asks, not rounded to 1x/2x.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv)
    app.setApplicationName("Switchboard")
    app.setApplicationDisplayName("Switchboard")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("switchboard")  # matches the installed switchboard.desktop
    from app.core.paths import resources_dir

    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "switchboard.png")))
    from app.ui import indicator_style

    indicator_style.install(app)  # unchecked boxes stay visible on a dark desktop theme
    # The window's closing finishes asynchronously (stop the reply, close providers,
    # flush the store): Qt must not end the event loop under it. run() ends it instead.
    app.setQuitOnLastWindowClosed(False)
    from app.ui.garbage_collector import MainThreadGarbageCollector

    app.garbage_collector = MainThreadGarbageCollector(app)  # type: ignore[attr-defined]
    return app


def run(argv: list[str]) -> int:
    from app.ui.event_loop import AppEventLoop
    from app.ui.main_window import MainWindow

    app = make_application(argv)
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow()
    window.show()
    if os.environ.get(REPORT_SHOWN_ENV):
        # Once the loop runs, the window has been shown and painted: report and leave.
        QTimer.singleShot(0, _report_shown)
    closed = asyncio.Event()
    window.sig_closed.connect(closed.set)
    with loop:
        loop.create_task(window.start())
        loop.run_until_complete(closed.wait())
    return 0


def _report_shown() -> None:
    print(json.dumps({"shown_at": time.time()}), flush=True)
    os._exit(0)  # nothing to save: the benchmark measures start-up only
