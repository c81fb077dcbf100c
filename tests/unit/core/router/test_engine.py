from datetime import timedelta

from app.core.router import (
    Availability,
    Decision,
    RouteContext,
    StickyState,
    Turn,
    decide,
    next_sticky,
    parse_router,
)
from app.core.router.trace import TraceEntry, TraceKind

from .conftest import NOON_UTC


def make_router(*rules, fallback=("local:small", "openai:mini"), sticky=None):
    data = {"schema": 1, "name": "T", "fallback": list(fallback), "rules": list(rules)}
    if sticky:
        data["sticky"] = sticky
    return parse_router(data)


def kw(rule_id, word, target, **extra):
    return {"id": rule_id, "when": {"type": "keywords", "words": [word]}, "route_to": target, **extra}


def classified(rule_id, target):
    return {"id": rule_id, "type": "classified", "description": f"about {rule_id}", "route_to": target}


ROUTER = make_router(
    kw("first", "alpha", "openai:gpt-4o"),
    kw("second", "beta", "anthropic:claude"),
    kw("both", "alpha", "gemini:flash"),
)


def test_first_match_wins_and_trace_stops_there(make_ctx):
    d = decide(ROUTER, make_ctx("alpha beta"))
    assert (d.target, d.rule) == ("openai:gpt-4o", "first")
    assert d.trace == (TraceEntry("first", True, 'keyword "alpha" found'),)
    assert d.reason == 'Routed to openai:gpt-4o because rule "first" matched: keyword "alpha" found.'


def test_rules_are_checked_top_to_bottom(make_ctx):
    d = decide(ROUTER, make_ctx("beta"))
    assert d.rule == "second"
    assert [t.rule for t in d.trace] == ["first", "second"]
    assert [t.matched for t in d.trace] == [False, True]


def test_disabled_rules_are_skipped(make_ctx):
    router = make_router(kw("off", "alpha", "openai:gpt-4o", enabled=False), kw("on", "alpha", "gemini:flash"))
    d = decide(router, make_ctx("alpha"))
    assert d.rule == "on"
    assert d.trace[0] == TraceEntry("off", False, "disabled")


def test_no_match_falls_back(make_ctx):
    d = decide(ROUTER, make_ctx("gamma"))
    assert (d.target, d.rule) == ("local:small", None)
    assert d.reason == "No rule matched; fell back to local:small."
    assert [t.kind for t in d.trace] == [TraceKind.RULE, TraceKind.RULE, TraceKind.RULE, TraceKind.FALLBACK]
    assert not any(t.matched for t in d.trace[:3]) and d.trace[-1].target == "local:small"


def test_fallback_skips_unavailable_targets(make_ctx):
    d = decide(ROUTER, make_ctx("gamma", down={"local:small": "model not downloaded"}))
    assert d.target == "openai:mini"
    assert d.reason == "No rule matched; fell back to openai:mini (skipped local:small: model not downloaded)."


def test_nothing_available(make_ctx):
    down = {"local:small": "model not downloaded", "openai:mini": "offline mode"}
    d = decide(ROUTER, make_ctx("gamma", down=down))
    assert d.target is None
    assert "no fallback target is available" in d.reason


def test_matched_rule_with_unavailable_target_lets_later_rules_decide(make_ctx):
    d = decide(ROUTER, make_ctx("alpha", down={"openai:gpt-4o": "offline mode"}))
    assert (d.target, d.rule) == ("gemini:flash", "both")
    assert d.trace[0] == TraceEntry(
        "first", True, 'keyword "alpha" found, but openai:gpt-4o is unavailable (offline mode)')


def test_classified_rules_are_collected_after_calculated_ones(make_ctx):
    router = make_router(classified("maths", "anthropic:claude"), kw("kw", "alpha", "openai:gpt-4o"),
                         classified("poems", "gemini:flash"))
    d = decide(router, make_ctx("prove that"))
    assert d.needs_classifier == ("maths", "poems")
    assert d.target == "local:small" and d.rule is None
    assert "2 plain-English rules need the classifier" in d.reason
    assert [t.rule for t in d.trace] == ["kw", "maths", "poems", None]  # last: the fallback line


def test_calculated_match_beats_classified_rules_above_it(make_ctx):
    router = make_router(classified("maths", "anthropic:claude"), kw("kw", "alpha", "openai:gpt-4o"))
    d = decide(router, make_ctx("alpha"))
    assert d.rule == "kw" and d.needs_classifier == ()


def test_classified_rule_with_unavailable_target_is_not_a_candidate(make_ctx):
    router = make_router(classified("maths", "anthropic:claude"), classified("poems", "gemini:flash"))
    d = decide(router, make_ctx("x", down={"anthropic:claude": "no API key"}))
    assert d.needs_classifier == ("poems",)
    assert "1 plain-English rule needs the classifier" in d.reason


def test_sticky_minutes_keeps_the_previous_rule_target(make_ctx):
    router = make_router(kw("code", "def", "openai:gpt-4o"), sticky={"minutes": 5})
    first = decide(router, make_ctx("def f(): pass"))
    state = next_sticky(None, first, NOON_UTC)
    assert state == StickyState("openai:gpt-4o", "code", NOON_UTC)

    later = NOON_UTC + timedelta(minutes=3)
    d = decide(router, make_ctx("and now make it faster", now=later), state)
    assert (d.target, d.rule, d.sticky) == ("openai:gpt-4o", "code", True)
    assert d.reason == 'No rule matched; kept on openai:gpt-4o, which rule "code" chose 3 min ago (sticky for 5 min).'
    kept = d.trace[-1]
    assert (kept.kind, kept.rule, kept.matched, kept.target) == (TraceKind.STICKY, "code", True, "openai:gpt-4o")

    expired = decide(router, make_ctx("thanks", now=NOON_UTC + timedelta(minutes=6)), state)
    assert (expired.target, expired.sticky) == ("local:small", False)


def test_sticky_messages_counts_follow_ups(make_ctx):
    router = make_router(kw("code", "def", "openai:gpt-4o"), sticky={"messages": 2})
    state = next_sticky(None, decide(router, make_ctx("def x")), NOON_UTC)
    targets = []
    for _ in range(3):
        d = decide(router, make_ctx("more"), state)
        targets.append(d.target)
        state = next_sticky(state, d, NOON_UTC)
    assert targets == ["openai:gpt-4o", "openai:gpt-4o", "local:small"]


def test_a_matching_rule_beats_sticky(make_ctx):
    router = make_router(kw("private", "password", "local:small"), kw("code", "def", "openai:gpt-4o"),
                         sticky={"minutes": 5})
    state = StickyState("openai:gpt-4o", "code", NOON_UTC)
    d = decide(router, make_ctx("my password is hunter2"), state)
    assert (d.target, d.rule, d.sticky) == ("local:small", "private", False)


def test_sticky_is_dropped_when_its_target_goes_away(make_ctx):
    router = make_router(kw("code", "def", "openai:gpt-4o"), sticky={"minutes": 5})
    state = StickyState("openai:gpt-4o", "code", NOON_UTC)
    d = decide(router, make_ctx("more", down={"openai:gpt-4o": "offline mode"}), state)
    assert (d.target, d.sticky) == ("local:small", False)


def test_sticky_skips_the_classifier(make_ctx):
    router = make_router(kw("code", "def", "openai:gpt-4o"), classified("maths", "anthropic:claude"),
                         sticky={"minutes": 5})
    d = decide(router, make_ctx("more"), StickyState("openai:gpt-4o", "code", NOON_UTC))
    assert d.sticky and d.needs_classifier == ()


def test_router_without_sticky_ignores_state(make_ctx):
    d = decide(ROUTER, make_ctx("gamma"), StickyState("openai:gpt-4o", "first", NOON_UTC))
    assert d.target == "local:small"


def test_fallback_does_not_reset_sticky():
    previous = StickyState("openai:gpt-4o", "code", NOON_UTC)
    fallback = Decision("local:small", None, "No rule matched", ())
    assert next_sticky(previous, fallback, NOON_UTC) is previous


def test_each_availability_is_asked_once_per_decision(make_ctx):
    asked = []
    router = make_router(
        {"id": "a", "when": {"type": "available", "target": "openai:gpt-4o"}, "route_to": "local:small"},
        {"id": "b", "when": {"not": {"type": "available", "target": "openai:gpt-4o"}}, "route_to": "local:small"},
        fallback=("openai:gpt-4o",))
    def availability(target):
        asked.append(target)
        return Availability(target == "local:small", "test")

    d = decide(router, RouteContext([Turn("user", "x")], NOON_UTC, availability))
    assert d.rule == "b"
    assert asked.count("openai:gpt-4o") == 1


def test_decision_json_shape(make_ctx):
    out = decide(ROUTER, make_ctx("beta")).to_dict()
    assert set(out) == {"target", "rule", "reason", "trace", "needs_classifier", "sticky", "elapsed_us"}
    assert out["trace"][1] == {"kind": "rule", "rule": "second", "label": "second", "matched": True,
                               "detail": 'keyword "beta" found', "target": out["target"]}
    assert out["elapsed_us"] >= 0
