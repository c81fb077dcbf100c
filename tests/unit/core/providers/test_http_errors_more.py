"""The shared mapping's API-specific cases: Gemini's invalid-key 400 and RetryInfo,
Anthropic's in-stream request_too_large, Gemini's FAILED_PRECONDITION; and that the
OpenAI-compatible provider gets them, and key masking, through the shared code."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.core.providers.base import ChatMessage, ChatRequest
from app.core.providers.errors import (
    AuthError,
    BadRequestError,
    ContextTooLongError,
    ModelMissingError,
    ProviderError,
    RateLimitedError,
)
from app.core.providers.http_errors import error_for_event, error_for_status
from app.core.providers.openai_compat import OpenAICompatProvider


def google_error(code: int, status: str, message: str, *details: object) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": [*details]}}


INVALID_KEY = google_error(
    400,
    "INVALID_ARGUMENT",
    "API key not valid. Please pass a valid API key.",
    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"},
)
QUOTA = google_error(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota.",
    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "27.5s"},
)
BILLING = google_error(
    400, "FAILED_PRECONDITION", "Gemini API free tier is not available in your country."
)


# (1) Gemini's 400 for a wrong key, and RetryInfo in a 429's body.


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_400_whose_reason_is_api_key_invalid_is_an_auth_error(wrapped: bool) -> None:
    body = json.dumps([INVALID_KEY] if wrapped else INVALID_KEY)

    error = error_for_status(400, body, {}, "gemini")

    assert type(error) is AuthError and not error.retryable
    assert error.message == (
        "gemini refused the API key: API key not valid. Please pass a valid API key."
    )


def test_a_400_that_only_mentions_the_reason_elsewhere_stays_a_bad_request() -> None:
    body = json.dumps(google_error(400, "INVALID_ARGUMENT", "unknown field API_KEY_INVALID"))

    assert type(error_for_status(400, body, {}, "gemini")) is BadRequestError
    # Only a 400 says "wrong key" this way; other statuses keep their own meaning.
    assert type(error_for_status(404, json.dumps(INVALID_KEY), {}, "gemini")) is ModelMissingError


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_429_takes_retry_info_from_the_body(wrapped: bool) -> None:
    error = error_for_status(429, json.dumps([QUOTA] if wrapped else QUOTA), {}, "gemini")

    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 27.5


def test_a_retry_after_header_wins_over_the_body() -> None:
    error = error_for_status(429, json.dumps(QUOTA), {"retry-after": "3"}, "gemini")

    assert isinstance(error, RateLimitedError) and error.retry_after == 3


@pytest.mark.parametrize(
    "body",
    ["slow down", json.dumps({"error": {"message": "slow down"}}),
     json.dumps(google_error(429, "RESOURCE_EXHAUSTED", "x", {"retryDelay": "soon"}))],
)
def test_a_429_without_a_readable_delay_has_none(body: str) -> None:
    error = error_for_status(429, body, {}, "p")

    assert isinstance(error, RateLimitedError) and error.retry_after is None


# (2) Anthropic's request_too_large inside a stream.


def test_request_too_large_in_a_stream_is_context_too_long() -> None:
    error = error_for_event("request_too_large", "Request exceeds the maximum size", "anthropic")

    assert type(error) is ContextTooLongError and not error.retryable
    assert "Request exceeds the maximum size" in error.message


# (3) Gemini's FAILED_PRECONDITION: billing or region, which no retry will fix.


def test_failed_precondition_in_a_stream_is_a_bad_request() -> None:
    error = error_for_event("FAILED_PRECONDITION", "Please enable billing.", "gemini")

    assert type(error) is BadRequestError and not error.retryable
    assert "enable billing" in error.message


def test_failed_precondition_over_http_is_a_bad_request() -> None:
    error = error_for_status(400, json.dumps(BILLING), {}, "gemini")

    assert type(error) is BadRequestError and not error.retryable
    assert "not available in your country" in error.message


# The OpenAI-compatible provider gets all of this through the shared code.

KEY = "plain-SENTINEL-secret"  # nothing scrub() would recognise: only masking by value hides it
HELLO = ChatRequest("m", (ChatMessage("user", "hi"),))


async def stream_error(reply: httpx.Response) -> ProviderError:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: reply))
    provider = OpenAICompatProvider("gemini-openai", "http://test/v1", lambda: KEY, client=client)
    try:
        with pytest.raises(ProviderError) as caught:
            async for _ in provider.stream_chat(HELLO):
                pass
    finally:
        await client.aclose()
    return caught.value


async def test_openai_compatible_gets_gemini_mapping() -> None:
    invalid = await stream_error(httpx.Response(400, json=[INVALID_KEY]))
    quota = await stream_error(httpx.Response(429, json=[QUOTA]))

    assert type(invalid) is AuthError
    assert isinstance(quota, RateLimitedError) and quota.retry_after == 27.5


async def test_openai_compatible_masks_an_echoed_key() -> None:
    echoed = {"error": {"message": f"bad key {KEY}", "type": "invalid_request_error"}}
    in_status = await stream_error(httpx.Response(400, json=echoed))
    in_stream = await stream_error(
        httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=f"data: {json.dumps(echoed)}\n\n".encode(),
        )
    )

    for error in (in_status, in_stream):
        assert type(error) is BadRequestError
        assert KEY not in error.message and "[redacted]" in error.message
