"""Error mapping in isolation (the integration tests cover it over real HTTP)."""

import httpx
import pytest

from app.core.providers.errors import (
    AuthError,
    BadRequestError,
    ContextTooLongError,
    GenerationCancelled,
    ModelMissingError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
    scrub,
)
from app.core.providers.http_errors import error_for_event, error_for_status, error_for_transport, retry_after


@pytest.mark.parametrize(
    ("status", "expected"),
    [(401, AuthError), (403, AuthError), (404, ModelMissingError), (408, UnavailableError),
     (413, ContextTooLongError), (422, BadRequestError), (429, RateLimitedError), (500, UnavailableError),
     (502, UnavailableError), (529, UnavailableError), (302, ProviderError)],
)
def test_status_classes(status, expected):
    assert type(error_for_status(status, "", {}, "p")) is expected


def test_retry_after_forms():
    assert retry_after({"retry-after": "12"}) == 12
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after({}) is None


@pytest.mark.parametrize(
    ("kind", "message", "expected"),
    [("overloaded_error", "Overloaded", UnavailableError), ("rate_limit_error", "", RateLimitedError),
     ("authentication_error", "bad key", AuthError), ("not_found_error", "", ModelMissingError),
     ("invalid_request_error", "prompt is too long: 210000 tokens", ContextTooLongError),
     ("invalid_request_error", "bad", BadRequestError), ("RESOURCE_EXHAUSTED", "", RateLimitedError),
     ("api_error", "", UnavailableError)],
)
def test_event_kinds(kind, message, expected):
    assert type(error_for_event(kind, message, "p")) is expected


def test_transport_errors_are_unavailable():
    request = httpx.Request("GET", "http://127.0.0.1:1")
    assert "did not answer in time" in error_for_transport(httpx.ReadTimeout("t", request=request), "p", "u").message
    assert "Cannot reach p" in error_for_transport(httpx.ConnectError("c", request=request), "p", "u").message


def test_messages_never_carry_keys():
    key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"
    err = error_for_status(401, f'{{"error": {{"message": "Incorrect API key provided: {key}"}}}}', {}, "openai")
    assert key not in str(err) and key not in repr(err) and "[redacted]" in str(err)
    assert scrub("Authorization: Bearer abc.def") == "Authorization: [redacted]"
    assert "AIzaSy" not in scrub("key=AIzaSyA-1234567890abcdefghijk")


def test_retryable_flags_and_cancel():
    assert RateLimitedError("x").retryable and UnavailableError("x").retryable
    assert not AuthError("x").retryable and not BadRequestError("x").retryable
    assert GenerationCancelled().message == "Stopped."
