"""The chat's context meter, the reading-progress placeholder and the Chat settings
panel, in the real window over the bundled model."""

from __future__ import annotations

import itertools

import pytest

from app.core.chat_settings import ChatSettings, ContextPolicy
from app.core.providers.local_settings import LocalModelSettings
from app.ui.chat.chat_settings_dialog import MODEL_DEFAULT, ROUTER_DECIDES, ChatSettingsDialog
from app.ui.chat.context_meter import meter_tooltip
from tests.gui.conftest import until
from tests.gui.test_main_window import replies, send, wait_idle

LOCAL = "local:SmolLM2-135M-Instruct"
pytestmark = pytest.mark.model


def seed(session, cid: int, messages: int) -> None:
    for i, topic in zip(range(messages), itertools.cycle(["gardens", "Lisbon", "bread", "chess"])):
        role = "user" if i % 2 == 0 else "assistant"
        session.store.add_message(cid, role, f"Message {i} about {topic}. " + "Details add up. " * 8,
                                  **({"target": LOCAL} if role == "assistant" else {}))


async def small_local_window(window) -> None:
    await window.session.preferences.save_local(LocalModelSettings(n_ctx=1024),
                                                window.session.settings.default_local_model)


async def test_a_long_chat_shows_its_meter_and_the_reading_progress(qtbot, open_window):
    window = await open_window(max_tokens=4)
    await small_local_window(window)
    chat = window.chat
    cid = window.session.chat.new_conversation(window.session.router("Local only"))
    seed(window.session, cid, 60)
    chat.open_conversation(cid)
    await until(lambda: chat.meter.isVisible(), 60, "the context meter")
    assert chat.meter.label.text().startswith(tuple("0123456789")) and " of 1k tokens" in chat.meter.label.text()
    assert "not sent" in chat.meter.label.text()
    assert "older messages are not sent (still in the chat)" in chat.meter.toolTip()
    assert "Long chats: Rolling" in chat.meter.toolTip()

    send(qtbot, window, "and what about chess?")
    reply = replies(window)[-1]
    progress = reply._progress
    await until(lambda: progress.isVisible() and "Reading the conversation…" in progress.text(), 60,
                "the reading progress")
    assert " of " in progress.text() and progress.text().endswith(" tokens")
    await wait_idle(window)
    assert not progress.isVisible()  # the reply replaced it
    assert reply.status in ("complete", "incomplete")


async def test_chat_settings_are_kept_with_the_chat_and_shown_again(qtbot, open_window):
    window = await open_window(max_tokens=4)
    chat = window.chat
    chat.apply_chat_settings(ChatSettings(system_prompt="Answer in French.", temperature=0.2,
                                          context_policy=ContextPolicy.SUMMARIZE))
    send(qtbot, window, "bonjour")
    await wait_idle(window)
    cid = chat.conversation_id
    assert cid is not None
    stored = window.session.conversations.chat_settings(cid)
    assert (stored.system_prompt, stored.temperature, stored.context_policy) == (
        "Answer in French.", 0.2, ContextPolicy.SUMMARIZE)
    chat.new_chat()
    assert chat.chat_settings() == ChatSettings()  # a new chat starts from the defaults
    chat.open_conversation(cid)
    assert chat.chat_settings() == stored


def test_the_dialog_reads_and_writes_every_field(qtbot):
    targets = []
    dialog = ChatSettingsDialog(ChatSettings(top_p=0.9, target="openai:gpt-4o"), ContextPolicy.ROLLING, targets)
    qtbot.addWidget(dialog)
    assert dialog.temperature.text() == MODEL_DEFAULT and dialog.top_p.value() == pytest.approx(0.9)
    assert dialog.model.currentData() == "openai:gpt-4o"  # kept though not set up here
    assert dialog.policy.currentText() == "As in Settings (Rolling)"
    dialog.system_prompt.setPlainText("  Be brief.  ")
    dialog.temperature.setValue(0.7)
    dialog.max_tokens.setValue(300)
    dialog.model.setCurrentIndex(dialog.model.findText(ROUTER_DECIDES))
    dialog.policy.setCurrentIndex(dialog.policy.findData("stop"))
    dialog._save()
    assert dialog.chosen() == ChatSettings(system_prompt="Be brief.", temperature=0.7, top_p=0.9,
                                           max_tokens=300, context_policy=ContextPolicy.STOP)


def test_an_over_long_system_prompt_is_said_and_nothing_is_lost(qtbot):
    dialog = ChatSettingsDialog(ChatSettings(), ContextPolicy.ROLLING, [])
    qtbot.addWidget(dialog)
    dialog.system_prompt.setPlainText("x" * 20_001)
    dialog._save()
    assert dialog.chosen() is None and not dialog.error.isHidden()
    assert "limited to 20,000 characters" in dialog.error.text()
    assert len(dialog.system_prompt.toPlainText()) == 20_001


def test_the_meter_tooltip_names_a_summary():
    from app.controller.context_use import ContextUse
    use = ContextUse(3100, 4096, LOCAL, ContextPolicy.SUMMARIZE, left_out=28, total=40, summarized=28)
    assert use.label() == "3.1k of 4k tokens"
    assert "28 older messages are sent as a summary written on this computer." in meter_tooltip(use)
