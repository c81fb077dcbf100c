"""The route trace dialog: one sentence saying who answered and why, the rule by its
title, no "Answered by" on a reply nothing answered, and a Rule/Why table that is hidden
when empty and only as tall as its rows otherwise."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.controller.route_words import RouteKind
from app.core.store import MessageRow
from app.ui.chat.route_trace import RouteTraceDialog, receipt_lines
from tests.support.route_kinds import FALLBACK, KINDS, LOCAL


def stored(session: Any, kind: RouteKind | None = None, **route: Any) -> MessageRow:
    facts: dict[str, Any] = {}
    if kind is not None:
        base = KINDS[kind]
        facts = {"target": base.target, "rule": base.rule, "trace": base.trace,
                 "status": base.status, "error": base.error}
    facts.update(route)
    store = session.store
    cid = store.create_conversation("Trace")
    store.add_message(cid, "user", "question")
    mid = store.add_message(cid, "assistant", "" if facts.get("status") == "failed" else "an answer",
                            status=facts.get("status") or "complete", target=facts.get("target"),
                            rule=facts.get("rule"), trace=facts.get("trace"))
    if facts.get("error"):
        store.update_message(mid, error=facts["error"])
    row = store.message(mid)
    assert isinstance(row, MessageRow)
    return row


def shown(qtbot: QtBot, row: MessageRow) -> RouteTraceDialog:
    dialog = RouteTraceDialog(row)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def texts(dialog: RouteTraceDialog) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel)]


async def test_a_rule_routed_reply_names_the_rule_by_its_title(qtbot: QtBot, session: Any) -> None:
    dialog = shown(qtbot, stored(session, RouteKind.RULE))
    assert dialog.headline.text() == ("SmolLM2-135M-Instruct (on this computer) answered because the rule "
                                      "“Private data stays local” matched: email address found.")
    words = texts(dialog)
    assert "Answered by" in words and "Private data stays local" in words
    assert not any("private_stays_local" in w for w in words)
    assert dialog.rules.isVisible() and dialog.rules.topLevelItemCount() == 1
    # One row: the table is as tall as that row and its header, not two-thirds of the dialog.
    assert dialog.rules.height() <= dialog.rules.sizeHint().height() + 2
    assert dialog.rules.height() < dialog.height() / 2


async def test_a_reply_nothing_answered_has_no_answered_by(qtbot: QtBot, session: Any) -> None:
    row = stored(session, RouteKind.FAILED, trace=())
    dialog = shown(qtbot, row)
    assert dialog.headline.text() == "Nothing answered this message: no API key for OpenAI"
    words = texts(dialog)
    assert "Answered by" not in words and "Tried" in words
    assert not dialog.rules.isVisible()  # nothing was checked: no empty table
    assert receipt_lines(row) == ["Nothing answered this message: no API key for OpenAI"]


async def test_a_router_without_rules_says_so(qtbot: QtBot, session: Any) -> None:
    dialog = shown(qtbot, stored(session, target=LOCAL, trace=(FALLBACK,)))
    assert dialog.headline.text().startswith("This router has no rules, so the first available model")
    assert "none: the router has no rules" in texts(dialog)
    assert not any("no rule matched" in w.lower() for w in texts(dialog))
