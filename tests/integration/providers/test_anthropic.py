"""AnthropicProvider against a real HTTP server on 127.0.0.1 speaking the Messages API's events.

What every remote provider does the same way (stopping, transport failures, the key, health)
is tested once for all of them in test_remote_contract.py."""

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
    ContextTooLongError,
    ModelMissingError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from tests.support.remote_dialects import (
    ANTHROPIC,
    MESSAGE_STOP,
    PING,
    Dialect,
    MakeProvider,
    Serve,
    StreamError,
    always,
    block_start,
    block_stop,
    collect,
    collect_until_error,
    error_event,
    message_delta,
    message_start,
    text_delta,
)
from tests.support.remote_dialects import (
    ANTHROPIC_KEY as KEY,
)
from tests.support.remote_dialects import (
    ANTHROPIC_MODEL as MODEL,
)
from tests.support.remote_dialects import anthropic_error as api_error
from tests.support.remote_dialects import anthropic_models as models_pages
from tests.support.sse_server import Reply, sse, sse_reply

HELLO = ChatRequest(MODEL, (ChatMessage("user", "Hi"),))


@pytest.fixture
def dialect() -> Dialect:
    return ANTHROPIC


# The Messages API's stream: the events the shared builders do not cover.


def thinking_delta(text: str, index: int = 0) -> bytes:
    delta = {"type": "thinking_delta", "thinking": text}
    return sse(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


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


# Fixtures: servers and providers that are stopped and closed whatever the test does.


# A streamed reply.


async def test_streams_text_then_usage_then_finish(
    serve: Serve, provider_for: MakeProvider
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
    serve: Serve, provider_for: MakeProvider, stop_reason: str, finish: str
) -> None:
    server = serve(always(reply_with("a", "b", stop_reason=stop_reason)))

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events[-1] == Finish(finish)  # type: ignore[arg-type]


async def test_request_carries_roles_system_images_sampling_and_key_header(
    serve: Serve, provider_for: MakeProvider
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
    serve: Serve, provider_for: MakeProvider
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
    stream_error: StreamError,
    reply: Reply,
    error_type: type[ProviderError],
    said: str,
) -> None:
    events, error = await stream_error(reply)

    assert events == []
    assert type(error) is error_type
    assert error.provider == "anthropic"
    assert said in error.message


async def test_429_carries_retry_after(stream_error: StreamError) -> None:
    _, error = await stream_error(
        api_error(429, "rate_limit_error", "slow down", {"retry-after": "7"})
    )

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
    serve: Serve,
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


async def test_list_models_follows_pages(serve: Serve, provider_for: MakeProvider) -> None:
    server = serve(models_pages)

    assert await provider_for(server).list_models() == ["claude-a", "claude-b", "claude-c"]
    assert [r.route for r in server.requests] == ["/v1/models", "/v1/models"]
    assert all(r.method == "GET" and r.headers["x-api-key"] == KEY for r in server.requests)
    assert all(r.headers["anthropic-version"] == "2023-06-01" for r in server.requests)


# The object itself.
