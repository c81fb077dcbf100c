"""The keyboard in the real window: focus comes back to the message box after a picker or
a dialog, Ctrl+, opens Settings on every platform, the header follows a rename, Ctrl+Z
brings a deleted chat back from anywhere, and Ctrl+Shift+C copies the last reply."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.ui.chat.chat_settings_dialog import ChatSettingsDialog
from app.ui.chat.route_trace import RouteTraceDialog
from app.ui.main_window import MainWindow, settings_keys
from tests.gui.conftest import until
from tests.support.window import opened

LOCAL = "local:SmolLM2-135M-Instruct"


# The offscreen platform cannot raise a window or grab the keyboard for a popup, and
# says so; xcb and wayland do both.
OFFSCREEN_LIMITS = pytest.mark.qt_log_ignore("This plugin does not support raise\\(\\)",
                                             "This plugin does not support grabbing the keyboard")
pytestmark = OFFSCREEN_LIMITS


def composer_input(window: MainWindow) -> QPlainTextEdit:
    assert window.chat is not None
    field = window.chat.composer.findChild(QPlainTextEdit, "composer_input")
    assert field is not None
    return field


def chat_with_reply(window: MainWindow, title: str = "Invoices", reply: str = "Hello **there**") -> int:
    assert window.session is not None and window.sidebar is not None and window.chat is not None
    store = window.session.store
    cid = store.create_conversation(title)
    store.add_message(cid, "user", "hi")
    store.add_message(cid, "assistant", reply, status="complete", target=LOCAL, trace=[])
    window.sidebar.refresh(select=cid)
    window.chat.open_conversation(cid)
    return cid


async def focus_on_composer(window: MainWindow) -> None:
    await until(lambda: composer_input(window).hasFocus(), 5, "focus back in the message box")


async def test_after_ctrl_k_arrows_and_enter_typing_writes_a_message(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        field = composer_input(p.window)
        p.chat.composer.focus_input()
        before = p.chat.router_name()
        QTest.keyClick(field, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        picker = p.chat.router_picker
        await until(lambda: picker.view().isVisible(), 5, "the router list")
        QTest.keyClick(picker.view(), Qt.Key.Key_Down)
        QTest.keyClick(picker.view(), Qt.Key.Key_Return)
        await until(lambda: not picker.view().isVisible(), 5, "the router list to close")
        picked = p.chat.router_name()
        assert picked != before
        await focus_on_composer(p.window)
        focused = QApplication.focusWidget()
        assert focused is not None
        QTest.keyClicks(focused, "Summarize this")
        assert p.chat.composer.text() == "Summarize this"
        assert p.chat.router_name() == picked  # the S did not pick "Save money"


async def test_leaving_the_router_list_with_esc_also_returns_to_the_message_box(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        p.chat.composer.focus_input()
        p.window.router_action.trigger()
        await until(lambda: p.chat.router_picker.view().isVisible(), 5, "the router list")
        QTest.keyClick(p.chat.router_picker.view(), Qt.Key.Key_Escape)
        await focus_on_composer(p.window)


async def test_ctrl_comma_opens_settings_and_closing_returns_focus(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        assert QKeySequence("Ctrl+,") in settings_keys()
        assert p.window.settings_action.shortcuts()[0] == QKeySequence("Ctrl+,")
        p.chat.composer.focus_input()
        QTest.keyClick(composer_input(p.window), Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: p.window.settings_dialog is not None and p.window.settings_dialog.isVisible(), 10,
                    "Settings")
        p.window.settings_dialog.reject()
        p.window.activateWindow()
        await focus_on_composer(p.window)


async def test_closing_the_route_trace_returns_focus_to_the_message_box(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        cid = chat_with_reply(p.window)
        reply = [m for m in p.session.conversations.messages(cid)
                 if m.role == "assistant"][-1]
        p.sidebar.focus_search()  # somewhere else first
        p.chat.show_trace(reply.id)
        dialog = p.chat.findChild(RouteTraceDialog)
        assert dialog is not None and dialog.isVisible()
        dialog.close()
        p.window.activateWindow()
        await focus_on_composer(p.window)


async def test_closing_chat_settings_returns_focus_to_the_message_box(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        p.sidebar.focus_search()  # somewhere else first

        def close_the_dialog() -> None:
            dialog = QApplication.activeModalWidget()
            assert isinstance(dialog, ChatSettingsDialog)
            dialog.reject()

        QTimer.singleShot(0, close_the_dialog)
        p.chat.open_chat_settings()  # modal: returns once the dialog is closed
        p.window.activateWindow()  # what the window manager does when a dialog closes
        await focus_on_composer(p.window)


async def test_the_header_follows_a_rename_at_once(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        chat_with_reply(p.window, "Old title")
        assert p.chat.title.text() == "Old title"
        p.window.rename_action.trigger()  # F2
        editors = [e for e in p.sidebar.findChildren(QLineEdit) if e.objectName() != "chatSearch"]
        assert editors, "no title editor opened"
        editors[-1].setText("Quarterly invoices")
        QTest.keyClick(editors[-1], Qt.Key.Key_Return)
        await until(lambda: p.chat.title.text() == "Quarterly invoices", 5, "the header to follow")


async def test_ctrl_z_in_an_empty_message_box_brings_a_deleted_chat_back(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        cid = chat_with_reply(p.window, "Keep me")
        p.chat.composer.set_text("sent a moment ago")
        p.chat.composer.clear()  # as after sending: the box is empty, nothing to undo there
        p.chat.composer.focus_input()
        p.window.delete_action.trigger()
        assert p.session.conversations.get(cid) is not None  # not gone until the undo p.window ends
        assert p.window.undo_delete_action.isEnabled()
        p.chat.composer.focus_input()
        QTest.keyClick(composer_input(p.window), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: not p.window.undo_delete_action.isEnabled(), 5, "the undo")
        assert p.chat.conversation_id == cid
        assert p.sidebar.current_id() == cid


async def test_ctrl_z_in_a_field_with_typing_undoes_the_typing_not_the_delete(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        chat_with_reply(p.window, "Gone")
        p.window.delete_action.trigger()
        field = composer_input(p.window)
        p.chat.composer.focus_input()
        QTest.keyClicks(field, "draft")
        QTest.keyClick(field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert p.chat.composer.text() == ""  # the field's own undo
        assert p.window.undo_delete_action.isEnabled()  # the deletion can still be undone
        p.window.undo_delete_action.trigger()  # Edit → Undo delete chat
        assert not p.window.undo_delete_action.isEnabled()


async def test_ctrl_z_from_a_button_brings_a_deleted_chat_back(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        cid = chat_with_reply(p.window, "From a button")
        p.window.delete_action.trigger()
        button = p.chat.settings_button
        button.setFocus(Qt.FocusReason.OtherFocusReason)
        QTest.keyClick(button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: not p.window.undo_delete_action.isEnabled(), 5, "the undo")
        assert p.sidebar.current_id() == cid


async def test_ctrl_shift_c_copies_the_last_reply(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        chat_with_reply(p.window, reply="The answer is **42**.")
        assert p.window.copy_reply_action.shortcut() == QKeySequence("Ctrl+Shift+C")
        QGuiApplication.clipboard().clear()
        p.chat.composer.focus_input()
        QTest.keyClick(composer_input(p.window), Qt.Key.Key_C,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        await until(lambda: QGuiApplication.clipboard().text() == "The answer is **42**.", 5, "the copy")
        assert p.window.status.currentMessage() == "Copied the last reply."


async def test_copying_with_no_reply_says_so(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        p.window.new_chat()
        p.window.copy_reply_action.trigger()
        assert p.window.status.currentMessage() == "There is no reply to copy yet."
