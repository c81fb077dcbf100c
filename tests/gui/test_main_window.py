"""The main window end to end, offscreen: the real session, the bundled model through
llama.cpp, loopback servers standing in for cloud providers."""

from __future__ import annotations

import asyncio
import json

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.core.providers.config import ProviderConfig
from app.core.router.library import user_routers_dir
from app.core.settings import ProviderSettings, Settings
from app.ui.chat.message_widget import MessageWidget
from app.ui.main_window import MainWindow
from tests.gui.conftest import close_window, until
from tests.support.sse_server import SSEServer, json_reply, sse, sse_reply

MODEL = "SmolLM2-135M-Instruct"


def save_router(name: str, fallback: list[str], rules: list[dict] | None = None) -> None:
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    data = {"schema": 1, "name": name, "fallback": fallback, "rules": rules or []}
    (folder / f"{name.lower().replace(' ', '-')}.json").write_text(json.dumps(data))


def save_providers(*configs: ProviderConfig) -> None:
    Settings(providers=tuple(ProviderSettings(c) for c in configs)).save()


def ok_stream(*texts: str):
    chunks = [sse(None, {"choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]})
              for t in texts]
    return sse_reply(*chunks, sse(None, "[DONE]"))




def replies(window: MainWindow) -> list[MessageWidget]:
    return [w for w in window.chat.messages.message_widgets() if w.role == "assistant"]


def badge(widget: MessageWidget) -> str:
    return widget.findChild(QToolButton, "badgeButton").accessibleName().removeprefix("Route: ")


def error_text(widget: MessageWidget) -> str:
    box = widget.findChild(QWidget, "statusBox")
    return " ".join(label.text() for label in box.findChildren(QLabel))


def button(widget: MessageWidget, name: str) -> QPushButton:
    return widget.findChild(QPushButton, name)


def composer_input(window: MainWindow) -> QPlainTextEdit:
    return window.chat.composer.findChild(QPlainTextEdit, "composer_input")


def send(qtbot, window: MainWindow, text: str) -> None:
    composer = window.chat.composer
    composer.focus_input()
    composer.set_text(text)
    qtbot.keyClick(composer_input(window), Qt.Key.Key_Return)


async def wait_idle(window: MainWindow, timeout: float = 120) -> None:
    await until(lambda: not window.chat.is_busy(), timeout, "the reply to finish")


async def test_first_run_answers_locally_with_a_route_badge(qtbot, open_window):
    window = await open_window()
    chat = window.chat
    assert chat.router_name() == "Local only"  # no keys, no providers: local only
    assert chat.empty_state.isVisible() and not chat.messages.isVisible()
    send(qtbot, window, "Say hello.")
    assert window.chat.composer.text() == ""  # sent: the box clears at once
    await wait_idle(window)
    (reply,) = replies(window)
    assert reply.text().strip()
    assert badge(reply).startswith(f"{MODEL} · local · ")
    assert chat.coalescer.flushes >= 1  # streamed, not dropped in at the end
    rows = window.session.conversations.messages(chat.conversation_id)
    assert [r.role for r in rows] == ["user", "assistant"]
    assert rows[1].status == "complete" and rows[1].content == reply.text()
    assert window.sidebar.current_id() == chat.conversation_id
    assert "tok/s" in window.status.speed.text()
    assert "ready" in window.status.model.text()


async def test_stop_mid_stream_keeps_the_partial_reply_marked(qtbot, open_window):
    window = await open_window(max_tokens=400)
    send(qtbot, window, "Write a long story about a lighthouse keeper.")
    await until(lambda: replies(window) and len(replies(window)[0].text()) > 20, 120, "streaming text")
    assert window.stop_action.isEnabled()
    window.stop_action.trigger()  # Esc
    await wait_idle(window, 30)
    (reply,) = replies(window)
    row = window.session.conversations.messages(window.chat.conversation_id)[-1]
    assert row.status == "incomplete" and row.content
    assert reply.status == "incomplete"
    assert not window.stop_action.isEnabled()


async def test_retry_after_a_failed_provider(qtbot, open_window):
    calls = []

    def flaky(request):
        calls.append(request)
        if len(calls) <= 3:  # the first try and its two retries
            return json_reply({"error": {"message": "overloaded"}}, 503)
        return ok_stream("Back ", "again.")

    with SSEServer(flaky) as server:
        save_providers(ProviderConfig("peer", "openai", server.url + "/v1", key_required=False))
        save_router("Peer only", ["peer:m"])
        window = await open_window()
        window.chat.router_picker.setCurrentText("Peer only")
        send(qtbot, window, "hello?")
        await wait_idle(window, 60)
        (failed,) = replies(window)
        assert failed.status == "failed" and "overloaded" in error_text(failed)
        qtbot.mouseClick(button(failed, "retryButton"), Qt.MouseButton.LeftButton)
        await wait_idle(window, 60)
    (answered,) = replies(window)
    assert answered.text() == "Back again." and answered.status == "complete"
    assert badge(answered) == "m · peer · fallback: the router has no rules"  # not "no rule matched"


async def test_missing_key_shows_an_inline_error_with_the_fix(qtbot, open_window, memory_keyring):
    save_providers(ProviderConfig("anthropic", "anthropic", "http://127.0.0.1:9"))
    save_router("Cloud only", ["anthropic:claude-sonnet-4-5"])
    window = await open_window()
    window.chat.router_picker.setCurrentText("Cloud only")
    send(qtbot, window, "hi")
    await wait_idle(window, 30)
    (reply,) = replies(window)
    assert reply.status == "failed"
    assert "no API key for anthropic" in error_text(reply)
    assert button(reply, "actionButton").text() == "Add key for Anthropic…"
    qtbot.mouseClick(button(reply, "actionButton"), Qt.MouseButton.LeftButton)
    dialog = window.findChild(__import__("app.ui.key_dialog", fromlist=["KeyDialog"]).KeyDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.key.setText("sk-ant-sentinel")
    dialog.buttons.accepted.emit()
    await until(lambda: not shiboken6.isValid(dialog), 10, "the key to be saved")
    assert memory_keyring.items[("switchboard", "anthropic")] == "sk-ant-sentinel"
    assert window.session.secrets.cached("anthropic") == "sk-ant-sentinel"


async def test_an_attached_image_reaches_the_vision_rule(qtbot, open_window, tmp_path):
    with SSEServer(lambda r: ok_stream("A red square.")) as server:
        save_providers(ProviderConfig("vision", "openai", server.url + "/v1", key_required=False))
        save_router("Pictures", [f"local:{MODEL}"],
                    [{"id": "pictures", "when": {"type": "image"},
                      "route_to": "vision:see"}])
        image = QImage(8, 8, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.red)
        png = tmp_path / "red.png"
        assert image.save(str(png))
        window = await open_window()
        window.chat.router_picker.setCurrentText("Pictures")
        window.chat.composer.attach_files([str(png)])
        send(qtbot, window, "What is this?")
        await wait_idle(window, 30)
        (request,) = server.requests
    content = request.json["messages"][-1]["content"]
    assert any(part.get("type") == "image_url" for part in content)
    (reply,) = replies(window)
    assert badge(reply) == "see · vision · rule “pictures”"
    user = window.chat.messages.message_widgets()[0]
    assert user.role == "user"
    rows = window.session.conversations.messages(window.chat.conversation_id)
    assert rows[0].attachments == [{"kind": "image", "mime": "image/png", "bytes": png.stat().st_size}]


async def test_conversations_create_rename_delete_and_search(qtbot, open_window):
    window = await open_window()
    session = window.session
    first = session.chat.new_conversation()
    session.store.add_message(first, "user", "the lighthouse keeper")
    second = session.chat.new_conversation()
    session.store.add_message(second, "user", "tax forms")
    window.sidebar.refresh()
    window.sidebar.sig_selected.emit(first)
    assert window.chat.conversation_id == first
    assert [w.text() for w in window.chat.messages.message_widgets()] == ["the lighthouse keeper"]

    window.rename_chat()
    await until(lambda: window.sidebar.findChild(QLineEdit, "chatTitleEditor"), 5, "the title editor")
    editor = window.sidebar.findChild(QLineEdit, "chatTitleEditor")
    editor.selectAll()
    qtbot.keyClicks(editor, "Keeper notes")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    await until(lambda: session.conversations.get(first).title == "Keeper notes", 5, "the rename")

    window.search_chats()
    search = window.sidebar.findChild(QLineEdit, "chatSearch")
    assert search.hasFocus()
    search.setText("tax")
    chat_list = window.sidebar.findChild(QListView, "chatList")
    await until(lambda: chat_list.model().rowCount() == 1, 5, "search results")
    search.clear()
    await until(lambda: chat_list.model().rowCount() == 2, 5, "the full list")

    window.sidebar.sig_selected.emit(first)
    window.delete_chat()  # deletes the open chat (first), with undo
    assert window.chat.conversation_id != first
    assert session.conversations.get(first) is not None  # undo is still possible
    window.sidebar.commit_pending_deletes()
    assert session.conversations.get(first) is None


# The router picker's popup: the offscreen platform cannot raise it or grab the keyboard.
@pytest.mark.qt_log_ignore("This plugin does not support raise", "does not support grabbing the keyboard")
async def test_keyboard_shortcuts(qtbot, open_window):
    window = await open_window()
    session = window.session
    cid = session.chat.new_conversation()
    session.store.add_message(cid, "user", "first words")
    window.sidebar.refresh(select=cid)
    window.chat.open_conversation(cid)
    window.activateWindow()
    composer = window.chat.composer
    composer.focus_input()
    qtbot.keyClick(composer_input(window), Qt.Key.Key_Up)  # Up in an empty box: edit my last message
    assert composer.text() == "first words"
    qtbot.keyClick(composer_input(window), Qt.Key.Key_Escape)  # not streaming: Esc cancels the edit
    assert composer.text() == ""

    window.new_action.trigger()  # Ctrl+N
    assert window.chat.conversation_id is None and window.chat.empty_state.isVisible()
    assert window.new_action.shortcut().toString() == "Ctrl+N"
    assert window.router_action.shortcut().toString() == "Ctrl+K"
    assert window.stop_action.shortcut().toString() == "Esc"
    window.router_action.trigger()
    assert window.chat.router_picker.hasFocus() or window.chat.router_picker.view().isVisible()
    window.chat.router_picker.hidePopup()
    window.search_action.trigger()  # Ctrl+F
    assert window.sidebar.findChild(QLineEdit, "chatSearch").hasFocus()


async def test_window_remembers_geometry_and_last_chat(qtbot, open_window):
    window = await open_window()
    cid = window.session.chat.new_conversation()
    window.session.store.add_message(cid, "user", "remember me")
    window.sidebar.refresh(select=cid)
    window.chat.open_conversation(cid)
    window.resize(700, 520)  # inside the offscreen screen (800x600): not clamped
    await close_window(window)
    again = await open_window()
    assert again.chat.conversation_id == cid
    assert (again.width(), again.height()) == (700, 520)


async def test_a_long_chat_opens_lazily(qtbot, open_window):
    window = await open_window()
    session = window.session
    cid = session.chat.new_conversation()
    for i in range(1000):
        session.store.add_message(cid, "user" if i % 2 == 0 else "assistant", f"message {i}")
    window.chat.open_conversation(cid)
    lst = window.chat.messages
    await until(lambda: lst.message_widgets() and lst.message_widgets()[-1].text() == "message 999",
                5, "the newest message")
    assert lst.built_count() < 60  # what is in view: opening costs the same as a short chat
    bar = lst.verticalScrollBar()
    while bar.value() > 0:  # the user scrolls up a page at a time: never many widgets at once
        bar.setValue(bar.value() - bar.pageStep())
        await asyncio.sleep(0.01)
        assert lst.built_count() < 60
    await until(lambda: lst.message_widgets()[0].text() == "message 0", 5, "the first message")


async def test_a_reused_message_widget_shows_its_new_message_only(qtbot, open_window):
    # Scrolled out of view, a widget is refilled for a message coming into view: nothing
    # of the old one (its failure, its attachment, its actions) may stay on it.
    window = await open_window()
    store = window.session.store
    cid = window.session.chat.new_conversation()
    for i in range(400):
        role = "user" if i % 2 == 0 else "assistant"
        attachments = [{"mime": "image/png", "bytes": 2048}] if i % 8 == 0 else None
        mid = store.add_message(cid, role, f"message {i}", attachments=attachments,
                                status="failed" if i % 8 == 1 else "complete")
        if i % 8 == 1:
            store.update_message(mid, error="The server went away.")
    window.chat.open_conversation(cid)
    lst = window.chat.messages
    bar = lst.verticalScrollBar()
    await until(lambda: bar.maximum() > 0 and lst.message_widgets(), 5, "the chat")
    while bar.value() > 0:
        bar.setValue(bar.value() - bar.pageStep())
        await asyncio.sleep(0.01)
        for widget in lst.message_widgets():
            if not widget.isVisible():
                continue
            i = int(widget.text().removeprefix("message "))
            failed = widget.findChild(QWidget, "statusBox")
            assert failed.isVisibleTo(widget) == (i % 8 == 1), i
            # What the user sees: a chip being discarded is hidden at once, deleted later.
            chips = [c for c in widget.findChildren(QLabel)
                     if "image/png" in c.text() and c.isVisibleTo(widget)]
            assert bool(chips) == (i % 8 == 0), i
            assert widget.message_id is not None


async def test_opening_another_chat_mid_stream_stops_and_keeps_the_reply(qtbot, open_window):
    window = await open_window(max_tokens=300)
    send(qtbot, window, "Write a long story about a lighthouse keeper.")
    await until(lambda: replies(window) and len(replies(window)[0].text()) > 10, 120, "streaming text")
    cid = window.chat.conversation_id
    window.new_action.trigger()  # Ctrl+N mid-stream
    await until(lambda: not window.chat.is_busy(), 30, "the reply to stop")
    row = window.session.conversations.messages(cid)[-1]
    assert row.status == "incomplete" and row.content
    assert window.chat.conversation_id is None and window.chat.empty_state.isVisible()


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen cannot raise windows
async def test_an_open_usage_window_counts_a_reply_made_meanwhile(qtbot, open_window):
    window = await open_window()
    window.open_usage()
    replies_tile = window.usage_view.tiles["replies"].value
    before = replies_tile.text()
    send(qtbot, window, "Say hello.")
    await wait_idle(window)
    assert replies_tile.text() != before and "1" in replies_tile.text()


@pytest.mark.qt_log_ignore("This plugin does not support raise")
async def test_a_reply_teaches_its_router_and_the_editor_opens_from_the_menu(qtbot, open_window):
    window = await open_window()
    session = window.session
    cid = session.store.create_conversation(router="Specialists")
    session.store.add_message(cid, "user", "Write a limerick about my cat")
    reply = session.store.add_message(cid, "assistant", "There once was…", target="openai:o4-mini",
                                      rule="reasoning", reason="Routed to openai:o4-mini …")
    window.chat.open_conversation(cid)
    window.chat.show_trace(reply)
    dialog = window.chat._trace_dialogs[-1]
    labels = [a.text() for a in dialog.teach_button.menu().actions()]
    assert labels == ["Reasoning → openai:o4-mini", "Writing → anthropic:claude-sonnet-4-5"]
    dialog.teach_button.menu().actions()[1].trigger()
    assert "Added as an example of “Writing”" in dialog.taught.text()
    assert session.routers.load("Specialists").rule("writing").examples[-1] == "Write a limerick about my cat"
    assert next(e for e in session.routers.entries() if e.name == "Specialists").origin == "changed template"
    dialog.close()

    window.router_editor_action.trigger()
    editor = window.router_editor
    assert editor.isVisible() and editor.draft is not None
    editor.routers.select("Specialists")
    editor.open_router("Specialists")
    editor.routers.actions_by_name["use"].trigger()
    assert window.chat.router_name() == "Specialists"
    editor.close()


async def test_about_names_the_version_and_the_llama_cpp_build(qtbot, open_window):
    import llama_cpp

    from app import __version__
    from app.ui.main_window import about_text

    window = await open_window()
    text = about_text(window.session)
    assert f"Switchboard {__version__}" in text and __version__ != "0.0.0+unknown"
    build = window.session.preferences.llama_build()
    assert build.version == llama_cpp.__version__
    assert "SSE3" in build.cpu_features  # every x86-64 build of llama.cpp's CPU backend uses it
    assert f"GPU offload: {'yes' if build.gpu_offload else 'no'}" in text
    assert ", ".join(build.cpu_features) in text


async def test_a_bad_settings_file_is_one_warning_in_the_window_and_kept_aside(qtbot, open_window,
                                                                             switchboard_home):
    bad = '{"offline": ' + "[" * 10_000 + "]" * 10_000 + "}"
    (switchboard_home / "settings.json").write_text(bad, encoding="utf-8")
    window = await open_window()
    banner = window.chat.banner
    assert banner.isVisible() and banner.property("kind") == "warning"
    assert "nested more than 64 levels deep" in banner.text() and "settings.json.broken-" in banner.text()
    [kept] = switchboard_home.glob("settings.json.broken-*")
    assert kept.read_text(encoding="utf-8") == bad
