"""Downloads (issue 23): a download that cannot start says why at once, and the page
shows one error at a time — the newest failure's — while older failed rows keep theirs
in the tooltip."""

from __future__ import annotations

import socket
from typing import Any

from pytestqt.qtbot import QtBot

from app.core.models.hub import RemoteFile
from app.ui.models.downloads_page import STATE_WORDS
from app.ui.models.model_manager_window import ModelManagerWindow
from tests.gui.conftest import until


async def test_failed_downloads_show_one_error_the_newest(qtbot: QtBot, session: Any) -> None:
    with socket.socket() as s:  # nobody listens here: refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    session.models.hub.file_url = lambda repo, name, revision="main": f"http://127.0.0.1:{port}/{name}"
    window = ModelManagerWindow(session)
    qtbot.addWidget(window)
    window.show()
    page = window.downloads
    words = f"The download could not start. The server at 127.0.0.1:{port} refused the connection: is the server running?"

    first = session.models.download(RemoteFile("acme/A-GGUF", "a.Q4_0.gguf", 1000, None, "Q4_0"))
    await until(lambda: first.state == "failed", what="the first failure")
    await until(lambda: page.shown_errors() == [words], what="its error")
    second = session.models.download(RemoteFile("acme/B-GGUF", "b.Q4_0.gguf", 1000, None, "Q4_0"))
    await until(lambda: second.state == "failed", what="the second failure")
    await until(lambda: (row := page.row_for(second)) is not None and not row.error.isHidden(),
                what="the newer error")

    assert page.shown_errors() == [words]  # one, on the newest row
    older = page.row_for(first)
    assert older is not None and older.error.isHidden()
    assert older.state_label.text() == STATE_WORDS["failed"] and older.state_label.toolTip() == words
    assert older.resume_button.text() == "Retry" and not older.resume_button.isHidden()
    assert "HF_" not in words

    # Cancelling the newest hands the one error back to the older failure.
    page.cancel(second)
    await until(lambda: not older.error.isHidden(), what="the older error to show again")
    assert page.shown_errors() == [words]
