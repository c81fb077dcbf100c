"""The chat, the router editor's test panel and ``python -m app route --json`` decide a
message by one routing service: through one real session they give the same decision,
plain-English rules and a provider without a key included."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest

from app.controller.events import Routed
from app.controller.route_preview import RoutePreview
from app.core.providers.config import config_from_preset
from app.core.router import Decision, TraceKind
from app.core.router.library import user_routers_dir
from app.core.settings import ProviderSettings
from app.ui.router_editor.test_panel import TestPanel
from tests.gui.conftest import until

LOCAL = "local:SmolLM2-135M-Instruct"
ROUTER = {
    "schema": 1,
    "name": "One path",
    "fallback": [LOCAL],
    # Generous: the decision must not depend on how loaded the machine is.
    "classifier": {"timeout_s": 60},
    "rules": [
        {"id": "code_to_cloud", "title": "Code goes to the cloud", "when": {"type": "code"},
         "route_to": "openai:gpt-4o-mini"},  # openai is set up without a key
        {"id": "cooking", "title": "Cooking", "type": "classified",
         "description": "Cooking, recipes and food",
         "examples": ["How long should I boil pasta?", "Give me a recipe for pancakes",
                      "What can I cook with eggs and spinach?"],
         "route_to": LOCAL},
        {"id": "travel", "title": "Travel", "type": "classified",
         "description": "Trips, flights and travel plans",
         "examples": ["Plan three days in Lisbon", "Which is the cheapest way to fly to Rome?",
                      "What should I pack for a week of hiking?"],
         "route_to": LOCAL},
    ],
}
MESSAGE = "```python\nprint(42)\n```\nAlso, what is a good recipe for tomato soup?"


def summary(decision: Decision | dict[str, Any]) -> dict[str, Any]:
    """What must agree (the classifier's own line carries its latency, which may not)."""
    out = dict(decision if isinstance(decision, dict) else decision.to_dict())
    out.pop("elapsed_us")
    out.pop("classifier", None)  # only the command prints the classifier's raw answer
    out["trace"] = [{k: v for k, v in line.items() if not (line["kind"] == "classifier" and k == "detail")}
                    for line in out["trace"]]
    return out


@pytest.mark.model
async def test_chat_test_panel_and_route_command_decide_alike(qtbot, session):
    await session.provider_setup.save(ProviderSettings(config_from_preset("openai")))  # no key
    user_routers_dir().mkdir(parents=True, exist_ok=True)
    (user_routers_dir() / "one-path.json").write_text(json.dumps(ROUTER))
    router = session.router("One path")
    session.chat.max_tokens = 2  # the reply itself is not what is compared

    cid = session.chat.new_conversation(router)
    chat = next(e for e in [e async for e in session.chat.send(cid, MESSAGE, router)]
                if isinstance(e, Routed)).decision

    panel = TestPanel(RoutePreview(session), offline=False)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_router(router)
    panel.message.setPlainText(MESSAGE)
    await until(lambda: panel.decision() is not None and not panel.is_pending(), 10, "the decision")
    assert panel.decision().needs_classifier == ("cooking", "travel")
    panel.run_classifier()
    await until(lambda: not panel.is_asking(), 180, "the classifier")
    shown = panel.decision()

    # Its own process, as a user runs it: the same data folder, settings and keyring.
    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "app", "route", "--router", "One path", "--message",
                         MESSAGE, "--json"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout

    assert summary(chat) == summary(shown) == summary(json.loads(out))
    assert chat.rule in ("cooking", "travel") or chat.rule is None
    passed_over = next(t for t in chat.trace if t.rule == "code_to_cloud")
    assert passed_over.matched and "no API key for openai" in passed_over.detail
    assert any(t.kind is TraceKind.CLASSIFIER for t in chat.trace)
