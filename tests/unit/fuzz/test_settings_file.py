"""Fuzz: settings.json. Whatever the file holds, ``Settings.load`` returns settings and
never raises; what it had to fix is one plain line (``problem``); the file itself is left
as it was, and when anything in it was reset a ``settings.json.broken-*`` copy holds its
bytes exactly. Settings it accepts save and load back the same."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.model_catalog import ModelEntry
from app.core.providers.config import PRESETS, config_from_preset
from app.core.providers.local_settings import LocalModelSettings
from app.core.settings import ProviderSettings, Settings
from tests.support.fuzz_inputs import (
    assert_one_line,
    damaged_bytes,
    dumps,
    json_files,
    json_values,
    outcome,
    raw_tokens,
    texts,
)
from tests.support.special_paths import SPECIAL_PATHS

# Hypothesis warns when it prints a failing case of many kilobytes; the failure is the news.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

RICH = replace(
    Settings(),
    providers=tuple(ProviderSettings(config_from_preset(p), ("m1", "m2")) for p in sorted(PRESETS)),
    offline=True, lock_new_chats=True,
    pricing_overrides={"openai:gpt-4o": {"input": 2.5, "output": 10.0}},
    local=LocalModelSettings(n_ctx=8192, n_threads=4, n_batch=256, n_gpu_layers=-1),
    model_overrides={"openai:gpt-4o": ModelEntry(context=128_000, max_output=16_384, vision=True)},
)
SEEDS = [Settings().to_json(), RICH.to_json()]
KEYS = tuple(SEEDS[1]) + tuple(SEEDS[1]["local"]) + ("id", "kind", "base_url", "default_model",
                                                      "key_required", "enabled_models", "input",
                                                      "output", "context", "max_output", "vision",
                                                      "tools", "price")
FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings_files = st.sampled_from(SEEDS).flatmap(lambda seed: json_files(seed, keys=KEYS))

# ---- settings made from the format's own fields, each valid or hostile ----------------

hostile = json_values | raw_tokens | texts


def field(valid: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """A valid value 9 times in 10: one file then holds a bad value or two among good ones."""
    return st.integers(0, 9).flatmap(lambda n: hostile if n == 0 else valid)


whole = st.integers(-2, 5) | st.sampled_from([256, 4096, 2**24, 2**24 + 1, 10**12, 2**53, 999, 100_001])
amount = st.floats(0, 1e6) | st.sampled_from([0, 1e300, -1.0, 5e-324])
target = st.sampled_from(["openai:gpt-4o", "anthropic:claude", "local:SmolLM2-135M-Instruct", "x", "a:b\nc"])
provider = st.fixed_dictionaries(
    {"id": field(st.sampled_from(["openai", "my-server", "local", "UPPER", "a\nb", "x" * 300])),
     "kind": field(st.sampled_from(sorted({p.kind for p in PRESETS.values()}))),
     "base_url": field(st.sampled_from(["https://api.openai.com/v1", "http://127.0.0.1:8080/v1", "ftp://x"]))},
    optional={"default_model": field(st.none() | st.just("gpt-4o")), "key_required": field(st.booleans()),
              "enabled_models": field(st.lists(st.sampled_from(["m1", "m2", " m3 "]), max_size=3))})
grammar_settings = st.fixed_dictionaries({}, optional={
    "schema": field(st.just(1)),
    "providers": field(st.lists(provider, max_size=4)),
    "default_router": field(st.sampled_from(["Save money", "Local only", " x "])),
    "offline": field(st.booleans()), "lock_new_chats": field(st.booleans()),
    "pricing_overrides": field(st.dictionaries(target, field(st.fixed_dictionaries(
        {"input": field(amount), "output": field(amount)})), max_size=3)),
    "local": field(st.fixed_dictionaries({}, optional={
        "n_ctx": field(whole), "n_threads": field(st.none() | whole), "n_batch": field(whole),
        "n_gpu_layers": field(whole), "default_model": field(st.just("SmolLM2-135M-Instruct"))})),
    "context_policy": field(st.sampled_from(["rolling", "summarize", "stop"])),
    "first_token_timeout_s": field(amount | whole),
    "reply_limit_tokens": field(whole),
    "model_overrides": field(st.dictionaries(target, field(st.fixed_dictionaries({}, optional={
        "context": field(whole), "max_output": field(whole), "vision": field(st.booleans()),
        "tools": field(st.booleans()), "price": field(st.just({"input": 1, "output": 2}))})), max_size=3)),
    "api": field(st.fixed_dictionaries({}, optional={
        "enabled": field(st.booleans()), "store_conversations": field(st.booleans()),
        "host": field(st.sampled_from(["127.0.0.1", "localhost", "::1", "0.0.0.0", "a b", "x" * 300])),
        "port": field(whole), "cors_origins": field(st.lists(st.sampled_from(["https://a.example", " "])))})),
})


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.broken-*"))


def check_load(path: Path) -> Settings:
    """Load ``path`` and check the promise; returns what was loaded."""
    raw = path.read_bytes() if path.is_file() else None
    loaded = Settings.load(path)
    if raw is not None:
        assert path.read_bytes() == raw, "loading changed the user's file"
    if loaded.problem is None:
        outcome("accepted")
        again = path.with_name("saved-again.json")
        loaded.save(again)
        assert Settings.load(again) == loaded
        assert Settings.load(again).problem is None
        return loaded
    outcome("refused")
    assert_one_line(loaded.problem)
    if raw is not None:
        assert any(b.read_bytes() == raw for b in backups(path)), \
            f"no copy of the user's file was kept: {loaded.problem}"
        assert loaded.problem.count("broken-") == 1
    return loaded


def fresh_file(tmp_path: Path, content: bytes) -> Path:
    # Hypothesis runs every example in the one tmp_path: a folder each, or the copies of
    # earlier examples would be found.
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "settings.json"
    path.write_bytes(content)
    return path


@FUZZ
@given(content=settings_files)
def test_any_settings_file_loads_and_nothing_the_user_had_is_lost(tmp_path: Path, content: bytes) -> None:
    check_load(fresh_file(tmp_path, content))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=settings_files)
def test_loading_a_bad_file_twice_keeps_one_copy(tmp_path: Path, content: bytes) -> None:
    path = fresh_file(tmp_path, content)
    first = check_load(path)
    second = check_load(path)
    assert first == second
    assert len(backups(path)) == (0 if first.problem is None else 1)


@FUZZ
@given(document=grammar_settings)
def test_settings_made_from_their_fields_load_and_nothing_is_lost(tmp_path: Path, document: dict[str, object]) -> None:
    check_load(fresh_file(tmp_path, dumps(document).encode("utf-8")))


@FUZZ
@given(content=st.just(dumps(SEEDS[1]).encode()).flatmap(damaged_bytes))
def test_a_damaged_copy_of_real_settings_loads_and_is_kept(tmp_path: Path, content: bytes) -> None:
    check_load(fresh_file(tmp_path, content))


# ---- paths that are not regular files ----------------------------------




@pytest.mark.parametrize("make", SPECIAL_PATHS.values(), ids=SPECIAL_PATHS.keys())
def test_a_settings_path_that_is_no_file_gives_the_defaults_in_one_line(tmp_path: Path, make) -> None:
    path = tmp_path / "settings.json"
    make(path)
    loaded = Settings.load(path)
    assert loaded == Settings()
    assert loaded.problem is not None
    assert_one_line(loaded.problem)
    assert os.path.lexists(path), "loading removed what stood at the settings path"


def test_a_dangling_link_is_no_settings_at_all(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.symlink_to(tmp_path / "gone.json")
    loaded = Settings.load(path)
    assert loaded == Settings() and loaded.problem is None
