"""The words of routing: a reply's badge, the trace's headline, the CLI's route line and
the stats line, each kind of route by name."""

from __future__ import annotations

import pytest

from app.controller.route_words import (
    Route,
    RouteKind,
    badge_text,
    cost_text,
    route_line,
    route_sentence,
    rule_text,
    stats_text,
    tokens_per_second,
    trace_lines,
    trying_badge,
    trying_sentence,
)
from app.core.router import TraceEntry, TraceKind
from tests.support.route_kinds import BADGES, CHECKED, FALLBACK, KINDS, LOCAL, RULE_LINE


@pytest.mark.parametrize("kind", list(RouteKind), ids=str)
def test_each_kind_of_route_has_its_badge(kind: RouteKind) -> None:
    route = KINDS[kind]
    assert route.kind is kind
    assert badge_text(route) == BADGES[kind]


@pytest.mark.parametrize("kind", list(RouteKind), ids=str)
def test_no_words_show_a_rule_id_or_internal_phrasing(kind: RouteKind) -> None:
    route = KINDS[kind]
    for text in (badge_text(route), route_sentence(route), route_line(route), rule_text(route)):
        assert "work_stuff" not in text and "private_stays_local" not in text
        assert " error:" not in text and "it error" not in text


def test_headlines_are_sentences_naming_the_rule_by_its_title() -> None:
    assert route_sentence(KINDS[RouteKind.RULE]) == (
        "SmolLM2-135M-Instruct (on this computer) answered because the rule “Private data stays "
        "local” matched: email address found.")
    assert route_sentence(KINDS[RouteKind.FAILED_OVER]) == (
        "gpt-4o was tried first and could not answer, so the fallback SmolLM2-135M-Instruct "
        "(on this computer) answered.")
    assert route_sentence(KINDS[RouteKind.STOPPED]).startswith("You stopped this reply. ")
    assert route_sentence(KINDS[RouteKind.LOCKED]).endswith(
        "this chat stays on this computer (this chat is locked to this computer).")


def test_a_router_without_rules_says_so_instead_of_no_rule_matched() -> None:
    route = Route(LOCAL, None, (FALLBACK,), "complete")
    assert badge_text(route) == "SmolLM2-135M-Instruct · local · fallback: the router has no rules"
    assert route_sentence(route) == ("This router has no rules, so the first available model of its "
                                     "fallback list answered: SmolLM2-135M-Instruct (on this computer).")
    assert rule_text(route) == "none: the router has no rules"
    assert "no rule matched" not in route_sentence(route).lower()


def test_a_classifier_that_did_not_answer_in_time_is_said_plainly() -> None:
    late = TraceEntry(None, False, "SmolLM2-135M-Instruct did not answer within 2 s (2004 ms)",
                      TraceKind.CLASSIFIER)
    plain = TraceEntry("hard", False, "plain-English rule, for the classifier", TraceKind.CLASSIFIED,
                       label="Hard questions")
    route = Route(LOCAL, None, (CHECKED, plain, late, FALLBACK), "complete")
    assert route_sentence(route) == (
        "No rule matched, and the classifier for the plain-English rules chose none of them "
        "(SmolLM2-135M-Instruct did not answer within 2 s (2004 ms)), so the router's fallback "
        "answered: SmolLM2-135M-Instruct (on this computer).")


def test_a_reply_nothing_answered_names_no_model_as_the_answer() -> None:
    failed = KINDS[RouteKind.FAILED]
    assert route_sentence(failed) == "Nothing answered this message: no API key for OpenAI"
    assert route_line(failed) == "openai:gpt-4o · not answered"
    unrouted = Route(None, None, (), "failed", "Nothing could answer: no model is available")
    assert badge_text(unrouted) == "not answered"
    assert route_sentence(unrouted) == "Nothing answered this message: no model is available"


def test_a_reply_that_broke_off_keeps_its_model() -> None:
    broke = Route(LOCAL, "private_stays_local", (RULE_LINE,), "incomplete", "the model stopped responding")
    assert broke.kind is RouteKind.FAILED
    assert badge_text(broke) == "SmolLM2-135M-Instruct · local · broke off"
    assert route_sentence(broke) == "The reply from SmolLM2-135M-Instruct broke off: the model stopped responding"


def test_the_cli_line_carries_the_rule_title_and_why() -> None:
    assert route_line(KINDS[RouteKind.RULE]) == \
        f"{LOCAL} · rule “Private data stays local”: email address found"
    waiting = Route(LOCAL, None, (CHECKED, TraceEntry("hard", False, "for the classifier",
                                                      TraceKind.CLASSIFIED, label="Hard"), FALLBACK))
    assert route_line(waiting).endswith("(until the classifier answers for 1 plain-English rule)")


def test_a_trace_stored_before_titles_shows_what_it_has() -> None:
    old = Route("local:m", "code", (TraceEntry("code", True, "code found"),), "complete")
    assert badge_text(old) == "m · local · rule “code”"


def test_every_kind_of_trace_line_has_a_title() -> None:
    lines = trace_lines([TraceEntry(None, True, f"sent to {LOCAL}: the last 4 turns", kind)
                         for kind in TraceKind if kind not in (TraceKind.RULE, TraceKind.CLASSIFIED)])
    assert all(line.split(": ", 1)[0].removeprefix("✓ ").strip() for line in lines)
    assert "✓ What was sent: sent to" in lines[-1]


def test_speed_counts_tokens_after_the_first() -> None:
    assert tokens_per_second(101, 1100.0, 100.0) == pytest.approx(100.0)
    assert tokens_per_second(1, 500.0, 100.0) is None
    assert tokens_per_second(None, 500.0, 100.0) is None


def test_stats_line_and_costs() -> None:
    assert stats_text("local:m", 101, 1100.0, 100.0, None) == "101 tokens · 100.0 tok/s · 1.1 s · free"
    assert cost_text("openai:gpt", None) == "cost unknown"
    assert cost_text("openai:gpt", 0.00001) == "<$0.0001"
    assert cost_text("openai:gpt", 0.0123) == "$0.0123"
    assert stats_text("local:m", None, None, None, None) == ""


def test_the_badge_while_a_fallback_is_tried_names_models_not_ids() -> None:
    assert trying_badge("anthropic:claude-sonnet-4-5", "openai:gpt-4o-mini") == \
        "gpt-4o-mini · openai · trying: claude-sonnet-4-5 failed"
    assert trying_sentence("anthropic:claude-sonnet-4-5", "overloaded", LOCAL) == (
        "claude-sonnet-4-5 (via anthropic) could not answer (overloaded); trying "
        "SmolLM2-135M-Instruct (on this computer).")
