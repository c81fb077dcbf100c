"""Deleting one message: from its Delete action or the Delete key, yours with its reply,
a reply alone; gone from the chat and the store at once, and back with Undo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from tests.gui.chat.conftest import button, click, send, shows, widgets
from tests.gui.conftest import until


def bar_text(window) -> str:
    bar = window.chat.findChild(QWidget, "deletedMessageBar")
    return bar.findChild(QLabel, "deletedMessageLabel").text() if bar.isVisible() else ""


def texts(window) -> list[str]:
    return [w.text() for w in widgets(window)]


async def test_deleting_your_message_takes_its_reply_and_undo_brings_both_back(qtbot, peer, chat_window):
    peer("One.", "Two.")
    window = await chat_window()
    await send(qtbot, window, "first")
    await send(qtbot, window, "second")
    cid = window.chat.conversation_id
    stored = window.session.conversations.messages(cid)
    first = widgets(window, "user")[0]
    assert button(first, "deleteMessageButton").toolTip().startswith("Delete this message and the reply")

    await click(qtbot, first, "deleteMessageButton")
    assert texts(window) == ["second", "Two."]
    assert [r.content for r in window.session.conversations.messages(cid)] == ["second", "Two."]
    assert bar_text(window) == "Deleted your message and its reply."
    assert window.chat.can_undo_delete()

    with qtbot.waitSignal(window.chat.sig_undo_available_changed) as undone:
        qtbot.mouseClick(window.chat.findChild(QWidget, "undoDeleteMessageButton"), Qt.MouseButton.LeftButton)
    assert undone.args == [False]
    await until(lambda: len(widgets(window)) == 4, 10, "the messages to come back")
    assert texts(window) == ["first", "One.", "second", "Two."]
    assert window.session.conversations.messages(cid) == stored
    assert bar_text(window) == "" and not window.chat.can_undo_delete()


async def test_the_delete_key_on_a_reply_deletes_that_reply_alone(qtbot, peer, chat_window):
    scripted = peer("One.", "Two.", "Three.")
    window = await chat_window()
    await send(qtbot, window, "first")
    await send(qtbot, window, "second")
    reply = widgets(window, "assistant")[0]
    text = reply.segment_widgets()[0]
    text.setFocus()  # a click on its text, or Tab, puts focus in the message
    await until(lambda: text.hasFocus(), 5, "focus in the reply")
    qtbot.keyClick(text, Qt.Key.Key_Delete)
    assert texts(window) == ["first", "second", "Two."]
    assert bar_text(window) == "Deleted the reply."
    # What is sent next no longer holds it.
    await send(qtbot, window, "third")
    assert scripted.sent(2) == [("user", "first"), ("user", "second"), ("assistant", "Two."),
                                ("user", "third")]
    assert bar_text(window) == ""  # a new message makes the deletion final


async def test_nothing_is_deleted_while_a_reply_streams(qtbot, peer, chat_window):
    peer("One.")
    window = await chat_window()
    await send(qtbot, window, "first")
    user, reply = widgets(window)
    await click(qtbot, reply, "regenerateButton")
    assert window.chat.is_busy()
    assert not shows(reply, "deleteMessageButton")  # the reply being written
    assert not button(user, "deleteMessageButton").isEnabled()  # nor what it answers
    window.chat.delete_message(user.message_id)
    assert len(widgets(window)) == 2


async def test_deleting_the_message_being_edited_ends_the_edit(qtbot, peer, chat_window):
    scripted = peer("One.", "Two.")
    window = await chat_window()
    await send(qtbot, window, "first")
    user = widgets(window, "user")[0]
    await click(qtbot, user, "editButton")
    assert window.chat.composer.text() == "first" and window.chat.banner.isVisible()
    await click(qtbot, user, "deleteMessageButton")
    assert window.chat.composer.text() == "" and not window.chat.banner.isVisible()
    await send(qtbot, window, "fresh")  # a new message, not the edit of a deleted one
    assert texts(window) == ["fresh", "Two."]
    assert scripted.sent(1) == [("user", "fresh")]


async def test_ctrl_z_anywhere_in_the_window_brings_back_the_deleted_message(qtbot, peer, chat_window):
    from PySide6.QtTest import QTest

    peer("One.")
    window = await chat_window()
    await send(qtbot, window, "first")
    reply = widgets(window, "assistant")[0]
    await click(qtbot, reply, "deleteMessageButton")
    assert texts(window) == ["first"]
    assert window.undo_delete_action.isEnabled() and window.undo_delete_action.text() == "&Undo delete message"
    window.chat.composer.focus_input()  # an empty message box: nothing of its own to undo
    QTest.keyClick(window.focusWidget() or window.chat.composer, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier)
    await until(lambda: texts(window) == ["first", "One."], 10, "the reply to come back")
    assert not window.undo_delete_action.isEnabled()
