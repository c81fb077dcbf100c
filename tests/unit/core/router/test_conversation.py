from datetime import UTC, datetime

from app.core.router import Conversation, RouteContext, Turn
from app.core.tokens import default_counter

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_running_totals_match_a_full_recount():
    turns = [Turn("system", "be kind"), Turn("user", "hello there"), Turn("assistant", "hi! how can I help?"),
             Turn("user", "count the tokens 🚀")]
    convo = Conversation(turns)
    counter = default_counter()
    assert convo.tokens == sum(counter.count_uncached(t.content) for t in turns)
    assert convo.messages == 3
    assert convo.last_user == turns[-1]
    assert list(convo) == turns and len(convo) == 4 and convo[1] == turns[1]


def test_context_reads_totals_from_a_conversation_and_from_a_plain_list():
    turns = [Turn("user", "a b c"), Turn("assistant", "d e"), Turn("user", "f")]
    kept = RouteContext(Conversation(turns), NOW)
    plain = RouteContext(turns, NOW)
    assert (kept.conversation_tokens, kept.message_count, kept.message) == \
        (plain.conversation_tokens, plain.message_count, plain.message) == (kept.conversation_tokens, 3, "f")


def test_each_turn_is_counted_once_when_it_arrives():
    counter = default_counter()
    convo = Conversation(counter=counter)
    before = counter.count.cache_info().misses
    convo.append(Turn("user", "a message nobody has counted before: 8d2f1c"))
    RouteContext(convo, NOW, counter=counter).conversation_tokens
    RouteContext(convo, NOW, counter=counter).conversation_tokens
    assert counter.count.cache_info().misses == before + 1


def test_routed_message_is_the_last_user_turn():
    turns = [Turn("user", "question"), Turn("assistant", "answer")]
    assert RouteContext(turns, NOW).message == "question"
    assert RouteContext(Conversation(turns), NOW).message == "question"
    assert RouteContext([], NOW).message == ""
