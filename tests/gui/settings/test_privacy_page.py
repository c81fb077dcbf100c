"""Settings → Privacy: "Lock new chats to this computer" saves at once through the
session's settings owner, new chats then start locked, and a failed save says so."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.settings import Settings, SettingsError
from app.ui.settings.privacy_page import PrivacyPage


async def test_lock_new_chats_is_saved_and_new_chats_start_locked(qtbot: Any, session: Any) -> None:
    page = PrivacyPage(session.saved_settings)
    qtbot.addWidget(page)
    assert not page.lock_new_chats.isChecked()
    with qtbot.wait_signal(page.sig_changed):
        page.lock_new_chats.click()
    assert session.settings.lock_new_chats and Settings.load().lock_new_chats
    assert page.status.text() == "Saved: new chats start locked."
    router = session.router()
    cid = session.chat.new_conversation(router)
    assert session.chat.privacy(cid, router).user_lock is True

    page.lock_new_chats.click()
    assert not Settings.load().lock_new_chats
    assert session.chat.privacy(session.chat.new_conversation(router), router).user_lock is None


async def test_a_failed_save_puts_the_box_back_and_says_why(qtbot: Any, session: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    page = PrivacyPage(session.saved_settings)
    qtbot.addWidget(page)
    page.show()

    def refuse(_settings: Settings) -> None:
        raise SettingsError("the settings folder is read-only")

    monkeypatch.setattr(Settings, "save", refuse)
    with qtbot.assert_not_emitted(page.sig_changed):
        page.lock_new_chats.click()
    assert not page.lock_new_chats.isChecked() and not session.settings.lock_new_chats
    assert page.problem.isVisible() and "read-only" in page.problem.text()
