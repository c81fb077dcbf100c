"""GeminiProvider against a real HTTP server on 127.0.0.1 speaking streamGenerateContent's SSE.

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
    BadRequestError,
    ContextTooLongError,
    ModelMissingError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)
from tests.support.remote_dialects import (
    GEMINI,
    Dialect,
    MakeProvider,
    Serve,
    StreamError,
    always,
    collect,
    collect_until_error,
)
from tests.support.remote_dialects import (
    GEMINI_KEY as KEY,
)
from tests.support.remote_dialects import (
    GEMINI_MODEL as MODEL,
)
from tests.support.remote_dialects import gemini_chunk as chunk
from tests.support.remote_dialects import gemini_error as api_error
from tests.support.remote_dialects import gemini_error_chunk as error_chunk
from tests.support.remote_dialects import gemini_models as models_pages
from tests.support.sse_server import Reply, json_reply, sse, sse_reply

STREAM_ROUTE = f"/v1beta/models/{MODEL}:streamGenerateContent"
HELLO = ChatRequest(MODEL, (ChatMessage("user", "Hi"),))


@pytest.fixture
def dialect() -> Dialect:
    return GEMINI


# streamGenerateContent's stream: every event is one GenerateContentResponse.


def reply_with(*texts: str, finish: str = "STOP") -> Reply:
    """A whole, well-formed reply made of ``texts``."""
    middle = [chunk(t, prompt=9, output=i + 1) for i, t in enumerate(texts)]
    return sse_reply(*middle, chunk(finish=finish, prompt=9, output=len(texts)))


# Fixtures: servers and providers that are stopped and closed whatever the test does.


# A streamed reply.


async def test_streams_text_then_usage_then_finish(
    serve: Serve, provider_for: MakeProvider
) -> None:
    server = serve(
        always(
            sse_reply(
                chunk("Hel", thought="Thinking about greetings", prompt=9, output=1),
                chunk("lo", " there", prompt=9, output=3),
                chunk(
                    "!", finish="STOP", prompt=11, output=5
                ),  # the last counts seen are the answer
            )
        )
    )

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events == [
        TextDelta("Hel"),
        TextDelta("lo there"),
        TextDelta("!"),
        Usage(11, 5),
        Finish("stop"),
    ]


async def test_events_split_by_crlf_as_google_sends_them(
    serve: Serve, provider_for: MakeProvider
) -> None:
    crlf = [c.replace(b"\n", b"\r\n") for c in (chunk("a"), chunk("b", finish="STOP"))]
    server = serve(always(sse_reply(*crlf)))

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("a"), TextDelta("b"), Finish("stop")]


async def test_thinking_tokens_count_as_output(serve: Serve, provider_for: MakeProvider) -> None:
    usage = {"promptTokenCount": 4, "candidatesTokenCount": 6, "thoughtsTokenCount": 20}
    final = {
        "candidates": [{"content": {"parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
        "usageMetadata": usage,
    }
    server = serve(always(sse_reply(sse(None, final))))

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("ok"), Usage(4, 26), Finish("stop")]


@pytest.mark.parametrize(
    ("finish_reason", "finish"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "stop"),
        ("RECITATION", "stop"),
    ],
)
async def test_finish_reason_becomes_finish(
    serve: Serve,
    provider_for: MakeProvider,
    finish_reason: str,
    finish: str,
) -> None:
    server = serve(always(reply_with("a", "b", finish=finish_reason)))

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events[:2] == [TextDelta("a"), TextDelta("b")]
    assert events[-1] == Finish(finish)  # type: ignore[arg-type]


async def test_a_reply_without_usage_has_no_usage_event(
    serve: Serve, provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(chunk("a"), chunk("b", finish="STOP"))))

    assert await collect(provider_for(server).stream_chat(HELLO)) == [
        TextDelta("a"),
        TextDelta("b"),
        Finish("stop"),
    ]


async def test_request_carries_roles_system_images_config_and_key_header(
    serve: Serve, provider_for: MakeProvider
) -> None:
    server = serve(always(reply_with("ok")))
    jpeg = ImagePart("image/jpeg", b"\xff\xd8 fake jpeg")
    request = ChatRequest(
        f"models/{MODEL}",  # the prefixed form Gemini itself lists works too
        (
            ChatMessage("system", "Be brief."),
            ChatMessage("user", "What is this?", (jpeg,)),
            ChatMessage("assistant", "A photo."),
            ChatMessage("system", "Answer in French."),
            ChatMessage("user", "Sure?"),
        ),
        Sampling(temperature=0.2, top_p=0.9, top_k=40, seed=7, stop=("END", "STOP HERE")),
        max_tokens=256,
    )

    await collect(provider_for(server).stream_chat(request))

    [sent] = server.requests
    assert (sent.method, sent.route) == ("POST", STREAM_ROUTE)
    assert sent.query == {"alt": ["sse"]}
    assert sent.headers["x-goog-api-key"] == KEY
    assert KEY not in sent.path and "key=" not in sent.path
    assert sent.json == {
        "systemInstruction": {"parts": [{"text": "Be brief.\n\nAnswer in French."}]},
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "What is this?"},
                    {"inlineData": {"mimeType": "image/jpeg", "data": jpeg.base64()}},
                ],
            },
            {"role": "model", "parts": [{"text": "A photo."}]},
            {"role": "user", "parts": [{"text": "Sure?"}]},
        ],
        "generationConfig": {
            "maxOutputTokens": 256,
            "temperature": 0.2,
            "topP": 0.9,
            "topK": 40,
            "seed": 7,
            "stopSequences": ["END", "STOP HERE"],
        },
    }


async def test_a_plain_request_sends_no_config(serve: Serve, provider_for: MakeProvider) -> None:
    server = serve(always(reply_with("ok")))

    await collect(provider_for(server).stream_chat(HELLO))

    assert server.requests[0].json == {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}


async def test_the_model_name_cannot_escape_its_path(
    serve: Serve, provider_for: MakeProvider
) -> None:
    server = serve(always(reply_with("ok")))

    await collect(provider_for(server).stream_chat(ChatRequest("../../x?key=1", HELLO.messages)))

    assert server.requests[0].route == "/v1beta/models/..%2F..%2Fx%3Fkey%3D1:streamGenerateContent"


# HTTP failures before the stream starts.


@pytest.mark.parametrize(
    ("reply", "error_type", "said"),
    [
        (
            api_error(401, "UNAUTHENTICATED", "API key not valid."),
            AuthError,
            "refused the API key (401)",
        ),
        (
            api_error(403, "PERMISSION_DENIED", "Permission denied."),
            AuthError,
            "refused the API key (403)",
        ),
        (
            api_error(503, "UNAVAILABLE", "The model is overloaded."),
            UnavailableError,
            "is overloaded (503)",
        ),
        (
            api_error(500, "INTERNAL", "An internal error has occurred."),
            UnavailableError,
            "server error (500)",
        ),
        (
            api_error(
                400,
                "INVALID_ARGUMENT",
                "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
            ),
            ContextTooLongError,
            "exceeds the maximum number of tokens",
        ),
        (
            api_error(400, "INVALID_ARGUMENT", 'Unknown name "foo"'),
            BadRequestError,
            "rejected the request (400)",
        ),
        (
            api_error(404, "NOT_FOUND", f"models/{MODEL} is not found for API version v1beta"),
            ModelMissingError,
            "(404)",
        ),
    ],
    ids=["401", "403", "503", "500", "400-too-long", "400", "404"],
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
    assert error.provider == "gemini"
    assert said in error.message


async def test_a_400_for_an_invalid_key_is_an_auth_error(
    serve: Serve, provider_for: MakeProvider
) -> None:
    # What Gemini really sends for a wrong key: 400 INVALID_ARGUMENT, the reason in the details.
    server = serve(
        always(
            json_reply(
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid. Please pass a valid API key.",
                        "status": "INVALID_ARGUMENT",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                "reason": "API_KEY_INVALID",
                                "domain": "googleapis.com",
                            }
                        ],
                    }
                },
                400,
            )
        )
    )

    _, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert type(error) is AuthError
    assert (
        error.message
        == "gemini refused the API key: API key not valid. Please pass a valid API key."
    )


async def test_429_carries_retry_after(serve: Serve, provider_for: MakeProvider) -> None:
    server = serve(
        always(api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", {"retry-after": "7"}))
    )

    _, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7
    assert "Quota exceeded" in error.message


@pytest.mark.parametrize("wrapped", [False, True])
async def test_429_without_retry_after_takes_retry_info_from_the_body(
    stream_error: StreamError, wrapped: bool
) -> None:
    error_body = {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "27.5s"},
            ],
        }
    }
    _, error = await stream_error(json_reply([error_body] if wrapped else error_body, 429))

    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 27.5


# Failures in the middle of the stream.


@pytest.mark.parametrize(
    ("code", "status", "error_type"),
    [
        (503, "UNAVAILABLE", UnavailableError),
        (429, "RESOURCE_EXHAUSTED", RateLimitedError),
        (500, "INTERNAL", UnavailableError),
    ],
)
async def test_error_chunk_mid_reply_after_earlier_text(
    serve: Serve,
    provider_for: MakeProvider,
    code: int,
    status: str,
    error_type: type[ProviderError],
) -> None:
    server = serve(
        always(
            sse_reply(
                chunk("Once"),
                chunk(" upon"),
                error_chunk(code, status, "The model is overloaded."),
                chunk(" never sent"),
            )
        )
    )

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("Once"), TextDelta(" upon")]
    assert type(error) is error_type
    assert "The model is overloaded." in error.message


async def test_a_blocked_prompt_is_a_bad_request(stream_error: StreamError) -> None:
    blocked = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 5},
    }
    _, error = await stream_error(sse_reply(sse(None, blocked)))

    assert type(error) is BadRequestError
    assert "blocked: SAFETY" in error.message


async def test_list_models_follows_pages_and_keeps_chat_models(
    serve: Serve, provider_for: MakeProvider
) -> None:
    server = serve(models_pages)

    provider = provider_for(server)
    assert await provider.list_models() == ["gemini-a", "gemini-b", "gemini-c"]
    assert provider.reported_windows == {"gemini-c": 1048576}  # the models that say
    assert [(r.method, r.route) for r in server.requests] == [("GET", "/v1beta/models")] * 2
    assert [r.query.get("pageToken") for r in server.requests] == [None, ["page-2"]]
    assert all(r.headers["x-goog-api-key"] == KEY and KEY not in r.path for r in server.requests)


async def test_list_models_stops_after_a_few_pages(
    serve: Serve, provider_for: MakeProvider
) -> None:
    endless = serve(
        always(json_reply({"models": [{"name": "models/m"}], "nextPageToken": "again"}))
    )

    assert len(await provider_for(endless).list_models()) == len(endless.requests) <= 10


# The object itself.
