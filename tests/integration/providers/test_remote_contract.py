"""What every remote provider does the same way (``RemoteProvider`` in remote.py), checked for
each of them against a real HTTP server on 127.0.0.1: stopping, transport failures, the key,
health and the client it owns. Each provider's own file tests its API's events and bodies."""

from __future__ import annotations

import asyncio
import time
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
    Provider,
    StreamEvent,
    TextDelta,
    Usage,
)
from app.core.providers.errors import AuthError, ProviderError, UnavailableError
from tests.support.remote_dialects import (
    DIALECTS,
    Dialect,
    MakeProvider,
    Serve,
    always,
    assert_no_key,
    collect,
    collect_until_error,
)
from tests.support.sse_server import HANGUP, Reply


@pytest.fixture(params=DIALECTS, ids=lambda d: d.id)
def dialect(request: pytest.FixtureRequest) -> Dialect:
    return request.param  # type: ignore[no-any-return]


def hello(dialect: Dialect, model: str | None = None, **kwargs: Any) -> ChatRequest:
    return ChatRequest(model or dialect.model, (ChatMessage("user", "Hi"),), **kwargs)


# Failures of the transport and of the stream.


@pytest.mark.parametrize(
    "timing",
    [{"read_timeout": 0.5}, {"timeout": httpx.Timeout(10, read=0.3)}],
    ids=["client-passed-in", "timeout-argument"],
)
async def test_a_stall_past_the_read_timeout_is_unavailable(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect, timing: dict[str, Any]
) -> None:
    server = serve(always(dialect.stream("slow", 5.0, "never")))
    started = time.monotonic()

    events, error = await collect_until_error(
        provider_for(server, **timing).stream_chat(hello(dialect))
    )

    assert events == [TextDelta("slow")]
    assert type(error) is UnavailableError
    assert "did not answer in time" in error.message
    assert time.monotonic() - started < 3


async def test_connection_refused_is_unavailable(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    server = serve(always(dialect.stream("never")))
    url = server.url
    server.stop()
    provider = provider_for(url)

    _, error = await collect_until_error(provider.stream_chat(hello(dialect)))
    health = await provider.health()

    assert type(error) is UnavailableError
    assert f"Cannot reach {dialect.id}" in error.message
    assert not health.ok and "Cannot reach" in health.detail


async def test_a_connection_dropped_mid_reply_is_unavailable(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    server = serve(always(dialect.stream("half", HANGUP, complete=False)))

    events, error = await collect_until_error(provider_for(server).stream_chat(hello(dialect)))

    assert events == [TextDelta("half")]
    assert type(error) is UnavailableError
    assert "connection" in error.message


@pytest.mark.parametrize(
    "dialect", [d for d in DIALECTS if d.checks_completion], ids=lambda d: d.id, indirect=True
)
@pytest.mark.parametrize("framing", ["chunked", "close"])
async def test_a_stream_that_ends_before_the_reply_is_complete_is_unavailable(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect, framing: Any
) -> None:
    server = serve(always(dialect.stream("half", complete=False, framing=framing)))

    events, error = await collect_until_error(provider_for(server).stream_chat(hello(dialect)))

    assert events == [TextDelta("half")]
    assert type(error) is UnavailableError
    assert "before the reply was complete" in error.message


async def test_malformed_json_in_an_event_is_unavailable(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    server = serve(always(dialect.stream("ok", dialect.malformed, complete=False)))

    events, error = await collect_until_error(provider_for(server).stream_chat(hello(dialect)))

    assert events == [TextDelta("ok")]
    assert type(error) is UnavailableError
    assert "malformed" in error.message and "could not be read" in error.message


async def test_a_2xx_that_is_not_an_event_stream_is_unavailable(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    server = serve(
        always(Reply(200, {"content-type": "text/html"}, [b"<html>Sign in to the Wi-Fi</html>"]))
    )

    _, error = await collect_until_error(provider_for(server).stream_chat(hello(dialect)))

    assert type(error) is UnavailableError
    assert "did not answer with a stream" in error.message


# Stopping.


def slow_reply(dialect: Dialect, count: int = 100, pause: float = 0.02) -> Reply:
    """Many text events with a pause after each: reading them all takes count × pause seconds."""
    items: list[Any] = []
    for i in range(count):
        items += [f"w{i} ", pause]
    return dialect.stream(*items)


async def test_cancel_after_the_first_delta_finishes_cancelled_and_stops_reading(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    server = serve(always(slow_reply(dialect)))
    request = hello(dialect, cancel=CancelToken())
    started = time.monotonic()

    events: list[StreamEvent] = []
    async with aclosing(provider_for(server).stream_chat(request)) as stream:  # type: ignore[type-var]
        async for event in stream:
            events.append(event)
            request.cancel.cancel()

    if dialect.usage_on_cancel:
        usage = events.pop(1)
        assert isinstance(usage, Usage) and usage.estimated and usage.output_tokens > 0
    assert events == [TextDelta("w0 "), Finish("cancelled")]
    assert time.monotonic() - started < 1.0
    server.wait_until_idle()
    [served] = server.served
    assert served.request.route == dialect.stream_route
    assert served.client_gone and not served.complete
    assert served.chunks_written < 20  # of over 100


@pytest.mark.parametrize("how", ["task cancelled", "generator closed"])
async def test_abandoning_the_stream_closes_the_response(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect, how: str
) -> None:
    server = serve(always(slow_reply(dialect)))
    first = asyncio.Event()
    stream = provider_for(server).stream_chat(hello(dialect))

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
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    server = serve(always(dialect.stream("never")))
    request = hello(dialect, cancel=CancelToken())
    request.cancel.cancel()

    assert await collect(provider_for(server).stream_chat(request)) == [Finish("cancelled")]
    assert server.requests == []


# The key.


@pytest.mark.parametrize("missing", [None, "", "   "])
async def test_missing_key_is_auth_error_before_any_request(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect, missing: str | None
) -> None:
    server = serve(always(dialect.stream("never")))
    provider = provider_for(server, key=missing)

    _, error = await collect_until_error(provider.stream_chat(hello(dialect)))
    with pytest.raises(AuthError):
        await provider.list_models()

    assert type(error) is AuthError
    assert error.message == f"No API key for {dialect.id}. Add one in Settings → Providers."
    assert await provider.health() == Health(False, error.message)
    assert server.requests == []


@pytest.mark.parametrize("plain_key", [False, True], ids=["provider-key", "key-scrub-cannot-spot"])
async def test_the_key_never_appears_in_errors_or_reprs(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect, plain_key: bool
) -> None:
    key = "plain-SENTINEL-secret" if plain_key else dialect.key
    server = serve(dialect.echo_key)
    provider = provider_for(server, key=key)
    errors: list[ProviderError] = []

    for model in ("echo-first", "echo-in-stream"):
        errors.append((await collect_until_error(provider.stream_chat(hello(dialect, model))))[1])
    with pytest.raises(ProviderError) as listing:
        await provider.list_models()
    errors.append(listing.value)
    health = await provider.health()

    assert tuple(type(e) for e in errors) == dialect.echo_errors
    for error in errors:
        assert_no_key(error, key)
        assert "[redacted]" in error.message
    assert key not in health.detail and not health.ok
    assert key not in repr(provider) and key not in str(provider)
    assert repr(provider) == dialect.expected_repr(server.url)
    assert key not in str(vars(provider))


async def test_transport_errors_do_not_carry_the_key(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    server = serve(always(dialect.stream("a", 5.0, complete=False)))
    url = server.url

    _, stalled = await collect_until_error(
        provider_for(server, read_timeout=0.3).stream_chat(hello(dialect))
    )
    server.stop()
    _, refused = await collect_until_error(provider_for(url).stream_chat(hello(dialect)))

    for error in (stalled, refused):
        assert_no_key(error, dialect.key)


# Health and model lists.


async def test_health_reports_models_or_the_reason(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect
) -> None:
    good = serve(dialect.models)
    bad = serve(always(dialect.key_refused))

    assert await provider_for(good).health() == Health(True, "OK, 3 models")
    health = await provider_for(bad).health()
    assert not health.ok
    assert "refused the API key" in health.detail


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2"], ids=["broken-object", "broken-list"])
async def test_unreadable_model_list_is_unavailable(
    serve: Serve, provider_for: MakeProvider, dialect: Dialect, body: bytes
) -> None:
    server = serve(always(Reply(200, {"content-type": "application/json"}, [body])))

    with pytest.raises(UnavailableError, match="could not be read"):
        await provider_for(server).list_models()


# The object itself.


async def test_is_a_provider_and_closes_only_its_own_client(serve: Serve, dialect: Dialect) -> None:
    server = serve(always(dialect.stream("ok")))
    async with httpx.AsyncClient() as shared:
        borrowed = dialect.provider(server.url, dialect.key, client=shared)
        owned = dialect.provider(server.url, dialect.key)

        assert isinstance(borrowed, Provider)
        assert owned._client.timeout == httpx.Timeout(connect=10, read=60, write=30, pool=10)
        await borrowed.aclose()
        await owned.aclose()

        assert not shared.is_closed
        assert owned._client.is_closed
