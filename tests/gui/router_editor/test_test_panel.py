"""The router editor's test panel against real parts: a real session (settings, keys,
local models), the bundled templates, and ``python -m app route`` run in-process to
check that the panel decides exactly what the CLI (and so the chat) decides."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt

from app.__main__ import main
from app.controller.route_preview import RoutePreview, decision_summary, parse_history
from app.controller.session import Session
from app.core.paths import router_templates_dir
from app.core.providers.config import config_from_preset
from app.core.router import Router, TraceKind, Turn, load_router
from app.core.router.classifier import ClassifierAnswer, apply_answer
from app.core.router.targets import is_local, provider_of
from app.core.settings import ProviderSettings
from app.ui.router_editor.test_panel import PLACEHOLDER, TestPanel
from tests.gui.conftest import until

TEMPLATES = sorted(router_templates_dir().glob("*.json"))
LOCAL = "local:SmolLM2-135M-Instruct"


def template(name: str) -> Router:
    return load_router(router_templates_dir() / f"{name}.json")


async def configure_every_provider(session: Session) -> None:
    """Every remote provider the templates name, set up with a key, so the session's
    availability says "ready" wherever the CLI's assumes a remote target is reachable."""
    providers = {provider_of(target) for path in TEMPLATES for target in load_router(path).targets()
                 if not is_local(target)}
    for provider_id in sorted(providers):
        await session.provider_setup.save(ProviderSettings(config_from_preset(provider_id)), key="sk-test")


def make_panel(qtbot: Any, session: Session, router: Router, offline: bool = False) -> TestPanel:
    panel = TestPanel(RoutePreview(session), offline)
    qtbot.addWidget(panel)
    panel.resize(560, 640)
    panel.show()
    panel.set_router(router)
    return panel


async def settled(panel: TestPanel) -> None:
    await until(lambda: not panel.is_pending(), 5, "the debounced decision")


def trace_rows(panel: TestPanel) -> list[tuple[str, str, str]]:
    items = (panel.trace.topLevelItem(i) for i in range(panel.trace.topLevelItemCount()))
    return [(item.text(0), item.text(1), item.text(2)) for item in items]


# ---- live ------------------------------------------------------------------------------


async def test_the_verdict_stays_together_and_the_trace_fills_the_rest(qtbot, session):
    # A router with no rules: a one-row trace. The words above it must not spread out
    # over the panel's height (the trace view is only as tall as its rows elsewhere).
    panel = make_panel(qtbot, session, Router("Bare", fallback=(LOCAL,)))
    panel.resize(360, 900)
    panel.message.setPlainText("hello")
    await settled(panel)
    await until(lambda: panel.trace.topLevelItemCount() == 1, 5, "the trace")
    line = panel.fontMetrics().lineSpacing()
    assert panel.rule_label.text() == "The router has no rules: its fallback list decides"
    assert panel.rule_label.geometry().top() - panel.headline.geometry().bottom() < 2 * line
    assert panel.reason.geometry().top() - panel.rule_label.geometry().bottom() < 2 * line
    assert panel.trace.height() > 2 * panel.trace.sizeHint().height()  # it took the room


async def test_typing_updates_the_headline_and_trace_after_a_pause(qtbot, session):
    panel = make_panel(qtbot, session, template("privacy-first"))
    await settled(panel)
    assert panel.message.placeholderText() == PLACEHOLDER
    assert panel.decision() is not None and panel.decision().rule is None
    assert panel.rule_label.text().startswith("No rule matched")

    qtbot.keyClicks(panel.message, "my password is hunter2")
    assert panel.is_pending()  # debounced: one decision per pause, not per key
    await until(lambda: panel.decision().rule == "private_stays_local", 2, "the private-data rule")
    assert panel.headline.text() == f"→ {LOCAL}"
    assert panel.rule_label.text() == "Rule “Private data stays local”"
    assert "password" in panel.reason.text()
    privacy, rule = trace_rows(panel)[:2]
    assert privacy[:2] == ("✓", "Privacy") and "kept on this computer" in privacy[2]
    assert rule[:2] == ("✓", "Private data stays local")
    assert not panel.classify_button.isVisible()  # no plain-English rule in this router

    panel.message.clear()
    qtbot.keyClicks(panel.message, "#cloud tell me a joke")
    await until(lambda: panel.decision().rule is None and not panel.is_pending(), 2, "the fallback")
    # Anthropic is not set up in this session, so the #cloud rule cannot win.
    assert ("✗", "Asked for the cloud") == trace_rows(panel)[1][:2]
    assert "anthropic is not set up" in trace_rows(panel)[1][2]

    panel.offline.setChecked(True)
    await settled(panel)
    assert "offline mode" in trace_rows(panel)[1][2]


async def test_the_time_and_image_options_and_the_history_reach_the_decision(qtbot, session):
    await configure_every_provider(session)
    panel = make_panel(qtbot, session, template("office-hours"))
    assert not panel.when.isEnabled()
    panel.pretend.setChecked(True)
    assert panel.when.isEnabled()
    panel.when.setDateTime(QDateTime(datetime(2026, 11, 25, 10, 30)))  # a Wednesday morning
    await settled(panel)
    assert panel.decision().target == "openai:gpt-4o-mini"
    panel.when.setDateTime(QDateTime(datetime(2026, 11, 28, 22, 0)))  # Saturday night
    await settled(panel)
    assert panel.decision().target == LOCAL and panel.decision().rule is None

    panel.set_router(template("specialists"))
    panel.image.setChecked(True)
    await settled(panel)
    assert panel.decision().rule == "images"

    panel.image.setChecked(False)
    qtbot.mouseClick(panel.history_toggle, Qt.MouseButton.LeftButton)
    assert panel.history.isVisible()
    panel.history.setPlainText("lorem ipsum dolor sit amet " * 4000 + "\nassistant: ok")
    panel.message.setPlainText("and now?")
    await settled(panel)
    assert panel.decision().rule == "long_documents"


async def test_add_as_example_offers_the_plain_english_rules(qtbot, session):
    panel = make_panel(qtbot, session, template("specialists"))
    await settled(panel)
    assert not panel.example_button.isVisible()  # nothing typed yet
    panel.message.setPlainText("Write a short poem about the sea")
    await settled(panel)
    assert panel.example_button.isVisible()
    actions = panel.example_menu.actions()
    assert [a.text() for a in actions] == ["Reasoning", "Writing"]
    with qtbot.waitSignal(panel.sig_add_example, timeout=1000) as emitted:
        actions[1].trigger()
    assert emitted.args == ["writing", "Write a short poem about the sea"]

    panel.set_router(template("privacy-first"))
    await settled(panel)
    assert not panel.example_button.isVisible()


async def test_an_invalid_router_shows_the_problem_and_keeps_the_inputs(qtbot, session):
    panel = make_panel(qtbot, session, template("save-money"))
    panel.message.setPlainText("mail jane.doe@example.com")
    await settled(panel)
    assert panel.decision() is not None

    problem = "rules[0].when.pattern: invalid regular expression: missing ) at position 3"
    panel.set_router(None, problem)
    assert panel.decision() is None
    assert panel.problem.isVisible()
    assert panel.problem.text() == f"Fix the router to test it: {problem}"
    assert not panel.headline.isVisible() and not panel.trace.isVisible()
    assert panel.message.toPlainText() == "mail jane.doe@example.com" and panel.message.isEnabled()
    await asyncio.sleep(0.2)  # a pending edit must not bring a stale decision back
    assert panel.decision() is None

    panel.set_router(template("save-money"))
    await settled(panel)
    assert not panel.problem.isVisible()
    assert panel.decision() is not None and panel.decision().rule == "private_stays_local"


# ---- the panel decides what `python -m app route` decides -------------------------------


@dataclass(frozen=True)
class Case:
    message: str
    image: bool = False
    now: datetime | None = None  # local, whole minutes (the panel's field shows minutes)
    history: str = ""


LONG = "lorem ipsum dolor sit amet " * 1500
CASES = [
    Case("hello there"),
    Case("I get a segfault when I compile this"),
    Case("```python\ndef add(a, b):\n    return a + b\n```"),
    Case("#cloud what is the capital of France?"),
    Case("my salary is confidential"),
    Case("what is in this picture?", image=True),
    Case(LONG),
    Case("and what do you make of it?", history=f"{LONG}\nassistant: it is Latin filler"),
    Case("mail me at jane.doe@example.com"),
    Case("Prove that there are infinitely many primes"),
    Case("good morning", now=datetime(2026, 11, 25, 10, 30)),  # Wednesday, office hours
    Case("good evening", now=datetime(2026, 11, 28, 22, 0)),  # Saturday night
]
# The CLI would ask the classifier; both sides get this answer instead, so the comparison
# covers everything but the model.
NOT_ASKED = ClassifierAnswer(None, LOCAL, 0.0, error="not asked in this test")


def cli_route(router_file: Path, case: Case, offline: bool, tmp_path: Path) -> list[str]:
    argv = ["route", "--router", str(router_file), "--json"]
    if case.history:
        turns = [*parse_history(case.history), Turn("user", case.message)]
        conversation = tmp_path / "conversation.json"
        conversation.write_text(json.dumps([{"role": t.role, "content": t.content} for t in turns]))
        argv += ["--conversation", str(conversation)]
    else:
        argv += ["--message", case.message]
    if case.image:
        argv.append("--image")
    if case.now:
        argv += ["--now", case.now.astimezone().isoformat()]
    if offline:
        argv.append("--offline")
    return argv


@pytest.mark.parametrize("router_file", TEMPLATES, ids=[p.stem for p in TEMPLATES])
async def test_the_panel_decides_what_the_route_command_decides(
        qtbot, session, router_file, capsys, monkeypatch, tmp_path):
    async def not_asked(*_: object) -> ClassifierAnswer:
        return NOT_ASKED

    monkeypatch.setattr("app.controller.routing.classify", not_asked)
    await configure_every_provider(session)
    router = load_router(router_file)
    panel = make_panel(qtbot, session, router)
    for offline in (False, True):
        panel.offline.setChecked(offline)
        for case in CASES:
            panel.message.setPlainText(case.message)
            panel.image.setChecked(case.image)
            panel.history.setPlainText(case.history)
            panel.pretend.setChecked(case.now is not None)
            if case.now:
                panel.when.setDateTime(QDateTime(case.now))
            await settled(panel)
            await until(lambda: not panel.is_asking(), 10, "the examples")  # decided live
            shown = panel.decision()
            assert shown is not None
            if shown.needs_classifier and not any(e.kind is TraceKind.CLASSIFIER for e in shown.trace):
                shown = apply_answer(shown, router, NOT_ASKED)

            # In a thread: the CLI runs its own asyncio loop, which cannot nest in this one.
            code = await asyncio.to_thread(main, cli_route(router_file, case, offline, tmp_path))
            out, err = capsys.readouterr()
            assert code == 0, err
            printed = json.loads(out)
            printed.pop("elapsed_us")
            assert ("classifier" in printed) == bool(shown.needs_classifier)
            printed.pop("classifier", None)
            where = f"{router_file.stem}, {case.message[:30]!r}, offline={offline}"
            assert decision_summary(shown) == printed, where


def test_the_cases_reach_every_kind_of_rule_in_the_templates():
    """The comparison above is only as good as its cases: each template rule must win
    (or, for a plain-English rule, be handed to the classifier) in at least one case."""
    # Checked with every target available, no Qt.
    from app.core.router import RouteContext, decide
    from app.core.router.context import always_available

    for path in TEMPLATES:
        router = load_router(path)
        reached: set[str] = set()
        for case in CASES:
            turns = [*parse_history(case.history), Turn("user", case.message, int(case.image))]
            now = (case.now or datetime(2026, 11, 25, 12, 0)).astimezone()
            decision = decide(router, RouteContext(turns, now, always_available))
            reached.update({decision.rule} | set(decision.needs_classifier))
        assert {r.id for r in router.rules} <= reached, path.stem


# ---- the classifier, with the bundled model --------------------------------------------


@pytest.mark.model
async def test_run_classifier_shows_the_answer_and_ignores_a_stale_one(qtbot, session):
    await configure_every_provider(session)
    by_model = template("save-money")  # asked of the model: the button's path
    by_model = replace(by_model, classifier=replace(by_model.classifier, decide_by="llm"))
    panel = make_panel(qtbot, session, by_model)
    panel.message.setPlainText("Prove that there are infinitely many primes")
    await settled(panel)
    assert panel.decision().needs_classifier == ("hard_reasoning",)
    assert panel.classify_button.isVisible()

    # An edit while the classifier thinks: its answer is for a message no longer shown.
    qtbot.mouseClick(panel.classify_button, Qt.MouseButton.LeftButton)
    assert panel.classifier_status.text() == "Asking SmolLM2-135M-Instruct…"
    assert panel.is_asking() and not panel.classify_button.isEnabled()
    qtbot.keyClicks(panel.message, " by contradiction")
    await until(lambda: not panel.is_asking(), 120, "the stale classifier answer")
    await settled(panel)
    assert all(entry.kind is not TraceKind.CLASSIFIER for entry in panel.decision().trace)
    assert panel.classify_button.isVisible() and panel.classify_button.isEnabled()

    qtbot.mouseClick(panel.classify_button, Qt.MouseButton.LeftButton)
    ticks = 0
    while panel.is_asking():  # the loop (and so the window) keeps running meanwhile
        ticks += 1
        await asyncio.sleep(0.01)
        assert ticks < 12_000, "the classifier did not answer within 120 s"
    answered = panel.decision()
    assert any(entry.kind is TraceKind.CLASSIFIER for entry in answered.trace)
    assert trace_rows(panel)[-1][1] == "Classifier"
    status = panel.classifier_status.text()
    assert status.startswith("The classifier (SmolLM2-135M-Instruct)"), status
    assert "hard_reasoning" not in status  # the rule by its title, never its id
    assert not panel.classify_button.isVisible()
    assert answered.target in ("anthropic:claude-sonnet-4-5", LOCAL)

    # Still usable: the next edit decides again, and the classifier can be asked again.
    panel.message.setPlainText("```python\ndef f(x):\n    return x\n```")
    await settled(panel)
    assert panel.decision().rule == "code"
    assert not panel.classifier_status.text()


@pytest.mark.model
async def test_rules_with_examples_are_decided_live_as_the_chat_decides(qtbot, session):
    await configure_every_provider(session)
    router = template("specialists")
    panel = make_panel(qtbot, session, router)
    message = "Please write a friendly note inviting my team to a picnic on Friday"
    panel.message.setPlainText(message)
    await settled(panel)
    await until(lambda: not panel.is_asking(), 60, "the examples")
    shown = panel.decision()
    assert shown.rule == "writing" and not panel.classify_button.isVisible()
    assert any(entry.kind is TraceKind.CLASSIFIER for entry in shown.trace)
    # In the chat badge's words, the rule by its title ("Writing"), never its id.
    assert panel.rule_label.text() == "Plain-English rule “Writing”"
    status = panel.classifier_status.text()
    assert status.startswith("The classifier (all-MiniLM-L6-v2) chose “Writing” in "), status

    chat = await session.routing.route(router, [Turn("user", message)])
    assert (chat.decision.target, chat.decision.rule) == (shown.target, shown.rule)
