"""TargetFacts: each target's window from its settings, file, override, provider or catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.controller.target_facts import ASSUMED_WINDOW, TargetFacts, Window
from app.core.model_catalog import ModelCatalog, ModelEntry
from app.core.paths import bundled_models_dir
from app.core.providers.local_settings import LocalModelSettings

BUNDLED = "local:SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def catalog() -> ModelCatalog:
    return ModelCatalog.load()


def local_facts(catalog: ModelCatalog, n_ctx: int, path: Path | None) -> TargetFacts:
    return TargetFacts(catalog, local_settings=lambda _name: LocalModelSettings(n_ctx=n_ctx),
                       local_path=lambda _name: path)


def test_a_local_window_is_its_n_ctx_bounded_by_the_files_own_context(catalog):
    path = bundled_models_dir() / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert local_facts(catalog, 4096, path).window(BUNDLED) == Window(4096, "model settings", 8192)
    assert local_facts(catalog, 65_536, path).window(BUNDLED) == Window(8192, "the model file", 8192)


def test_a_local_model_without_a_readable_file_has_its_settings_window(catalog, tmp_path):
    broken = tmp_path / "Broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 10)
    assert local_facts(catalog, 2048, broken).window(BUNDLED) == Window(2048, "model settings")
    assert local_facts(catalog, 2048, None).window(BUNDLED) == Window(2048, "model settings")


def test_a_local_model_sees_no_images_and_has_no_reply_cap(catalog):
    facts = TargetFacts(catalog)
    assert facts.vision(BUNDLED) is False
    assert facts.max_output(BUNDLED) is None


def test_a_remote_window_override_then_provider_then_catalog_then_assumed(catalog):
    overrides: dict[str, ModelEntry] = {}
    facts = TargetFacts(catalog, overrides=lambda: overrides)
    assert facts.window("openai:gpt-4o") == Window(128_000, "the catalog")
    assert facts.window("custom:mystery") == Window(ASSUMED_WINDOW, "assumed")
    facts.learn("custom", {"mystery": 8192})
    facts.learn("openai", {"gpt-4o": 64_000})
    assert facts.window("custom:mystery") == Window(8192, "the provider")
    assert facts.window("openai:gpt-4o") == Window(64_000, "the provider")
    overrides["openai:gpt-4o"] = ModelEntry(context=16_000, vision=False, max_output=2000)
    assert facts.window("openai:gpt-4o") == Window(16_000, "your override")
    assert facts.vision("openai:gpt-4o") is False
    assert facts.max_output("openai:gpt-4o") == 2000


def test_vision_from_the_catalog_and_trusted_when_unknown(catalog):
    facts = TargetFacts(catalog)
    assert facts.vision("anthropic:claude-sonnet-4-5-20250929") is True
    assert facts.vision("deepseek:deepseek-chat") is False
    assert facts.vision("custom:mystery") is True
