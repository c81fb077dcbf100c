"""500 messages through a router whose primary target fails at random in every way a
remote provider can, with the local model last in the fallback chain. Nothing may be
lost and nothing may escape as an unhandled exception."""

from __future__ import annotations

import collections
import json
import random
from pathlib import Path

import httpx
import pytest

from app.controller.availability import TargetHealth
from app.controller.events import Done, Failed, FallbackUsed
from app.core.paths import data_dir
from app.core.providers.config import ProviderConfig
from app.core.providers.openai_compat import OpenAICompatProvider
from app.core.router import TraceKind, parse_router
from tests.support.sse_server import (
    HANGUP,
    RecordedRequest,
    Reply,
    SSEServer,
    json_reply,
    sse,
    sse_reply,
)

pytestmark = pytest.mark.model
MESSAGES = 500
PER_CONVERSATION = 2
FAULTS = ["ok", "ok", "ok", "500", "429", "401", "stall", "cut", "malformed"]


def chunk(text: str) -> bytes:
    return sse(None, {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})


def fault_server(seed: int) -> tuple[SSEServer, collections.Counter[str]]:
    rng = random.Random(seed)
    counts: collections.Counter[str] = collections.Counter()

    def handle(request: RecordedRequest) -> Reply:
        fault = rng.choice(FAULTS)
        counts[fault] += 1
        done = sse(None, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        return {
            "ok": lambda: sse_reply(chunk("Remote "), chunk("answer."), done, sse(None, "[DONE]")),
            "500": lambda: json_reply({"error": {"message": "internal error"}}, 500),
            "429": lambda: json_reply({"error": {"message": "slow down"}}, 429, {"retry-after": "0"}),
            "401": lambda: json_reply({"error": {"message": "bad key"}}, 401),
            "stall": lambda: sse_reply(1.0, chunk("too late")),
            "cut": lambda: sse_reply(chunk("Half an "), HANGUP),
            "malformed": lambda: sse_reply(b"data: {not json at all\n\n"),
        }[fault]()

    return SSEServer(handle), counts


async def test_five_hundred_messages_lose_nothing(make_controller, tmp_path: Path):
    server, faults = fault_server(seed=20261125)
    with server:
        config = ProviderConfig("flaky", "openai", server.url + "/v1", key_required=False)
        # No cool-down here: every message must meet the flaky server, not skip it.
        controller = make_controller([config], health=TargetHealth(cooldown_s=0))
        controller.registry.register(OpenAICompatProvider(
            "flaky", server.url + "/v1", key_required=False, timeout=httpx.Timeout(5, read=0.25)))
        router = parse_router({"schema": 1, "name": "Flaky first",
                               "fallback": ["flaky:m", "local:SmolLM2-135M-Instruct"], "rules": []})
        outcome: collections.Counter[str] = collections.Counter()
        cid = 0
        for i in range(MESSAGES):
            if i % PER_CONVERSATION == 0:
                cid = controller.new_conversation(router)
            async for event in controller.send(cid, f"Hi {i}", router):
                if isinstance(event, FallbackUsed):
                    outcome["fallback used"] += 1
                elif isinstance(event, Done):
                    outcome[f"answered by {event.target.split(':')[0]}"] += 1
                elif isinstance(event, Failed):
                    outcome["kept partial" if event.partial else "failed"] += 1

    store = controller.store
    conversations = store.conversations()
    rows = [m for c in conversations for m in store.messages(c.id)]
    users = [m for m in rows if m.role == "user"]
    replies = [m for m in rows if m.role == "assistant"]
    assert len(users) == MESSAGES  # every user message stored
    assert len(replies) == MESSAGES
    statuses = collections.Counter(m.status for m in replies)
    assert set(statuses) <= {"complete", "incomplete", "failed"}
    for reply in replies:
        if reply.status == "complete":
            assert reply.content
        if reply.status == "incomplete":  # the stream broke after tokens: partial text kept
            assert reply.content == "Half an " and reply.error
    fallbacks = [m for m in replies if any(t.kind is TraceKind.ATTEMPT and "failed" in t.detail
                                           for t in m.trace or [])]
    assert len(fallbacks) == outcome["fallback used"] + outcome["kept partial"]
    assert all(m.target == "local:SmolLM2-135M-Instruct" for m in fallbacks if m.status == "complete")
    assert store.integrity_ok()
    report = {"faults_served": dict(faults), "outcomes": dict(outcome), "reply_status": dict(statuses)}
    (data_dir() / "fault-report.json").write_text(json.dumps(report))
    print(json.dumps(report))
