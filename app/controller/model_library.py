"""The local models on this computer, as the model manager shows them: each file's GGUF
metadata, and importing or removing files safely.

A file is validated as GGUF before it is offered; an import is copied to a ``.part`` and
renamed, so the models folder never holds half a model. A damaged file (a download cut
short, a copy that stopped) never hides a good one of the same name: ``usable_models``
picks, for each name, the first file that reads as a whole model, and the library lists
the damaged one beside it with what is wrong.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.models.fit import plan_context
from app.core.models.gguf_file import GGUFInfo, InvalidModelFile, read_gguf
from app.core.models.library import LocalModel, model_name
from app.core.paths import bundled_models_dir, models_dir

# What read_gguf said about each file, by (path, modification time, size): the header walk
# takes milliseconds, but the list is read at start and after every import or removal.
_checked: dict[tuple[Path, int, int], GGUFInfo | InvalidModelFile] = {}


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
    # The context chats load it with (the settings' length, lowered to the model's own
    # maximum as loading does); None when the library was read without the settings.
    chat_context: int | None = None


def model_files() -> list[LocalModel]:
    """Every GGUF file in the models folders, the user's before the bundled ones; a name
    appears twice when the user has a file named like the bundled model."""
    files = []
    for folder, bundled in ((models_dir(), False), (bundled_models_dir(), True)):
        if folder.is_dir():
            files += [LocalModel(model_name(path), path, bundled) for path in sorted(folder.glob("*.gguf"))]
    return files


def usable_models() -> list[LocalModel]:
    """One file per model name: a user's copy before the bundled one, unless it is not a
    whole GGUF model and another file of that name is. A name with no usable file keeps
    its first, so using it says what is wrong. Only names held by two files are read."""
    chosen: dict[str, LocalModel] = {}
    for model in model_files():
        current = chosen.get(model.name)
        if current is None or (_problem(current) is not None and _problem(model) is None):
            chosen[model.name] = model
    return list(chosen.values())


def library_entries(n_ctx: int | None = None) -> list[LibraryEntry]:
    """Every model file with its metadata, the one each name uses first; unreadable files
    are listed with why (and, where another file answers to their name, which).
    ``n_ctx``: the context length the settings ask for, to say what chats use of each."""
    files = model_files()
    entries = []
    for model in usable_models():
        entries.append(_entry(model, None, n_ctx))
        entries += [_entry(other, model, n_ctx) for other in files
                    if other.name == model.name and other != model]
    return entries


def _entry(model: LocalModel, used: LocalModel | None, n_ctx: int | None) -> LibraryEntry:
    """``used``: the file that answers to this one's name instead, if any."""
    checked = _check(model.path)
    info, problem = (checked, None) if isinstance(checked, GGUFInfo) else (None, str(checked))
    if problem is not None and used is not None and _problem(used) is None:
        problem += f"; the {'bundled copy' if used.bundled else f'file {used.path.name}'} is used instead"
    size = model.path.stat().st_size if model.path.exists() else 0
    chat_context = None
    if info is not None and n_ctx is not None:
        # The lowering loading applies, without its memory check: free memory changes by
        # the minute, and loading says so in full when it refuses.
        chat_context = plan_context(model.name, info, size, n_ctx, available=0).n_ctx
    return LibraryEntry(model.name, model.path, model.bundled, size, info, problem, chat_context)


def _problem(model: LocalModel) -> str | None:
    checked = _check(model.path)
    return None if isinstance(checked, GGUFInfo) else str(checked)


def _check(path: Path) -> GGUFInfo | InvalidModelFile:
    try:
        stat = path.stat()
    except OSError as error:
        return InvalidModelFile(f"{path.name} cannot be read: {error.strerror or error}")
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _checked:
        try:
            _checked[key] = read_gguf(path)
        except InvalidModelFile as error:
            _checked[key] = error
    return _checked[key]


def import_model(source: Path) -> LibraryEntry:
    """Copy a GGUF file into the models folder after checking it is one."""
    if not source.is_file():
        raise LibraryError(f"{source} is not a file.")
    try:
        info = read_gguf(source)
    except InvalidModelFile as error:
        raise LibraryError(f"{source.name} cannot be used: {error}") from None
    name = model_name(source)
    if any(m.name == name for m in model_files()):
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
    # The user's file of that name before the bundled one, as the list shows them.
    model = next((m for m in model_files() if m.name == name), None)
    if model is None:
        raise LibraryError(f'There is no installed model called "{name}".')
    if model.bundled:
        raise LibraryError(f'"{name}" ships with Switchboard and cannot be removed.')
    try:
        model.path.unlink()
    except OSError as error:
        raise LibraryError(f"Could not delete {model.path}: {error.strerror or error}.") from None
    return model.path
