import pytest

from app.core.router import Turn
from app.core.router.conditions import Measure


@pytest.mark.parametrize(
    ("op", "value", "upper", "n", "expected"),
    [
        ("<", 10, None, 9, True), ("<", 10, None, 10, False),
        ("<=", 10, None, 10, True), ("<=", 10, None, 11, False),
        (">", 10, None, 11, True), (">", 10, None, 10, False),
        (">=", 10, None, 10, True), (">=", 10, None, 9, False),
        ("between", 5, 10, 5, True), ("between", 5, 10, 10, True),
        ("between", 5, 10, 4, False), ("between", 5, 10, 11, False),
    ],
)
def test_operators(make_ctx, op, value, upper, n, expected):
    cond = Measure("message_chars", op, value, upper)
    assert cond.evaluate(make_ctx("x" * n)).matched is expected


def test_conversation_tokens_detail(make_ctx):
    history = [Turn("user" if i % 2 == 0 else "assistant", "word " * 300) for i in range(20)]
    ctx = make_ctx("and one more", history=history)
    m = Measure("conversation_tokens", ">", 6000).evaluate(ctx)
    assert m.matched
    assert m.detail == f"conversation {ctx.conversation_tokens:,} tokens > 6,000"


def test_message_tokens_counts_only_the_routed_message(make_ctx):
    ctx = make_ctx("hello world", history=[Turn("user", "long " * 100)])
    assert ctx.message_tokens == 2
    m = Measure("message_tokens", "<", 5).evaluate(ctx)
    assert m.matched and m.detail == "message 2 tokens < 5"


def test_message_count_ignores_system(make_ctx):
    history = [Turn("system", "be nice"), Turn("user", "a"), Turn("assistant", "b")]
    m = Measure("message_count", ">=", 3).evaluate(make_ctx("c", history=history))
    assert m.matched and m.detail == "conversation has 3 messages >= 3"


def test_not_matched_detail(make_ctx):
    m = Measure("message_chars", "between", 10, 20).evaluate(make_ctx("short"))
    assert m.detail == "message 5 characters not between 10 and 20"
