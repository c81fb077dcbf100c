"""Settings → Chats: the longest reply of chats that set none, beside the long-chat policy
and the cloud timeout; saved at once and used by the next message."""

from __future__ import annotations

from typing import Any

from app.core.settings import Settings
from app.ui.settings.chats_page import ChatsPage


async def test_the_reply_limit_is_shown_saved_and_used_by_the_next_message(qtbot: Any, session: Any) -> None:
    page = ChatsPage(session.preferences, lambda: session.settings)
    qtbot.addWidget(page)
    page.show()
    assert page.reply_limit.value() == 2048 and session.chat.max_tokens == 2048
    assert page.reply_limit.accessibleName() == "Longest reply in tokens"
    with qtbot.wait_signal(page.sig_changed):
        page.reply_limit.setValue(300)
        page.reply_limit.editingFinished.emit()
    assert Settings.load().reply_limit_tokens == 300
    assert session.chat.max_tokens == 300  # the next reply of a chat without its own length
    assert page.status.text() == "Saved."
    page.reload()
    assert page.reply_limit.value() == 300
