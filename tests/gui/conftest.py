"""Widgets on a real qasync loop, offscreen (QT_QPA_PLATFORM=offscreen).

pytest-qt has no qasync integration, so a test drives the loop itself: ``spin(loop,
predicate)`` runs Qt and asyncio together until the predicate holds (or fails the test).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    # Let cancelled tasks finish their clean-up before the loop goes away.
    pending = [t for t in asyncio.all_tasks(event_loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        event_loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    event_loop.close()
    asyncio.set_event_loop(None)


def spin(loop: qasync.QEventLoop, predicate: Callable[[], object], timeout: float = 10.0,
         what: str = "condition") -> None:
    """Run the Qt+asyncio loop until ``predicate()`` is true; fail after ``timeout`` s."""

    async def wait() -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
            await asyncio.sleep(0.01)

    loop.run_until_complete(wait())
