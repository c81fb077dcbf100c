"""A chat's own settings reach every target in its own API's form (loopback OpenAI-
compatible, Anthropic and Gemini servers, and the real local model), and survive a
restart; one model picked for the chat answers it without routing."""

from __future__ import annotations

import pytest

from app.controller.events import Done, Routed
from app.core.chat_settings import ChatSettings
from app.core.providers.config import ProviderConfig
from app.core.router import parse_router
from app.core.store import Store, default_db_path
from tests.support.remote_dialects import DIALECTS, Dialect
from tests.support.sse_server import SSEServer

PROMPT = "You are a terse pirate. Answer in one line."
SETTINGS = ChatSettings(system_prompt=PROMPT, temperature=0.3, top_p=0.9, max_tokens=77)


def router(*targets: str):
    return parse_router({"schema": 1, "name": "T", "fallback": list(targets), "rules": []})


async def run(controller, cid, text, r):
    return [event async for event in controller.send(cid, text, r)]


def sent_settings(dialect: Dialect, body: dict) -> tuple:
    """(system prompt, temperature, top-p, reply tokens) as this API carries them."""
    if dialect.id == "openai":
        system = [m["content"] for m in body["messages"] if m["role"] == "system"]
        return system, body["temperature"], body["top_p"], body["max_tokens"]
    if dialect.id == "anthropic":
        return [body["system"]], body["temperature"], body["top_p"], body["max_tokens"]
    config = body["generationConfig"]
    return ([p["text"] for p in body["systemInstruction"]["parts"]], config["temperature"], config["topP"],
            config["maxOutputTokens"])


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.id)
async def test_chat_settings_reach_each_api_in_its_own_form(make_controller, dialect: Dialect):
    with SSEServer(lambda request: dialect.stream("Arr, ", "aye.")) as server:
        config = ProviderConfig(dialect.id, dialect.id, server.url + dialect.base_path)  # type: ignore[arg-type]
        controller = make_controller([config], {dialect.id: dialect.key})
        cid = controller.new_conversation()
        controller.store.set_chat_settings(cid, SETTINGS)
        events = await run(controller, cid, "hello", router(f"{dialect.id}:{dialect.model}"))
        assert isinstance(events[-1], Done) and events[-1].text == "Arr, aye."
        body = server.requests[-1].json
    assert sent_settings(dialect, body) == ([PROMPT], 0.3, 0.9, 77)
    controller.store.close()
    reopened = Store(default_db_path())  # a restart: the settings are the chat's, on disk
    try:
        assert reopened.chat_settings(cid) == SETTINGS
    finally:
        reopened.close()


async def test_one_model_for_the_chat_answers_without_routing(make_controller):
    with SSEServer(lambda request: DIALECTS[2].stream("picked")) as chosen, \
            SSEServer(lambda request: DIALECTS[2].stream("routed")) as routed_to:
        controller = make_controller([ProviderConfig("mine", "openai", chosen.url + "/v1", key_required=False),
                                      ProviderConfig("other", "openai", routed_to.url + "/v1",
                                                     key_required=False)])
        cid = controller.new_conversation()
        controller.store.set_chat_settings(cid, ChatSettings(target="mine:m"))
        events = await run(controller, cid, "hello", router("other:m"))
    routed = next(e for e in events if isinstance(e, Routed))
    assert routed.decision.target == "mine:m" and "Chat settings" in routed.decision.reason
    assert isinstance(events[-1], Done) and events[-1].text == "picked"
    assert routed_to.requests == []


@pytest.mark.model
async def test_the_local_model_follows_the_chats_sampling_and_reply_length(make_controller):
    controller = make_controller([], max_tokens=None)
    replies = []
    for _ in range(2):
        cid = controller.new_conversation()
        controller.store.set_chat_settings(cid, ChatSettings(system_prompt=PROMPT, temperature=0.0,
                                                             max_tokens=5))
        events = await run(controller, cid, "Tell me about the sea.", router("local:SmolLM2-135M-Instruct"))
        done = events[-1]
        assert isinstance(done, Done) and done.text.strip()
        assert done.tokens_out <= 5  # the chat's reply length, not the controller's
        replies.append(done.text)
    assert replies[0] == replies[1]  # temperature 0: greedy, the same words each time
