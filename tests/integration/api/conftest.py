"""The local API server over the app's real session (store on disk, real llama.cpp, an
in-memory keyring), served on this test's own event loop as the window serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import keyring.core
import pytest

from app.api.server import ApiServer
from app.controller.session import Session
from app.core.api_settings import ApiSettings
from app.core.providers.config import ProviderConfig
from app.core.settings import ProviderSettings, Settings
from tests.unit.conftest import MemoryKeyring

Serve = Callable[..., Awaitable[ApiServer]]


def use_cloud(url: str, *, api: ApiSettings | None = None) -> None:
    """settings.json with the loopback "cloud" as the openai provider (no key needed)."""
    provider = ProviderSettings(ProviderConfig("openai", "openai", url + "/v1", key_required=False))
    settings = replace(Settings.load(), providers=(provider,))
    replace(settings, api=api or settings.api).save()


@pytest.fixture
def test_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    kr = MemoryKeyring()
    kr.priority = 5  # type: ignore[attr-defined]
    monkeypatch.setattr(keyring.core, "_keyring_backend", kr)
    return kr


@pytest.fixture
async def serve(test_keyring: MemoryKeyring) -> AsyncIterator[Serve]:
    """``await serve(token=None, host=...)``: a session opened now (so settings written
    before are read) and its server on a free loopback port."""
    opened: list[tuple[Session, ApiServer]] = []

    async def start(*, token: str | None = None, host: str = "127.0.0.1") -> ApiServer:
        session = await Session.open()
        server = ApiServer(session, host=host, port=0, token=token)
        opened.append((session, server))
        await server.start()
        return server

    yield start
    for session, server in opened:
        await server.stop()
        await session.aclose()
