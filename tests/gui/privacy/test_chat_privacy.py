"""The chat header's lock and the "Sent off this computer" view over the real window:
the lock follows the controller's privacy, unlocking a chat holding private data asks
first, and what a loopback "cloud" received is listed, never its content."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from app.core.providers.config import ProviderConfig
from app.core.router.library import user_routers_dir
from app.core.router.trace import TraceKind
from app.core.store import Store, default_db_path
from app.ui.privacy.chat_lock import NEW_CHAT_TIP
from app.ui.privacy.sent_off_view import EMPTY_CHAT, SentOffView
from app.ui.privacy.unlock_confirmation import UnlockConfirmation
from tests.gui.conftest import until
from tests.gui.test_main_window import (
    ok_stream,
    replies,
    save_providers,
    send,
    wait_idle,
)
from tests.support.sse_server import SSEServer

LOCAL = "local:SmolLM2-135M-Instruct"
EMAIL = "john.doe@example.com"
PRIVATE_RULE = {"id": "private", "title": "Private data stays local", "private": True,
                "when": {"type": "pii"}, "route_to": LOCAL}


def peer_router(name: str, history: str = "local") -> None:
    """Private messages to the local model, everything else to the loopback "cloud"."""
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    data = {"schema": 1, "name": name, "fallback": ["peer:m"], "rules": [PRIVATE_RULE],
            "privacy": {"history": history}}
    (folder / f"{name.lower().replace(' ', '-')}.json").write_text(json.dumps(data))


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def answer_unlock(monkeypatch: pytest.MonkeyPatch, unlock: bool) -> list[UnlockConfirmation]:
    """Answer the unlock confirmation without showing it (no modal stays open)."""
    asked: list[UnlockConfirmation] = []

    def exec_(box: UnlockConfirmation) -> int:
        asked.append(box)
        (box.unlock_button if unlock else box.keep_button).click()
        return 0

    monkeypatch.setattr(UnlockConfirmation, "exec", exec_)
    return asked


def never_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def exec_(box: UnlockConfirmation) -> int:
        raise AssertionError(f"asked to confirm: {box.informativeText()}")

    monkeypatch.setattr(UnlockConfirmation, "exec", exec_)


@pytest.mark.model
async def test_a_private_first_message_locks_the_chat_and_unlocking_asks_first(
        qtbot, open_window, monkeypatch):
    with SSEServer(lambda request: ok_stream("From the cloud.")) as cloud:
        save_providers(ProviderConfig("peer", "openai", cloud.url + "/v1", key_required=False))
        peer_router("Peer private")
        window = await open_window(max_tokens=8)
        chat = window.chat
        chat.router_picker.setCurrentText("Peer private")
        assert not chat.lock.is_locked()  # a new chat, nothing private yet
        send(qtbot, window, f"My email is {EMAIL}, remember it.")
        await wait_idle(window)
        cid = chat.conversation_id
        assert chat.lock.is_locked()
        assert chat.lock.reason_text() == "message 1 holds an email address"
        assert chat.lock.button.toolTip() == \
            "Kept on this computer: message 1 holds an email address."

        # Keep local: nothing changes.
        asked = answer_unlock(monkeypatch, unlock=False)
        click(qtbot, chat.lock.button)
        (box,) = asked
        assert "peer:m" in box.informativeText() and "message 1 holds an email address" in \
            box.informativeText()
        assert box.defaultButton() is box.keep_button and box.escapeButton() is box.keep_button
        assert [b.text() for b in (box.unlock_button, box.keep_button)] == ["Unlock", "Keep local"]
        assert chat.lock.is_locked()
        assert window.session.chat.privacy(cid, window.session.router("Peer private")).user_lock is None

        # Unlock: the chat's own setting says so, and the header says who opened it.
        asked = answer_unlock(monkeypatch, unlock=True)
        click(qtbot, chat.lock.button)
        assert len(asked) == 1
        privacy = window.session.chat.privacy(cid, window.session.router("Peer private"))
        assert privacy.user_lock is False and not privacy.locked
        assert not chat.lock.is_locked() and chat.lock.reason_text() == "unlocked by you"

        # Locking again needs no question.
        never_asked(monkeypatch)
        click(qtbot, chat.lock.button)
        assert window.session.chat.privacy(cid, window.session.router("Peer private")).user_lock is True
        assert chat.lock.is_locked()
        assert len(cloud.requests) == 0  # the private message never left


async def test_lock_on_and_off_for_an_open_chat_and_a_new_one(qtbot, open_window, monkeypatch):
    with Store(default_db_path()) as store:
        cid = store.create_conversation("Plain chat")
        store.add_message(cid, "user", "hello there")
    window = await open_window()
    chat = window.chat
    window.sidebar.sig_selected.emit(cid)
    await until(lambda: chat.conversation_id == cid, what="the saved chat to open")
    router = window.session.router(chat.router_name())
    assert not chat.lock.is_locked() and chat.lock.reason_text() == ""
    assert chat.lock.button.accessibleName() == "Local only"

    never_asked(monkeypatch)  # nothing private: on and off without a question
    click(qtbot, chat.lock.button)
    privacy = window.session.chat.privacy(cid, router)
    assert privacy.locked and privacy.user_lock is True
    assert chat.lock.is_locked()
    assert chat.lock.button.toolTip() == "You locked this chat: only models on this computer answer."
    click(qtbot, chat.lock.button)
    assert window.session.chat.privacy(cid, router).user_lock is None
    assert not chat.lock.is_locked()

    # A new chat: the choice waits for the first message, which creates the chat.
    window.new_chat()
    assert chat.conversation_id is None and not chat.lock.is_locked()
    click(qtbot, chat.lock.button)
    assert chat.lock.is_locked()
    chat.open_conversation(cid)  # leaving the new chat drops its choice
    chat.open_conversation(None)
    assert not chat.lock.is_locked()
    click(qtbot, chat.lock.button)
    monkeypatch.setattr(window.session.chat, "send", _no_reply)
    send(qtbot, window, "a new chat, locked from the start")
    await wait_idle(window)
    assert chat.conversation_id not in (None, cid)
    assert window.session.chat.privacy(chat.conversation_id, router).user_lock is True
    assert chat.lock.is_locked()


async def _no_reply(*_args, **_kwargs):
    """The chat's send, answering nothing: the test is about the chat it creates."""
    return
    yield


@pytest.mark.model
@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen cannot raise
async def test_sent_off_lists_what_the_cloud_received_and_a_redacted_send(qtbot, open_window):
    with SSEServer(lambda request: ok_stream("Noted, [EMAIL_1].")) as cloud:
        save_providers(ProviderConfig("peer", "openai", cloud.url + "/v1", key_required=False))
        peer_router("Peer redact", history="redact")
        window = await open_window(max_tokens=8)
        chat = window.chat
        chat.router_picker.setCurrentText("Peer redact")

        chat.open_sent_off()  # from the header's link, before anything was sent
        view = chat.sent_off_view
        assert isinstance(view, SentOffView) and view.isVisible()
        assert view.empty.text() == EMPTY_CHAT and view.table.isHidden()

        send(qtbot, window, "Hello, cloud!")
        await wait_idle(window, 60)
        send(qtbot, window, f"My email is {EMAIL}.")  # private: the local model answers
        await wait_idle(window)
        send(qtbot, window, "Write me a short greeting.")  # to the cloud, redacted
        await wait_idle(window, 60)
        assert len(cloud.requests) == 2
        assert EMAIL not in cloud.requests[1].body.decode()
        assert EMAIL in replies(window)[-1].text()  # the placeholder restored for the user

        await until(lambda: view.table.rowCount() == 2, 5, "the view to list both requests")
        assert not view.table.isHidden() and view.empty_state.isHidden()
        cells = [[view.table.item(r, c).text() for c in range(view.table.columnCount())]
                 for r in range(2)]
        newest, first = cells
        assert newest[3] == "m (peer)" and newest[4] == cloud.url.removeprefix("http://")
        assert newest[6] == "1–5" and newest[7] == "redacted 1 email"
        assert first[6] == "1" and first[7] == "sent as written"
        assert view.table.isColumnHidden(1)  # the chat column: this chat only
        assert view.totals.text().startswith("2 requests · ")
        assert view.totals.text().endswith("redacted 1 email")
        assert EMAIL not in " ".join(" ".join(row) for row in cells)

        cid = chat.conversation_id
        view.all_chats.setChecked(True)
        assert not view.table.isColumnHidden(1) and view.table.rowCount() == 2
        window.new_chat()
        view.this_chat.setChecked(True)
        assert view.table.isHidden() and view.empty.text() == EMPTY_CHAT

        # The redacted reply's trace says what privacy did, in words.
        trace = window.session.conversations.messages(cid)[-1].trace or []
        privacy = [e for e in trace if e.kind is TraceKind.PRIVACY]
        assert privacy and "redacted 1 email" in privacy[-1].detail
        view.close()


async def test_a_new_chat_shows_the_lock_new_chats_setting_and_may_opt_out(
        qtbot, open_window, monkeypatch):
    from app.core.settings import Settings

    Settings(lock_new_chats=True).save()
    window = await open_window()
    chat = window.chat
    assert chat.conversation_id is None and chat.lock.is_locked()
    assert chat.lock.button.toolTip() == NEW_CHAT_TIP
    click(qtbot, chat.lock.button)  # this one chat: not locked after all
    assert not chat.lock.is_locked()
    monkeypatch.setattr(window.session.chat, "send", _no_reply)
    send(qtbot, window, "an open chat")
    await wait_idle(window)
    router = window.session.router(chat.router_name())
    assert window.session.chat.privacy(chat.conversation_id, router).user_lock is None
    assert not chat.lock.is_locked()
