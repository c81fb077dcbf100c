"""A remote classifier answers through each API's structured output, and anything
that is not one of the rules falls through."""

from __future__ import annotations

import json

import pytest

from app.core.providers.config import ProviderConfig
from app.core.providers.registry import ProviderRegistry
from app.core.router import Turn, parse_router
from app.core.router.classifier import classify
from app.core.tokens import default_counter
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply


def router(target: str):
    return parse_router({"schema": 1, "name": "R", "fallback": ["local:x"], "classifier": {"target": target},
                         "rules": [{"id": "code", "type": "classified", "description": "Programming",
                                    "route_to": "a:b"},
                                   {"id": "math", "type": "classified", "description": "Maths", "route_to": "a:c"}]})


def openai_answer(text: str) -> Reply:
    return sse_reply(
        sse(None, {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}]}),
        sse(None, {"choices": [], "usage": {"prompt_tokens": 90, "completion_tokens": 6}}),
        sse(None, "[DONE]"))


def anthropic_tool_answer(_: RecordedRequest) -> Reply:
    return sse_reply(
        sse("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 80, "output_tokens": 1}}}),
        sse("content_block_start", {"type": "content_block_start", "index": 0,
                                    "content_block": {"type": "tool_use", "id": "t", "name": "answer", "input": {}}}),
        sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                    "delta": {"type": "input_json_delta", "partial_json": '{"answer": '}}),
        sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                    "delta": {"type": "input_json_delta", "partial_json": '"math"}'}}),
        sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                              "usage": {"output_tokens": 9}}),
        sse("message_stop", {"type": "message_stop"}))


async def ask(kind: str, handler, target: str):
    with SSEServer(handler) as server:
        base = server.url + ("/v1" if kind == "openai" else "")
        registry = ProviderRegistry([ProviderConfig("cloud", kind, base)], lambda pid: "k")
        try:
            r = router(target)
            answer = await classify(registry, r.rules, [Turn("user", "what is 2+2")], r.classifier,
                                    default_counter())
        finally:
            await registry.aclose()
    return answer, server.requests[0].json


async def test_openai_compatible_json_schema_answer():
    answer, body = await ask("openai", lambda r: openai_answer('{"answer": "math"}'), "cloud:gpt-4o-mini")
    assert (answer.rule, answer.tokens_in, answer.tokens_out) == ("math", 90, 6)
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["answer"]["enum"] == ["code", "math", "none"]
    assert body["messages"][0]["role"] == "system" and body["messages"][-1]["content"] == "what is 2+2"


async def test_anthropic_forced_tool_call_answer():
    answer, body = await ask("anthropic", anthropic_tool_answer, "cloud:claude-haiku-4-5")
    assert answer.rule == "math" and answer.tokens_in == 80
    assert body["tool_choice"] == {"type": "tool", "name": "answer"}
    assert body["tools"][0]["input_schema"]["properties"]["answer"]["enum"] == ["code", "math", "none"]


async def test_gemini_response_schema_answer():
    reply = lambda r: sse_reply(sse(None, {  # noqa: E731
        "candidates": [{"content": {"parts": [{"text": '{"answer": "code"}'}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 70, "candidatesTokenCount": 5}}))
    answer, body = await ask("gemini", reply, "cloud:gemini-2.5-flash")
    assert answer.rule == "code"
    assert body["generationConfig"]["responseSchema"]["properties"]["answer"]["enum"] == ["code", "math", "none"]


@pytest.mark.parametrize("text", ['{"answer": "poetry"}', "math", '{"route": "math"}'])
async def test_garbage_answers_fall_through(text):
    answer, _ = await ask("openai", lambda r: openai_answer(text), "cloud:gpt-4o-mini")
    assert answer.rule is None and answer.error


async def test_none_is_an_answer():
    answer, _ = await ask("openai", lambda r: openai_answer(json.dumps({"answer": "none"})), "cloud:m")
    assert answer.rule is None and answer.error is None
