"""The window against a damaged or locked chat database (issue 20): at start it offers to
move a damaged file aside (kept, renamed) and start a new one, or to quit; a message the
database refuses goes back into the composer with one line saying why."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt

from app.core.paths import data_dir
from app.ui.damaged_database import DamagedDatabasePanel
from app.ui.main_window import MainWindow
from tests.gui.conftest import close_window, until
from tests.gui.test_main_window import composer_input, send

GARBAGE = b"this is not sqlite, whatever it once was " * 200


def db_file() -> Path:
    return data_dir() / "switchboard.db"


@pytest.fixture
async def window(qtbot, memory_keyring) -> AsyncIterator[MainWindow]:
    """The window, started; the test decides what the data folder holds first."""
    made = MainWindow()
    qtbot.addWidget(made)
    made.show()
    yield made
    if shiboken6.isValid(made):
        if made.isVisible():
            await close_window(made)
        made.deleteLater()
    await asyncio.sleep(0.05)  # let the deferred deletes run, on this thread


async def test_a_damaged_database_at_start_offers_to_move_it_aside_and_starts_anew(qtbot, window):
    db_file().parent.mkdir(parents=True, exist_ok=True)
    db_file().write_bytes(GARBAGE)

    await window.start()

    panel = window.findChild(DamagedDatabasePanel)
    assert panel is not None and panel.isVisible() and window.session is None
    assert str(db_file()) in panel.explanation.text() and "file is not a database" in panel.explanation.text()
    assert db_file().read_bytes() == GARBAGE  # nothing written before the user chose
    ready: list[bool] = []
    window.sig_ready.connect(lambda: ready.append(True))
    qtbot.mouseClick(panel.set_aside_button, Qt.MouseButton.LeftButton)
    await until(lambda: ready, 60, "the window to start on a new database")

    [kept] = db_file().parent.glob("switchboard.db.damaged-*")
    assert kept.read_bytes() == GARBAGE
    assert window.session is not None and window.session.conversations.list() == []
    assert window.chat is not None and f"The damaged one is kept as {kept}." in window.chat.banner.text()
    assert window.findChild(DamagedDatabasePanel) is None or not shiboken6.isValid(panel) \
        or not panel.isVisible()


async def test_quit_on_the_damaged_database_choice_closes_the_window(qtbot, window):
    db_file().parent.mkdir(parents=True, exist_ok=True)
    db_file().mkdir()  # a folder where the file should be
    await window.start()
    panel = window.findChild(DamagedDatabasePanel)
    assert panel is not None and "it is a folder, not a file" in panel.explanation.text()

    closed: list[bool] = []
    window.sig_closed.connect(lambda: closed.append(True))
    qtbot.mouseClick(panel.quit_button, Qt.MouseButton.LeftButton)
    await until(lambda: closed, 30, "the window to close")
    assert db_file().is_dir()  # left exactly as it was


@contextmanager
def locked_by_another_program() -> Iterator[None]:
    """An exclusive lock on the database, as a backup tool or another app would hold it."""
    with closing(sqlite3.connect(db_file(), isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


async def test_a_message_the_database_refuses_goes_back_into_the_composer(qtbot, window):
    await window.start()
    chat = window.chat
    assert chat is not None and window.session is not None

    with locked_by_another_program():  # the window waits out its busy timeout (5 s) each time
        send(qtbot, window, "my first question, typed with care")  # a new chat: refused at once
        assert composer_input(window).toPlainText() == "my first question, typed with care"
        assert chat.banner.text().startswith("Your message was not saved: The chat database is busy")
        assert chat.conversation_id is None and chat.messages.built_count() == 0

    cid = window.session.chat.new_conversation()
    chat.open_conversation(cid)
    with locked_by_another_program():
        send(qtbot, window, "a follow-up")  # an open chat: refused as the reply starts
        await until(lambda: not chat.is_busy(), 30, "the refused send to end")
        assert composer_input(window).toPlainText() == "a follow-up"
        assert "Your message was not saved" in chat.banner.text()
        assert chat.messages.built_count() == 0

    assert window.session.conversations.list()[0].id == cid  # nothing else was made
    assert window.session.conversations.messages(cid) == []
