"""Pricing: the catalog's prices, user overrides, what a call costs, and clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.core.model_catalog import catalog_file
from app.core.pricing import Price, Pricing, PricingError

SHIPPED = ["openai:gpt-4o", "openai:gpt-4o-mini", "openai:gpt-4.1", "openai:gpt-4.1-mini",
           "openai:o4-mini", "anthropic:claude-sonnet-4-5", "anthropic:claude-haiku-4-5",
           "anthropic:claude-opus-4-1", "gemini:gemini-2.5-flash", "gemini:gemini-2.5-pro"]


@pytest.fixture(scope="module")
def pricing() -> Pricing:
    return Pricing.load()


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "model_catalog.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def priced(prices: dict[str, object]) -> dict[str, object]:
    """A catalog holding only these prices."""
    return {"models": {target: {"price": price} for target, price in prices.items()}}


# ---- the shipped file --------------------------------------------------------------------

def test_the_shipped_file_prices_the_common_models(pricing):
    for target in SHIPPED:
        price = pricing.price(target)
        assert price is not None, target
        assert 0 < price.input_per_mtok <= price.output_per_mtok, target
    for provider in ("groq", "mistral", "deepseek"):
        assert any(t.startswith(f"{provider}:") for t in pricing.prices)


def test_the_shipped_file_says_when_it_was_updated(pricing):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", pricing.updated or "")
    assert "_comment" in json.loads(catalog_file().read_text())


def test_known_prices(pricing):
    assert pricing.price("openai:gpt-4o-mini") == Price(0.15, 0.60)
    assert pricing.price("anthropic:claude-sonnet-4-5") == Price(3.0, 15.0)


# ---- which targets have a price ----------------------------------------------------------

def test_local_models_are_free(pricing):
    assert pricing.price("local:SmolLM2-135M-Instruct") == Price(0, 0)
    assert pricing.cost("local:anything", 10_000, 10_000) == 0


def test_an_unknown_remote_model_has_no_price(pricing):
    assert pricing.price("openai:gpt-99") is None
    assert pricing.cost("openai:gpt-99", 10, 10) is None


def test_a_dated_snapshot_is_priced_as_its_model(pricing):
    assert pricing.price("anthropic:claude-sonnet-4-5-20250929") == Price(3.0, 15.0)
    assert pricing.price("openai:gpt-4o-2024-08-06") == pricing.price("openai:gpt-4o")
    assert pricing.price("gemini:models/gemini-2.5-flash") == pricing.price(
        "gemini:gemini-2.5-flash")


def test_an_exact_snapshot_price_wins_over_its_models(pricing):
    assert pricing.price("openai:gpt-4o-2024-05-13") == Price(5.0, 15.0)


def test_another_provider_id_is_not_priced_by_model_name(pricing):
    # "myopenai" may be Azure, a proxy or a local server: no guess.
    assert pricing.price("myopenai:gpt-4o") is None
    assert pricing.price("openrouter:openai/gpt-4o") is None


# ---- cost and the priciest target -----------------------------------------------------------

def test_cost_is_per_million_tokens(pricing):
    assert pricing.cost("openai:gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    assert pricing.cost("openai:gpt-4o", 1000, 500) == pytest.approx(0.0025 + 0.005)


def test_negative_token_counts_are_a_bug(pricing):
    with pytest.raises(ValueError):
        pricing.cost("openai:gpt-4o", -1, 0)


def test_most_expensive_ranks_by_input_plus_output(pricing):
    targets = ["local:SmolLM2-135M-Instruct", "openai:gpt-4o-mini", "anthropic:claude-opus-4-1",
               "gemini:gemini-2.5-pro", "nobody:knows"]
    assert pricing.most_expensive(targets) == "anthropic:claude-opus-4-1"


def test_most_expensive_of_nothing_priced_is_none(pricing):
    assert pricing.most_expensive([]) is None
    assert pricing.most_expensive(["nobody:knows"]) is None
    assert pricing.most_expensive(["local:a", "local:b"]) == "local:a"  # free, but known


def test_most_expensive_keeps_the_first_of_equals():
    pricing = Pricing({"a:x": Price(1, 2), "b:y": Price(2, 1)})
    assert pricing.most_expensive(["b:y", "a:x"]) == "b:y"


# ---- overrides -----------------------------------------------------------------------------

def test_overrides_replace_and_add_prices():
    pricing = Pricing.load({"openai:gpt-4o": {"input": 1, "output": 2},
                            "myopenai:gpt-4o": {"input": 3.5, "output": 7}})
    assert pricing.price("openai:gpt-4o") == Price(1, 2)
    assert pricing.price("myopenai:gpt-4o") == Price(3.5, 7)


@pytest.mark.parametrize(("overrides", "words"), [
    ({"gpt-4o": {"input": 1, "output": 2}}, "not a target"),
    ({"local:x": {"input": 1, "output": 2}}, "always free"),
    ({"openai:x": {"input": 1}}, "expected"),
    ({"openai:x": {"input": 1, "output": 2, "cached": 0.1}}, "expected"),
    ({"openai:x": {"input": "cheap", "output": 2}}, "must be a number"),
    ({"openai:x": {"input": True, "output": 2}}, "must be a number"),
    ({"openai:x": {"input": -1, "output": 2}}, "zero or more"),
    ({"openai:x": {"input": float("nan"), "output": 2}}, "zero or more"),
    ({"openai:x": [1, 2]}, "expected"),
])
def test_a_bad_override_is_a_clear_error_naming_it(overrides, words):
    with pytest.raises(PricingError, match=words) as caught:
        Pricing.load(overrides)
    assert next(iter(overrides)) in str(caught.value)
    assert "price override" in str(caught.value)


# ---- a broken file -------------------------------------------------------------------------

def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PricingError, match="missing"):
        Pricing.load(path=tmp_path / "nope.json")


def test_a_file_that_is_not_json_is_a_clear_error(tmp_path):
    with pytest.raises(PricingError, match="not valid JSON"):
        Pricing.load(path=write(tmp_path, "{ models: "))


@pytest.mark.parametrize("document", [[], {"updated": "2025-01-01"}, {"models": []}, priced({"openai:x": [1, 2]})])
def test_a_file_of_the_wrong_shape_is_a_clear_error(tmp_path, document):
    with pytest.raises(PricingError, match="model_catalog.json"):
        Pricing.load(path=write(tmp_path, document))


def test_a_bad_entry_in_the_file_is_named(tmp_path):
    path = write(tmp_path, priced({"openai:ok": {"input": 1, "output": 1},
                                    "openai:broken": {"input": 1, "output": "x"}}))
    with pytest.raises(PricingError, match=r'model_catalog\.json "openai:broken": output price'):
        Pricing.load(path=path)


def test_json_nan_in_the_file_is_refused(tmp_path):
    # Python's json reads NaN; a NaN price would poison every sum.
    path = write(tmp_path, '{"models": {"openai:x": {"price": {"input": NaN, "output": 1}}}}')
    with pytest.raises(PricingError, match="openai:x"):
        Pricing.load(path=path)
