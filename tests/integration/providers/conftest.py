"""Fixtures for the remote providers' tests: loopback servers and providers built through a
``Dialect`` (``tests/support/remote_dialects.py``), stopped and closed whatever a test does.

A test module says which provider it tests with a ``dialect`` fixture; the contract tests
parametrize it over all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from app.core.providers.base import ChatMessage, ChatRequest, StreamEvent
from app.core.providers.errors import ProviderError
from app.core.providers.remote import RemoteProvider
from tests.support.remote_dialects import (
    Dialect,
    MakeProvider,
    StreamError,
    always,
    collect_until_error,
)
from tests.support.sse_server import Handler, Reply, SSEServer

_DIALECT_KEY = object()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], SSEServer]]:
    servers: list[SSEServer] = []

    def start(handler: Handler) -> SSEServer:
        servers.append(SSEServer(handler).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
async def provider_for(dialect: Dialect) -> AsyncIterator[MakeProvider]:
    """``provider_for(server or URL, key=..., read_timeout=..., **constructor keywords)``;
    the key defaults to the dialect's, ``read_timeout`` passes a client of that timeout in."""
    made: list[RemoteProvider] = []
    clients: list[httpx.AsyncClient] = []

    def make(
        server: SSEServer | str,
        key: Any = _DIALECT_KEY,
        *,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> RemoteProvider:
        if read_timeout is not None:
            clients.append(httpx.AsyncClient(timeout=read_timeout))
            kwargs["client"] = clients[-1]
        url = server if isinstance(server, str) else server.url
        made.append(dialect.provider(url, dialect.key if key is _DIALECT_KEY else key, **kwargs))
        return made[-1]

    yield make
    for provider in made:
        await provider.aclose()
    for client in clients:
        await client.aclose()


@pytest.fixture
def stream_error(
    serve: Callable[[Handler], SSEServer], provider_for: MakeProvider, dialect: Dialect
) -> StreamError:
    """``await stream_error(reply or handler, request=a "Hi" to the dialect's model)``: serve it,
    stream the request with the dialect's provider until it fails; the events and the error."""

    async def run(
        reply: Reply | Handler, request: ChatRequest | None = None
    ) -> tuple[list[StreamEvent], ProviderError]:
        server = serve(always(reply) if isinstance(reply, Reply) else reply)
        request = request or ChatRequest(dialect.model, (ChatMessage("user", "Hi"),))
        return await collect_until_error(provider_for(server).stream_chat(request))

    return run
