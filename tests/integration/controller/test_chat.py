"""The chat controller's promises, against loopback servers: save first, fall back,
retry, stop, cool down, and say plainly when nothing can answer."""

from __future__ import annotations

import asyncio

import pytest

from app.controller.events import Delta, Done, Failed, FallbackUsed, Routed, Titled
from app.controller.fixes import Fix, FixKind
from app.core.providers.config import ProviderConfig
from app.core.router import TraceKind, parse_router
from app.core.store import Store, default_db_path
from tests.support.sse_server import (
    HANGUP,
    RecordedRequest,
    Reply,
    SSEServer,
    json_reply,
    sse,
    sse_reply,
)


def chunk(text: str) -> bytes:
    return sse(None, {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})


def ok(*texts: str) -> Reply:
    return sse_reply(*(chunk(t) for t in texts), sse(None, "[DONE]"))


def router(*targets: str):
    return parse_router({"schema": 1, "name": "T", "fallback": list(targets), "rules": []})


def config(pid: str, server: SSEServer) -> ProviderConfig:
    return ProviderConfig(pid, "openai", server.url + "/v1", key_required=False)


async def run(controller, cid, text, r):
    return [event async for event in controller.send(cid, text, r)]


async def test_user_message_is_saved_before_any_model_is_called(make_controller):
    seen_in_db = []

    def handle(request: RecordedRequest) -> Reply:
        # A second connection, as another process would see the database.
        with Store(default_db_path(), recover_interrupted=False) as store:
            seen_in_db.extend(m.content for m in store.messages(cid) if m.role == "user")
        return ok("fine")

    with SSEServer(handle) as server:
        controller = make_controller([config("a", server)])
        cid = controller.new_conversation()
        events = await run(controller, cid, "remember me", router("a:m"))
    assert seen_in_db == ["remember me"]
    assert events[0] == Titled(cid, "remember me")  # the header changes before the reply
    assert isinstance(events[1], Routed) and isinstance(events[-1], Done)
    reply = controller.store.messages(cid)[-1]
    assert (reply.content, reply.status, reply.target) == ("fine", "complete", "a:m")
    assert events[-1].message == reply  # the finished row: no face reads it back
    assert controller.store.conversation(cid).title == "remember me"


async def test_falls_back_before_the_first_token_and_records_it(make_controller):
    with SSEServer(lambda r: json_reply({"error": {"message": "bad key"}}, 401)) as bad, \
            SSEServer(lambda r: ok("from ", "backup")) as good:
        controller = make_controller([config("a", bad), config("b", good)])
        cid = controller.new_conversation()
        events = await run(controller, cid, "hi", router("a:m", "b:m"))
    fallback = next(e for e in events if isinstance(e, FallbackUsed))
    assert (fallback.failed, fallback.next_target) == ("a:m", "b:m")
    assert "refused the API key" in fallback.reason
    assert "".join(e.text for e in events if isinstance(e, Delta)) == "from backup"
    reply = controller.store.messages(cid)[-1]
    assert reply.target == "b:m" and reply.status == "complete"
    details = [t.detail for t in reply.trace if t.kind is TraceKind.ATTEMPT]
    assert details[0].startswith("a:m failed: a refused the API key") and details[1] == "answered by fallback b:m"
    assert len(bad.requests) == 1  # auth errors are not retried


async def test_rate_limit_is_retried_then_succeeds_without_fallback(make_controller):
    replies = iter([json_reply({"error": {"message": "slow"}}, 429, {"retry-after": "0"}), ok("second try")])
    with SSEServer(lambda r: next(replies)) as server:
        controller = make_controller([config("a", server)])
        cid = controller.new_conversation()
        events = await run(controller, cid, "hi", router("a:m"))
    assert not any(isinstance(e, FallbackUsed) for e in events)
    assert isinstance(events[-1], Done) and events[-1].text == "second try"
    assert len(server.requests) == 2


async def test_stream_cut_after_tokens_keeps_the_partial_reply(make_controller):
    with SSEServer(lambda r: sse_reply(chunk("half a "), HANGUP)) as server, \
            SSEServer(lambda r: ok("unused")) as backup:
        controller = make_controller([config("a", server), config("b", backup)])
        cid = controller.new_conversation()
        events = await run(controller, cid, "hi", router("a:m", "b:m"))
    assert isinstance(events[-1], Failed) and events[-1].partial == "half a "
    reply = controller.store.messages(cid)[-1]
    assert (reply.status, reply.content) == ("incomplete", "half a ")
    assert backup.requests == []  # a half-written reply is not silently restarted elsewhere


async def test_stop_ends_a_stalled_stream_at_once_and_keeps_the_text(make_controller):
    with SSEServer(lambda r: sse_reply(chunk("before stop"), 30.0, chunk("never"))) as server:
        controller = make_controller([config("a", server)])
        cid = controller.new_conversation()
        events = []
        started = asyncio.get_running_loop().time()
        async for event in controller.send(cid, "hi", router("a:m")):
            events.append(event)
            if isinstance(event, Delta):
                controller.stop(cid)
        elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 10  # the server stalls for 30 s
    assert isinstance(events[-1], Done) and events[-1].status == "incomplete"
    reply = controller.store.messages(cid)[-1]
    assert (reply.status, reply.content) == ("incomplete", "before stop")


async def test_repeated_failures_cool_a_target_down(make_controller):
    with SSEServer(lambda r: json_reply({"error": {"message": "down"}}, 500)) as bad, \
            SSEServer(lambda r: ok("ok")) as good:
        controller = make_controller([config("a", bad), config("b", good)])
        r = router("a:m", "b:m")
        for _ in range(3):
            await run(controller, controller.new_conversation(), "hi", r)
        calls = len(bad.requests)
        events = await run(controller, controller.new_conversation(), "hi", r)
    assert len(bad.requests) == calls  # skipped while cooling down
    routed = next(e for e in events if isinstance(e, Routed))
    assert routed.decision.target == "b:m"
    assert "cooling down" in routed.decision.reason


async def test_nothing_can_answer(make_controller):
    with SSEServer(lambda r: json_reply({"error": {"message": "down"}}, 503)) as bad:
        controller = make_controller([config("a", bad)])
        cid = controller.new_conversation()
        events = await run(controller, cid, "hi", router("a:m"))
    assert isinstance(events[-1], Failed) and "Nothing could answer" in events[-1].reason
    user, reply = controller.store.messages(cid)
    assert user.content == "hi" and reply.status == "failed" and reply.error


async def test_no_target_at_all(make_controller):
    controller = make_controller([])
    cid = controller.new_conversation()
    events = await run(controller, cid, "hi", router("nowhere:m"))
    assert isinstance(events[-1], Failed) and "no fallback target is available" in events[-1].reason
    assert controller.store.messages(cid)[0].content == "hi"


async def test_image_routes_by_rule_and_reaches_the_provider(make_controller):
    from app.core.providers.base import ImagePart
    with SSEServer(lambda r: ok("a cat")) as vision:
        controller = make_controller([config("v", vision)])
        r = parse_router({"schema": 1, "name": "T", "fallback": ["nowhere:m", "v:m"], "rules": [
            {"id": "images", "when": {"type": "image"}, "route_to": "v:vision"}]})
        cid = controller.new_conversation()
        events = [e async for e in controller.send(cid, "what is this?", r, [ImagePart("image/png", b"PNG")])]
    assert next(e for e in events if isinstance(e, Routed)).decision.rule == "images"
    content = vision.requests[0].json["messages"][-1]["content"]
    assert content[1]["image_url"]["url"] == "data:image/png;base64,UE5H"
    assert controller.store.messages(cid)[0].attachments == [{"kind": "image", "mime": "image/png", "bytes": 3}]


async def test_edit_and_resend_replaces_the_tail(make_controller):
    answers = iter(["first answer", "second answer"])
    with SSEServer(lambda r: ok(next(answers))) as server:
        controller = make_controller([config("a", server)])
        cid = controller.new_conversation()
        await run(controller, cid, "first question", router("a:m"))
        user_id = controller.store.messages(cid)[0].id
        events = [e async for e in controller.edit_and_resend(cid, user_id, "better question", router("a:m"))]
    assert isinstance(events[-1], Done)
    rows = controller.store.messages(cid)
    assert [(m.role, m.content) for m in rows] == [("user", "better question"), ("assistant", "second answer")]
    assert server.requests[1].json["messages"] == [{"role": "user", "content": "better question"}]


@pytest.mark.model
async def test_classifier_picks_and_sticky_reuse_skips_the_next_call(make_controller):
    with SSEServer(lambda r: ok("answer")) as server:
        controller = make_controller([config("remote", server)])
        r = parse_router({"schema": 1, "name": "One", "fallback": ["remote:fallback"],
                          "sticky": {"messages": 2},
                          "classifier": {"timeout_s": 60},  # not the machine's speed under test
                          "rules": [{"id": "everything", "type": "classified",
                                     "description": "Any message at all, on any topic", "route_to": "remote:picked"}]})
        cid = controller.new_conversation()
        first = await run(controller, cid, "hello", r)
        decision = next(e for e in first if isinstance(e, Routed)).decision
        assert any(t.kind is TraceKind.CLASSIFIER for t in decision.trace)
        calls = [u for u in controller.store.usage_rows() if u.kind == "classifier"]
        assert len(calls) == 1 and calls[0].tokens_in > 0
        if decision.rule == "everything":  # sticky only follows a rule's choice
            second = await run(controller, cid, "and more", r)
            assert next(e for e in second if isinstance(e, Routed)).decision.sticky
            assert len([u for u in controller.store.usage_rows() if u.kind == "classifier"]) == 1


async def test_router_without_classified_rules_never_asks(make_controller):
    with SSEServer(lambda r: ok("answer")) as server:
        controller = make_controller([config("a", server)])
        await run(controller, controller.new_conversation(), "hello", router("a:m"))
    assert [u.kind for u in controller.store.usage_rows()] == ["chat"]


async def test_regenerate_reroutes_or_keeps_the_same_target(make_controller):
    with SSEServer(lambda r: ok("from a")) as a, SSEServer(lambda r: ok("from b")) as b:
        controller = make_controller([config("a", a), config("b", b)])
        cid = controller.new_conversation()
        r = parse_router({"schema": 1, "name": "T", "fallback": ["a:m"], "rules": [
            {"id": "to_b", "when": {"type": "keywords", "words": ["b"]}, "route_to": "b:m"}]})
        await run(controller, cid, "question", r)  # → a:m by fallback
        routed_anew = parse_router({"schema": 1, "name": "T2", "fallback": ["b:m"], "rules": []})
        again = [e async for e in controller.regenerate(cid, routed_anew)]
        assert isinstance(again[-1], Done) and again[-1].target == "b:m"
        same = [e async for e in controller.regenerate(cid, r, same_target=True)]
        assert isinstance(same[-1], Done) and same[-1].target == "b:m"
        assert next(e for e in same if isinstance(e, Routed)).decision.reason == "Answered again by b:m, as asked."
    rows = controller.store.messages(cid)
    assert [(m.role, m.content) for m in rows] == [("user", "question"), ("assistant", "from b")]


async def test_missing_key_names_the_fix_and_the_reply_keeps_its_reason(make_controller):
    keyed = ProviderConfig("anthropic", "anthropic", "http://127.0.0.1:9", key_required=True)
    controller = make_controller([keyed])
    cid = controller.new_conversation()
    events = await run(controller, cid, "hi", router("anthropic:claude"))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.fix == Fix(FixKind.ADD_KEY, "anthropic")
    reply = controller.store.messages(cid)[1]
    assert reply.status == "failed" and reply.reason == failed.reason


async def test_refused_key_names_the_fix(make_controller):
    with SSEServer(lambda r: json_reply({"error": {"message": "bad key"}}, 401)) as server:
        keyed = ProviderConfig("openai", "openai", server.url + "/v1", key_required=True)
        controller = make_controller([keyed], {"openai": "sk-test"})
        cid = controller.new_conversation()
        events = await run(controller, cid, "hi", router("openai:gpt"))
    assert isinstance(events[-1], Failed) and events[-1].fix == Fix(FixKind.ADD_KEY, "openai")


async def test_a_routed_reply_stores_the_routers_sentence(make_controller):
    with SSEServer(lambda r: ok("fine")) as server:
        controller = make_controller([config("a", server)])
        cid = controller.new_conversation()
        events = await run(controller, cid, "hi", router("a:m"))
    routed = next(e for e in events if isinstance(e, Routed))
    assert controller.store.message(routed.message_id).reason == routed.decision.reason


@pytest.mark.model
async def test_a_local_failure_falls_back_to_an_answer_not_an_empty_stop(make_controller):
    """The local provider cancels its request's token on the way out of a failure; the
    fallback's attempt has its own token, so it answers in full (each run, not most)."""
    with SSEServer(lambda r: ok("from ", "the cloud")) as cloud:
        controller = make_controller([config("cloud", cloud)])
        too_long = "lorem ipsum dolor sit amet " * 900  # past the fixture's 1,024-token window
        for run_number in range(5):
            cid = controller.new_conversation()
            events = await run(controller, cid, too_long, router("local:SmolLM2-135M-Instruct", "cloud:m"))
            # After three failures the local target cools down and is skipped at once.
            assert any(isinstance(e, FallbackUsed) for e in events) or run_number >= 3
            done = events[-1]
            assert isinstance(done, Done) and done.status == "complete" and done.text == "from the cloud"
    assert len(cloud.requests) == 5


async def test_a_server_silent_after_its_headers_is_left_for_the_fallback(make_controller):
    with SSEServer(lambda r: sse_reply(30.0, chunk("too late"))) as silent, \
            SSEServer(lambda r: ok("from ", "backup")) as good:
        controller = make_controller([config("a", silent), config("b", good)])
        controller.first_token_timeout_s = 1.0  # the default is 20 s; the server stalls 30 s
        cid = controller.new_conversation()
        started = asyncio.get_running_loop().time()
        events = await run(controller, cid, "hi", router("a:m", "b:m"))
        elapsed = asyncio.get_running_loop().time() - started
    fallback = next(e for e in events if isinstance(e, FallbackUsed))
    assert fallback.failed == "a:m" and "no answer within 1 s" in fallback.reason
    assert isinstance(events[-1], Done) and events[-1].text == "from backup"
    assert len(silent.requests) == 1  # not retried: a silent server stays silent
    assert elapsed < 25  # well before the stall ends, on any machine
