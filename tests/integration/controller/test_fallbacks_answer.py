"""When the local target fails, the cloud fallback answers: every run, not most.

Two real failures of the real local provider: a prompt longer than its window (refused
before reading) and a model file cut short (refused at load). Cool-downs are switched
off so the local target is tried, and fails, every time."""

from __future__ import annotations

import pytest

from app.controller.availability import TargetHealth
from app.controller.events import Done, FallbackUsed
from app.core.paths import bundled_models_dir, models_dir
from app.core.providers.config import ProviderConfig
from app.core.router import parse_router
from tests.support.sse_server import SSEServer, sse, sse_reply

RUNS = 50
LOCAL = "local:SmolLM2-135M-Instruct"

pytestmark = pytest.mark.model


def ok(text: str):
    return sse_reply(sse(None, {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}),
                     sse(None, "[DONE]"))


def chain(*targets: str):
    return parse_router({"schema": 1, "name": "Chain", "fallback": list(targets), "rules": []})


async def answers(controller, local: str, text: str) -> list[Done]:
    dones = []
    for _ in range(RUNS):
        cid = controller.new_conversation()
        events = [e async for e in controller.send(cid, text, chain(local, "cloud:m"))]
        fallback = next(e for e in events if isinstance(e, FallbackUsed))
        assert fallback.failed == local
        done = events[-1]
        assert isinstance(done, Done), done
        dones.append(done)
    return dones


def assert_all_answered(dones: list[Done], cloud: SSEServer) -> None:
    complete = [d for d in dones if d.status == "complete" and d.text == "from the cloud"]
    assert len(complete) == RUNS, [(d.status, d.text) for d in dones if d not in complete]
    assert len(cloud.requests) == RUNS


async def test_a_prompt_over_the_local_window_falls_back_to_an_answer_50_of_50(make_controller):
    with SSEServer(lambda r: ok("from the cloud")) as cloud:
        controller = make_controller([ProviderConfig("cloud", "openai", cloud.url + "/v1", key_required=False)],
                                     health=TargetHealth(failures_to_cool=10**9))
        too_long = "lorem ipsum dolor sit amet " * 900  # past the fixture's 1,024-token window
        dones = await answers(controller, LOCAL, too_long)
    assert_all_answered(dones, cloud)
    assert all(d.message.trace for d in dones)


async def test_a_broken_model_file_falls_back_to_an_answer_50_of_50(make_controller):
    models_dir().mkdir(parents=True, exist_ok=True)
    bundled = next(bundled_models_dir().glob("*.gguf")).read_bytes()
    (models_dir() / "Broken.gguf").write_bytes(bundled[: len(bundled) // 3])  # a download cut short
    with SSEServer(lambda r: ok("from the cloud")) as cloud:
        controller = make_controller([ProviderConfig("cloud", "openai", cloud.url + "/v1", key_required=False)],
                                     health=TargetHealth(failures_to_cool=10**9))
        dones = await answers(controller, "local:Broken", "hello there")
    assert_all_answered(dones, cloud)
