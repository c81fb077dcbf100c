"""settings.json files the fuzz suite (tests/unit/fuzz/test_settings_file.py) found
mishandled, each kept as a plain test."""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.core.settings import Settings


def copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob("settings.json.broken-*"))


def test_a_settings_file_over_a_megabyte_is_copied_aside_byte_for_byte(tmp_path: Path):
    # Before: defaults with no copy, and the next save replaced the user's file.
    path = tmp_path / "settings.json"
    content = b'{"schema": 1, "default_router": "' + b"x" * (2 << 20) + b'"}'
    path.write_bytes(content)
    loaded = Settings.load(path)
    assert loaded == Settings()
    assert loaded.problem is not None and "larger than 1.0 MB" in loaded.problem
    [copy] = copies(path)
    assert copy.name in loaded.problem
    assert copy.read_bytes() == content
    assert Settings.load(path).problem == loaded.problem  # loading again reuses the copy
    assert copies(path) == [copy]


def test_a_fifo_at_the_settings_path_gives_the_defaults_and_no_copy(tmp_path: Path):
    path = tmp_path / "settings.json"
    os.mkfifo(path)
    loaded = Settings.load(path)
    assert loaded == Settings() and "named pipe" in (loaded.problem or "")
    assert copies(path) == []


def test_a_provider_id_of_3000_characters_is_reported_in_one_short_line(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"providers": [{"id": "0" * 3000, "kind": "openai"}]}), encoding="utf-8")
    problem = Settings.load(path).problem
    assert problem is not None and len(problem) <= 600 and problem.startswith("Some settings were reset")


def test_a_newline_in_a_model_override_target_is_reported_in_one_line(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"model_overrides": {"a:b\nc": {"context": 1}}}), encoding="utf-8")
    problem = Settings.load(path).problem
    assert problem is not None and problem.isprintable()
    assert '"a:b\\nc"' in problem


def test_fifty_bad_providers_are_reported_as_three_and_a_count(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"providers": [{"id": f"p{i}"} for i in range(50)]}), encoding="utf-8")
    problem = Settings.load(path).problem
    assert problem is not None and "; and 47 more" in problem and len(problem) <= 600
