"""What the API does with a request beyond routing it: images, embeddings, keeping (or
not) the conversation, and stopping a generation whose client has gone."""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib
from dataclasses import replace

import httpx
import openai
import pytest

from app.core.api_settings import ApiSettings
from app.core.settings import Settings
from tests.integration.api.conftest import Serve, use_cloud
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

pytestmark = pytest.mark.model
LOCAL = "local:SmolLM2-135M-Instruct"


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0\x80\x80" * 2)) + chunk(b"IEND", b""))


def answer(request: RecordedRequest) -> Reply:
    return sse_reply(openai_chunk("A grey square."), sse(None, "[DONE]"))


async def test_an_image_as_a_data_url_reaches_a_model_that_sees(serve: Serve):
    with SSEServer(answer) as cloud:
        use_cloud(cloud.url)
        server = await serve()
        url = "data:image/png;base64," + base64.b64encode(png()).decode()
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            response = await client.post("/chat/completions", json={
                "model": "openai:gpt-4o-mini", "messages": [{"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": url}}]}]})
            assert response.status_code == 200, response.text
            assert response.json()["model"] == "openai:gpt-4o-mini"
            by_address = await client.post("/chat/completions", json={
                "model": "openai:gpt-4o-mini", "messages": [{"role": "user", "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]})
            assert by_address.status_code == 400 and "data URLs" in by_address.json()["error"]["message"]
        [sent] = cloud.requests
        parts = sent.json["messages"][-1]["content"]
        assert {"type": "text", "text": "What is this?"} in parts
        assert any(p.get("type") == "image_url" and p["image_url"]["url"] == url for p in parts)


async def test_embeddings_come_from_the_bundled_model_in_both_encodings(serve: Serve):
    server = await serve()
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        floats = await client.embeddings.create(model="local:all-MiniLM-L6-v2", encoding_format="float",
                                                input=["a cat sat on the mat", "stock prices fell"])
        packed = await client.embeddings.create(model="all-MiniLM-L6-v2", input="a cat sat on the mat")
        assert len(floats.data) == 2 and len(floats.data[0].embedding) == 384
        assert packed.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
        with pytest.raises(openai.NotFoundError):
            await client.embeddings.create(model="text-embedding-3-small", input="x")
    rows = server.session.store.usage_rows()
    assert [(r.kind, r.target) for r in rows] == [("api", "local:all-MiniLM-L6-v2")] * 2


async def test_conversations_are_kept_only_when_the_setting_says_so(serve: Serve):
    replace(Settings.load(), api=ApiSettings(store_conversations=True)).save()
    server = await serve()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as client:
        response = await client.post("/chat/completions", json={
            "model": "switchboard/Local only", "max_tokens": 3,
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                         {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}]})
    assert response.status_code == 200
    [kept] = server.session.store.conversations()
    assert kept.title.startswith("API: Hi")
    messages = server.session.store.messages(kept.id)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[-1].target == LOCAL and messages[-1].status == "complete"
    assert server.session.store.chat_settings(kept.id).system_prompt == "Be brief."
    [usage] = server.session.store.usage_rows()
    assert usage.conversation_id == kept.id and usage.message_id == messages[-1].id


async def test_a_client_that_hangs_up_stops_its_generation(serve: Serve):
    replace(Settings.load(), api=ApiSettings(store_conversations=True)).save()
    server = await serve()
    body = {"model": "switchboard/Local only", "max_tokens": 2000, "stream": True,
            "messages": [{"role": "user", "content": "Count from 1 to 1000, one number per line."}]}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as client:
        async with client.stream("POST", "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if '"content": "' in line and '"role"' not in line:
                    break  # the first words: hang up
    answerer = server.answering.answerer
    while answerer._tasks:  # the answer finishes on its own task, stopped
        await asyncio.sleep(0.05)
    [kept] = server.session.store.conversations()
    reply = server.session.store.messages(kept.id)[-1]
    assert reply.status == "incomplete"  # stopped, as the chat's Stop leaves it
    [usage] = server.session.store.usage_rows()
    assert usage.tokens_out < 2000
    assert server.queue.taken == 0


async def test_a_client_that_hangs_up_before_the_first_word_stops_the_wait(serve: Serve):
    """The headers wait for the first word (so a failure can still be an error status);
    a client leaving meanwhile stops the answer then, not when a word finally comes."""
    import json as json_module

    from app.core.router.library import user_routers_dir

    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cloud-only.json").write_text(json_module.dumps(
        {"schema": 1, "name": "Cloud only", "fallback": ["openai:gpt-4o-mini"], "rules": []}))
    stalled = sse_reply(60.0, openai_chunk("Too late."), sse(None, "[DONE]"))
    with SSEServer(lambda request: stalled) as cloud:
        use_cloud(cloud.url, api=ApiSettings(store_conversations=True))
        server = await serve()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as client:
            request = asyncio.ensure_future(client.post("/chat/completions", json={
                "model": "switchboard/Cloud only", "stream": True,
                "messages": [{"role": "user", "content": "Hi"}]}))
            while not cloud.requests:  # the cloud has it and says nothing
                await asyncio.sleep(0.02)
            request.cancel()  # hang up
            with pytest.raises(asyncio.CancelledError):
                await request
        answerer = server.answering.answerer
        for _ in range(750):  # well within the cloud's first-token timeout (20 s) and its 60 s stall
            if not answerer._tasks:
                break
            await asyncio.sleep(0.02)
        assert not answerer._tasks, "the answer went on waiting for a client that left"
        [kept] = server.session.store.conversations()
        assert server.session.store.messages(kept.id)[-1].status == "incomplete"
        assert len(cloud.requests) == 1  # stopped, not retried or passed to a fallback


async def test_a_full_local_queue_is_a_429_and_leaves_no_reply_streaming(serve: Serve):
    replace(Settings.load(), api=ApiSettings(store_conversations=True)).save()
    server = await serve()
    server.queue.size = 0  # as if it were full
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        busy = await client.post("/chat/completions", json={
            "model": "switchboard/Local only", "messages": [{"role": "user", "content": "Hi"}]})
        busy_a = await client.post("/messages", json={
            "model": "switchboard/Local only", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]})
    assert busy.status_code == 429 and busy.headers["retry-after"] == "2"
    assert busy_a.status_code == 429 and busy_a.json()["error"]["type"] == "rate_limit_error"
    for kept in server.session.store.conversations():
        reply = server.session.store.messages(kept.id)[-1]
        assert reply.status == "failed" and "busy" in (reply.error or "")
    assert server.session.store.usage_rows() == []


async def test_a_database_that_refuses_the_request_is_a_503_in_words(serve: Serve,
                                                                     monkeypatch: pytest.MonkeyPatch):
    from app.core.store import DatabaseBusy, default_db_path

    server = await serve()

    def locked(*args: object, **kwargs: object) -> int:
        raise DatabaseBusy(default_db_path(), 5.0)

    monkeypatch.setattr(server.session.store, "create_conversation", locked)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.post("/chat/completions", json={
            "model": "switchboard/Local only", "messages": [{"role": "user", "content": "Hi"}]})
    assert response.status_code == 503
    assert "locked" in response.json()["error"]["message"]  # the store's own words
