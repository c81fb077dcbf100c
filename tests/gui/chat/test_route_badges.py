"""Each kind of route has its badge on a reply in the chat, read from what the store
keeps: rule, plain-English rule, sticky, privacy lock, fallback, failed over, failed,
stopped, as chosen — each by name."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from app.controller.route_words import RouteKind
from app.ui.chat.chat_pane import ChatPane
from app.ui.chat.message_widget import MessageWidget
from tests.gui.conftest import until
from tests.support.route_kinds import BADGES, KINDS


def badge(widget: MessageWidget) -> str:
    button = widget.findChild(QToolButton, "badgeButton")
    assert button is not None
    return button.accessibleName().removeprefix("Route: ")


@pytest.mark.parametrize("kind", list(RouteKind), ids=str)
async def test_a_stored_reply_shows_the_badge_of_its_kind(qtbot: QtBot, session: Any, kind: RouteKind) -> None:
    route = KINDS[kind]
    store = session.store
    cid = store.create_conversation(f"A {kind} reply")
    store.add_message(cid, "user", "question")
    reply = store.add_message(cid, "assistant", "" if kind is RouteKind.FAILED else "an answer",
                              status=route.status or "complete", target=route.target, rule=route.rule,
                              trace=route.trace)
    if route.error:
        store.update_message(reply, error=route.error)
    pane = ChatPane(session)
    qtbot.addWidget(pane)
    pane.resize(800, 600)
    pane.show()
    pane.open_conversation(cid)

    def replies() -> list[MessageWidget]:
        return [w for w in pane.messages.message_widgets()
                if isinstance(w, MessageWidget) and w.role == "assistant"]

    await until(replies, 5, "the reply on screen")  # the list builds what is in view
    [shown] = replies()
    assert badge(shown) == BADGES[kind]
    button = shown.findChild(QToolButton, "badgeButton")
    assert button is not None
    tooltip = button.toolTip()
    assert "work_stuff" not in tooltip and "private_stays_local" not in tooltip
    if kind is RouteKind.FAILED:
        assert "Answered by" not in tooltip and "answered because" not in tooltip
