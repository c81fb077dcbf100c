"""Settings: defaults, a JSON round trip, atomic saves, broken files kept aside, no keys."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.chat_settings import ContextPolicy
from app.core.model_catalog import ModelEntry
from app.core.providers.config import ProviderConfig, config_from_preset
from app.core.providers.local_settings import LocalModelSettings
from app.core.router.library import DEFAULT_ROUTER
from app.core.secrets import SecretStore
from app.core.settings import (
    BUNDLED_MODEL,
    ProviderSettings,
    Settings,
    SettingsError,
    settings_path,
)

KEY = "sk-never-on-disk-9f8e7d6c5b4a"


def sample() -> Settings:
    return Settings(
        providers=(
            ProviderSettings(config_from_preset("openai"), ("gpt-4o-mini", "gpt-4o")),
            ProviderSettings(ProviderConfig("home", "openai", "http://127.0.0.1:11434/v1",
                                            default_model="llama3:8b", key_required=False)),
        ),
        default_router="Privacy first",
        offline=True,
        pricing_overrides={"home:llama3:8b": {"input": 0.0, "output": 0.0}},
        local=LocalModelSettings(n_ctx=8192, n_threads=4, n_batch=256, n_gpu_layers=-1),
        default_local_model="Qwen2.5-0.5B-Instruct",
        context_policy=ContextPolicy.SUMMARIZE,
        first_token_timeout_s=45.0,
        model_overrides={"home:llama3:8b": ModelEntry(context=8192, vision=False)},
    )


def write(document: object) -> Path:
    path = settings_path()
    if isinstance(document, bytes):
        path.write_bytes(document)
    else:
        path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def backups() -> list[Path]:
    return sorted(settings_path().parent.glob("settings.json.broken-*"))


# ---- defaults and the round trip ---------------------------------------------------------

def test_settings_live_in_the_data_directory(switchboard_home):
    assert settings_path() == switchboard_home / "settings.json"


def test_no_file_means_the_defaults_and_no_problem():
    settings = Settings.load()
    assert settings == Settings()
    assert settings.problem is None
    assert settings.default_router == DEFAULT_ROUTER
    assert settings.default_local_model == BUNDLED_MODEL
    assert not settings.offline and settings.providers == ()
    assert not settings_path().exists()  # loading writes nothing


def test_settings_round_trip():
    sample().save()
    loaded = Settings.load()
    assert loaded == sample()
    assert loaded.problem is None


def test_the_file_is_plain_readable_json():
    sample().save()
    document = json.loads(settings_path().read_text())
    assert document["schema"] == 1
    assert document["providers"][0] == {
        "id": "openai", "kind": "openai", "base_url": "https://api.openai.com/v1",
        "default_model": None, "key_required": True, "enabled_models": ["gpt-4o-mini", "gpt-4o"]}
    assert document["local"] == {"n_ctx": 8192, "n_threads": 4, "n_batch": 256,
                                 "n_gpu_layers": -1, "default_model": "Qwen2.5-0.5B-Instruct"}


def test_provider_configs_feed_the_registry():
    configs = sample().provider_configs()
    assert [c.id for c in configs] == ["openai", "home"]
    assert all(isinstance(c, ProviderConfig) for c in configs)


def test_an_older_file_missing_fields_gets_their_defaults():
    write({"schema": 1, "offline": True})
    settings = Settings.load()
    assert settings == replace(Settings(), offline=True)
    assert settings.problem is None


def test_an_explicit_path_is_honoured(tmp_path):
    path = tmp_path / "elsewhere" / "s.json"
    sample().save(path)
    assert Settings.load(path) == sample()
    assert not settings_path().exists()


# ---- atomic saves --------------------------------------------------------------------------

def test_save_leaves_no_temporary_files(switchboard_home):
    sample().save()
    Settings().save()
    assert [p.name for p in switchboard_home.iterdir()] == ["settings.json"]


def test_a_failed_save_keeps_the_old_file_whole(monkeypatch, switchboard_home):
    sample().save()
    before = settings_path().read_bytes()

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(SettingsError, match="No space left"):
        Settings().save()
    assert settings_path().read_bytes() == before
    assert [p.name for p in switchboard_home.iterdir()] == ["settings.json"]


# ---- broken files ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["{ not json", "[1, 2]", b"\xff\xfe not UTF-8", ""])
def test_a_corrupt_file_is_kept_aside_and_the_defaults_used(text):
    path = write(text)
    raw = path.read_bytes()
    settings = Settings.load()
    assert settings == Settings()
    assert settings.problem and "settings.json.broken-" in settings.problem
    [backup] = backups()
    assert backup.read_bytes() == raw


def test_loading_a_broken_file_again_does_not_pile_up_copies():
    write("{ not json")
    Settings.load()
    Settings.load()
    assert len(backups()) == 1


def test_saving_after_a_problem_repairs_the_file():
    write("{ not json")
    Settings.load().save()
    again = Settings.load()
    assert again.problem is None and again == Settings()


def test_one_bad_value_costs_only_that_value():
    document = sample().to_json()
    document["offline"] = "yes"
    document["local"]["n_ctx"] = 0
    write(document)
    settings = Settings.load()
    assert settings.offline is False  # the default
    assert settings.local.n_ctx == LocalModelSettings().n_ctx
    assert settings.local.n_threads == 4 and settings.providers == sample().providers
    assert "offline" in (settings.problem or "") and "local.n_ctx" in (settings.problem or "")
    assert len(backups()) == 1


@pytest.mark.parametrize(("entry", "words"), [
    ({"id": "x", "kind": "cohere", "base_url": "https://x"}, "kind"),
    ({"id": "x", "kind": "openai", "base_url": "ftp://x"}, "base_url"),
    ({"id": "local", "kind": "openai", "base_url": "https://x"}, "id"),
    ({"id": "Has Space", "kind": "openai", "base_url": "https://x"}, "id"),
    ({"id": "x", "kind": "openai", "base_url": "https://x", "key_required": "no"}, "key_required"),
    ({"id": "x", "kind": "openai", "base_url": "https://x", "enabled_models": "gpt"},
     "enabled_models"),
    ({"id": "openai", "kind": "openai", "base_url": "https://x"}, "another provider"),
    ("openai", "expected an object"),
])
def test_a_bad_provider_is_dropped_and_named(entry, words):
    document = sample().to_json()
    document["providers"].append(entry)
    write(document)
    settings = Settings.load()
    assert settings.providers == sample().providers
    assert "provider 3" in (settings.problem or "") and words in (settings.problem or "")


def test_a_bad_price_override_is_dropped_and_named():
    document = sample().to_json()
    document["pricing_overrides"]["openai:gpt-4o"] = {"input": -1, "output": 1}
    write(document)
    settings = Settings.load()
    assert settings.pricing_overrides == sample().pricing_overrides
    assert "openai:gpt-4o" in (settings.problem or "")


@pytest.mark.parametrize(("name", "value"), [
    ("context_policy", "forget"), ("first_token_timeout_s", 0), ("first_token_timeout_s", "soon"),
    ("first_token_timeout_s", True),
])
def test_a_bad_conversation_setting_costs_only_itself(name, value):
    document = sample().to_json()
    document[name] = value
    write(document)
    settings = Settings.load()
    assert getattr(settings, name) == getattr(Settings(), name)
    assert settings.model_overrides == sample().model_overrides
    assert name in (settings.problem or "")


@pytest.mark.parametrize(("entry", "words"), [
    ({"context": -5}, "context must be"), ({"vision": "maybe"}, "vision must be"),
    ({"price": {"input": 1, "output": 1}}, "pricing_overrides"), ([4096], "expected an object"),
])
def test_a_bad_model_override_is_dropped_and_named(entry, words):
    document = sample().to_json()
    document["model_overrides"]["openai:gpt-4o"] = entry
    write(document)
    settings = Settings.load()
    assert settings.model_overrides == sample().model_overrides
    assert "openai:gpt-4o" in (settings.problem or "") and words in (settings.problem or "")


def test_a_newer_schema_is_read_but_kept_aside():
    document = sample().to_json()
    document["schema"] = 2
    write(document)
    settings = Settings.load()
    assert settings == sample()
    assert "schema 2" in (settings.problem or "") and len(backups()) == 1


def test_an_unreadable_file_gives_defaults(monkeypatch):
    write("{}")

    def refuse(path: Path, *, limit: int) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("app.core.settings.read_bytes", refuse)
    settings = Settings.load()
    assert settings == Settings() and "Permission denied" in (settings.problem or "")


# ---- no keys, ever ---------------------------------------------------------------------------

def files_containing(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


async def test_a_key_set_through_the_store_is_in_no_file(memory_keyring, switchboard_home):
    store = SecretStore()
    await store.set("openai", KEY)
    sample().save()
    Settings.load().save()
    assert settings_path().exists()
    assert files_containing(switchboard_home, KEY) == []
    assert memory_keyring.items[("switchboard", "openai")] == KEY


def test_a_key_typed_into_the_file_by_hand_is_not_loaded_nor_saved_back(switchboard_home):
    document = sample().to_json()
    document["providers"][0]["api_key"] = KEY
    write(document)
    settings = Settings.load()
    assert KEY not in repr(settings)
    settings.save()
    assert files_containing(switchboard_home, KEY) == []
