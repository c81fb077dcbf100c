"""Regenerate keeps versions, the chosen one is what later requests and exports read;
Continue goes on with a cut-off or stopped reply in the same message; deleting one
message (a question takes its reply along) and putting it back. A loopback server
stands in for the model and records what it was sent; the bundled model continues a
real cut-off reply through llama.cpp."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from app.controller.chat import CONTINUE_REQUEST, can_continue
from app.controller.conversations import Conversations
from app.controller.events import Delta, Done, Failed
from app.controller.export import export_conversation
from app.core.providers.config import ProviderConfig
from app.core.router import parse_router
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, json_reply, sse, sse_reply

LOCAL = "local:SmolLM2-135M-Instruct"


def router(*targets: str):
    return parse_router({"schema": 1, "name": "T", "fallback": list(targets), "rules": []})


def answers(*texts: str, cut_off: bool = False) -> Callable[[RecordedRequest], Reply]:
    """A server answering each request with the next text (the last one repeats)."""
    served: list[str] = []

    def handle(request: RecordedRequest) -> Reply:
        text = texts[min(len(served), len(texts) - 1)]
        served.append(text)
        end = [openai_chunk(None, "length")] if cut_off and len(served) == 1 else []
        return sse_reply(openai_chunk(text), *end, sse(None, "[DONE]"))

    return handle


def sent(request: RecordedRequest) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in request.json["messages"]]


async def events_of(stream) -> list:
    return [event async for event in stream]


def cloud(server: SSEServer) -> ProviderConfig:
    return ProviderConfig("cloud", "openai", server.url + "/v1", key_required=False)


async def test_regenerate_adds_a_version_and_the_chosen_one_is_sent_and_exported(make_controller):
    with SSEServer(answers("Red.", "Blue.", "Because.")) as server:
        controller = make_controller([cloud(server)], max_tokens=None)
        chats = Conversations(controller.store)
        cid = controller.new_conversation()
        await events_of(controller.send(cid, "Name a colour.", router("cloud:m")))
        first = controller.store.messages(cid)[-1]
        regenerated = await events_of(controller.regenerate(cid, router("cloud:m")))
        assert isinstance(regenerated[-1], Done)
        reply = regenerated[-1].message
        assert reply.id == first.id  # the same message, another version of it
        assert (reply.content, reply.version, reply.versions) == ("Blue.", 2, 2)
        # The second request was the conversation without the reply being replaced.
        assert sent(server.requests[1]) == [("user", "Name a colour.")]

        chosen = chats.choose_version(reply.id, 1)
        assert (chosen.content, chosen.version, chosen.versions) == ("Red.", 1, 2)
        await events_of(controller.send(cid, "Why?", router("cloud:m")))
        assert sent(server.requests[2]) == [("user", "Name a colour."), ("assistant", "Red."),
                                            ("user", "Why?")]
    markdown = export_conversation(chats, cid, "md")
    assert "Red." in markdown and "Blue." not in markdown
    assert "version 1 of 2" in markdown
    document = json.loads(export_conversation(chats, cid, "json"))
    exported = document["messages"][1]
    assert (exported["content"], exported["version"], exported["versions"]) == ("Red.", 1, 2)


async def test_retry_of_a_failed_reply_replaces_it_rather_than_keeping_it(make_controller):
    calls: list[RecordedRequest] = []

    def flaky(request: RecordedRequest) -> Reply:
        calls.append(request)
        if len(calls) == 1:
            return json_reply({"error": {"message": "bad request"}}, 400)
        return sse_reply(openai_chunk("Fine."), sse(None, "[DONE]"))

    with SSEServer(flaky) as server:
        controller = make_controller([cloud(server)])
        cid = controller.new_conversation()
        failed = await events_of(controller.send(cid, "hi", router("cloud:m")))
        assert isinstance(failed[-1], Failed)
        await events_of(controller.regenerate(cid, router("cloud:m")))
    reply = controller.store.messages(cid)[-1]
    assert (reply.content, reply.status, reply.versions) == ("Fine.", "complete", 1)


async def test_continue_appends_to_the_same_message_from_the_same_model(make_controller):
    # The model starts its continuation as a fresh message, without the space between.
    with SSEServer(answers("Once upon", "a time.", cut_off=True)) as server:
        controller = make_controller([cloud(server)], max_tokens=None)
        cid = controller.new_conversation()
        done = (await events_of(controller.send(cid, "Tell a story.", router("cloud:m"))))[-1]
        assert done.message.error is not None and can_continue(done.message)  # cut off: a note
        events = await events_of(controller.continue_reply(cid, done.message_id, router("cloud:m")))
    assert "".join(e.text for e in events if isinstance(e, Delta)) == " a time."
    assert isinstance(events[-1], Done)
    row = events[-1].message
    assert (row.id, row.content, row.status, row.error) == (done.message_id, "Once upon a time.",
                                                            "complete", None)
    assert sent(server.requests[1]) == [("user", "Tell a story."), ("assistant", "Once upon"),
                                        ("user", CONTINUE_REQUEST)]
    assert [m.role for m in controller.store.messages(cid)] == ["user", "assistant"]  # one message
    assert len(controller.store.usage_rows(cid)) == 2  # each call billed
    assert not can_continue(row)


async def test_only_the_last_stopped_reply_continues(make_controller):
    with SSEServer(answers("Done.")) as server:
        controller = make_controller([cloud(server)])
        cid = controller.new_conversation()
        done = (await events_of(controller.send(cid, "hi", router("cloud:m"))))[-1]
        events = await events_of(controller.continue_reply(cid, done.message_id, router("cloud:m")))
    assert isinstance(events[-1], Failed) and "last reply" in events[-1].reason
    assert len(server.requests) == 1


async def test_a_continue_that_fails_keeps_the_text_to_continue_again(make_controller):
    with SSEServer(answers("Once upon", cut_off=True)) as server:
        controller = make_controller([cloud(server)])
        cid = controller.new_conversation()
        done = (await events_of(controller.send(cid, "Tell a story.", router("cloud:m"))))[-1]
    # The server is gone: nothing answers the continuation.
    events = await events_of(controller.continue_reply(cid, done.message_id, router("cloud:m")))
    assert isinstance(events[-1], Failed)
    row = controller.store.message(done.message_id)
    assert row is not None and (row.content, row.status) == ("Once upon", "incomplete")
    assert can_continue(row)


@pytest.mark.model
async def test_the_bundled_model_continues_its_own_cut_off_reply(make_controller):
    controller = make_controller([], max_tokens=6)
    cid = controller.new_conversation()
    done = (await events_of(controller.send(cid, "Write a long story about a lighthouse.",
                                            router(LOCAL))))[-1]
    assert isinstance(done, Done) and done.message.error and done.text
    events = await events_of(controller.continue_reply(cid, done.message_id, router(LOCAL)))
    assert isinstance(events[-1], Done), events[-1]
    row = events[-1].message
    assert row.content.startswith(done.text) and len(row.content) > len(done.text)
    assert 6 < row.tokens_out <= 12  # both parts counted on the one message


async def test_deleting_a_question_takes_its_reply_and_undo_puts_both_back(make_controller):
    with SSEServer(answers("One.", "Two.")) as server:
        controller = make_controller([cloud(server)])
        chats = Conversations(controller.store)
        cid = controller.new_conversation()
        await events_of(controller.send(cid, "first", router("cloud:m")))
        await events_of(controller.send(cid, "second", router("cloud:m")))
    rows = controller.store.messages(cid)
    deleted = chats.delete_message(rows[0].id)
    assert deleted is not None and deleted.ids == (rows[0].id, rows[1].id)
    assert [m.content for m in controller.store.messages(cid)] == ["second", "Two."]
    only_reply = chats.delete_message(rows[3].id)  # a reply goes alone
    assert only_reply is not None and only_reply.ids == (rows[3].id,)
    chats.restore(only_reply)
    chats.restore(deleted)
    assert controller.store.messages(cid) == rows


async def test_a_summary_that_read_a_changed_message_is_dropped(make_controller):
    from app.core.store import StoredSummary

    with SSEServer(answers("One.", "Two.", "Uno.")) as server:
        controller = make_controller([cloud(server)])
        chats = Conversations(controller.store)
        cid = controller.new_conversation()
        await events_of(controller.send(cid, "first", router("cloud:m")))
        await events_of(controller.send(cid, "second", router("cloud:m")))
        await events_of(controller.regenerate(cid, router("cloud:m")))
    first, reply, _second, last = controller.store.messages(cid)
    covering = StoredSummary(reply.id, "They said one.", "SmolLM2-135M-Instruct", False)
    controller.store.set_summary(cid, covering)
    chats.choose_version(last.id, 1)  # after what it read: it still holds
    assert controller.store.summary(cid) == covering
    deleted = chats.delete_message(first.id)  # what it read is gone: so is the summary
    assert controller.store.summary(cid) is None
    controller.store.set_summary(cid, covering)
    assert deleted is not None
    chats.restore(deleted)
    assert controller.store.summary(cid) is None
