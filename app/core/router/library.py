"""Where routers live and which ones the app starts with. Reading them (cached, by
name) is the controller's ``RouterFolders``."""

from __future__ import annotations

from pathlib import Path

from app.core.paths import data_dir

DEFAULT_ROUTER = "Save money"
LOCAL_ONLY = "Local only"


def user_routers_dir() -> Path:
    return data_dir() / "routers"
