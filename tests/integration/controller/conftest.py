"""A chat controller over real parts: the store on disk, llama.cpp, loopback servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import keyring.core
import pytest

from app.controller.availability import Availabilities, TargetHealth
from app.controller.chat import ChatController, RetryPolicy
from app.controller.session import Session
from app.core.models.library import installed_models
from app.core.pricing import Pricing
from app.core.providers.config import ProviderConfig
from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.local_settings import LocalModelSettings
from app.core.providers.registry import ProviderRegistry
from app.core.store import Store, default_db_path
from tests.unit.conftest import MemoryKeyring

MakeController = Callable[..., ChatController]


@pytest.fixture
async def make_controller() -> AsyncIterator[MakeController]:
    made: list[ChatController] = []

    def make(configs: list[ProviderConfig], keys: dict[str, str] | None = None, *,
             max_tokens: int | None = 6, retry: RetryPolicy = RetryPolicy(1, 0.001, 0.01),
             health: TargetHealth | None = None) -> ChatController:
        keys = keys or {}
        local = LocalLlamaProvider(settings_for=lambda name: LocalModelSettings(n_ctx=1024))
        registry = ProviderRegistry(configs, keys.get, local)
        names = [m.name for m in installed_models()]
        availability = Availabilities(lambda: configs, lambda: names, lambda pid: pid in keys,
                                      lambda: False, health or TargetHealth())
        controller = ChatController(Store(default_db_path()), registry, Pricing.load(), availability,
                                    retry=retry, max_tokens=max_tokens)
        made.append(controller)
        return controller

    yield make
    for controller in made:
        await controller.registry.aclose()
        controller.store.close()


@pytest.fixture
async def session(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Session]:
    """The app's real session on this test's SWITCHBOARD_HOME, over an in-memory keyring
    (``session.test_keyring``); the real keyring has its own tests."""
    kr = MemoryKeyring()
    kr.priority = 5
    monkeypatch.setattr(keyring.core, "_keyring_backend", kr)
    opened = await Session.open()
    opened.test_keyring = kr  # type: ignore[attr-defined]
    yield opened
    await opened.aclose()
