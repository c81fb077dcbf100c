"""Turning HTTP failures of any remote provider into the typed errors of ``errors.py``.

One mapping for every API, so the fallback chain reacts the same way whether OpenAI,
Anthropic or Gemini said no. The most specific class wins: a 400 that says the prompt
is too long is a ContextTooLongError, not just a BadRequestError.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from app.core.network_cause import cause_of
from app.core.providers.errors import (
    AuthError,
    BadRequestError,
    ContextTooLongError,
    ModelMissingError,
    ProviderError,
    RateLimitedError,
    UnavailableError,
)

_CONTEXT_HINTS = (
    "context_length_exceeded", "maximum context length", "context length", "context window",
    "prompt is too long", "too many tokens", "input is too long", "exceeds the maximum number of tokens",
    "request_too_large",  # Anthropic's in-stream kind for what is a 413 over HTTP
)
_INVALID_KEY = "API_KEY_INVALID"  # google.rpc.ErrorInfo reason: Gemini's 400 for a wrong key


def _json(body: str) -> Any:
    """An error body's JSON (None if it is not JSON), unwrapped from a list."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, list) and data:  # Gemini sometimes wraps the error in a list
        data = data[0]
    return data


def _details(body: str) -> list[dict[str, Any]]:
    """The google.rpc details of an error body (ErrorInfo, RetryInfo, …); [] for other APIs."""
    data = _json(body)
    error = data.get("error") if isinstance(data, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def error_message(body: str) -> str:
    """The human part of an error body: {"error": {"message": …}} and its cousins."""
    data = _json(body)
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("status") or err.get("type") or body).strip()
        if isinstance(err, str):
            return err.strip()
    return body.strip()


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from retry-after-ms, or retry-after as seconds or an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    """Seconds from a google.rpc.RetryInfo detail, e.g. {"retryDelay": "27s"}: Gemini says
    when in the body, not in Retry-After."""
    for detail in details:
        delay = detail.get("retryDelay")
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None


def _looks_like_context(text: str) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in _CONTEXT_HINTS)


def error_for_status(status: int, body: str, headers: Mapping[str, str], provider: str) -> ProviderError:
    detail = error_message(body)
    said = f": {detail}" if detail else ""
    details = _details(body)
    if status in (401, 403):
        return AuthError(f"{provider} refused the API key ({status}){said}", provider=provider)
    if status == 400 and any(d.get("reason") == _INVALID_KEY for d in details):
        # Gemini answers a wrong key with 400 INVALID_ARGUMENT, not 401; it is still the key.
        return AuthError(f"{provider} refused the API key{said}", provider=provider)
    if status == 404:
        return ModelMissingError(f"{provider} does not have that model ({status}){said}", provider=provider)
    if status == 429:
        wait = retry_after(headers)
        return RateLimitedError(f"{provider} is rate-limiting requests (429){said}", provider=provider,
                                retry_after=_retry_delay(details) if wait is None else wait)
    if status == 413 or (status in (400, 422) and _looks_like_context(detail)):
        return ContextTooLongError(f"The conversation is too long for this model{said}", provider=provider)
    if status == 408 or status >= 500:
        what = "is overloaded" if status in (503, 529) else "had a server error"
        return UnavailableError(f"{provider} {what} ({status}){said}", provider=provider)
    if 400 <= status < 500:
        return BadRequestError(f"{provider} rejected the request ({status}){said}", provider=provider)
    return ProviderError(f"{provider} answered with unexpected status {status}{said}", provider=provider)


def error_for_event(kind: str, message: str, provider: str) -> ProviderError:
    """An error sent inside a stream (Anthropic's ``event: error``, OpenAI's ``{"error"}``)."""
    kind = kind.lower()
    said = f": {message}" if message else ""
    if "auth" in kind or "permission" in kind:
        return AuthError(f"{provider} refused the API key{said}", provider=provider)
    if "rate" in kind or "quota" in kind or "exhausted" in kind:
        return RateLimitedError(f"{provider} is rate-limiting requests{said}", provider=provider)
    if "not_found" in kind:
        return ModelMissingError(f"{provider} does not have that model{said}", provider=provider)
    if _looks_like_context(message) or _looks_like_context(kind):
        return ContextTooLongError(f"The conversation is too long for this model{said}", provider=provider)
    # FAILED_PRECONDITION: Gemini's "enable billing" or "not available in your region".
    if "invalid" in kind or "bad_request" in kind or "precondition" in kind:
        return BadRequestError(f"{provider} rejected the request{said}", provider=provider)
    return UnavailableError(f"{provider} failed while answering{said}", provider=provider)


def error_for_transport(exc: httpx.HTTPError, provider: str, base_url: str) -> ProviderError:
    """Network-level failures: nothing answered, or it stopped answering. The cause
    (refused, name not found, timeout, certificate) is named: each has another fix."""
    cause = cause_of(exc, base_url)
    said = f": {cause}" if cause else f" ({str(exc).strip() or type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return UnavailableError(f"Cannot reach {provider} at {base_url}{said}", provider=provider)
    if isinstance(exc, httpx.TimeoutException):
        return UnavailableError(f"{provider} did not answer in time ({base_url}){said}",
                                provider=provider)
    return UnavailableError(f"The connection to {provider} broke{said}", provider=provider)
