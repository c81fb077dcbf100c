"""Real clients nobody here wrote: the official OpenAI and Anthropic SDKs (and curl) talk
to the local API server, through a router to the bundled model (real llama.cpp) and to a
loopback "cloud", and read how each answer was routed."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest

from app.api.server import ApiServer
from app.core.router.library import user_routers_dir
from tests.integration.api.conftest import Serve, use_cloud
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

pytestmark = pytest.mark.model
LOCAL = "local:SmolLM2-135M-Instruct"
CLOUD = "openai:gpt-4o-mini"
CODE = "```python\nprint('hello')\n```\nWhat does this print?"  # "Save money" sends code to the cloud


def cloud_answer(request: RecordedRequest) -> Reply:
    return sse_reply(openai_chunk("From "), openai_chunk("the cloud."), sse(None, "[DONE]"))


async def parsed(raw: Any) -> Any:
    """The SDKs' raw responses parse at once or when awaited, by version."""
    value = raw.parse()
    return await value if inspect.isawaitable(value) else value


_made: list[Any] = []


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    while _made:
        await _made.pop().close()


def openai_client(server: ApiServer) -> openai.AsyncOpenAI:
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key=server.token or "unused", max_retries=0)
    _made.append(client)
    return client


def anthropic_client(server: ApiServer) -> anthropic.AsyncAnthropic:
    client = anthropic.AsyncAnthropic(base_url=server.base_url.removesuffix("/v1"),
                                      api_key=server.token or "unused", max_retries=0)
    _made.append(client)
    return client


async def test_the_openai_sdk_lists_routers_and_chats_through_them(serve: Serve):
    with SSEServer(cloud_answer) as cloud:
        use_cloud(cloud.url)
        server = await serve()
        client = openai_client(server)
        ids = [m.id async for m in client.models.list()]
        assert "switchboard/Save money" in ids and "switchboard/Local only" in ids
        assert LOCAL in ids and CLOUD in ids

        # Not streaming, to the bundled model: the body names who answered.
        raw = await client.chat.completions.with_raw_response.create(
            model="switchboard/Local only", max_tokens=6,
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
        reply = await parsed(raw)
        assert raw.headers["x-switchboard-router"] == "Local only"
        assert raw.headers["x-switchboard-routed-to"] == LOCAL == reply.model
        assert reply.choices[0].message.content and reply.usage.completion_tokens > 0

        # Streaming, through "Save money" to the loopback cloud, with usage at the end.
        raw_stream = await client.chat.completions.with_raw_response.create(
            model="switchboard/Save money", stream=True, stream_options={"include_usage": True},
            messages=[{"role": "user", "content": CODE}], temperature=0.2, top_p=0.9)
        assert raw_stream.headers["x-switchboard-routed-to"] == CLOUD
        assert raw_stream.headers["x-switchboard-rule"] != "none"
        chunks = [c async for c in await parsed(raw_stream)]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "From the cloud." and {c.model for c in chunks} == {CLOUD}
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
        [sent] = cloud.requests
        assert sent.json["temperature"] == 0.2 and sent.json["top_p"] == 0.9
        assert sent.json["messages"][-1]["content"] == CODE

        # Streaming, to the bundled model.
        stream = await client.chat.completions.create(
            model="switchboard/Local only", stream=True, max_tokens=5,
            messages=[{"role": "user", "content": "Say hello"}])
        local_chunks = [c async for c in stream]
        assert any(c.choices and c.choices[0].delta.content for c in local_chunks)
        assert local_chunks[-1].choices[0].finish_reason in ("stop", "length")

        rows = server.session.store.usage_rows()
        assert [r.kind for r in rows] == ["api", "api", "api"]
        assert [r.target for r in rows] == [LOCAL, CLOUD, LOCAL]
        assert server.session.store.conversations() == []  # usage only, by default


async def test_the_anthropic_sdk_lists_and_chats_streaming_and_not(serve: Serve):
    with SSEServer(cloud_answer) as cloud:
        use_cloud(cloud.url)
        server = await serve()
        client = anthropic_client(server)
        ids = [m.id async for m in client.models.list()]
        assert "switchboard/Local only" in ids and LOCAL in ids

        raw = await client.messages.with_raw_response.create(
            model="switchboard/Local only", max_tokens=6, system="Be brief.",
            messages=[{"role": "user", "content": "Hi"}])
        message = await parsed(raw)
        assert raw.headers["x-switchboard-routed-to"] == LOCAL == message.model
        assert message.content[0].text and message.usage.output_tokens > 0
        assert message.stop_reason in ("end_turn", "max_tokens")

        async with client.messages.stream(model="switchboard/Save money", max_tokens=50,
                                          messages=[{"role": "user", "content": CODE}]) as stream:
            text = "".join([t async for t in stream.text_stream])
            final = await stream.get_final_message()
        assert text == "From the cloud." and final.model == CLOUD

        async with client.messages.stream(model="switchboard/Local only", max_tokens=5,
                                          messages=[{"role": "user", "content": "Say hello"}]) as stream:
            local_text = "".join([t async for t in stream.text_stream])
        assert local_text


async def test_the_sdks_get_error_objects_for_an_unknown_model_and_a_long_conversation(serve: Serve):
    server = await serve()
    oa, an = openai_client(server), anthropic_client(server)
    with pytest.raises(openai.NotFoundError) as missing:
        await oa.chat.completions.create(model="switchboard/No such router",
                                         messages=[{"role": "user", "content": "Hi"}])
    assert missing.value.code == "model_not_found"
    with pytest.raises(anthropic.NotFoundError) as missing_a:
        await an.messages.create(model="gpt-5", max_tokens=5, messages=[{"role": "user", "content": "Hi"}])
    assert missing_a.value.body["error"]["type"] == "not_found_error"

    huge = "word " * 60_000  # far beyond the bundled model's window: nothing can hold it
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as too_long:
            await oa.chat.completions.create(model="switchboard/Local only", stream=stream,
                                             messages=[{"role": "user", "content": huge}])
        assert too_long.value.code == "context_length_exceeded"
        assert "too long" in too_long.value.message
    with pytest.raises(anthropic.BadRequestError) as too_long_a:
        await an.messages.create(model=LOCAL, max_tokens=5, messages=[{"role": "user", "content": huge}])
    assert too_long_a.value.status_code == 400
    assert server.session.store.usage_rows() == []  # nothing answered, nothing billed


async def test_nothing_can_answer_is_a_503_not_an_empty_200(serve: Serve):
    """A router whose only target fails: an error status with the reason, streaming or not."""
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cloud-only.json").write_text(json.dumps(
        {"schema": 1, "name": "Cloud only", "fallback": [CLOUD], "rules": []}))
    with SSEServer(lambda request: Reply(500, chunks=[b"down"])) as cloud:
        use_cloud(cloud.url)
        server = await serve()
        async with openai_client(server) as client:
            for stream in (False, True):
                with pytest.raises(openai.InternalServerError) as failed:
                    await client.chat.completions.create(model="switchboard/Cloud only", stream=stream,
                                                         messages=[{"role": "user", "content": "Hi"}])
                assert failed.value.status_code == 503
                assert "Nothing could answer" in failed.value.message
        async with anthropic_client(server) as client_a:
            with pytest.raises(anthropic.InternalServerError) as failed_a:
                await client_a.messages.create(model="switchboard/Cloud only", max_tokens=5,
                                               messages=[{"role": "user", "content": "Hi"}])
            assert failed_a.value.status_code == 503
        assert len(cloud.requests) >= 3  # really tried, with the chat's retries


async def test_curl_streams_as_the_words_come(serve: Serve):
    server = await serve()
    body = json.dumps({"model": "switchboard/Local only", "stream": True, "max_tokens": 6,
                       "messages": [{"role": "user", "content": "Say hello"}]})
    curl = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-N", "-D", "-", f"{server.base_url}/chat/completions",
        "-H", "content-type: application/json", "-d", body,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(curl.communicate(), 120)
    assert curl.returncode == 0, err
    head, _, events = out.decode().partition("\r\n\r\n")
    assert "200 OK" in head and "text/event-stream" in head
    assert f"x-switchboard-routed-to: {LOCAL}" in head
    lines = [line for line in events.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]" and len(lines) >= 3
    assert all(json.loads(line[6:])["object"] == "chat.completion.chunk" for line in lines[:-1])
