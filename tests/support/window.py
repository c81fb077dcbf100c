"""The real main window for GUI tests, opened in the test's own event loop.

Closed in the test's loop too: a thread still finishing between a test and its fixture's
teardown is never heard, and the window's shutdown would wait for it forever.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import NamedTuple

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.controller.session import Session
from app.ui.chat.chat_pane import ChatPane
from app.ui.main_window import MainWindow
from app.ui.sidebar.conversation_list import ConversationList
from tests.gui.conftest import until


class Parts(NamedTuple):
    window: MainWindow
    chat: ChatPane
    sidebar: ConversationList
    session: Session


@contextlib.asynccontextmanager
async def opened(qtbot: QtBot) -> AsyncIterator[Parts]:
    """The real window, active, its start-up work (model load, tokenizer) done."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    await window.start()
    assert window.session is not None
    window.activateWindow()
    await until(lambda: QApplication.activeWindow() is window, 5, "the window to be active")
    await until(lambda: not window.tasks.busy(), 60, "the window's start-up work")
    assert window.chat is not None and window.sidebar is not None
    try:
        yield Parts(window, window.chat, window.sidebar, window.session)
    finally:
        closed: list[bool] = []
        window.sig_closed.connect(lambda: closed.append(True))
        window.close()
        await until(lambda: closed, 30, "the window to close")
