"""GeminiProvider against a real HTTP server on 127.0.0.1 speaking streamGenerateContent's SSE."""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

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
from app.core.providers.gemini import GeminiProvider
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

KEY = "AIzaSy-SENTINEL-0123456789abcdefghij"
MODEL = "gemini-test-flash"
STREAM_ROUTE = f"/v1beta/models/{MODEL}:streamGenerateContent"
HELLO = ChatRequest(MODEL, (ChatMessage("user", "Hi"),))

# streamGenerateContent's stream: every event is one GenerateContentResponse.


def chunk(
    *texts: str,
    finish: str | None = None,
    prompt: int | None = None,
    output: int | None = None,
    thought: str | None = None,
) -> bytes:
    parts: list[dict[str, Any]] = [{"text": thought, "thought": True}] if thought else []
    parts += [{"text": t} for t in texts]
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    data: dict[str, Any] = {"candidates": [candidate], "modelVersion": MODEL}
    if prompt is not None:
        data["usageMetadata"] = {
            "promptTokenCount": prompt,
            "candidatesTokenCount": output or 0,
            "totalTokenCount": prompt + (output or 0),
        }
    return sse(None, data)


def error_chunk(code: int, status: str, message: str) -> bytes:
    return sse(None, {"error": {"code": code, "message": message, "status": status}})


def reply_with(*texts: str, finish: str = "STOP") -> Reply:
    """A whole, well-formed reply made of ``texts``."""
    middle = [chunk(t, prompt=9, output=i + 1) for i, t in enumerate(texts)]
    return sse_reply(*middle, chunk(finish=finish, prompt=9, output=len(texts)))


def api_error(
    status: int, code_name: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    return json_reply(
        {"error": {"code": status, "message": message, "status": code_name}}, status, headers
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


MakeProvider = Callable[..., GeminiProvider]


@pytest.fixture
async def provider_for() -> AsyncIterator[MakeProvider]:
    made: list[GeminiProvider] = []
    clients: list[httpx.AsyncClient] = []

    def make(
        server: SSEServer | str,
        key: str | None = KEY,
        *,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> GeminiProvider:
        if read_timeout is not None:
            clients.append(httpx.AsyncClient(timeout=read_timeout))
            kwargs["client"] = clients[-1]
        url = server if isinstance(server, str) else server.url
        made.append(GeminiProvider("gemini", lambda: key, base_url=url, **kwargs))
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
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    crlf = [c.replace(b"\n", b"\r\n") for c in (chunk("a"), chunk("b", finish="STOP"))]
    server = serve(always(sse_reply(*crlf)))

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("a"), TextDelta("b"), Finish("stop")]


async def test_thinking_tokens_count_as_output(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
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
    serve: Callable[[Handler], SSEServer],
    provider_for: MakeProvider,
    finish_reason: str,
    finish: str,
) -> None:
    server = serve(always(reply_with("a", "b", finish=finish_reason)))

    events = await collect(provider_for(server).stream_chat(HELLO))

    assert events[:2] == [TextDelta("a"), TextDelta("b")]
    assert events[-1] == Finish(finish)  # type: ignore[arg-type]


async def test_a_reply_without_usage_has_no_usage_event(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(chunk("a"), chunk("b", finish="STOP"))))

    assert await collect(provider_for(server).stream_chat(HELLO)) == [
        TextDelta("a"),
        TextDelta("b"),
        Finish("stop"),
    ]


async def test_request_carries_roles_system_images_config_and_key_header(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
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


async def test_a_plain_request_sends_no_config(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(reply_with("ok")))

    await collect(provider_for(server).stream_chat(HELLO))

    assert server.requests[0].json == {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}


async def test_the_model_name_cannot_escape_its_path(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
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
    assert error.provider == "gemini"
    assert said in error.message


async def test_a_400_for_an_invalid_key_is_an_auth_error(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
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


async def test_429_carries_retry_after(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(
        always(api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", {"retry-after": "7"}))
    )

    _, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7
    assert "Quota exceeded" in error.message


@pytest.mark.parametrize("wrapped", [False, True])
async def test_429_without_retry_after_takes_retry_info_from_the_body(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, wrapped: bool
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
    server = serve(always(json_reply([error_body] if wrapped else error_body, 429)))

    _, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

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
    serve: Callable[[Handler], SSEServer],
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


async def test_a_blocked_prompt_is_a_bad_request(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    blocked = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 5},
    }
    server = serve(always(sse_reply(sse(None, blocked))))

    _, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert type(error) is BadRequestError
    assert "blocked: SAFETY" in error.message


async def test_malformed_json_in_an_event_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(chunk("ok"), b'data: {"candidates": [{"content": \n\n')))

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
    server = serve(always(sse_reply(chunk("slow"), 5.0, chunk("never", finish="STOP"))))
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
    assert "Cannot reach gemini" in error.message


async def test_a_connection_dropped_mid_reply_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(chunk("half"), HANGUP)))

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("half")]
    assert type(error) is UnavailableError
    assert "connection" in error.message


async def test_a_stream_that_ends_without_a_finish_reason_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    reply = sse_reply(chunk("half"))
    reply.framing = "close"  # the body just ends with the connection
    server = serve(always(reply))

    events, error = await collect_until_error(provider_for(server).stream_chat(HELLO))

    assert events == [TextDelta("half")]
    assert type(error) is UnavailableError
    assert "before the reply was complete" in error.message


# Stopping.


def slow_reply(count: int = 100, pause: float = 0.02) -> Reply:
    """Many chunks with a pause before each: reading them all would take count × pause seconds."""
    chunks: list[Chunk] = []
    for i in range(count):
        chunks += [chunk(f"w{i} "), pause]
    return sse_reply(*chunks, chunk(finish="STOP"))


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
    assert served.chunks_written < 20  # of 101


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
    assert error.message == "No API key for gemini. Add one in Settings → Providers."
    assert await provider.health() == Health(False, error.message)
    assert server.requests == []


def echo_key(request: RecordedRequest) -> Reply:
    """A careless server that repeats the key it was sent in every error it reports."""
    key = request.headers.get("x-goog-api-key", "")
    if request.route == "/v1beta/models":
        return api_error(400, "INVALID_ARGUMENT", f"API key not valid: {key}")
    if request.route.startswith("/v1beta/models/echo-403"):
        return api_error(403, "PERMISSION_DENIED", f"key {key} has no access")
    return sse_reply(chunk("hi"), error_chunk(500, "INTERNAL", f"internal: {key} failed"))


@pytest.mark.parametrize(
    "key", [KEY, "plain-SENTINEL-secret"], ids=["AIza-key", "key-scrub-cannot-spot"]
)
async def test_the_key_never_appears_in_errors_or_reprs(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, key: str
) -> None:
    server = serve(echo_key)
    provider = provider_for(server, key=key)
    errors: list[ProviderError] = []

    for model in ("echo-403", "echo-in-stream"):
        errors.append(
            (await collect_until_error(provider.stream_chat(ChatRequest(model, HELLO.messages))))[1]
        )
    with pytest.raises(ProviderError) as listing:
        await provider.list_models()
    errors.append(listing.value)
    health = await provider.health()

    assert [type(e) for e in errors] == [AuthError, UnavailableError, BadRequestError]
    for error in errors:
        assert_no_key(error, key)
        assert "[redacted]" in error.message
    assert key not in health.detail and not health.ok
    assert key not in repr(provider) and key not in str(provider)
    assert repr(provider) == f"GeminiProvider(id='gemini', base_url='{server.url}')"
    assert key not in str(vars(provider))


async def test_transport_errors_do_not_carry_the_key(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(sse_reply(chunk("a"), 5.0)))
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
    if request.query.get("pageToken") == ["page-2"]:
        return json_reply(
            {
                "models": [
                    {
                        "name": "models/gemini-c",
                        "supportedGenerationMethods": ["generateContent", "countTokens"],
                    },
                ]
            }
        )
    return json_reply(
        {
            "models": [
                {"name": "models/gemini-a", "supportedGenerationMethods": ["generateContent"]},
                {
                    "name": "models/text-embedding-004",
                    "supportedGenerationMethods": ["embedContent"],
                },
                {"name": "models/gemini-b"},
            ],
            "nextPageToken": "page-2",
        }
    )


async def test_list_models_follows_pages_and_keeps_chat_models(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(models_pages)

    assert await provider_for(server).list_models() == ["gemini-a", "gemini-b", "gemini-c"]
    assert [(r.method, r.route) for r in server.requests] == [("GET", "/v1beta/models")] * 2
    assert [r.query.get("pageToken") for r in server.requests] == [None, ["page-2"]]
    assert all(r.headers["x-goog-api-key"] == KEY and KEY not in r.path for r in server.requests)


async def test_list_models_stops_after_a_few_pages(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    endless = serve(
        always(json_reply({"models": [{"name": "models/m"}], "nextPageToken": "again"}))
    )

    assert len(await provider_for(endless).list_models()) == len(endless.requests) <= 10


async def test_health_reports_models_or_the_reason(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    good = serve(models_pages)
    bad = serve(always(api_error(403, "PERMISSION_DENIED", "Permission denied.")))

    assert await provider_for(good).health() == Health(True, "OK, 3 models")
    health = await provider_for(bad).health()
    assert not health.ok
    assert "refused the API key" in health.detail


async def test_unreadable_model_list_is_unavailable(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider
) -> None:
    server = serve(always(Reply(200, {"content-type": "application/json"}, [b"[1, 2"])))

    with pytest.raises(UnavailableError, match="could not be read"):
        await provider_for(server).list_models()


# The object itself.


async def test_is_a_provider_and_closes_only_its_own_client(
    serve: Callable[[Handler], SSEServer],
) -> None:
    server = serve(always(reply_with("ok")))
    async with httpx.AsyncClient() as shared:
        borrowed = GeminiProvider("gemini", lambda: KEY, base_url=server.url, client=shared)
        owned = GeminiProvider("gemini", lambda: KEY, base_url=server.url)

        assert isinstance(borrowed, Provider)
        assert owned._client.timeout == httpx.Timeout(connect=10, read=60, write=30, pool=10)
        await borrowed.aclose()
        await owned.aclose()

        assert not shared.is_closed
        assert owned._client.is_closed
