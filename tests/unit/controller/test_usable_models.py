"""A damaged file never hides a good model of the same name: the session's list uses the
first file of each name that reads as a whole GGUF model, and the library shows the
damaged one beside it with what is wrong. Real files: a truncated copy of the bundled model."""

from __future__ import annotations

from pathlib import Path

from app.controller.model_library import library_entries, remove_model, usable_models
from app.core.paths import models_dir

NAME = "SmolLM2-135M-Instruct"


def truncated_copy(bundled: Path, name: str | None = None) -> Path:
    models_dir().mkdir(parents=True, exist_ok=True)
    copy = models_dir() / (name or bundled.name)
    with bundled.open("rb") as whole, copy.open("wb") as cut:
        cut.write(whole.read(bundled.stat().st_size // 2))
    return copy


def test_a_truncated_copy_named_like_the_bundled_model_does_not_shadow_it(bundled_gguf: Path) -> None:
    copy = truncated_copy(bundled_gguf)
    [model] = [m for m in usable_models() if m.name == NAME]
    assert model.bundled and model.path == bundled_gguf
    entries = [e for e in library_entries() if e.name == NAME]
    assert [(e.bundled, e.path) for e in entries] == [(True, bundled_gguf), (False, copy)]
    assert entries[0].problem is None
    assert entries[1].problem is not None
    assert entries[1].problem.startswith(f"{copy.name} is incomplete: 49.2 MB of 98.4 MB")
    assert entries[1].problem.endswith("; the bundled copy is used instead")


def test_removing_the_name_removes_the_damaged_copy_not_the_bundled_model(bundled_gguf: Path) -> None:
    copy = truncated_copy(bundled_gguf)
    assert remove_model(NAME) == copy and not copy.exists()
    assert bundled_gguf.exists()
    assert [e.name for e in library_entries()].count(NAME) == 1


def test_a_damaged_model_with_no_other_file_stays_listed_so_using_it_says_why(bundled_gguf: Path) -> None:
    copy = truncated_copy(bundled_gguf, "Mine.Q4_1.gguf")
    assert any(m.name == "Mine" and m.path == copy for m in usable_models())
    [entry] = [e for e in library_entries() if e.name == "Mine"]
    assert entry.problem is not None and "is incomplete" in entry.problem
    assert "used instead" not in entry.problem


def test_a_good_copy_of_the_users_wins_over_the_bundled_one(bundled_gguf: Path) -> None:
    models_dir().mkdir(parents=True)
    mine = models_dir() / bundled_gguf.name
    mine.symlink_to(bundled_gguf)  # a whole model, named like the bundled one
    [model] = [m for m in usable_models() if m.name == NAME]
    assert not model.bundled and model.path == mine
