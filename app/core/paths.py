"""Where Switchboard keeps its data, resources and models.

Every user-data path hangs off one root so that tests (and portable installs) can move
everything with ``SWITCHBOARD_HOME`` and never touch the real home directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Switchboard"


def resources_dir() -> Path:
    """Read-only files shipped with the app (templates, tokenizer data, bundled model)."""
    frozen_root = getattr(sys, "_MEIPASS", None)  # set by a PyInstaller bundle
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def data_dir() -> Path:
    """The user's writable data root (database, settings, downloaded models)."""
    override = os.environ.get("SWITCHBOARD_HOME")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """Downloaded and imported GGUF models."""
    return data_dir() / "models"


def bundled_models_dir() -> Path:
    """The small model shipped with the app so it works offline on first launch."""
    return resources_dir() / "models"


def router_templates_dir() -> Path:
    return resources_dir() / "routers"
