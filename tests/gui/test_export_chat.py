"""File → Export chat (Ctrl+Shift+E) over the real window: the controller's export, with
each reply's route in its badge's words."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtWidgets import QFileDialog

from app.core.router.trace import TraceEntry
from app.core.store import Store, default_db_path
from app.ui.main_window import MainWindow
from tests.gui.conftest import until

LOCAL = "local:SmolLM2-135M-Instruct"


def saved_chat() -> int:
    with Store(default_db_path()) as store:
        cid = store.create_conversation("Mail to Bob")
        store.add_message(cid, "user", "write to bob@example.com")
        store.add_message(cid, "assistant", "Dear Bob,", target=LOCAL, rule="private",
                          trace=[TraceEntry("private", True, "email address found",
                                            label="Private data stays local")])
    return cid


async def close(window: MainWindow) -> None:
    closed: list[bool] = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    await until(lambda: closed, 30, "the window to close")


@pytest.fixture
async def window(qtbot, memory_keyring) -> AsyncIterator[MainWindow]:
    cid = saved_chat()
    opened = MainWindow()
    qtbot.addWidget(opened)
    opened.show()
    await opened.start()
    assert opened.session is not None and opened.chat is not None
    opened.sidebar.sig_selected.emit(cid)
    await until(lambda: opened.chat.conversation_id == cid, what="the saved chat to open")
    yield opened
    # Each test closes its window; one a failed test left open is closed here, unless Qt
    # has deleted it by now (test_main_window's fixture checks the same).
    if shiboken6.isValid(opened) and opened.isVisible():
        await close(opened)
    await asyncio.sleep(0.05)


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """Answer the save dialog with ``path``; returns the file names it suggested."""
    suggested: list[str] = []

    def save_as(_parent: object, _caption: str, name: str, _filters: str) -> tuple[str, str]:
        suggested.append(name)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    return suggested


async def test_markdown_export_uses_the_badge_words(window: MainWindow, monkeypatch, tmp_path):
    path = tmp_path / "mail.md"
    suggested = choose_file(monkeypatch, path)
    window.export_action.trigger()
    assert suggested == ["Mail to Bob.md"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Mail to Bob\n")
    assert ("**Assistant (SmolLM2-135M-Instruct · local · rule “Private data stays local”):**"
            in text)
    assert window.status.currentMessage() == f"Exported to {path}"
    await close(window)


async def test_a_json_file_gets_the_json_export(window: MainWindow, monkeypatch, tmp_path):
    path = tmp_path / "mail.json"
    choose_file(monkeypatch, path)
    window.export_action.trigger()
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [m["role"] for m in document["messages"]] == ["user", "assistant"]
    assert document["messages"][1]["trace"][0]["rule"] == "private"
    await close(window)


async def test_an_unwritable_file_is_said_in_the_status_bar(window: MainWindow, monkeypatch,
                                                            tmp_path):
    choose_file(monkeypatch, tmp_path / "no such folder" / "mail.md")
    window.export_action.trigger()
    assert window.status.currentMessage().startswith("Could not export the chat: ")
    await close(window)
