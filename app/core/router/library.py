"""Where routers come from: the user's own files and the bundled templates."""

from __future__ import annotations

from pathlib import Path

from app.core.paths import data_dir, router_templates_dir
from app.core.router.fields import RouterFormatError
from app.core.router.schema import Router, load_router

DEFAULT_ROUTER = "Save money"


def user_routers_dir() -> Path:
    return data_dir() / "routers"


def find_router(spec: str) -> Router:
    """A router by file path, or by the name or file stem of a user router or template.

    Raises RouterFormatError (with the file's problem, or "no such router").
    """
    path = Path(spec)
    if path.is_file():
        return load_router(path)
    for folder in (user_routers_dir(), router_templates_dir()):
        for candidate in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            router = load_router(candidate)
            if spec.casefold() in (router.name.casefold(), candidate.stem.casefold()):
                return router
    raise RouterFormatError("", f'no router called "{spec}": not a file, and no saved router '
                                "or template has that name")
