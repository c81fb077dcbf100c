"""The model catalog: one shipped file of windows, reply limits, vision and prices."""

from __future__ import annotations

import json

import pytest

from app.core.model_catalog import CatalogError, ModelCatalog, catalog_file


@pytest.fixture(scope="module")
def catalog() -> ModelCatalog:
    return ModelCatalog.load()


def test_every_shipped_model_has_a_window_and_a_price(catalog):
    assert len(catalog.entries) >= 20
    for target, entry in catalog.entries.items():
        assert entry.context and entry.context >= 32_768, target
        assert entry.price is not None, target
        assert entry.vision is not None, target
        assert entry.max_output is None or entry.max_output <= entry.context, target


def test_known_figures(catalog):
    assert catalog.entry("openai:gpt-4o").context == 128_000
    assert catalog.entry("openai:gpt-4o").vision is True
    assert catalog.entry("deepseek:deepseek-chat").vision is False


def test_a_snapshot_has_its_models_entry_another_provider_none(catalog):
    assert catalog.entry("anthropic:claude-sonnet-4-5-20250929") == catalog.entry("anthropic:claude-sonnet-4-5")
    assert catalog.entry("gemini:models/gemini-2.5-pro") == catalog.entry("gemini:gemini-2.5-pro")
    assert catalog.entry("myopenai:gpt-4o") is None
    assert catalog.entry("local:SmolLM2-135M-Instruct") is None


def test_the_shipped_file_explains_itself():
    document = json.loads(catalog_file().read_text())
    assert "_comment" in document and document["updated"]


@pytest.mark.parametrize(("entry", "words"), [
    ({"context": "big"}, "context must be a whole number"),
    ({"context": 0}, "context must be a whole number"),
    ({"context": 1e400}, "context must be a whole number"),
    ({"context": 4096.5}, "context must be a whole number"),
    ({"max_output": True}, "max_output must be a whole number"),
    ({"vision": "yes"}, "vision must be true or false"),
    ({"window": 4096}, "expected an object with some of"),
    ({"price": [1, 2]}, "price must be"),
])
def test_a_bad_entry_is_named_with_its_file(tmp_path, entry, words):
    path = tmp_path / "model_catalog.json"
    path.write_text(json.dumps({"models": {"openai:x": entry}}))
    with pytest.raises(CatalogError, match=words) as caught:
        ModelCatalog.load(path)
    assert "model_catalog.json" in str(caught.value) and "openai:x" in str(caught.value)


@pytest.mark.parametrize("text", ["", "[]", '{"models": {"local:x": {}}}', "[" * 100_000])
def test_a_broken_file_is_one_clear_error(tmp_path, text):
    path = tmp_path / "model_catalog.json"
    path.write_text(text)
    with pytest.raises(CatalogError, match="model_catalog.json"):
        ModelCatalog.load(path)
