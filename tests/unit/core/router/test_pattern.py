import time

import pytest

from app.core.router import RouterFormatError, parse_router
from app.core.router.conditions import Pattern
from app.core.router.conditions.pattern import PatternError
from app.core.router.context import SCAN_LIMIT


def test_match_and_detail(make_ctx):
    m = Pattern(r"order\s+#?\d{5}").evaluate(make_ctx("where is order #12345?"))
    assert m.matched
    assert m.detail == 'pattern /order\\s+#?\\d{5}/ matched "order #12345"'


def test_no_match(make_ctx):
    m = Pattern(r"\d{5}").evaluate(make_ctx("no digits"))
    assert not m.matched and "not found" in m.detail


def test_flags(make_ctx):
    assert not Pattern("^hello").evaluate(make_ctx("HELLO")).matched
    assert Pattern("^hello", ("ignorecase",)).evaluate(make_ctx("HELLO")).matched
    assert Pattern("^second", ("multiline",)).evaluate(make_ctx("first\nsecond")).matched


def test_invalid_pattern_is_rejected_with_the_regex_error():
    with pytest.raises(PatternError, match="invalid regular expression: missing \\)"):
        Pattern("(unclosed")


def test_invalid_pattern_in_router_names_the_field():
    data = {"schema": 1, "name": "r", "fallback": ["local:m"], "rules": [
        {"id": "a", "when": {"all": [{"type": "regex", "pattern": "[z-a]"}]}, "route_to": "local:m"}]}
    with pytest.raises(RouterFormatError) as err:
        parse_router(data)
    assert err.value.path == "rules[0].when.all[0].pattern"
    assert "invalid regular expression" in err.value.problem


def test_catastrophic_pattern_times_out(make_ctx):
    # (a+)+$ on "aaaa…b" backtracks exponentially; the timeout must cut it short.
    cond = Pattern(r"(a+)+$")
    ctx = make_ctx("a" * 5000 + "b")
    started = time.perf_counter()
    m = cond.evaluate(ctx)
    elapsed = time.perf_counter() - started
    assert not m.matched
    assert "gave up after 50 ms" in m.detail
    assert elapsed < 5  # generous: the point is that it returns at all


def test_input_is_capped(make_ctx):
    text = "x" * SCAN_LIMIT + "NEEDLE"
    assert not Pattern("NEEDLE").evaluate(make_ctx(text)).matched
