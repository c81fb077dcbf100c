"""Property tests: any valid router, any message, any clock → a decision, never an exception."""

from datetime import UTC, datetime, timedelta

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.router import (
    Availability,
    RouteContext,
    StickyState,
    Turn,
    decide,
    dump_router,
    parse_router,
)
from app.core.router.conditions.time_window import WEEKDAYS
from app.core.router.private_data import PRIVATE_KINDS

words = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())
targets = st.sampled_from(["local:small", "openai:gpt-4o", "anthropic:claude", "gemini:flash"])
clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
numbers = st.integers(0, 100_000) | st.floats(0, 1e6, allow_nan=False)
patterns = st.sampled_from([r"\d{4}", r"^hello", r"(?i)invoice|contract", r"\bfoo\b", r"(a+)+$", r"[\p{Lu}]{3,}"]) \
    | words.map(regex.escape)

leaf = st.one_of(
    st.fixed_dictionaries({"type": st.just("keywords"), "words": st.lists(words, min_size=1, max_size=4)},
                          optional={"match": st.sampled_from(["any", "all", "none"]),
                                    "case_sensitive": st.booleans(), "whole_word": st.booleans()}),
    st.fixed_dictionaries({"type": st.just("regex"), "pattern": patterns},
                          optional={"flags": st.lists(st.sampled_from(["ignorecase", "multiline", "dotall"]),
                                                      unique=True)}),
    st.fixed_dictionaries({"type": st.sampled_from(["message_tokens", "conversation_tokens",
                                                    "message_count", "message_chars"]),
                           "op": st.sampled_from(["<", "<=", ">", ">="]), "value": numbers}),
    st.builds(lambda kind, a, b: {"type": kind, "op": "between", "value": sorted([a, b])},
              st.sampled_from(["message_chars", "message_tokens"]), numbers, numbers),
    st.fixed_dictionaries({"type": st.just("time"), "from": clock, "to": clock},
                          optional={"weekdays": st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True),
                                    "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York",
                                                                 "Asia/Kolkata", "Australia/Lord_Howe"])}),
    st.just({"type": "image"}),
    st.fixed_dictionaries({"type": st.just("code")}, optional={"min_lines": st.integers(1, 5)}),
    st.fixed_dictionaries({"type": st.just("pii")},
                          optional={"kinds": st.lists(st.sampled_from(PRIVATE_KINDS), min_size=1, unique=True)}),
    st.fixed_dictionaries({"type": st.just("available"), "target": targets}),
)
conditions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, inner),
    ),
    max_leaves=6,
)


@st.composite
def routers(draw):
    n = draw(st.integers(0, 6))
    rules = []
    for i in range(n):
        rule = {"id": f"r{i}", "route_to": draw(targets)}
        if draw(st.booleans()):
            rule["enabled"] = draw(st.booleans())
        if draw(st.integers(0, 4)) == 0:
            rule.update(type="classified", description=draw(words))
            if draw(st.booleans()):
                rule["examples"] = draw(st.lists(words, max_size=4))
        else:
            rule["when"] = draw(conditions)
        rules.append(rule)
    data = {"schema": 1, "name": draw(words), "fallback": draw(st.lists(targets, min_size=1, max_size=3)),
            "rules": rules}
    sticky = draw(st.sampled_from([None, {"minutes": 5}, {"messages": 2}, {"minutes": 1, "messages": 1}]))
    if sticky:
        data["sticky"] = sticky
    return data


messages = st.text(max_size=300) | st.sampled_from([
    "my card is 4242 4242 4242 4242", "```python\nprint(1)\n```", "sk-" + "a" * 40,
    "DE89 3704 0044 0532 0130 00", "call +44 20 7946 0958", "a" * 3000 + "b",
])
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                        timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(routers())
def test_load_dump_round_trip(data):
    router = parse_router(data)
    assert parse_router(dump_router(router)) == router


@settings(max_examples=150, deadline=None)
@given(routers(), messages, st.lists(messages, max_size=4), st.integers(0, 2), instants,
       st.sets(targets), st.booleans())
def test_decide_never_raises(data, message, history, images, now, down, with_sticky):
    router = parse_router(data)
    turns = [Turn("user" if i % 2 == 0 else "assistant", h) for i, h in enumerate(history)]
    turns.append(Turn("user", message, images))

    def availability(target):
        return Availability(target not in down, "down" if target in down else "up")

    sticky = StickyState("openai:gpt-4o", "r0", now - timedelta(minutes=2)) if with_sticky else None
    decision = decide(router, RouteContext(turns, now, availability), sticky)
    assert decision.reason
    assert decision.target is None or decision.target not in down
    if decision.rule is not None and not decision.sticky:
        assert decision.target == router.rule(decision.rule).route_to
    assert set(decision.needs_classifier) <= {r.id for r in router.rules if r.classified}
