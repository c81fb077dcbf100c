"""Widgets offscreen (QT_QPA_PLATFORM=offscreen), and async GUI tests on a qasync loop.

An ``async def`` test here runs on a ``qasync.QEventLoop``: Qt events and asyncio tasks
share one running loop for the whole test, as in the app. (Spinning the loop only while
waiting would let Qt run asyncio callbacks with no running loop between waits.)
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import keyring.core
import pytest
import qasync

from tests.unit.conftest import MemoryKeyring


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    def qt_loop() -> qasync.QEventLoop:
        from app.ui.app import make_application
        from app.ui.event_loop import AppEventLoop

        return AppEventLoop(make_application([]))

    return {"qasync": qt_loop}


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    """Let Qt and asyncio run until ``predicate()`` is true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def collect_qt_garbage() -> Iterator[None]:
    """Collect each test's unreachable widgets here, on the main thread. Left to the
    cyclic GC, they may be freed on whichever thread allocates next (a llama.cpp or
    keyring worker), and Qt objects must die on the thread that owns them."""
    yield
    gc.collect()


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """A secure-ranked in-memory keyring (see tests/unit/conftest.py): window tests never
    depend on a D-Bus session; the real keyring has its own tests."""
    kr = MemoryKeyring()
    kr.priority = 5
    monkeypatch.setattr(keyring.core, "_keyring_backend", kr)
    yield kr


@pytest.fixture
async def session(memory_keyring: MemoryKeyring) -> AsyncIterator[Any]:
    """The app's real session (settings, store, keys, providers) on this test's
    SWITCHBOARD_HOME, with the in-memory keyring."""
    from app.controller.session import Session

    opened = await Session.open()
    yield opened
    await opened.aclose()


async def close_window(window: Any) -> None:
    """Close the real main window and wait until its shutdown (stop, providers, store) ends."""
    closed: list[bool] = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    await until(lambda: closed, 30, "the window to close")


@pytest.fixture
async def open_window(qtbot: Any, memory_keyring: MemoryKeyring) -> AsyncIterator[Callable[..., Any]]:
    """Opens the real main window, started; each is closed after the test. ``max_tokens``
    caps replies (None: uncapped); ``own_limit`` keeps the app's reply limit instead."""
    import shiboken6

    from app.ui.main_window import MainWindow

    windows: list[Any] = []

    async def make(max_tokens: int | None = 24, *, own_limit: bool = False) -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        await window.start()
        assert window.session is not None, "the session did not open"
        if not own_limit:
            window.session.chat.max_tokens = max_tokens
        windows.append(window)
        return window

    yield make
    for window in windows:
        if not shiboken6.isValid(window):
            continue
        if window.session is not None and window.isVisible():
            await close_window(window)
        window.deleteLater()
    await asyncio.sleep(0.05)  # let the deferred deletes run, on this thread
