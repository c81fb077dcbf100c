"""The words of a reply's badge and stats line."""

from __future__ import annotations

import pytest

from app.ui.chat.error_actions import action_for
from app.ui.chat.route_receipt import badge_text, cost_text, stats_text, tokens_per_second


def test_badge_names_model_place_and_rule():
    assert badge_text("local:SmolLM2-135M-Instruct", "private_stays_local", []) == \
        "SmolLM2-135M-Instruct · local · rule private_stays_local"
    assert badge_text("anthropic:claude-sonnet-4-5", None, []) == \
        "claude-sonnet-4-5 · anthropic · no rule matched"


def test_badge_says_when_a_fallback_answered():
    trace = [{"rule": "attempt", "matched": False, "detail": "a:m failed"},
             {"rule": "attempt", "matched": True, "detail": "answered by fallback local:x"}]
    assert badge_text("local:x", "r1", trace).endswith("fallback after a failure")


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
    assert action_for("add_key:anthropic") == ("Add key for Anthropic…", "add_key:anthropic")
    assert action_for("add_key:mine") == ("Add key for mine…", "add_key:mine")
    assert action_for("go_online") == ("Go online", "go_online")
    assert action_for(None) is None
