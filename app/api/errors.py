"""Errors as each API's clients expect them: the status, and the body their SDKs parse.

    OpenAI     {"error": {"message", "type", "param", "code"}}
    Anthropic  {"type": "error", "error": {"type", "message"}}

One ``ApiError`` says what went wrong once (a ``Problem``); ``response`` words it in
the shape of the API the request was made to. Never an empty 200: every failure before
the first token is one of these, with its status.
"""

from __future__ import annotations

import enum
import json
import math
from typing import Any

from starlette.responses import Response


class Problem(enum.Enum):
    #            status, OpenAI type,            OpenAI code,               Anthropic type
    BAD_REQUEST = (400, "invalid_request_error", None, "invalid_request_error")
    CONTEXT_TOO_LONG = (400, "invalid_request_error", "context_length_exceeded", "invalid_request_error")
    UNAUTHORIZED = (401, "authentication_error", "invalid_api_key", "authentication_error")
    FORBIDDEN = (403, "permission_error", "forbidden", "permission_error")
    NOT_FOUND = (404, "invalid_request_error", "not_found", "not_found_error")
    MODEL_NOT_FOUND = (404, "invalid_request_error", "model_not_found", "not_found_error")
    TOO_LARGE = (413, "invalid_request_error", "request_too_large", "request_too_large")
    BUSY = (429, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error")
    UNAVAILABLE = (503, "server_error", "service_unavailable", "overloaded_error")
    INTERNAL = (500, "server_error", "internal_error", "api_error")

    @property
    def status(self) -> int:
        status: int = self.value[0]
        return status


class Dialect(enum.Enum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


def dialect_of(path: str) -> Dialect:
    """Which API a path belongs to: ``/v1/messages`` is Anthropic's, the rest OpenAI's."""
    return Dialect.ANTHROPIC if path.rstrip("/").endswith("/v1/messages") else Dialect.OPENAI


class ApiError(Exception):
    def __init__(self, problem: Problem, message: str, *, param: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.param = param
        self.retry_after = retry_after

    def body(self, dialect: Dialect) -> dict[str, Any]:
        _, openai_type, code, anthropic_type = self.problem.value
        if dialect is Dialect.ANTHROPIC:
            return {"type": "error", "error": {"type": anthropic_type, "message": self.message}}
        return {"error": {"message": self.message, "type": openai_type, "param": self.param,
                          "code": code}}

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"retry-after": str(max(1, math.ceil(self.retry_after)))}

    def response(self, dialect: Dialect, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(self.body(dialect)), status_code=self.problem.status,
                        media_type="application/json", headers={**self.headers(), **(headers or {})})
