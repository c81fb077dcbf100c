"""settings.json's local.* values are range-checked when read: an absurd one (a typo,
1e12) is reset to its default with one note, never handed to llama.cpp; and the reply
limit for chats without their own is read, checked and written back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.settings import Settings

MAX_N_CTX = 1 << 24  # app.core.settings.MAX_N_CTX, spelled out so the test says the figure


def load(tmp_path: Path, document: dict[str, object]) -> Settings:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(document))
    return Settings.load(path)


def test_an_absurd_context_length_is_reset_with_one_note(tmp_path: Path) -> None:
    settings = load(tmp_path, {"schema": 1, "local": {"n_ctx": 1_000_000_000_000, "n_batch": 256}})
    assert settings.local.n_ctx == 4096  # the default
    assert settings.local.n_batch == 256  # the other values are kept
    assert settings.problem is not None
    assert ("local.n_ctx: 1,000,000,000,000 is out of range (a whole number from 256 to "
            "16,777,216)") in settings.problem


@pytest.mark.parametrize(("name", "value"), [
    ("n_ctx", 1e12), ("n_ctx", 100), ("n_ctx", MAX_N_CTX + 1), ("n_ctx", True), ("n_threads", 0),
    ("n_threads", 10**9), ("n_batch", 0), ("n_batch", 10**12), ("n_gpu_layers", -2),
    ("n_gpu_layers", 10**12), ("n_ctx", "8192"),
])
def test_each_local_value_out_of_its_range_is_reset(tmp_path: Path, name: str, value: object) -> None:
    settings = load(tmp_path, {"schema": 1, "local": {name: value}})
    assert getattr(settings.local, name) == getattr(Settings().local, name)
    assert settings.problem is not None and f"local.{name}:" in settings.problem


@pytest.mark.parametrize(("name", "value"), [
    ("n_ctx", 256), ("n_ctx", MAX_N_CTX), ("n_threads", None), ("n_threads", 64), ("n_batch", 2048),
    ("n_gpu_layers", -1), ("n_gpu_layers", 999),
])
def test_values_within_range_are_kept(tmp_path: Path, name: str, value: object) -> None:
    settings = load(tmp_path, {"schema": 1, "local": {name: value}})
    assert getattr(settings.local, name) == value and settings.problem is None


def test_the_reply_limit_defaults_round_trips_and_refuses_nonsense(tmp_path: Path) -> None:
    assert Settings().reply_limit_tokens == 2048
    path = tmp_path / "settings.json"
    Settings(reply_limit_tokens=300).save(path)
    assert json.loads(path.read_text())["reply_limit_tokens"] == 300
    assert Settings.load(path).reply_limit_tokens == 300
    for bad in (0, -5, 10**12, 2.5, "long", True):
        settings = load(tmp_path, {"schema": 1, "reply_limit_tokens": bad})
        assert settings.reply_limit_tokens == 2048
        assert settings.problem is not None and "reply_limit_tokens: expected a whole number" in settings.problem
