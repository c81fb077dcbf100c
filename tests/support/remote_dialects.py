"""The three remote providers' APIs as test "dialects", and helpers their tests share.

A ``Dialect`` says how to speak to one provider in a test: how to build it for a server's
URL, a streamed reply made of text chunks (with pauses or a hang-up between them), where
its chat request goes, what its errors and model lists look like. The contract tests in
``tests/integration/providers/test_remote_contract.py`` run the same behaviour checks over
every dialect; the per-provider test files use the event builders here for their
API-specific tests.
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from app.core.providers.anthropic import AnthropicProvider
from app.core.providers.base import StreamEvent
from app.core.providers.errors import (
    AuthError,
    BadRequestError,
    ProviderError,
    UnavailableError,
)
from app.core.providers.gemini import GeminiProvider
from app.core.providers.openai_compat import OpenAICompatProvider
from app.core.providers.remote import RemoteProvider
from tests.support.sse_server import (
    Chunk,
    Handler,
    RecordedRequest,
    Reply,
    SSEServer,
    json_reply,
    sse,
    sse_reply,
)

# Helpers for any provider's stream.


def always(reply: Reply) -> Handler:
    return lambda request: reply


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


def assert_no_key(error: BaseException, key: str) -> None:
    """Not in the message, the repr, nor anywhere in a printed traceback with its causes."""
    printed = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), printed, *map(str, error.args)):
        assert key not in text


# Anthropic's Messages API stream, one event at a time.

ANTHROPIC_KEY = "sk-ant-SENTINEL-123456789"
ANTHROPIC_MODEL = "claude-test-1"


def message_start(input_tokens: int = 12) -> bytes:
    message: dict[str, Any] = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
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


def anthropic_error(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    return json_reply(
        {"type": "error", "error": {"type": kind, "message": message}}, status, headers
    )


def anthropic_models(request: RecordedRequest) -> Reply:
    """Three models over two pages."""
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


def anthropic_echo_key(request: RecordedRequest) -> Reply:
    """A careless server that repeats the key it was sent in every error it reports."""
    key = request.headers.get("x-api-key", "")
    if request.route == "/v1/models":
        return anthropic_error(401, "authentication_error", f"invalid x-api-key: {key}")
    if request.json["model"] == "echo-first":
        return anthropic_error(400, "invalid_request_error", f"bad key {key} in request")
    return sse_reply(
        message_start(), text_delta("hi"), error_event("api_error", f"internal: {key} failed")
    )


# Gemini's streamGenerateContent: every event is one GenerateContentResponse.

GEMINI_KEY = "AIzaSy-SENTINEL-0123456789abcdefghij"
GEMINI_MODEL = "gemini-test-flash"


def gemini_chunk(
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
    data: dict[str, Any] = {"candidates": [candidate], "modelVersion": GEMINI_MODEL}
    if prompt is not None:
        data["usageMetadata"] = {
            "promptTokenCount": prompt,
            "candidatesTokenCount": output or 0,
            "totalTokenCount": prompt + (output or 0),
        }
    return sse(None, data)


def gemini_error_chunk(code: int, status: str, message: str) -> bytes:
    return sse(None, {"error": {"code": code, "message": message, "status": status}})


def gemini_error(
    status: int, code_name: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    return json_reply(
        {"error": {"code": status, "message": message, "status": code_name}}, status, headers
    )


def gemini_models(request: RecordedRequest) -> Reply:
    """Three chat models (and one that is not) over two pages."""
    if request.query.get("pageToken") == ["page-2"]:
        return json_reply(
            {
                "models": [
                    {
                        "name": "models/gemini-c",
                        "supportedGenerationMethods": ["generateContent", "countTokens"],
                        "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
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


def gemini_echo_key(request: RecordedRequest) -> Reply:
    """A careless server that repeats the key it was sent in every error it reports."""
    key = request.headers.get("x-goog-api-key", "")
    if request.route == "/v1beta/models":
        return gemini_error(400, "INVALID_ARGUMENT", f"API key not valid: {key}")
    if request.route.startswith("/v1beta/models/echo-first"):
        return gemini_error(403, "PERMISSION_DENIED", f"key {key} has no access")
    return sse_reply(
        gemini_chunk("hi"), gemini_error_chunk(500, "INTERNAL", f"internal: {key} failed")
    )


# OpenAI-compatible chat completions.

OPENAI_KEY = "sk-SENTINEL-0123456789abcdef0123456789"
OPENAI_MODEL = "gpt-test"
DONE = sse(None, "[DONE]")


def openai_chunk(text: str | None = None, finish: str | None = None) -> bytes:
    delta = {"content": text} if text is not None else {}
    return sse(None, {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def openai_error(status: int, message: str) -> Reply:
    return json_reply({"error": {"message": message}}, status)


def openai_echo_key(request: RecordedRequest) -> Reply:
    """A careless server that repeats the key it was sent in every error it reports."""
    key = request.headers.get("authorization", "").removeprefix("Bearer ")
    if request.route == "/v1/models":
        return openai_error(401, f"Incorrect API key provided: {key}")
    if request.json["model"] == "echo-first":
        return openai_error(400, f"bad key {key} in request")
    failed = sse(None, {"error": {"message": f"internal: {key} failed", "type": "server_error"}})
    return sse_reply(openai_chunk("hi"), failed)


# The dialects.

MakeProvider = Callable[..., RemoteProvider]  # the provider_for fixture
Serve = Callable[[Handler], SSEServer]  # the serve fixture
# the stream_error fixture
StreamError = Callable[..., Awaitable[tuple[list[StreamEvent], ProviderError]]]


@dataclass(frozen=True)
class Dialect:
    id: str  # the provider's id, as its errors name it
    key: str  # a key of the kind this provider really uses
    model: str
    stream_route: str  # where the chat request is posted
    cls: type[RemoteProvider]
    make: Callable[..., RemoteProvider]  # (server URL, key lookup, **keyword arguments)
    base_path: str  # what the provider's base_url adds to the server's URL
    text: Callable[[str], bytes]  # one event carrying a piece of text
    head: tuple[bytes, ...]  # what comes before the text
    tail: tuple[bytes, ...]  # what ends a complete reply
    malformed: bytes  # an event whose JSON is cut short
    models: Handler  # a model list of three models
    key_refused: Reply  # the status reply for a key the server refuses
    echo_key: Handler  # repeats the key in its errors: model "echo-first" and the model list
    echo_errors: tuple[type[ProviderError], ...]  # for echo-first, the stream, the model list
    usage_on_cancel: bool  # an estimated Usage comes before Finish("cancelled")
    checks_completion: bool  # a stream that just ends without its end marker is an error

    def provider(self, url: str, key: str | None, **kwargs: Any) -> RemoteProvider:
        return self.make(url, lambda: key, **kwargs)

    def stream(
        self,
        *items: Chunk | str,
        complete: bool = True,
        framing: Literal["chunked", "close"] = "chunked",
    ) -> Reply:
        """A streamed reply: each string becomes one text event; pauses and faults are kept."""
        chunks: list[Chunk] = [*self.head]
        chunks += [self.text(item) if isinstance(item, str) else item for item in items]
        if complete:
            chunks += self.tail
        reply = sse_reply(*chunks)
        reply.framing = framing
        return reply

    def expected_repr(self, url: str) -> str:
        return f"{self.cls.__name__}(id={self.id!r}, base_url={url + self.base_path!r})"


def _anthropic(url: str, key: Callable[[], str | None], **kwargs: Any) -> AnthropicProvider:
    return AnthropicProvider("anthropic", key, base_url=url, **kwargs)


def _gemini(url: str, key: Callable[[], str | None], **kwargs: Any) -> GeminiProvider:
    return GeminiProvider("gemini", key, base_url=url, **kwargs)


def _openai(url: str, key: Callable[[], str | None], **kwargs: Any) -> OpenAICompatProvider:
    return OpenAICompatProvider("openai", url + "/v1", key, **kwargs)


ANTHROPIC = Dialect(
    id="anthropic",
    key=ANTHROPIC_KEY,
    model=ANTHROPIC_MODEL,
    stream_route="/v1/messages",
    cls=AnthropicProvider,
    make=_anthropic,
    base_path="",
    text=text_delta,
    head=(message_start(), block_start(), PING),
    tail=(block_stop(), message_delta(), MESSAGE_STOP),
    malformed=b'event: content_block_delta\ndata: {"type": "content_blo\n\n',
    models=anthropic_models,
    key_refused=anthropic_error(401, "authentication_error", "invalid x-api-key"),
    echo_key=anthropic_echo_key,
    echo_errors=(BadRequestError, UnavailableError, AuthError),
    usage_on_cancel=False,
    checks_completion=True,
)

GEMINI = Dialect(
    id="gemini",
    key=GEMINI_KEY,
    model=GEMINI_MODEL,
    stream_route=f"/v1beta/models/{GEMINI_MODEL}:streamGenerateContent",
    cls=GeminiProvider,
    make=_gemini,
    base_path="",
    text=gemini_chunk,
    head=(),
    tail=(gemini_chunk(finish="STOP"),),
    malformed=b'data: {"candidates": [{"content": \n\n',
    models=gemini_models,
    key_refused=gemini_error(403, "PERMISSION_DENIED", "Permission denied."),
    echo_key=gemini_echo_key,
    echo_errors=(AuthError, UnavailableError, BadRequestError),
    usage_on_cancel=False,
    checks_completion=True,
)

OPENAI = Dialect(
    id="openai",
    key=OPENAI_KEY,
    model=OPENAI_MODEL,
    stream_route="/v1/chat/completions",
    cls=OpenAICompatProvider,
    make=_openai,
    base_path="/v1",
    text=openai_chunk,
    head=(),
    tail=(openai_chunk(None, "stop"), DONE),
    malformed=b"data: {not json\n\n",
    models=always(json_reply({"data": [{"id": "c"}, {"id": "b"}, {"id": "a"}]})),
    key_refused=openai_error(403, "forbidden"),
    echo_key=openai_echo_key,
    echo_errors=(BadRequestError, UnavailableError, AuthError),
    # It counts the usage itself when the server sends none, a cancelled reply included.
    usage_on_cancel=True,
    # A stream that ends with neither data: [DONE] nor a finish reason was cut short.
    checks_completion=True,
)

DIALECTS = (ANTHROPIC, GEMINI, OPENAI)
