"""The local models on this computer, as the model manager shows them: each file's GGUF
metadata, and importing or removing files safely.

A file is validated as GGUF before it is offered; an import is copied to a ``.part`` and
renamed, so the models folder never holds half a model.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.models.gguf_file import GGUFInfo, InvalidModelFile, read_gguf
from app.core.models.library import installed_models, model_name
from app.core.paths import models_dir


class LibraryError(Exception):
    """An import or removal that cannot be done; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    name: str
    path: Path
    bundled: bool
    size: int
    info: GGUFInfo | None  # None when the file could not be read
    problem: str | None = None  # why it cannot be used, in plain words


def library_entries() -> list[LibraryEntry]:
    """Every installed model with its metadata; unreadable files are listed with why."""
    entries = []
    for model in installed_models():
        try:
            info: GGUFInfo | None = read_gguf(model.path)
            problem = None
        except InvalidModelFile as error:
            info, problem = None, str(error)
        size = model.path.stat().st_size if model.path.exists() else 0
        entries.append(LibraryEntry(model.name, model.path, model.bundled, size, info, problem))
    return entries


def import_model(source: Path) -> LibraryEntry:
    """Copy a GGUF file into the models folder after checking it is one."""
    if not source.is_file():
        raise LibraryError(f"{source} is not a file.")
    try:
        info = read_gguf(source)
    except InvalidModelFile as error:
        raise LibraryError(f"{source.name} cannot be used: {error}") from None
    name = model_name(source)
    if any(m.name == name for m in installed_models()):
        raise LibraryError(f'A model called "{name}" is installed already; rename the file or '
                           "remove the other one first.")
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / source.name
    part = dest.with_name(dest.name + ".part")
    try:
        shutil.copyfile(source, part)
        os.replace(part, dest)
    except OSError as error:
        part.unlink(missing_ok=True)
        raise LibraryError(f"Could not copy {source.name} into {folder}: "
                           f"{error.strerror or error}.") from None
    return LibraryEntry(name, dest, False, dest.stat().st_size, info)


def remove_model(name: str) -> Path:
    """Delete a downloaded or imported model file; the bundled model stays."""
    model = next((m for m in installed_models() if m.name == name), None)
    if model is None:
        raise LibraryError(f'There is no installed model called "{name}".')
    if model.bundled:
        raise LibraryError(f'"{name}" ships with Switchboard and cannot be removed.')
    try:
        model.path.unlink()
    except OSError as error:
        raise LibraryError(f"Could not delete {model.path}: {error.strerror or error}.") from None
    return model.path
