"""Chat history is nobody else's business: the data folder is 0700, the database (with
its WAL and shared-memory files) and settings 0600, and a looser mode found at start is
tightened. (POSIX modes; on Windows the user profile's ACLs already do this.)"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.paths import data_dir

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_DATA_FILES = ("switchboard.db", "switchboard.db-wal", "switchboard.db-shm", "settings.json")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by this user only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    tighten(path, PRIVATE_DIR)
    return path


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 before anything writes into it (SQLite
    gives its WAL and shared-memory files the database file's mode)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE)
    os.close(fd)
    tighten(path, PRIVATE_FILE)


def tighten(path: Path, mode: int) -> None:
    """Take away any permission beyond ``mode``; a path that is gone is left alone."""
    try:
        current = path.stat().st_mode & 0o777
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError:
        pass


def secure_data_folder(root: Path | None = None) -> None:
    """Tighten the data folder and its private files (they may predate this check)."""
    root = root or data_dir()
    if not root.is_dir():
        return
    tighten(root, PRIVATE_DIR)
    for name in _DATA_FILES:
        tighten(root / name, PRIVATE_FILE)
