"""Request bodies read as each API describes them, and what cannot be honoured refused
with a 400 that says so."""

from __future__ import annotations

import base64

import pytest

from app.api import anthropic_routes, openai_routes
from app.api.errors import ApiError, Dialect, Problem
from app.controller.turns import ApiTurn
from app.core.api_settings import ApiSettings, is_loopback, parse_api

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def test_openai_messages_system_images_and_sampling() -> None:
    asked, usage = openai_routes.asked_of({
        "model": "switchboard/Save money", "stream": True, "stream_options": {"include_usage": True},
        "temperature": 0.5, "top_p": 0.9, "max_completion_tokens": 40,
        "messages": [{"role": "system", "content": "Be brief."},
                     {"role": "developer", "content": "In French."},
                     {"role": "user", "content": "hi"}, {"role": "assistant", "content": "salut"},
                     {"role": "user", "content": [{"type": "text", "text": "and this?"},
                                                  {"type": "image_url",
                                                   "image_url": {"url": f"data:image/png;base64,{PNG}"}}]}]})
    assert usage and asked.stream and asked.system == "Be brief.\n\nIn French."
    assert (asked.temperature, asked.top_p, asked.max_tokens) == (0.5, 0.9, 40)
    assert asked.turns[:2] == (ApiTurn("user", "hi"), ApiTurn("assistant", "salut"))
    assert asked.turns[2].text == "and this?" and asked.turns[2].images[0].mime == "image/png"


@pytest.mark.parametrize("body, words", [
    ({"messages": [{"role": "user", "content": "x"}]}, "'model' is required"),
    ({"model": "m", "messages": []}, "non-empty list"),
    ({"model": "m", "n": 2, "messages": [{"role": "user", "content": "x"}]}, "n = 1"),
    ({"model": "m", "tools": [{"type": "function"}], "messages": [{"role": "user", "content": "x"}]},
     "'tools' is not supported"),
    ({"model": "m", "messages": [{"role": "tool", "content": "x"}]}, "role 'tool'"),
    ({"model": "m", "temperature": "hot", "messages": [{"role": "user", "content": "x"}]}, "number"),
    ({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}, "data URLs"),
    ({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}]}]}, "base64"),
])
def test_openai_bodies_it_cannot_honour(body: dict[str, object], words: str) -> None:
    with pytest.raises(ApiError) as refused:
        openai_routes.asked_of(body)
    assert refused.value.problem is Problem.BAD_REQUEST and words in refused.value.message


def test_anthropic_messages_with_system_blocks_and_an_image() -> None:
    asked = anthropic_routes.asked_of({
        "model": "switchboard", "max_tokens": 50, "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is it?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]})
    assert asked.system == "Be brief." and asked.max_tokens == 50 and not asked.stream
    assert asked.turns[0].text == "what is it?" and asked.turns[0].images[0].mime == "image/png"
    for body in ({"model": "m", "messages": [{"role": "user", "content": "x"}]},
                 {"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]},
                 {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
                     {"type": "image", "source": {"type": "url", "url": "https://x"}}]}]}):
        with pytest.raises(ApiError):
            anthropic_routes.asked_of(body)


def test_errors_in_each_shape() -> None:
    error = ApiError(Problem.CONTEXT_TOO_LONG, "too long", param="messages")
    assert error.body(Dialect.OPENAI) == {"error": {"message": "too long", "type": "invalid_request_error",
                                                    "param": "messages", "code": "context_length_exceeded"}}
    assert error.body(Dialect.ANTHROPIC) == {"type": "error", "error": {"type": "invalid_request_error",
                                                                         "message": "too long"}}
    busy = ApiError(Problem.BUSY, "busy", retry_after=0.2)
    assert busy.headers() == {"retry-after": "1"} and busy.response(Dialect.OPENAI).status_code == 429


def test_api_settings_are_read_leniently() -> None:
    problems: list[str] = []
    settings = parse_api({"enabled": True, "port": 9000, "host": "::1", "store_conversations": "yes",
                          "cors_origins": ["http://localhost:3000/"], "allowed_hosts": ["Studio.local"]},
                         problems)
    assert settings == ApiSettings(enabled=True, host="::1", port=9000,
                                   cors_origins=("http://localhost:3000",), allowed_hosts=("studio.local",))
    assert problems == ["api.store_conversations: expected true or false"]
    assert parse_api({"port": 0}, problems).port == ApiSettings().port
    assert parse_api([], problems) == ApiSettings()
    assert parse_api(settings.to_json(), []) == settings
    assert settings.loopback and is_loopback("localhost") and not is_loopback("0.0.0.0")
