"""Where routers come from: the user's own files and the bundled templates."""

from __future__ import annotations

from pathlib import Path

from app.core.paths import data_dir, router_templates_dir
from app.core.router.fields import RouterFormatError
from app.core.router.schema import Router, load_router

DEFAULT_ROUTER = "Save money"
LOCAL_ONLY = "Local only"


def user_routers_dir() -> Path:
    return data_dir() / "routers"


def router_files() -> list[Path]:
    """The user's routers first (they win over a template of the same name), then templates."""
    return [path for folder in (user_routers_dir(), router_templates_dir()) if folder.is_dir()
            for path in sorted(folder.glob("*.json"))]


def router_names() -> list[str]:
    """Names of the routers that load; a broken file is left out here (opening it by
    name still reports its problem)."""
    names: list[str] = []
    for path in router_files():
        try:
            name = load_router(path).name
        except RouterFormatError:
            continue
        if name not in names:
            names.append(name)
    return names


def find_router(spec: str) -> Router:
    """A router by file path, or by the name or file stem of a user router or template.

    Raises RouterFormatError (with the file's problem, or "no such router").
    """
    path = Path(spec)
    if path.is_file():
        return load_router(path)
    wanted = spec.casefold()
    for candidate in router_files():
        try:
            router = load_router(candidate)
        except RouterFormatError:
            if candidate.stem.casefold() == wanted:
                raise
            continue  # someone else's broken file must not hide the router asked for
        if wanted in (router.name.casefold(), candidate.stem.casefold()):
            return router
    raise RouterFormatError("", f'no router called "{spec}": not a file, and no saved router '
                                "or template has that name")
