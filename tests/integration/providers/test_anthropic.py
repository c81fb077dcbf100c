"""AnthropicProvider against a real HTTP server on 127.0.0.1 speaking the Messages API's events."""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from app.core.providers.anthropic import AnthropicProvider
from app.core.providers.base import (
    CancelToken,
    ChatMessage,
    ChatRequest,
    Finish,
    Health,
    ImagePart,
    Provider,
    Sampling,
    StreamEvent,
    TextDelta,
    Usage,
)
from app.core.providers.errors import (
    AuthError,
    BadRequestError,
    ContextTooLongError,
    ModelMissingError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from tests.support.sse_server import (
    HANGUP,
    Chunk,
    Handler,
    RecordedRequest,
    Reply,
    SSEServer,
    json_reply,
    sse,
    sse_reply,
)

KEY = "sk-ant-SENTINEL-123456789"
MODEL = "claude-test-1"
HELLO = ChatRequest(MODEL, (ChatMessage("user", "Hi"),))

# The Messages API's stream, one event at a time.


def message_start(input_tokens: int = 12) -> bytes:
    message: dict[str, Any] = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": 1},
    }
    return sse("message_start", {"type": "message_start", "message": message})


def block_start(index: int = 0, kind: str = "text") -> bytes:
    block = {"type": kind, "text": ""} if kind == "text" else {"type": kind, "thinking": ""}
    return sse(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )


def text_delta(text: str, index: int = 0) -> bytes:
    delta = {"type": "text_delta", "text": text}
    return sse(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


def thinking_delta(text: str, index: int = 0) -> bytes:
    delta = {"type": "thinking_delta", "thinking": text}
    return sse(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


def block_stop(index: int = 0) -> bytes:
    return sse("content_block_stop", {"type": "content_block_stop", "index": index})


def message_delta(stop_reason: str = "end_turn", output_tokens: int = 7) -> bytes:
    return sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
    )


def error_event(kind: str, message: str) -> bytes:
    return sse("error", {"type": "error", "error": {"type": kind, "message": message}})


PING = sse("ping", {"type": "ping"})
MESSAGE_STOP = sse("message_stop", {"type": "message_stop"})


def reply_with(*texts: str, stop_reason: str = "end_turn") -> Reply:
    """A whole, well-formed reply made of ``texts``."""
    return sse_reply(
        message_start(),
        block_start(),
        PING,
        *(text_delta(t) for t in texts),
        block_stop(),
        message_delta(stop_reason),
        MESSAGE_STOP,
    )


def api_error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return json_reply(
        {"type": "error", "error": {"type": kind, "message": message}}, status, headers
    )


def always(reply: Reply) -> Handler:
    return lambda request: reply


# Fixtures: servers and providers that are stopped and closed whatever the test does.


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], SSEServer]]:
    servers: list[SSEServer] = []

    def start(handler: Handler) -> SSEServer:
        servers.append(SSEServer(handler).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


MakeProvider = Callable[..., AnthropicProvider]


@pytest.fixture
async def provider_for() -> AsyncIterator[MakeProvider]:
    made: list[AnthropicProvider] = []
    clients: list[httpx.AsyncClient] = []

    def make(
        server: SSEServer | str,
        key: str | None = KEY,
        *,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> AnthropicProvider:
        if read_timeout is not None:
            clients.append(httpx.AsyncClient(timeout=read_timeout))
            kwargs["client"] = clients[-1]
        url = server if isinstance(server, str) else server.url
        made.append(AnthropicProvider("anthropic", lambda: key, base_url=url, **kwargs))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()
    for client in clients:
        await client.aclose()


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    async with aclosing(stream) as events:  # type: ignore[type-var]
        return [event async for event in events]


async def collect_until_error(
    stream: AsyncIterator[StreamEvent],
) -> tuple[list[StreamEvent], ProviderError]:
    seen: list[StreamEvent] = []
    with pytest.raises(ProviderError) as caught:
        async with aclosing(stream) as events:  # type: ignore[type-var]
            async for event in events:
                seen.append(event)
    return seen, caught.value


def assert_no_key(error: BaseException, key: str = KEY) -> None:
    """Not in the message, the repr, nor anywhere in a printed traceback with its causes."""
    printed = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), printed, *map(str, error.args)):
        assert key not in text


# A streamed reply.


async def test_streams_text_then_usage_then_finish(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(
        always(
            sse_reply(
                message_start(input_tokens=12),
                block_start(0, "thinking"),
                thinking_delta("hmm"),
                block_stop(0),
                block_start(1),
                PING,
                text_delta("Hel", 1),
                text_delta("lo", 1),
                PING,
                text_delta(" there", 1),
                block_stop(1),
                message_delta("end_turn", output_tokens=7),
                MESSAGE_STOP,
            )
        )
    )

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events == [
        TextDelta("Hel"),
        TextDelta("lo"),
        TextDelta(" there"),
        Usage(12, 7),
        Finish("stop"),
    ]


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
    ],
)
async def test_stop_reason_becomes_finish(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, stop_reason: str, finish: str
) -> None:
    server = serve(always(reply_with("a", "b", stop_reason=stop_reason)))

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events[-1] == Finish(finish)  # type: ignore[arg-type]


async def test_request_carries_roles_system_images_sampling_and_key_header(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(reply_with("ok")))
    png = ImagePart("image/png", b"\x89PNG fake")
    request = ChatRequest(
        MODEL,
        (
            ChatMessage("system", "Be brief."),
            ChatMessage("system", "Answer in French."),
            ChatMessage("user", "What is this?", (png,)),
            ChatMessage("assistant", "Une image."),
            ChatMessage("user", "Sure?"),
        ),
        Sampling(temperature=0.2, top_p=0.9, top_k=40, seed=7, stop=("END",)),
        max_tokens=256,
    )

    await collect(provider_for(server).stream_chat(request))

    [sent] = server.requests
    assert (sent.method, sent.route) == ("POST", "/v1/messages")
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["content-type"] == "application/json"
    assert KEY not in sent.path
    assert sent.json == {
        "model": MODEL,
        "max_tokens": 256,
        "stream": True,
        "system": "Be brief.\n\nAnswer in French.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": png.base64(),
                        },
                    },
                    {"type": "text", "text": "What is this?"},
                ],
            },
            {"role": "assistant", "content": "Une image."},
            {"role": "user", "content": "Sure?"},
        ],
        "temperature": 0.2,
        "top_p": 0.9,
        "top_k": 40,
        "stop_sequences": ["END"],
    }


async def test_max_tokens_defaults_when_the_request_has_none(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(reply_with("ok")))

    await collect(provider_for(server).stream_chat(HELLO))
    await collect(provider_for(server, default_max_tokens=1000).stream_chat(HELLO))

    assert [r.json["max_tokens"] for r in server.requests] == [4096, 1000]
    assert "system" not in server.requests[0].json and "temperature" not in server.requests[0].json


# HTTP failures before the stream starts.


@pytest.mark.parametrize(
    ("reply", "error_type", "said"),
    [
        (
            api_error(401, "authentication_error", "invalid x-api-key"),
            AuthError,
            "refused the API key (401)",
        ),
        (api_error(403, "permission_error", "not allowed"), AuthError, "refused the API key (403)"),
        (
            api_error(529, "overloaded_error", "Overloaded"),
            UnavailableError,
            "is overloaded (529): Overloaded",
        ),
        (
            api_error(500, "api_error", "Internal server error"),
            UnavailableError,
            "server error (500)",
        ),
        (
            api_error(
                400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"
            ),
            ContextTooLongError,
            "prompt is too long",
        ),
        (
            api_error(404, "not_found_error", f"model: {MODEL}"),
            ModelMissingError,
            f"(404): model: {MODEL}",
        ),
    ],
    ids=["401", "403", "529", "500", "400-too-long", "404"],
)
async def test_http_status_becomes_typed_error(
    serve: Callable[[Handler], SSEServer],
    provider_for: MakeProvider,
    reply: Reply,
    error_type: type[ProviderError],
    said: str,
) -> None:
    server = serve(always(reply))

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == []
    assert type(error) is error_type
    assert error.provider == "anthropic"
    assert said in error.message


async def test_429_carries_retry_after(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(api_error(429, "rate_limit_error", "slow down", {"retry-after": "7"})))

    _, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7
    assert "slow down" in error.message


# Failures in the middle of the stream.


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [
        ("overloaded_error", UnavailableError),
        ("rate_limit_error", RateLimitedError),
        ("api_error", UnavailableError),
    ],
)
async def test_error_event_mid_reply_after_earlier_text(
    serve: Callable[[Handler], SSEServer],
    provider_for: MakeProvider,
    kind: str,
    error_type: type[ProviderError],
) -> None:
    server = serve(
        always(
            sse_reply(
                message_start(),
                block_start(),
                text_delta("Once"),
                text_delta(" upon"),
                error_event(kind, "Overloaded"),
                text_delta(" never sent"),
            )
        )
    )

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("Once"), TextDelta(" upon")]
    assert type(error) is error_type
    assert "Overloaded" in error.message


async def test_malformed_json_in_an_event_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(
        always(
            sse_reply(
                message_start(),
                text_delta("ok"),
                b'event: content_block_delta\ndata: {"type": "content_blo\n\n',
            )
        )
    )

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("ok")]
    assert type(error) is UnavailableError
    assert "could not be read" in error.message


@pytest.mark.parametrize(
    "timing",
    [{"read_timeout": 0.5}, {"timeout": httpx.Timeout(10, read=0.3)}],
    ids=["client-passed-in", "timeout-argument"],
)
async def test_a_stall_past_the_read_timeout_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, timing: dict[str, Any]
) -> None:
    server = serve(always(sse_reply(message_start(), text_delta("slow"), 5.0, text_delta("never"))))
    started = time.monotonic()

    events, error = await collect_until_error(provider_for(server, **timing).stream_chat(HELLO))

    assert events == [TextDelta("slow")]
    assert type(error) is UnavailableError
    assert "did not answer in time" in error.message
    assert time.monotonic() - started < 3


async def test_connection_refused_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(reply_with("never")))
    url = server.url
    server.stop()

    _, error = await collect_until_error(provider_for(url).stream_chat(HELLO))

    assert type(error) is UnavailableError
    assert "Cannot reach anthropic" in error.message


async def test_a_connection_dropped_mid_reply_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(message_start(), text_delta("half"), HANGUP)))

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("half")]
    assert type(error) is UnavailableError
    assert "connection" in error.message


async def test_a_stream_that_ends_without_message_stop_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(message_start(), text_delta("half"))))

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("half")]
    assert type(error) is UnavailableError
    assert "before the reply was complete" in error.message


async def test_a_2xx_that_is_not_an_event_stream_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(
        always(Reply(200, {"content-type": "text/html"}, [b"<html>Sign in to the Wi-Fi</html>"]))
    )

    _, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert type(error) is UnavailableError
    assert "did not answer with a stream" in error.message


# Stopping.


def slow_reply(count: int = 100, pause: float = 0.02) -> Reply:
    """Many deltas with a pause before each: reading them all would take count × pause seconds."""
    chunks: list[Chunk] = [message_start(), block_start()]
    for i in range(count):
        chunks += [text_delta(f"w{i} "), pause]
    return sse_reply(*chunks, block_stop(), message_delta(), MESSAGE_STOP)


async def test_cancel_after_the_first_delta_finishes_cancelled_and_stops_reading(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(slow_reply()))
    request = ChatRequest(MODEL, HELLO.messages, cancel=CancelToken())
    started = time.monotonic()

    events: list[StreamEvent] = []
    async with aclosing(provider_for(server).stream_chat(request)) as stream:  # type: ignore[type-var]
        async for event in stream:
            events.append(event)
            request.cancel.cancel()

    assert events == [TextDelta("w0 "), Finish("cancelled")]
    assert time.monotonic() - started < 1.0
    server.wait_until_idle()
    [served] = server.served
    assert served.client_gone and not served.complete
    assert served.chunks_written < 20  # of 105


@pytest.mark.parametrize("how", ["task cancelled", "generator closed"])
async def test_abandoning_the_stream_closes_the_response(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, how: str
) -> None:
    server = serve(always(slow_reply()))
    first = asyncio.Event()
    stream = provider_for(server).stream_chat(HELLO)

    async def consume() -> None:
        async for _ in stream:
            first.set()
            if how == "generator closed":
                break

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2)
    if how == "task cancelled":
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        await task
        await stream.aclose()  # type: ignore[attr-defined]

    server.wait_until_idle()
    [served] = server.served
    assert served.client_gone and served.chunks_written < 20


async def test_already_cancelled_sends_nothing(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(reply_with("never")))
    request = ChatRequest(MODEL, HELLO.messages, cancel=CancelToken())
    request.cancel.cancel()

    assert await collect(provider_for(server).stream_chat(request)) == [Finish("cancelled")]
    assert server.requests == []


# The key.


@pytest.mark.parametrize("missing", [None, "", "   "])
async def test_missing_key_is_auth_error_before_any_request(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, missing: str | None
) -> None:
    server = serve(always(reply_with("never")))
    provider = provider_for(server, key=missing)

    _, error = await collect_until_error(provider.stream_chat(HELLO))
    with pytest.raises(AuthError):
        await provider.list_models()

    assert type(error) is AuthError
    assert error.message == "No API key for anthropic. Add one in Settings → Providers."
    assert await provider.health() == Health(False, error.message)
    assert server.requests == []


def echo_key(request: RecordedRequest) -> Reply:
    """A careless server that repeats the key it was sent in every error it reports."""
    key = request.headers.get("x-api-key", "")
    if request.route == "/v1/models":
        return api_error(401, "authentication_error", f"invalid x-api-key: {key}")
    body = request.json
    if body["model"] == "echo-400":
        return api_error(400, "invalid_request_error", f"bad key {key} in request")
    return sse_reply(
        message_start(), text_delta("hi"), error_event("api_error", f"internal: {key} failed")
    )


@pytest.mark.parametrize(
    "key", [KEY, "plain-SENTINEL-secret"], ids=["sk-ant-key", "key-scrub-cannot-spot"]
)
async def test_the_key_never_appears_in_errors_or_reprs(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, key: str
) -> None:
    server = serve(echo_key)
    provider = provider_for(server, key=key)
    errors: list[ProviderError] = []

    for model in ("echo-400", "echo-in-stream"):
        errors.append(
            (await collect_until_error(provider.stream_chat(ChatRequest(model, HELLO.messages))))[1]
        )
    with pytest.raises(ProviderError) as listing:
        await provider.list_models()
    errors.append(listing.value)
    health = await provider.health()

    assert [type(e) for e in errors] == [BadRequestError, UnavailableError, AuthError]
    for error in errors:
        assert_no_key(error, key)
        assert "[redacted]" in error.message
    assert key not in health.detail and not health.ok
    assert key not in repr(provider) and key not in str(provider)
    assert repr(provider) == f"AnthropicProvider(id='anthropic', base_url='{server.url}')"
    assert key not in str(vars(provider))


async def test_transport_errors_do_not_carry_the_key(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(message_start(), 5.0)))
    url = server.url

    _, stalled = await collect_until_error(
        provider_for(server, read_timeout=0.3).stream_chat(HELLO)
    )
    server.stop()
    _, refused = await collect_until_error(provider_for(url).stream_chat(HELLO))

    for error in (stalled, refused):
        assert_no_key(error)


# Models and health.


def models_pages(request: RecordedRequest) -> Reply:
    if request.query.get("after_id") == ["claude-b"]:
        return json_reply(
            {
                "data": [{"id": "claude-c", "type": "model"}],
                "has_more": False,
                "last_id": "claude-c",
            }
        )
    return json_reply(
        {
            "data": [{"id": "claude-a", "type": "model"}, {"id": "claude-b", "type": "model"}],
            "has_more": True,
            "first_id": "claude-a",
            "last_id": "claude-b",
        }
    )


async def test_list_models_follows_pages(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(models_pages)

    assert await provider_for(server).list_models() == ["claude-a", "claude-b", "claude-c"]
    assert [r.route for r in server.requests] == ["/v1/models", "/v1/models"]
    assert all(r.method == "GET" and r.headers["x-api-key"] == KEY for r in server.requests)
    assert all(r.headers["anthropic-version"] == "2023-06-01" for r in server.requests)


async def test_health_reports_models_or_the_reason(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    good = serve(models_pages)
    bad = serve(always(api_error(401, "authentication_error", "invalid x-api-key")))

    assert await provider_for(good).health() == Health(True, "OK, 3 models")
    health = await provider_for(bad).health()
    assert not health.ok
    assert "refused the API key" in health.detail


async def test_unreadable_model_list_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(Reply(200, {"content-type": "application/json"}, [b"{not json"])))

    with pytest.raises(UnavailableError, match="could not be read"):
        await provider_for(server).list_models()


# The object itself.


async def test_is_a_provider_and_closes_only_its_own_client(
    serve: Callable[[Handler], SSEServer],
) -> None:
    server = serve(always(reply_with("ok")))
    async with httpx.AsyncClient() as shared:
        borrowed = AnthropicProvider("anthropic", lambda: KEY, base_url=server.url, client=shared)
        owned = AnthropicProvider("anthropic", lambda: KEY, base_url=server.url)

        assert isinstance(borrowed, Provider)
        assert owned._client.timeout == httpx.Timeout(connect=10, read=60, write=30, pool=10)
        await borrowed.aclose()
        await owned.aclose()

        assert not shared.is_closed
        assert owned._client.is_closed
