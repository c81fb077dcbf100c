import pytest

from app.core.chat_settings import ContextPolicy
from app.core.context_fit import Budget, ContextTooLong, fit, reply_reserve, summary_budget

ROLLING, SUMMARIZE, STOP = ContextPolicy.ROLLING, ContextPolicy.SUMMARIZE, ContextPolicy.STOP


def chat(n: int, tokens: int = 100) -> tuple[list[int], list[str]]:
    """n messages alternating user/assistant, ending on the user's (odd n)."""
    return [tokens] * n, ["user" if i % 2 == 0 else "assistant" for i in range(n)]


def test_a_conversation_that_fits_is_sent_whole():
    counts, roles = chat(9)
    result = fit(counts, roles, budget=Budget(4096, 512), policy=ROLLING, fixed=50)
    assert (result.start, result.tokens, result.trimmed) == (0, 950, False)
    assert result.describe() == "all 9 messages, 950 of 4,096 tokens"


def test_rolling_sends_the_newest_messages_that_fit_starting_with_the_user():
    counts, roles = chat(81)  # 8,100 tokens
    result = fit(counts, roles, budget=Budget(4096, 512), policy=ROLLING, fixed=50)
    assert result.tokens <= 4096 - 512
    assert roles[result.start] == "user"
    assert result.sent == 81 - result.start and result.start > 0
    # Nothing that would fit is left out beyond one step of messages.
    assert result.tokens + 6 * 100 + 100 > 4096 - 512
    assert result.describe() == (f"last {result.sent} of 81 messages, {result.tokens:,} of 4,096 tokens; "
                                 f"{result.start} older left out")


def test_the_cut_moves_in_steps_so_the_sent_prefix_stays_the_same_for_several_turns():
    starts = []
    for n in range(81, 101, 2):
        counts, roles = chat(n)
        starts.append(fit(counts, roles, budget=Budget(4096, 512), policy=ROLLING).start)
    assert len(set(starts)) < len(starts) // 2 + 1  # far fewer distinct cuts than turns
    assert starts == sorted(starts)


def test_summarize_leaves_room_for_the_summary_and_marks_what_it_covers():
    counts, roles = chat(81)
    result = fit(counts, roles, budget=Budget(4096, 512), policy=SUMMARIZE)
    assert result.summarized == result.start > 0
    assert result.tokens <= 4096 - 512
    assert result.tokens - sum(counts[result.start:]) == summary_budget(4096)
    assert result.describe().endswith(f"{result.start} older summarized")


def test_summarize_keeps_a_stored_summary_that_already_reaches_past_the_cut():
    counts, roles = chat(81)
    first = fit(counts, roles, budget=Budget(4096, 512), policy=SUMMARIZE)
    counts, roles = chat(83)
    again = fit(counts, roles, budget=Budget(4096, 512), policy=SUMMARIZE, summary_tokens=200,
                summarized=first.start + 6)
    assert again.start == first.start + 6 and again.tokens == 200 + sum(counts[again.start:])


def test_stop_refuses_to_leave_anything_out_and_says_how_much_is_needed():
    counts, roles = chat(91)  # 9,100 tokens
    with pytest.raises(ContextTooLong) as caught:
        fit(counts, roles, budget=Budget(4096, 512), policy=STOP)
    assert caught.value.sentence == "needs ~9,600 tokens, has 4,096"


def test_a_newest_message_bigger_than_the_window_fits_under_no_policy():
    for policy in (ROLLING, SUMMARIZE, STOP):
        with pytest.raises(ContextTooLong) as caught:
            fit([100, 100, 9000], ["user", "assistant", "user"], budget=Budget(4096, 512), policy=policy)
        assert caught.value.has == 4096 and caught.value.needs >= 9000


def test_the_reply_reserve_follows_the_chat_but_leaves_half_the_window():
    assert reply_reserve(4096) == 512
    assert reply_reserve(128_000) == 1024
    assert reply_reserve(4096, max_tokens=3000) == 2048
    assert reply_reserve(4096, max_tokens=16) == 256  # a margin for the count's error, still
    assert reply_reserve(512) == 256
