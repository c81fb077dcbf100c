"""OpenAI-compatible provider: against llama.cpp's real server, and against a loopback
server scripted to fail in every way the fallback chain must understand.

What every remote provider does the same way (stopping, transport failures, a missing key,
health) is tested once for all of them in test_remote_contract.py."""

from __future__ import annotations

import pytest

from app.core.providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    ImagePart,
    Sampling,
    TextDelta,
    Usage,
)
from app.core.providers.errors import (
    AuthError,
    BadRequestError,
    ContextTooLongError,
    ModelMissingError,
    RateLimitedError,
    UnavailableError,
)
from app.core.providers.openai_compat import OpenAICompatProvider
from tests.support.remote_dialects import OPENAI_KEY as SENTINEL
from tests.support.remote_dialects import openai_chunk as chunk
from tests.support.sse_server import SSEServer, json_reply, sse, sse_reply


def ask(text: str = "hi", **kwargs: object) -> ChatRequest:
    return ChatRequest("gpt-test", (ChatMessage("user", text),), **kwargs)  # type: ignore[arg-type]


async def collect(provider: OpenAICompatProvider, request: ChatRequest) -> list[object]:
    return [event async for event in provider.stream_chat(request)]


_open: list[OpenAICompatProvider] = []


@pytest.fixture(autouse=True)
async def close_providers():
    yield
    while _open:
        await _open.pop().aclose()


def make(server: SSEServer | str, key: str | None = SENTINEL, **kwargs: object) -> OpenAICompatProvider:
    url = server if isinstance(server, str) else server.url
    provider = OpenAICompatProvider("openai", url + "/v1", lambda: key, **kwargs)  # type: ignore[arg-type]
    _open.append(provider)
    return provider


# ---- the real peer ------------------------------------------------------------------

@pytest.mark.peer
async def test_real_llama_cpp_server(llama_server):
    provider = OpenAICompatProvider("llamacpp", llama_server, key_required=False)
    try:
        assert "SmolLM2-135M-Instruct" in await provider.list_models()
        request = ChatRequest("SmolLM2-135M-Instruct", (ChatMessage("user", "Name a colour."),),
                              Sampling(temperature=0), max_tokens=16)
        events = await collect(provider, request)
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        usage = next(e for e in events if isinstance(e, Usage))
        assert text.strip()
        # llama.cpp's server sends no usage in streams; the provider counts it instead.
        assert usage.input_tokens > 0 and usage.output_tokens > 0
        assert isinstance(events[-1], Finish) and events[-1].reason in ("stop", "length")
        assert (await provider.health()).ok
    finally:
        await provider.aclose()


# ---- scripted loopback server ---------------------------------------------------------

async def test_stream_with_reported_usage_and_request_shape():
    usage = sse(None, {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 3}})
    with SSEServer(lambda r: sse_reply(chunk("Hel"), chunk("lo"), chunk(None, "stop"), usage,
                                       sse(None, "[DONE]"))) as server:
        provider = make(server)
        request = ChatRequest("gpt-test", (ChatMessage("system", "be brief"),
                                           ChatMessage("user", "look", (ImagePart("image/png", b"PNG"),))),
                              Sampling(temperature=0.2, stop=("END",)), max_tokens=5)
        events = await collect(provider, request)
    assert events == [TextDelta("Hel"), TextDelta("lo"), Usage(11, 3), Finish("stop")]
    sent = server.requests[0]
    assert sent.route == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {SENTINEL}"
    body = sent.json
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 5 and body["temperature"] == 0.2 and body["stop"] == ["END"]
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert body["messages"][1]["content"][1] == {"type": "image_url",
                                                 "image_url": {"url": "data:image/png;base64,UE5H"}}


async def test_length_finish():
    with SSEServer(lambda r: sse_reply(chunk("a"), chunk(None, "length"), sse(None, "[DONE]"))) as server:
        events = await collect(make(server), ask())
    assert events[-1] == Finish("length")
    assert isinstance(events[-2], Usage) and events[-2].estimated


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "words"),
    [
        (401, {"error": {"message": f"Incorrect API key provided: {SENTINEL}"}}, {}, AuthError, "refused the API key"),
        (403, {"error": {"message": "forbidden"}}, {}, AuthError, "refused the API key"),
        (429, {"error": {"message": "slow down"}}, {"retry-after": "7"}, RateLimitedError, "rate-limiting"),
        (500, {"error": {"message": "boom"}}, {}, UnavailableError, "server error"),
        (503, "upstream overloaded", {}, UnavailableError, "overloaded"),
        (400, {"error": {"message": "This model's maximum context length is 8192 tokens",
                         "code": "context_length_exceeded"}}, {}, ContextTooLongError, "too long"),
        (400, {"error": {"message": "bad temperature"}}, {}, BadRequestError, "rejected the request"),
        (404, {"error": {"message": "The model `gpt-9` does not exist"}}, {}, ModelMissingError, "does not have"),
    ],
)
async def test_http_errors_map_to_types(status, body, headers, error, words):
    reply = json_reply(body, status, headers) if isinstance(body, dict) else \
        sse_reply(body.encode(), status=status, headers=headers)
    with SSEServer(lambda r: reply) as server, pytest.raises(error) as caught:
        await collect(make(server), ask())
    assert words in caught.value.message
    assert SENTINEL not in str(caught.value) and SENTINEL not in repr(caught.value)
    if status == 429:
        assert caught.value.retry_after == 7


async def test_error_event_inside_the_stream():
    err = sse(None, {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}})
    with SSEServer(lambda r: sse_reply(chunk("partial"), err)) as server:
        seen = []
        with pytest.raises(RateLimitedError):
            async for event in make(server).stream_chat(ask()):
                seen.append(event)
    assert seen == [TextDelta("partial")]


async def test_local_server_needs_no_key():
    with SSEServer(lambda r: sse_reply(chunk("hi"), sse(None, "[DONE]"))) as server:
        provider = make(server, key=None, key_required=False)
        await collect(provider, ask())
    assert "authorization" not in server.requests[0].headers


async def test_list_models_keeps_the_windows_servers_report():
    listing = {"data": [{"id": "router-model", "context_length": 200_000},  # OpenRouter
                        {"id": "studio-model", "max_context_length": 32_768},  # LM Studio
                        {"id": "vllm-model", "max_model_len": 16_384},  # vLLM
                        {"id": "plain"}, {"id": "odd", "context_length": "big"}]}
    with SSEServer(lambda r: json_reply(listing)) as server:
        provider = make(server)
        assert await provider.list_models() == ["odd", "plain", "router-model", "studio-model", "vllm-model"]
    assert provider.reported_windows == {"router-model": 200_000, "studio-model": 32_768, "vllm-model": 16_384}


async def test_list_models_and_repr():
    with SSEServer(lambda r: json_reply({"data": [{"id": "b"}, {"id": "a"}]})) as server:
        provider = make(server)
        assert await provider.list_models() == ["a", "b"]
        assert (await provider.health()).detail == "OK, 2 models"
    assert SENTINEL not in repr(provider)
