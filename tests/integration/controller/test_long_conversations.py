"""Conversations longer than the local model's window keep answering: with the real
bundled model under rolling and summarize, and routed to a long-context target when the
router has one. Nothing is deleted from the store; the trace says what was sent."""

from __future__ import annotations

import itertools
import re

import pytest

from app.controller.events import Done, Failed, Reading, Routed
from app.core.chat_settings import ChatSettings, ContextPolicy
from app.core.providers.config import ProviderConfig
from app.core.providers.local_settings import LocalModelSettings
from app.core.router import TraceKind, parse_router
from app.core.settings import ProviderSettings
from tests.support.sse_server import SSEServer, sse, sse_reply

LOCAL = "local:SmolLM2-135M-Instruct"
TOPICS = ["the garden", "a trip to Lisbon", "sourdough bread", "the quarterly report", "chess openings",
          "a bicycle repair", "the history of Rome", "learning Spanish", "a birthday party", "jazz records"]

pytestmark = pytest.mark.model


def ok(text: str) -> bytes:
    return sse_reply(sse(None, {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}),
                     sse(None, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
                     sse(None, "[DONE]"))


def seed(session, cid: int, messages: int) -> None:
    """A long chat as the store holds one: ``messages`` turns of ~60 tokens, alternating."""
    for i, topic in zip(range(messages), itertools.cycle(TOPICS)):
        role = "user" if i % 2 == 0 else "assistant"
        text = (f"Message {i}: let us talk about {topic}. " if role == "user" else
                f"Reply {i}: here are some thoughts about {topic}. ") + "It matters because details add up. " * 5
        session.store.add_message(cid, role, text, **({"target": LOCAL} if role == "assistant" else {}))


def chat_router(*fallback: str):
    return parse_router({"schema": 1, "name": "Long", "fallback": list(fallback), "rules": []})


async def answer(session, cid: int, text: str, router) -> list:
    return [event async for event in session.chat.send(cid, text, router)]


def context_line(done: Done) -> str:
    return next(entry.detail for entry in done.message.trace if entry.kind == TraceKind.CONTEXT)


async def small_window(session, n_ctx: int = 1024) -> None:
    """The local model at a 1,024-token window: a 200-message chat is still twelve times
    too long, and each full read costs seconds, not the minute 4,096 tokens take on CI."""
    await session.preferences.save_local(LocalModelSettings(n_ctx=n_ctx), session.settings.default_local_model)


@pytest.mark.parametrize("policy", [ContextPolicy.ROLLING, ContextPolicy.SUMMARIZE])
async def test_a_200_message_chat_keeps_answering_on_the_local_model(session, policy):
    await small_window(session)
    router = session.router("Local only")
    cid = session.chat.new_conversation(router)
    session.conversations.set_chat_settings(cid, ChatSettings(max_tokens=8, temperature=0.0,
                                                              context_policy=policy))
    seed(session, cid, 198)
    for turn in range(2):
        events = await answer(session, cid, f"Turn {turn}: what did we say about jazz records?", router)
        done = events[-1]
        assert isinstance(done, Done), events[-1]
        assert done.status == "complete" and done.text.strip() and done.target == LOCAL
        line = context_line(done)
        assert line.startswith(f"sent to {LOCAL}: last ") and f"of {199 + 2 * turn} messages" in line
        assert "of 1,024 tokens" in line
        if policy is ContextPolicy.SUMMARIZE:
            # The backlog is read two runs a turn: the newest older turns summarized, the
            # oldest ones said to be left out.
            assert re.search(r"older: \d+ summarized, \d+ left out$", line), line
        else:
            assert line.endswith("older left out"), line
        if turn == 0:
            assert any(isinstance(e, Reading) for e in events)  # a long prompt, read with progress
    assert len(session.store.messages(cid)) == 202  # nothing was deleted
    summary = session.store.summary(cid)
    if policy is ContextPolicy.SUMMARIZE:
        assert summary is not None and summary.text and summary.model == LOCAL
        ids = [m.id for m in session.store.messages(cid)]
        assert summary.since in ids and ids.index(summary.since) < ids.index(summary.through) < 200
    else:
        assert summary is None


async def test_a_chat_longer_than_the_local_window_goes_to_a_long_context_target(session):
    with SSEServer(lambda r: ok("from the long-context model")) as cloud:
        await session.provider_setup.save(ProviderSettings(ProviderConfig(
            "cloud", "openai", cloud.url + "/v1", key_required=False), ("long",)))
        router = chat_router(LOCAL, "cloud:long")
        cid = session.chat.new_conversation(router)
        seed(session, cid, 80)  # ~5,000 tokens: more than the local 4,096
        events = await answer(session, cid, "and now?", router)
    routed = next(e for e in events if isinstance(e, Routed))
    assert routed.decision.target == "cloud:long"
    why = " ".join(entry.detail for entry in routed.decision.trace)
    assert LOCAL in why and "for the whole conversation, has 4,096" in why
    done = events[-1]
    assert isinstance(done, Done) and done.text == "from the long-context model"
    assert context_line(done).startswith("sent to cloud:long: all 81 messages")
    body = cloud.requests[0].json
    assert len(body["messages"]) == 81


async def test_without_a_long_context_target_it_stays_local_trimmed(session):
    # The real 4,096-token window: the slowest test here (one full read), kept because
    # the case is the one users hit.
    router = session.router("Local only")
    cid = session.chat.new_conversation(router)
    session.conversations.set_chat_settings(cid, ChatSettings(max_tokens=8))
    seed(session, cid, 80)
    events = await answer(session, cid, "and now?", router)
    done = events[-1]
    assert isinstance(done, Done) and done.target == LOCAL and done.text.strip()
    assert "older left out" in context_line(done)


async def test_under_stop_a_chat_that_outgrows_every_target_fails_with_the_sentence(session):
    router = session.router("Local only")
    cid = session.chat.new_conversation(router)
    session.conversations.set_chat_settings(cid, ChatSettings(context_policy=ContextPolicy.STOP))
    seed(session, cid, 80)
    events = await answer(session, cid, "and now?", router)
    failed = events[-1]
    assert isinstance(failed, Failed)
    assert "has 4,096" in failed.reason and "needs ~" in failed.reason
    assert len(session.store.messages(cid)) == 82  # the message is kept; only the reply failed


async def test_the_context_meter_counts_what_the_next_message_would_send(session):
    router = session.router("Local only")
    cid = session.chat.new_conversation(router)
    seed(session, cid, 80)
    use = await session.chat.context_use(cid, router)
    assert use is not None and use.target == LOCAL and use.window == 4096
    assert 0 < use.used <= 4096 and use.left_out > 0 and use.total == 80
    assert use.label().endswith("of 4k tokens")
