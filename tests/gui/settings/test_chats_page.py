"""Settings → Chats: the default long-chat policy and the cloud first-answer timeout,
saved at once, used by the next message; a failed save puts the values back."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.chat_settings import ChatSettings, ContextPolicy
from app.core.settings import Settings, SettingsError
from app.ui.settings.chats_page import ChatsPage


def page_for(qtbot: Any, session: Any) -> ChatsPage:
    page = ChatsPage(session.preferences, lambda: session.settings)
    qtbot.addWidget(page)
    page.show()
    return page


async def test_the_defaults_are_saved_and_used_by_chats_without_their_own(qtbot: Any, session: Any) -> None:
    page = page_for(qtbot, session)
    assert page.policy.currentData() == "rolling" and page.timeout.value() == 20
    with qtbot.wait_signal(page.sig_changed):
        page.policy.setCurrentIndex(page.policy.findData("summarize"))
    page.timeout.setValue(45)
    page.timeout.editingFinished.emit()
    saved = Settings.load()
    assert (saved.context_policy, saved.first_token_timeout_s) == (ContextPolicy.SUMMARIZE, 45.0)
    assert session.chat.first_token_timeout_s == 45.0  # the next cloud attempt waits this long
    fitter = session.chat.fitter
    assert fitter.policy(ChatSettings()) is ContextPolicy.SUMMARIZE
    assert fitter.policy(ChatSettings(context_policy=ContextPolicy.STOP)) is ContextPolicy.STOP  # a chat's own
    assert page.status.text() == "Saved."


async def test_a_failed_save_puts_the_values_back_and_says_why(qtbot: Any, session: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    page = page_for(qtbot, session)

    def refuse(_settings: Settings) -> None:
        raise SettingsError("the settings folder is read-only")

    monkeypatch.setattr(Settings, "save", refuse)
    with qtbot.assert_not_emitted(page.sig_changed):
        page.policy.setCurrentIndex(page.policy.findData("stop"))
    assert page.policy.currentData() == "rolling" and session.settings.context_policy is ContextPolicy.ROLLING
    assert page.problem.isVisible() and "read-only" in page.problem.text()
