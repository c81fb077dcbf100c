"""No model writes for ever: a chat that sets no reply length of its own gets the app's
limit (Settings → Chats), locally and remotely, and a reply cut off by a limit says so in
plain words under it. The real bundled model through llama.cpp; a loopback server."""

from __future__ import annotations

import pytest

from app.controller.events import Done
from app.core.chat_settings import REPLY_LIMIT_TOKENS, ChatSettings
from app.core.providers.config import ProviderConfig
from app.core.router import parse_router
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

LOCAL = "local:SmolLM2-135M-Instruct"
LONG = "Write a long story about a dragon who learns to bake bread, with many chapters."


def router(*targets: str):
    return parse_router({"schema": 1, "name": "T", "fallback": list(targets), "rules": []})


async def reply(controller, cid: int, text: str, target: str) -> Done:
    events = [event async for event in controller.send(cid, text, router(target))]
    assert isinstance(events[-1], Done), events[-1]
    return events[-1]


@pytest.mark.model
async def test_the_apps_reply_limit_stops_a_local_reply_and_says_so(make_controller):
    controller = make_controller([], max_tokens=8)  # the session passes Settings.reply_limit_tokens
    done = await reply(controller, controller.new_conversation(), LONG, LOCAL)
    assert 0 < done.tokens_out <= 8 and done.text.strip()
    assert done.status == "complete"  # all of it is kept; it is not an error
    assert done.message.error == ("Cut off: the reply reached its limit of 8 tokens "
                                  "(change it in Settings → Chats).")


@pytest.mark.model
async def test_a_chats_own_length_wins_and_its_note_says_where_to_change_it(make_controller):
    controller = make_controller([], max_tokens=8)
    cid = controller.new_conversation()
    controller.store.set_chat_settings(cid, ChatSettings(max_tokens=5))
    done = await reply(controller, cid, LONG, LOCAL)
    assert 0 < done.tokens_out <= 5
    assert done.message.error == ("Cut off: the reply reached its limit of 5 tokens "
                                  "(change it in this chat's Chat settings).")


@pytest.mark.model
async def test_a_reply_that_ends_by_itself_carries_no_note(make_controller):
    controller = make_controller([], max_tokens=200)
    done = await reply(controller, controller.new_conversation(), "Say hello.", LOCAL)
    assert done.tokens_out < 200 and done.message.error is None


@pytest.mark.model
async def test_a_reply_stopped_by_a_full_context_window_says_that_instead(make_controller):
    controller = make_controller([], max_tokens=REPLY_LIMIT_TOKENS)  # its local model reads 1,024 tokens
    text = "Repeat these words back to me: " + "apple pear plum " * 300
    done = await reply(controller, controller.new_conversation(), text, LOCAL)
    assert done.tokens_out < REPLY_LIMIT_TOKENS
    assert done.message.error == ("Cut off: the model's context window is full; start a new chat "
                                  "or pick a model with a longer one.")


def test_the_controller_has_a_limit_unless_told_otherwise():
    from app.controller.chat import ChatController

    assert ChatController.__init__.__kwdefaults__["max_tokens"] == REPLY_LIMIT_TOKENS == 2048


async def test_a_remote_target_is_sent_the_apps_limit_and_its_cut_off_is_marked(make_controller):
    def cut_short(request: RecordedRequest) -> Reply:
        return sse_reply(openai_chunk("Once upon a time"), openai_chunk(None, "length"), sse(None, "[DONE]"))

    with SSEServer(cut_short) as server:
        controller = make_controller([ProviderConfig("cloud", "openai", server.url + "/v1", key_required=False)],
                                     max_tokens=REPLY_LIMIT_TOKENS)
        done = await reply(controller, controller.new_conversation(), LONG, "cloud:m")
    assert server.requests[-1].json["max_tokens"] == REPLY_LIMIT_TOKENS
    assert done.text == "Once upon a time"
    assert done.message.error == ("Cut off: the reply reached its limit of 2,048 tokens "
                                  "(change it in Settings → Chats).")
