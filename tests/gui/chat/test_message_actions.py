"""Every action under a message appears only where it can act (issue 23): nothing to
copy or write again while a reply streams or after it failed empty, Edit only on a
stored message of yours, Regenerate, Retry and Continue only on the newest reply."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractButton, QWidget
from pytestqt.qtbot import QtBot

from app.ui.chat.message_widget import MessageWidget

ACTIONS = ("copyMessageButton", "regenerateButton", "retryButton", "continueButton",
           "deleteMessageButton", "editButton")
CUT_OFF = "Cut off: the reply reached its limit of 8 tokens (change it in Settings → Chats)."
Factory = Callable[..., MessageWidget]


@pytest.fixture
def make(qtbot: QtBot) -> Factory:
    def factory(role: str = "assistant", message_id: int | None = 7) -> MessageWidget:
        widget = MessageWidget(role, message_id)
        qtbot.addWidget(widget)
        return widget
    return factory


def shown(widget: MessageWidget) -> set[str]:
    return {name for name in ACTIONS
            if (b := widget.findChild(QAbstractButton, name)) is not None and b.isVisibleTo(widget)}


def reply_in(make: Factory, status: str, text: str = "", error: str | None = None,
             message_id: int | None = 7) -> MessageWidget:
    reply = make("assistant", message_id)
    reply.set_text(text)
    reply.set_status(status, error)
    return reply


@pytest.mark.parametrize(("status", "text", "error", "expected"), [
    ("streaming", "", None, set()),
    ("streaming", "Half a", None, set()),  # nothing to copy or redo until it ends
    ("complete", "Done.", None, {"copyMessageButton", "regenerateButton", "deleteMessageButton"}),
    ("complete", "Once upon", CUT_OFF, {"copyMessageButton", "regenerateButton", "continueButton",
                                        "deleteMessageButton"}),
    ("incomplete", "Half a", None, {"copyMessageButton", "retryButton", "continueButton",
                                    "deleteMessageButton"}),
    ("failed", "", "Nothing could answer.", {"retryButton", "deleteMessageButton"}),
    ("failed", "Half a", "The server hung up.", {"copyMessageButton", "retryButton",
                                                 "continueButton", "deleteMessageButton"}),
])
def test_the_newest_reply_offers_what_its_state_allows(make: Factory, status: str, text: str,
                                                        error: str | None, expected: set[str]) -> None:
    assert shown(reply_in(make, status, text, error)) == expected


def test_an_older_reply_can_only_be_copied_deleted_or_switched(make: Factory) -> None:
    for status, error in (("complete", None), ("complete", CUT_OFF), ("incomplete", None),
                          ("failed", "Nope.")):
        reply = reply_in(make, status, "Some text", error)
        reply.set_latest(False)
        assert shown(reply) == {"copyMessageButton", "deleteMessageButton"}, status
        reply.set_latest(True)
        assert "copyMessageButton" in shown(reply)


def test_a_reply_never_stored_offers_retry_only(make: Factory, qtbot: QtBot) -> None:
    reply = reply_in(make, "failed", "", "Something went wrong while answering.", message_id=None)
    assert shown(reply) == {"retryButton"}
    with qtbot.waitSignal(reply.sig_retry_requested) as retried:  # answers your last message again
        reply.findChild(QAbstractButton, "retryButton").click()
    assert retried.args == [0]


def test_edit_and_delete_only_on_a_stored_message_of_yours(make: Factory) -> None:
    user = make("user", None)
    user.set_text("Hello")
    assert shown(user) == {"copyMessageButton"}
    user.set_message_id(3)
    assert shown(user) == {"copyMessageButton", "editButton", "deleteMessageButton"}


def test_while_a_reply_is_written_nothing_edits_or_deletes(make: Factory) -> None:
    user, reply = make("user", 3), reply_in(make, "complete", "Done.")
    user.set_text("Hello")
    for widget in (user, reply):
        widget.set_chat_busy(True)
    for name in ("editButton", "deleteMessageButton"):
        assert not user.findChild(QAbstractButton, name).isEnabled()
    assert not reply.findChild(QAbstractButton, "regenerateButton").isEnabled()
    assert reply.findChild(QAbstractButton, "copyMessageButton").isEnabled()  # copying is harmless


def test_the_version_switcher_steps_through_versions(make: Factory, qtbot: QtBot) -> None:
    reply = reply_in(make, "complete", "Blue.")
    switcher = reply.findChild(QWidget, "versionSwitcher")
    assert not switcher.isVisibleTo(reply)  # one version
    reply.set_versions(2, 3)
    assert switcher.isVisibleTo(reply) and switcher.accessibleName() == "Version 2 of 3"
    with qtbot.waitSignal(reply.sig_version_requested) as previous:
        reply.findChild(QAbstractButton, "previousVersionButton").click()
    with qtbot.waitSignal(reply.sig_version_requested) as following:
        reply.findChild(QAbstractButton, "nextVersionButton").click()
    assert (previous.args, following.args) == ([7, 1], [7, 3])
    reply.set_versions(3, 3)
    assert not reply.findChild(QAbstractButton, "nextVersionButton").isEnabled()
    assert "all its versions" in reply.findChild(QAbstractButton, "deleteMessageButton").toolTip()
    reply.set_status("streaming")
    assert not switcher.isVisibleTo(reply)


def test_delete_and_continue_emit_the_message_id(make: Factory, qtbot: QtBot) -> None:
    reply = reply_in(make, "complete", "Once upon", CUT_OFF)
    with qtbot.waitSignal(reply.sig_continue_requested) as continued:
        reply.findChild(QAbstractButton, "continueButton").click()
    with qtbot.waitSignal(reply.sig_delete_requested) as deleted:
        reply.findChild(QAbstractButton, "deleteMessageButton").click()
    assert (continued.args, deleted.args) == ([7], [7])


def test_the_delete_key_deletes_the_focused_message(make: Factory, qtbot: QtBot) -> None:
    reply = reply_in(make, "complete", "Some **text**.")
    reply.show()
    qtbot.waitExposed(reply)
    label = reply.segment_widgets()[0]
    label.setFocus()
    qtbot.waitUntil(label.hasFocus)
    with qtbot.waitSignal(reply.sig_delete_requested) as deleted:
        qtbot.keyClick(label, Qt.Key.Key_Delete)
    assert deleted.args == [7]


def test_an_arrow_with_nowhere_to_go_is_fainter_in_light_and_dark(make: Factory) -> None:
    reply = reply_in(make, "complete", "Red.")
    reply.set_versions(1, 2)
    closed = reply.findChild(QAbstractButton, "previousVersionButton")
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
                         (QPalette.ColorRole.ButtonText, "#e8eaed")):
        dark.setColor(role, QColor(colour))
    for palette in (dark, QPalette()):  # and back: the faint colour follows the change
        reply.setPalette(palette)
        background = reply.palette().color(QPalette.ColorRole.Window).lightness()
        colours = closed.palette()
        faint = colours.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText).lightness()
        quiet = colours.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText).lightness()
        assert abs(faint - background) < abs(quiet - background) / 2
