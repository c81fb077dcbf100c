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
