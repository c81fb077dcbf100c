"""Sticky routing lives with the conversation: a kept reply says so in its badge and
trace, after a restart too, and separate ``ask`` runs in one conversation share it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.controller.events import Done, Routed
from app.controller.route_words import Route, badge_text
from app.controller.session import Session
from app.core.router import TraceKind
from app.core.router.library import user_routers_dir

pytestmark = pytest.mark.model
LOCAL = "local:SmolLM2-135M-Instruct"
ROUTER = {
    "schema": 1, "name": "Sticky code", "fallback": [LOCAL], "sticky": {"messages": 2},
    "rules": [{"id": "code", "title": "Code", "route_to": LOCAL,
               "when": {"type": "keywords", "words": ["traceback"], "match": "any"}}],
}


@pytest.fixture(autouse=True)
def sticky_router() -> None:
    user_routers_dir().mkdir(parents=True, exist_ok=True)
    (user_routers_dir() / "sticky-code.json").write_text(json.dumps(ROUTER))


async def ask(session: Session, cid: int, text: str) -> tuple[Routed, Done]:
    router = session.router("Sticky code")
    events = [e async for e in session.chat.send(cid, text, router)]
    routed = next(e for e in events if isinstance(e, Routed))
    done = events[-1]
    assert isinstance(done, Done), events
    return routed, done


async def test_a_kept_reply_says_so_and_the_window_survives_a_restart(session: Session) -> None:
    session.chat.max_tokens = 2
    cid = session.chat.new_conversation(session.router("Sticky code"))
    first, _ = await ask(session, cid, "I got a traceback from this script")
    assert (first.decision.rule, first.decision.sticky) == ("code", False)

    second, done = await ask(session, cid, "and what does it mean?")
    assert second.decision.sticky
    assert badge_text(Route.of_message(done.message)) == \
        "SmolLM2-135M-Instruct · local · kept the previous model (rule “Code”)"
    kept = [t for t in done.message.trace or () if t.kind is TraceKind.STICKY]
    assert kept and kept[0].matched and "(follow-up 1 of 2)" in kept[0].detail

    reopened = await Session.open()  # a new process's view: nothing but what was stored
    try:
        reopened.chat.max_tokens = 2
        stored = [m for m in reopened.conversations.messages(cid) if m.role == "assistant"][-1]
        assert badge_text(Route.of_message(stored)).endswith("kept the previous model (rule “Code”)")
        third, _ = await ask(reopened, cid, "thanks, anything else?")
        assert third.decision.sticky and "(follow-up 2 of 2)" in third.decision.reason
        fourth, _ = await ask(reopened, cid, "ok bye")
        assert not fourth.decision.sticky and fourth.decision.rule is None  # the window ran out
    finally:
        await reopened.aclose()


def run_ask(home: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "app", "ask", "--router", "Sticky code",
                           "--max-tokens", "4", *args],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "SWITCHBOARD_HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_two_ask_runs_in_one_conversation_honour_the_sticky_window(switchboard_home: Path):
    first = run_ask(switchboard_home, "I got a traceback from this script")
    assert "→ local:SmolLM2-135M-Instruct · rule “Code”" in first
    cid = re.search(r"conversation (\d+)", first)
    assert cid is not None, first
    second = run_ask(switchboard_home, "--conversation", cid.group(1), "and what does it mean?")
    assert "kept the previous model (rule “Code”)" in second
