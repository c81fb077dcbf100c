"""The default router never changes on its own: the first provider keeps "Local only"
for new chats and offers the cloud-aware router; a set-up with providers keeps its own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.__main__ import main
from app.controller.default_router import CLOUD_AWARE, provider_values
from app.core.providers.config import config_from_preset
from app.core.router.library import DEFAULT_ROUTER, LOCAL_ONLY
from app.core.settings import ProviderSettings, Settings

OPENAI = ProviderSettings(config_from_preset("openai"))
GROQ = ProviderSettings(config_from_preset("groq"))


def test_the_first_provider_keeps_local_only_and_offers_the_cloud_router() -> None:
    fresh = Settings()
    values = provider_values(fresh, (OPENAI,))
    assert values == {"providers": (OPENAI,), "default_router": LOCAL_ONLY, "router_offer": CLOUD_AWARE}


def test_a_set_up_with_providers_keeps_its_choice() -> None:
    existing = Settings(providers=(OPENAI,), default_router=DEFAULT_ROUTER)
    assert provider_values(existing, (OPENAI, GROQ)) == {"providers": (OPENAI, GROQ)}
    chose = Settings(default_router="Specialists")  # chosen before any provider
    assert provider_values(chose, (OPENAI,)) == {"providers": (OPENAI,)}


def test_the_offer_survives_a_restart() -> None:
    Settings(**provider_values(Settings(), (OPENAI,))).save()
    loaded = Settings.load()
    assert (loaded.default_router, loaded.router_offer) == (LOCAL_ONLY, CLOUD_AWARE)
    replace(loaded, router_offer=None).save()
    assert Settings.load().router_offer is None


def test_providers_add_says_new_chats_keep_their_router(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers", "add", "openai"]) == 0
    out = capsys.readouterr().out
    assert "New chats still use “Local only”" in out and "“Save money”" in out
    settings = Settings.load()
    assert (settings.default_router, settings.router_offer) == (LOCAL_ONLY, CLOUD_AWARE)
    assert main(["providers", "add", "groq"]) == 0  # said once
    assert "New chats" not in capsys.readouterr().out
