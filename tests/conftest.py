"""Fixtures shared by every test layer."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def switchboard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data root: no test touches the real home directory."""
    home = tmp_path / "switchboard-home"
    home.mkdir()
    monkeypatch.setenv("SWITCHBOARD_HOME", str(home))
    return home
