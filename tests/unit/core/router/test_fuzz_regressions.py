"""Router files the fuzz suite (tests/unit/fuzz/test_router_files.py) found mishandled,
each kept as a plain test: before the fix, each raised something other than
RouterFormatError, took gigabytes, or refused in more than one line."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.router import (
    RouteContext,
    RouterFormatError,
    StickyState,
    Turn,
    decide,
    load_router,
    parse_router,
)
from app.core.router.conditions.pattern import MAX_PATTERN_CHARS, PatternError, compile_pattern

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def router(**extra: object) -> dict[str, object]:
    return {"schema": 1, "name": "Mine", "fallback": ["local:m"], "rules": [], **extra}


def regex_rule(pattern: str) -> dict[str, object]:
    return router(rules=[{"id": "r", "route_to": "local:m", "when": {"type": "regex", "pattern": pattern}}])


def refusal(data: dict[str, object]) -> str:
    with pytest.raises(RouterFormatError) as caught:
        parse_router(data)
    message = str(caught.value)
    assert message.isprintable() and len(message) <= 600, message
    return message


def test_sticky_minutes_of_2_to_the_53_is_refused_not_an_overflow_at_the_next_message():
    # Accepted before, then every sticky decision raised OverflowError (timedelta).
    assert "sticky.minutes: must be at most 527,040" in refusal(router(sticky={"minutes": 2**53}))


def test_sticky_minutes_of_a_year_still_decides():
    loaded = parse_router(router(sticky={"minutes": 527_040}))
    state = StickyState("local:m", "r", NOW - timedelta(minutes=3))
    assert decide(loaded, RouteContext([Turn("user", "hi")], NOW), state).sticky


def test_a_regex_nesting_3000_groups_is_refused_not_a_recursion_error():
    assert "nests groups too deeply" in refusal(regex_rule("(" * 3000 + ")" * 3000))


@pytest.mark.parametrize("pattern", ["(?:a{10000}){10000}", "(?:(?:a{1000}){1000}){1000}", "a{1000000}",
                                     "(?:a{10000,}){10000,}", "(?:a{10000}?){10000}"])
def test_a_regex_whose_counted_repeats_multiply_past_100000_is_refused_before_compiling(pattern: str):
    # regex expands these when compiling: gigabytes, seconds, then MemoryError.
    started = time.perf_counter()
    assert "repeats too much" in refusal(regex_rule(pattern))
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("pattern", [r"\d{4}-\d{4}-\d{4}-\d{4}", "a{100000}", "(?:a{300}){300}",
                                     "(?:ab){0,100000}", r"\p{Lu}{3,}", "[[a-z]--[aeiou]]{5}",
                                     r"\u0041{3}"])
def test_regexes_people_write_still_compile(pattern: str):
    compile_pattern(pattern)


def test_a_regex_of_20000_characters_is_refused_not_compiled_for_seconds():
    with pytest.raises(PatternError, match=f"at most {MAX_PATTERN_CHARS:,}"):
        compile_pattern("x" * 20_000)


@pytest.mark.parametrize("clock", ["²:00", "09:²³", "٠٩:٠٠"])
def test_a_time_in_other_digits_is_refused_in_the_formats_words(clock: str):
    when = {"type": "time", "from": clock, "to": "10:00"}
    data = router(rules=[{"id": "r", "route_to": "local:m", "when": when}])
    message = refusal(data)
    assert 'expected a time as "HH:MM"' in message
    assert "invalid literal" not in message


def test_a_key_of_3000_characters_is_refused_in_one_short_line():
    message = refusal({**router(), "0" * 3000: None})
    assert len(message) <= 400 and "characters) …" in message and "unknown field" in message


@pytest.mark.parametrize("key", ["\x1f", "a\nb", "line\u2028break", "\r"])
def test_a_key_with_control_characters_is_refused_in_one_line(key: str):
    message = refusal({**router(), key: None})
    assert "\n" not in message and "unknown field" in message


def test_a_rule_id_with_a_newline_is_refused_in_one_line():
    data = router(rules=[{"id": "a\nb", "route_to": "local:m", "when": {"type": "code"}}])
    assert refusal(data).startswith('rules[0].id: "a\\nb" may use only')


def test_a_target_of_a_megabyte_is_refused_in_one_short_line(tmp_path: Path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps(router(fallback=["x" * 1_000_000])), encoding="utf-8")
    with pytest.raises(RouterFormatError) as caught:
        load_router(path)
    assert len(str(caught.value)) <= 400
    assert str(caught.value).startswith('fallback[0]: expected "provider:model"')
