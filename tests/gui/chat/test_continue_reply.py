"""Continue on a reply cut off at its length limit (or stopped): the same model goes on,
and its words join the same message."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from tests.gui.chat.conftest import button, click, idle, send, shows, widgets
from tests.gui.conftest import until


def note(widget) -> str:
    box = widget.findChild(QWidget, "statusBox")
    return " ".join(label.text() for label in box.findChildren(QLabel)) if box.isVisibleTo(widget) else ""


async def test_continue_appends_to_the_cut_off_reply(qtbot, peer, chat_window):
    scripted = peer("Once upon…", " a time.")
    window = await chat_window()
    await send(qtbot, window, "Tell a story.")
    (reply,) = widgets(window, "assistant")
    assert reply.text() == "Once upon" and "Cut off" in note(reply)
    assert shows(reply, "continueButton") and not shows(reply, "retryButton")
    route = button(reply, "badgeButton").accessibleName()

    await click(qtbot, reply, "continueButton")
    assert reply.text() == "Once upon" and reply.status == "streaming"  # kept while it goes on
    assert not shows(reply, "continueButton") and not shows(reply, "copyMessageButton")
    await idle(window)
    (reply,) = widgets(window, "assistant")  # one message
    assert reply.text() == "Once upon a time." and reply.status == "complete"
    assert note(reply) == "" and not shows(reply, "continueButton")
    assert button(reply, "badgeButton").accessibleName() == route  # the same route, gone on with
    assert scripted.sent(1)[:2] == [("user", "Tell a story."), ("assistant", "Once upon")]
    rows = window.session.conversations.messages(window.chat.conversation_id)
    assert [(r.role, r.content) for r in rows] == [("user", "Tell a story."),
                                                   ("assistant", "Once upon a time.")]


async def test_a_stopped_reply_offers_continue_beside_retry(qtbot, peer, chat_window):
    peer("Half⏸", " and the rest.")
    window = await chat_window()
    await send(qtbot, window, "Tell a story.", wait=False)
    await until(lambda: widgets(window, "assistant") and widgets(window, "assistant")[0].text() == "Half",
                30, "the first words")
    (reply,) = widgets(window, "assistant")
    assert not shows(reply, "copyMessageButton") and not shows(reply, "regenerateButton")  # streaming
    window.stop_action.trigger()  # Esc
    await idle(window)
    assert reply.status == "incomplete"
    assert shows(reply, "continueButton") and shows(reply, "retryButton") and shows(reply, "copyMessageButton")
    assert not shows(reply, "regenerateButton")  # Retry is the one there
    await click(qtbot, reply, "continueButton")
    await idle(window)
    assert reply.text() == "Half and the rest." and reply.status == "complete"
