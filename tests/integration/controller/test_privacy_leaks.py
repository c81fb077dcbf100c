"""No private value reaches the cloud, across whole generated conversations.

Real parts: the bundled model through llama.cpp answers what stays local (and fails, by
overflowing its 1,024-token window, on the long messages); a loopback OpenAI-compatible
server stands in for every cloud provider and records each request. Hypothesis writes
conversations of 2–6 turns with every kind of private value at random turns and places
(past character 10,000 too), some echoed back by the assistant, over every bundled
template and a custom router, under the "local" and "redact" history policies.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.controller.events import Done, Routed
from app.core.paths import router_templates_dir
from app.core.providers.config import ProviderConfig
from app.core.router import Privacy, Router, load_router, parse_router
from app.core.router.private_data import find_private_spans
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

pytestmark = pytest.mark.model
LOCAL = "local:SmolLM2-135M-Instruct"
VALUES = [  # one of every kind and sort the detector knows
    "jane.doe+tag@example.co.uk", "jörg.müller@bücher.de", "+44 20 7946 0958",
    "4242 4242 4242 4242", "DE89 3704 0044 0532 0130 00",
    "sk-proj-4eC39HqLyjWDarjtT1zdp7dcR2aXq7Bb9Mfk", "AKIAIOSFODNN7EXAMPLE",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]
FILLER = "The quarterly report is due soon and the team meets on Thursday. "
CLOUD_BOUND = "#cloud please review this:\n```python\ndef add(a, b):\n    return a + b\n```"
CUSTOM = parse_router({
    "schema": 1, "name": "Custom", "fallback": ["openai:gpt-4o-mini", LOCAL],
    "rules": [{"id": "mine", "title": "Mine stays here", "when": {"type": "pii"}, "route_to": LOCAL}],
})
ROUTERS = [*(load_router(p) for p in sorted(router_templates_dir().glob("*.json"))), CUSTOM]
PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|SECRET)_\d+\]")
WEDNESDAY_10AM = datetime(2026, 11, 25, 10, 0).astimezone()  # Office hours sends to the cloud


@dataclass(frozen=True)
class Turn:
    value: str | None  # the private value in it, if any
    at: int  # where (characters of filler before it)
    echo: bool  # the assistant's reply repeats the conversation's private values


turns = st.builds(Turn, st.one_of(st.none(), st.sampled_from(VALUES)),
                  st.sampled_from([0, 40, 10_050]), st.booleans())


def text_of(turn: Turn) -> str:
    if turn.value is None:
        return CLOUD_BOUND
    filler = (FILLER * (turn.at // len(FILLER) + 1))[:turn.at]
    return f"{filler} my details: {turn.value} — thanks"


def echo_cloud(request: RecordedRequest) -> Reply:
    """A cloud model that quotes every placeholder it was sent."""
    body = json.dumps(request.json, ensure_ascii=False)
    quoted = " ".join(sorted(set(PLACEHOLDER.findall(body)))) or "nothing to quote"
    return sse_reply(openai_chunk(f"You sent {quoted}."), sse(None, "[DONE]"))


def leaked(requests: list[RecordedRequest]) -> list[str]:
    out = []
    for request in requests:
        seen = (json.dumps(request.json, ensure_ascii=False) + request.body.decode("utf-8", "replace")
                + json.dumps(request.headers, ensure_ascii=False) + request.path)
        out += [v for v in VALUES if v in seen]
    return out


def test_every_value_is_one_span_the_detector_finds():
    for value in VALUES:
        assert [(s.start, s.end) for s in find_private_spans(f"x {value} y")] == [(2, 2 + len(value))], value


@pytest.fixture
def cloud():
    with SSEServer(echo_cloud) as server:
        yield server


@pytest.fixture
def controller(make_controller, cloud):
    """One controller (and one loaded model) for every generated conversation."""
    configs = [ProviderConfig(p, "openai", cloud.url + "/v1", key_required=False)
               for p in ("openai", "anthropic", "gemini")]
    made = make_controller(configs, max_tokens=1)
    made.routing.clock = lambda: WEDNESDAY_10AM
    return made


# No shrinking: each example runs the real model, and a failure's example is readable as is.
@settings(max_examples=int(os.environ.get("SWITCHBOARD_LEAK_EXAMPLES", "300")), deadline=None,
          derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(router=st.sampled_from(ROUTERS), policy=st.sampled_from(["local", "redact"]),
       conversation=st.lists(turns, min_size=2, max_size=6))
async def test_no_private_value_leaves_the_machine(controller, cloud, router: Router, policy: str,
                                                   conversation: list[Turn]):
    router = replace(router, privacy=Privacy(policy))
    before = len(cloud.requests)
    cid = controller.new_conversation(router)
    private: list[str] = []
    for turn in conversation:
        events = [e async for e in controller.send(cid, text_of(turn), router)]
        private += [turn.value] if turn.value else []
        done = events[-1] if isinstance(events[-1], Done) else None
        routed = next(e for e in events if isinstance(e, Routed))
        if done is not None and turn.echo and private and routed.decision.target == LOCAL:
            controller.store.update_message(done.message_id, content=f"Noted: {', '.join(private)}.")
        if done is not None and done.target != LOCAL and policy == "redact":
            assert not PLACEHOLDER.search(done.text), done.text  # the user sees the originals
    sent = cloud.requests[before:]
    assert leaked(sent) == []
    TALLY["conversations"] += 1
    TALLY["cloud requests"] += len(sent)
    TALLY["with private values"] += bool(private)
    TALLY["requests with placeholders"] += sum(bool(PLACEHOLDER.search(r.body.decode())) for r in sent)


TALLY = {"conversations": 0, "cloud requests": 0, "with private values": 0,
         "requests with placeholders": 0}


def test_the_tally_is_reported():
    """Runs after the property test (file order): the counts for the closing note."""
    print(f"\nprivacy leak test: {TALLY}")
