"""The UI's one background-work runner: latest wins per key, busy per key, cancellation,
callbacks only while the owner lives, and no exception lost."""

from __future__ import annotations

import asyncio
import logging

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.core.providers.errors import GenerationCancelled
from app.ui.error_presenter import show_error_in
from app.ui.inline_message import InlineMessage
from app.ui.task_runner import TaskRunner
from tests.gui.conftest import until


async def answer(value: str, after: float = 0.0) -> str:
    await asyncio.sleep(after)
    return value


async def fail(exc: BaseException) -> str:
    await asyncio.sleep(0)
    raise exc


@pytest.fixture
def owner(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


async def test_latest_run_per_key_wins(owner: QWidget) -> None:
    runner = TaskRunner(owner)
    busy: list[tuple[str, bool]] = []
    runner.sig_busy_changed.connect(lambda key, on: busy.append((key, on)))
    results: list[str] = []
    older = runner.run("search", answer("old", after=0.2), on_success=results.append)
    runner.run("search", answer("new"), on_success=results.append)
    await until(lambda: not runner.busy(), what="the newer search")
    await asyncio.sleep(0.05)
    assert results == ["new"]
    assert older.cancelled()
    assert busy == [("search", True), ("search", False)]  # superseding does not flicker


async def test_keys_are_independent_and_cancel_is_quiet(owner: QWidget) -> None:
    runner = TaskRunner(owner)
    results: list[str] = []
    failures: list[BaseException] = []
    runner.run("test", answer("tested", after=0.05), on_success=results.append)
    models = runner.run("models", answer("listed", after=5), on_success=results.append,
                        on_failure=failures.append)
    assert runner.busy("test") and runner.busy("models") and runner.busy()
    runner.cancel("models")
    assert not runner.busy("models") and runner.busy("test")
    await until(lambda: not runner.busy(), what="the test")
    await asyncio.sleep(0)
    assert results == ["tested"] and failures == [] and models.cancelled()


async def test_failure_goes_to_its_callback_or_the_log(owner: QWidget,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    runner = TaskRunner(owner)
    failures: list[BaseException] = []
    runner.run("save", fail(OSError(28, "No space left on device")), on_failure=failures.append)
    await until(lambda: failures, what="the failure callback")
    assert isinstance(failures[0], OSError)
    with caplog.at_level(logging.ERROR, logger="app.ui.task_runner"):
        runner.run("quiet", fail(ValueError("boom")))
        await until(lambda: not runner.busy(), what="the unhandled failure")
    assert any(r.exc_info and isinstance(r.exc_info[1], ValueError) for r in caplog.records)


async def test_nothing_is_delivered_after_the_owner_is_deleted(qtbot: QtBot) -> None:
    widget = QWidget()
    runner = TaskRunner(widget)
    results: list[str] = []
    task = runner.run("slow", answer("late", after=5), on_success=results.append)
    widget.deleteLater()
    await until(lambda: task.done(), what="the task to be cancelled with its widget")
    assert task.cancelled() and results == []


async def test_cancel_all_on_close(owner: QWidget) -> None:
    runner = TaskRunner(owner)
    tasks = [runner.run(key, answer(key, after=5)) for key in ("a", "b")]
    runner.cancel_all()
    assert not runner.busy()
    await asyncio.sleep(0)
    assert all(t.cancelled() for t in tasks)


async def test_presenter_words_errors_inline_and_is_silent_on_stop(
        owner: QWidget, caplog: pytest.LogCaptureFixture) -> None:
    runner = TaskRunner(owner)
    message = InlineMessage("Result", owner)
    message.set_message("Testing…")
    runner.run("test", fail(GenerationCancelled()), on_failure=show_error_in(message))
    await until(lambda: not runner.busy(), what="the stop")
    await asyncio.sleep(0)
    assert message.text() == "" and message.isHidden()

    with caplog.at_level(logging.INFO):
        runner.run("test", fail(PermissionError(13, "Permission denied", "/x/settings.json")),
                   on_failure=show_error_in(message, "The settings were not saved."))
        await until(lambda: message.text(), what="the words")
    assert message.text() == ("The settings were not saved. Permission denied "
                              "(/x/settings.json): Switchboard may not use that file.")
    assert message.tone == "error"
    assert not any(r.exc_info for r in caplog.records)  # expected: no traceback

    with caplog.at_level(logging.ERROR, logger="app.ui.error_presenter"):
        runner.run("test", fail(KeyError("sk-abcdefghijklmnop")), on_failure=show_error_in(message))
        await until(lambda: "KeyError" in message.text(), what="the unexpected error")
    assert "sk-abcdefghijklmnop" not in message.text()
    assert any(r.exc_info and isinstance(r.exc_info[1], KeyError) for r in caplog.records)
