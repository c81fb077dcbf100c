"""Each controller operation publishes what it changed, once, after it succeeded; the
installed local models and the settings are each held once on the session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.controller.changes import Changes
from app.core.paths import models_dir
from app.core.providers.config import ProviderConfig
from app.core.providers.local_settings import LocalModelSettings
from app.core.router import Router
from app.core.settings import ProviderSettings, Settings, SettingsError

KEY = "sk-sentinel-0123456789"


@pytest.fixture
def heard(session) -> list[Changes]:
    changes: list[Changes] = []
    session.changes.subscribe(changes.append)
    return changes


async def test_providers_and_keys(session, heard: list[Changes]) -> None:
    setup = session.provider_setup
    config = ProviderConfig("mine", "openai", "http://127.0.0.1:9/v1")
    await setup.save(ProviderSettings(config), key=KEY)
    assert heard == [Changes(settings=True, providers=True)]  # one notice for the whole save
    assert (await setup.set_key("mine", KEY + "x")).warning is None
    assert heard[1:] == [Changes(providers=True)]
    await setup.remove("mine")
    assert heard[2:] == [Changes(settings=True, providers=True)]
    assert setup.id_problem("local", new=True) is not None
    assert setup.draft("openai").id == "openai"


async def test_preferences_offline_and_prices(session, heard: list[Changes]) -> None:
    prefs = session.preferences
    await prefs.save_local(LocalModelSettings(n_ctx=2048), prefs.default_local_model)
    await prefs.choose_chat_model("Other")
    session.set_offline(True)
    prefs.save_prices({"openai:gpt-4o": {"input": 1.0, "output": 2.0}})
    assert heard == [Changes(settings=True), Changes(settings=True, local_models=True),
                     Changes(settings=True), Changes(settings=True)]
    assert Settings.load().offline and session.settings.default_local_model == "Other"
    assert session.chat.pricing is session.pricing  # held once, not synced by hand
    assert session.pricing.cost("openai:gpt-4o", 1_000_000, 0) == pytest.approx(1.0)


async def test_a_failed_save_changes_nothing_but_offline_holds(session, heard, monkeypatch) -> None:
    def refuse(self: Settings, path: Path | None = None) -> None:
        raise SettingsError("Could not save settings: disk full")

    monkeypatch.setattr(Settings, "save", refuse)
    with pytest.raises(SettingsError):
        await session.preferences.choose_chat_model("Other")
    assert session.settings.default_local_model != "Other" and heard == []
    with pytest.raises(SettingsError):
        session.set_offline(True)
    assert session.settings.offline  # a privacy switch acts even when it cannot be saved
    assert heard == [Changes(settings=True)]


async def test_conversations_and_routers(session, heard: list[Changes]) -> None:
    cid = session.store.create_conversation(router="Mine")
    session.conversations.rename(cid, "Renamed")
    assert heard == [Changes(conversations=True)]
    catalog = session.routers
    catalog.save(Router("Mine", fallback=("local:SmolLM2-135M-Instruct",)))
    assert heard[1:] == [Changes(routers=True)]
    catalog.save(Router("Yours", fallback=("local:SmolLM2-135M-Instruct",)), previous_name="Mine")
    assert heard[2:] == [Changes(routers=True, conversations=True)]  # the chat was re-pointed
    catalog.set_default("Yours")
    assert heard[3:] == [Changes(routers=True, settings=True)]
    session.conversations.delete(cid)
    assert heard[4:] == [Changes(conversations=True, messages=frozenset({cid}))]


async def test_one_list_of_installed_models(session, heard: list[Changes], bundled_gguf: Path,
                                            tmp_path: Path) -> None:
    copy = tmp_path / "Mine.Q4_1.gguf"
    shutil.copyfile(bundled_gguf, copy)
    await session.models.import_file(copy)
    assert heard == [Changes(local_models=True)]
    assert "Mine" in session.local_models
    assert session.registry.local.model_path("Mine") == models_dir() / copy.name  # same list
    assert session.availability("local:Mine").ok
    session.models.remove("Mine")
    assert heard[1:] == [Changes(local_models=True)] and "Mine" not in session.local_models
    assert session.installed.refresh() is False and len(heard) == 2  # nothing new on disk
