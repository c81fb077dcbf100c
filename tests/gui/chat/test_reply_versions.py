"""Regenerate keeps the earlier reply: ‹ 1/2 › switches at once, is remembered, and the
chosen version is what the next message is sent with."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from tests.gui.chat.conftest import button, click, idle, send, shows, widgets
from tests.gui.conftest import until


def version_label(widget) -> str:
    label = widget.findChild(QLabel, "versionLabel")
    return label.text() if label is not None and label.isVisibleTo(widget) else ""


async def test_regenerate_adds_a_version_and_switching_is_kept_and_sent(qtbot, peer, chat_window):
    scripted = peer("Red.", "Blue.", "Because.")
    window = await chat_window()
    await send(qtbot, window, "Name a colour.")
    (reply,) = widgets(window, "assistant")
    assert reply.text() == "Red." and version_label(reply) == ""  # one version: no switcher

    await click(qtbot, reply, "regenerateButton")
    switcher = reply.findChild(QWidget, "versionSwitcher")
    assert window.chat.is_busy() and not switcher.isVisibleTo(reply)  # nothing to switch while it streams
    await idle(window)
    (reply,) = widgets(window, "assistant")  # the same message, written again
    assert reply.text() == "Blue." and version_label(reply) == "2/2"
    assert scripted.sent(1) == [("user", "Name a colour.")]

    await click(qtbot, reply, "previousVersionButton")
    assert reply.text() == "Red." and version_label(reply) == "1/2"  # at once, no request
    assert len(scripted.server.requests) == 2
    assert not button(reply, "previousVersionButton").isEnabled()
    assert button(reply, "nextVersionButton").isEnabled()

    cid = window.chat.conversation_id
    window.chat.open_conversation(None)
    window.chat.open_conversation(cid)  # remembered: stored, not held by the widget
    (reopened,) = widgets(window, "assistant")
    assert reopened.text() == "Red." and version_label(reopened) == "1/2"

    await send(qtbot, window, "Why?")
    assert scripted.sent(2) == [("user", "Name a colour."), ("assistant", "Red."), ("user", "Why?")]
    first, second = widgets(window, "assistant")
    assert not shows(first, "regenerateButton") and shows(second, "regenerateButton")
    assert version_label(first) == "1/2"  # the older reply still switches
    await click(qtbot, first, "nextVersionButton")
    assert first.text() == "Blue."
    rows = window.session.conversations.messages(cid)
    assert [r.content for r in rows] == ["Name a colour.", "Blue.", "Why?", "Because."]


async def test_a_longer_version_pushes_the_messages_after_it_down(qtbot, peer, chat_window):
    long = "\n\n".join(f"Paragraph {i}: blue, like the sea on a clear day." for i in range(12))
    peer("Red.", long, "Because.")
    window = await chat_window()
    window.resize(900, 700)
    await send(qtbot, window, "Name a colour.")
    await click(qtbot, widgets(window, "assistant")[0], "regenerateButton")
    await idle(window)
    await send(qtbot, window, "Why?")
    reply = widgets(window, "assistant")[0]
    for step in ("previousVersionButton", "nextVersionButton"):
        await click(qtbot, reply, step)
        after = window.chat.messages.widget_for(widgets(window, "user")[1].message_id)

        def apart() -> bool:
            return reply.geometry().bottom() < after.geometry().top()  # noqa: B023 - read at once
        await until(apart, 10, "the messages after it to move")
