"""The words of a reply's badge and stats line."""

from __future__ import annotations

import pytest

from app.controller.fixes import Fix, FixKind
from app.core.router import TraceEntry, TraceKind
from app.ui.chat.error_actions import action_for
from app.ui.chat.route_receipt import (
    RouteKind,
    badge_text,
    cost_text,
    route_kind,
    stats_text,
    tokens_per_second,
)

RULE_LINE = TraceEntry("private_stays_local", True, "email address found", label="Private data stays local")


def test_badge_names_model_place_and_the_rule_by_its_title():
    assert badge_text("local:SmolLM2-135M-Instruct", "private_stays_local", [RULE_LINE]) == \
        "SmolLM2-135M-Instruct · local · rule Private data stays local"
    fallback = TraceEntry(None, True, "fell back to anthropic:claude-sonnet-4-5", TraceKind.FALLBACK)
    assert badge_text("anthropic:claude-sonnet-4-5", None, [fallback]) == \
        "claude-sonnet-4-5 · anthropic · no rule matched"


def test_a_trace_stored_before_titles_shows_the_rule_id():
    assert badge_text("local:m", "code", [TraceEntry("code", True, "code found")]) == "m · local · rule code"


def test_badge_says_when_a_fallback_answered():
    trace = [RULE_LINE, TraceEntry(None, False, "a:m failed", TraceKind.ATTEMPT, target="a:m"),
             TraceEntry(None, True, "answered by fallback local:x", TraceKind.ATTEMPT, target="local:x")]
    assert badge_text("local:x", "private_stays_local", trace).endswith("fallback after a failure")


def test_each_way_of_routing_has_its_badge_words():
    sticky = TraceEntry("code", True, "kept", TraceKind.STICKY, label="Code")
    chosen = TraceEntry(None, True, "chose", TraceKind.CLASSIFIER)
    writing = TraceEntry("writing", True, "the classifier matched", TraceKind.CLASSIFIED, label="Writing")
    cases = {
        RouteKind.RULE: ("private_stays_local", [RULE_LINE], "rule Private data stays local"),
        RouteKind.STICKY: ("code", [TraceEntry("code", False, "no code", label="Code"), sticky],
                           "kept from rule Code"),
        RouteKind.CLASSIFIER: ("writing", [writing, chosen], "classifier: Writing"),
        RouteKind.FALLBACK: (None, [TraceEntry(None, True, "fell back", TraceKind.FALLBACK)],
                             "no rule matched"),
        RouteKind.AS_ASKED: (None, [], "as asked"),
    }
    for kind, (rule, trace, words) in cases.items():
        assert route_kind(rule, trace) is kind
        assert badge_text("local:m", rule, trace) == f"m · local · {words}"


def test_unrouted_reply_still_has_a_badge_to_open():
    assert badge_text(None, None, None) == "not routed"


def test_speed_counts_tokens_after_the_first():
    assert tokens_per_second(101, 1100.0, 100.0) == pytest.approx(100.0)
    assert tokens_per_second(1, 500.0, 100.0) is None
    assert tokens_per_second(None, 500.0, 100.0) is None


def test_stats_line_and_costs():
    assert stats_text("local:m", 101, 1100.0, 100.0, None) == "101 tokens · 100.0 tok/s · 1.1 s · free"
    assert cost_text("openai:gpt", None) == "cost unknown"
    assert cost_text("openai:gpt", 0.00001) == "<$0.0001"
    assert cost_text("openai:gpt", 0.0123) == "$0.0123"
    assert stats_text("local:m", None, None, None, None) == ""


def test_error_fixes_get_words():
    key = Fix(FixKind.ADD_KEY, "anthropic")
    assert action_for(key) == ("Add key for Anthropic…", key)
    assert action_for(Fix(FixKind.ADD_KEY, "mine"))[0] == "Add key for mine…"
    assert action_for(Fix(FixKind.GO_ONLINE)) == ("Go online", Fix(FixKind.GO_ONLINE))
    assert action_for(Fix(FixKind.SET_UP_PROVIDER, "openai"))[0] == "Set up OpenAI…"
    assert action_for(None) is None
