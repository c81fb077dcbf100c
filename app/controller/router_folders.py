"""Where routers come from: the user's own files and the bundled templates, read once
and again only when a file changes. Every lookup by name goes through here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core.paths import router_templates_dir
from app.core.router import Router, RouterFormatError, load_router
from app.core.router.library import user_routers_dir

Origin = Literal["template", "yours", "changed template"]


@dataclass(frozen=True, slots=True)
class RouterEntry:
    name: str
    origin: Origin
    description: str = ""
    path: Path | None = None  # the user's file; None for an untouched template
    problem: str | None = None  # why the user's file cannot be opened


class RouterFolders:
    def __init__(self) -> None:
        # The files as last read, and what they held: the editor asks on every keystroke
        # (is this name taken?), every message asks for its router, and the files rarely
        # change under either.
        self._read: _Read | None = None

    def entries(self) -> list[RouterEntry]:
        """Every router once, the user's first; a broken file is listed with its problem."""
        return list(self._files().entries)

    def _files(self) -> _Read:
        """What the folders hold, read again only when a file was added, removed or
        changed since the last read."""
        paths = [*_json_files(user_routers_dir()), *_json_files(router_templates_dir())]
        stamp = tuple(_stamp(path) for path in paths)
        if self._read is None or self._read.stamp != stamp:
            self._read = _read_folders(stamp)
        return self._read

    def load(self, name: str) -> Router:
        """The router called ``name`` (the user's copy over a template); RouterFormatError
        when its file is broken or there is none."""
        found = self._files().by_name.get(name)
        if found is None:
            raise RouterFormatError("", f'no router called "{_shown(name)}"')
        return found

    def find(self, spec: str) -> Router:
        """A router by file path, or by the name or file stem of a user router or
        template, in any case. RouterFormatError with the file's problem, or "no such
        router"; someone else's broken file never hides the router asked for."""
        path = Path(spec)
        if _names_a_file(path):
            return load_router(path)  # refuses a pipe or a device with its own reason
        read = self._files()
        wanted = spec.casefold()
        found = read.by_key.get(wanted)
        if found is not None:
            return found
        broken = read.broken.get(wanted)
        if broken is not None:
            return load_router(broken)  # raises, naming the file's problem
        raise RouterFormatError("", f'no router called "{_shown(spec)}": not a file, and no saved router '
                                    "or template has that name")

    def template(self, name: str) -> Router | None:
        return next((r for r in self.templates() if r.name == name), None)

    def templates(self) -> list[Router]:
        return list(self._files().templates)

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]


@dataclass(frozen=True, slots=True)
class _Read:
    stamp: tuple[object, ...]
    entries: list[RouterEntry]
    templates: list[Router]
    by_name: dict[str, Router]  # exact names, the user's copy over a template
    by_key: dict[str, Router]  # casefolded names and file stems
    broken: dict[str, Path]  # casefolded stems of the user's files that do not load


def _read_folders(stamp: tuple[object, ...]) -> _Read:
    read = _Read(stamp, [], [], {}, {}, {})
    mine = [(path, _load_or_error(path)) for path in _json_files(user_routers_dir())]
    theirs = [(path, _load_or_error(path)) for path in _json_files(router_templates_dir())]
    for path, loaded in theirs:
        if isinstance(loaded, Router) and all(t.name != loaded.name for t in read.templates):
            read.templates.append(loaded)
    template_names = {t.name for t in read.templates}
    for path, loaded in mine:
        if not isinstance(loaded, Router):
            read.entries.append(RouterEntry(path.stem, "yours", path=path, problem=str(loaded)))
            read.broken.setdefault(path.stem.casefold(), path)
        elif loaded.name not in read.by_name:
            origin: Origin = "changed template" if loaded.name in template_names else "yours"
            read.entries.append(RouterEntry(loaded.name, origin, loaded.description, path))
            _index(read, loaded, path)
    read.entries.extend(RouterEntry(t.name, "template", t.description) for t in read.templates
                        if t.name not in read.by_name)
    for path, loaded in theirs:
        if isinstance(loaded, Router) and loaded.name not in read.by_name:
            _index(read, loaded, path)
    return read


def _index(read: _Read, router: Router, path: Path) -> None:
    read.by_name[router.name] = router
    for key in (router.name.casefold(), path.stem.casefold()):
        read.by_key.setdefault(key, router)


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except OSError:  # gone since it was listed: counts as a change
        return (str(path), -1, -1)
    return (str(path), st.st_mtime_ns, st.st_size)


def _shown(name: str) -> str:
    """A name as an error quotes it: whole when short, cut when someone pasted a page."""
    return name if len(name) <= 80 else f"{name[:60]}… ({len(name):,} characters)"


def _names_a_file(path: Path) -> bool:
    """Whether ``path`` is something on disk other than a folder; a name too long to
    be a path (ENAMETOOLONG) or otherwise unusable as one is a name, not a file."""
    try:
        return path.exists() and not path.is_dir()
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return False


def _json_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _load_or_error(path: Path) -> Router | RouterFormatError:
    try:
        return load_router(path)
    except RouterFormatError as exc:
        return exc
