"""The user's routers as the editor sees them: list, create, save, rename, delete, share.

Templates ship read-only in resources/; editing one saves a copy of the same name in the
user's routers folder, which wins over the template (library.router_files). Deleting
that copy brings the template back. Every write goes through ``parse_router``, so a
router that would not load is never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.controller.target_choices import TargetChoice, target_choices
from app.core.paths import router_templates_dir
from app.core.router import (
    Router,
    RouterFormatError,
    dump_router,
    load_router,
    parse_router,
    save_router,
)
from app.core.router.library import DEFAULT_ROUTER, user_routers_dir

if TYPE_CHECKING:
    from app.controller.session import Session

Origin = Literal["template", "yours", "changed template"]


@dataclass(frozen=True, slots=True)
class RouterEntry:
    name: str
    origin: Origin
    description: str = ""
    path: Path | None = None  # the user's file; None for an untouched template
    problem: str | None = None  # why the user's file cannot be opened


class RouterCatalog:
    def __init__(self, session: Session) -> None:
        self._session = session
        # The files as last read, and what they held: the editor asks on every keystroke
        # (is this name taken?), and the files rarely change under it.
        self._read: tuple[tuple[object, ...], list[RouterEntry], list[Router]] | None = None

    # ---- reading ----------------------------------------------------------------------

    def entries(self) -> list[RouterEntry]:
        """Every router once, the user's first; a broken file is listed with its problem."""
        return list(self._files()[0])

    def _files(self) -> tuple[list[RouterEntry], list[Router]]:
        """The entries and the templates, read again only when a file was added, removed
        or changed since the last read."""
        paths = [*_json_files(user_routers_dir()), *_json_files(router_templates_dir())]
        stamp = tuple(_stamp(path) for path in paths)
        if self._read is None or self._read[0] != stamp:
            templates: list[Router] = []
            for path in _json_files(router_templates_dir()):
                router = _load_or_none(path)
                if router is not None and all(t.name != router.name for t in templates):
                    templates.append(router)
            self._read = (stamp, _read_entries(templates), templates)
        return self._read[1], self._read[2]

    def load(self, name: str) -> Router:
        """The router called ``name`` (the user's copy over a template); RouterFormatError
        when its file is broken or there is none."""
        entry = self._entry(name)
        if entry is not None and entry.path is not None:
            return load_router(entry.path)
        template = self.template(name)
        if template is None:
            raise RouterFormatError("", f'no router called "{name}"')
        return template

    def template(self, name: str) -> Router | None:
        return next((r for r in self.templates() if r.name == name), None)

    def templates(self) -> list[Router]:
        return list(self._files()[1])

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]

    def unique_name(self, wanted: str) -> str:
        """``wanted``, or "wanted (2)", "(3)"… when a router already has that name."""
        taken = {n.casefold() for n in self.names()}
        base = re.sub(r" \(\d+\)$", "", wanted.strip()) or "Router"
        name, n = wanted.strip() or base, 2
        while name.casefold() in taken:
            name, n = f"{base} ({n})", n + 1
        return name

    def blank(self, name: str = "New router") -> Router:
        """A router with no rules that sends everything to the default local model."""
        local = f"local:{self._session.settings.default_local_model}"
        return Router(self.unique_name(name), fallback=(local,))

    def from_template(self, template: Router) -> Router:
        return replace(template, name=self.unique_name(template.name))

    def duplicate(self, router: Router) -> Router:
        return replace(router, name=self.unique_name(f"{router.name} copy"))

    def name_problem(self, name: str, editing: str | None) -> str | None:
        """Why ``name`` cannot be used for the router now called ``editing`` (None: new)."""
        if not name.strip():
            return "a router needs a name"
        clash = next((e for e in self.entries() if e.name.casefold() == name.strip().casefold()), None)
        if clash is None or clash.name == editing:
            return None
        return f'another router is already called "{clash.name}"'

    def target_choices(self, router: Router | None = None) -> list[TargetChoice]:
        session = self._session
        return target_choices(
            session.settings.providers, session.local_models,
            session.pricing.prices, lambda pid: session.secrets.cached(pid) is not None,
            also=router.targets() if router else ())

    # ---- writing ----------------------------------------------------------------------

    def save(self, router: Router, previous_name: str | None = None) -> Path:
        """Write ``router`` to the user's folder (atomically). ``previous_name``: the name
        it was opened under; a rename moves the file and re-points conversations and the
        default router."""
        router = parse_router(dump_router(router))  # never write what would not load
        problem = self.name_problem(router.name, previous_name)
        if problem:
            raise RouterFormatError("name", problem)
        old = self._entry(previous_name) if previous_name else None
        target = old.path if old is not None and old.path is not None and previous_name == router.name \
            else self._free_path(router.name)
        user_routers_dir().mkdir(parents=True, exist_ok=True)
        save_router(router, target)
        if previous_name and previous_name != router.name:
            if old is not None and old.path is not None and old.path != target:
                old.path.unlink(missing_ok=True)
            self._repoint(previous_name, router.name)
        return target

    def add_example(self, name: str, rule_id: str, message: str) -> Router:
        """Teach a plain-English rule one more example ("should have gone to …"), saved
        at once (a template gets the user's changed copy)."""
        router = self.load(name)
        rule = router.rule(rule_id)
        text = message.strip()
        if text and text not in rule.examples:
            rule = replace(rule, examples=(*rule.examples, text))
            router = replace(router, rules=tuple(rule if r.id == rule_id else r for r in router.rules))
            self.save(router, previous_name=name)
        return router

    def delete(self, name: str) -> Origin | None:
        """Remove the user's file for ``name``. Returns what is left under that name:
        "template" when a changed template went back to the shipped one, else None (and
        conversations that used it go back to the default router)."""
        entry = self._entry(name)
        if entry is None or entry.path is None:
            raise RouterFormatError("", f'"{name}" is a built-in template; it cannot be deleted')
        entry.path.unlink(missing_ok=True)
        if entry.origin == "changed template":
            return "template"
        self._repoint(name, None)
        return None

    def set_default(self, name: str) -> None:
        session = self._session
        session.settings = replace(session.settings, default_router=name)
        session.settings.save()

    def default_name(self) -> str:
        return self._session.default_router_name()

    # ---- sharing ----------------------------------------------------------------------

    @staticmethod
    def read_import(path: Path) -> Router:
        """The router in a shared file; RouterFormatError naming the file and the field."""
        try:
            return load_router(path)
        except RouterFormatError as exc:
            if exc.problem.startswith(path.name):  # "x.json is not valid JSON: …" says where
                raise
            raise RouterFormatError(f"{path.name}: {exc.path}" if exc.path else path.name,
                                    exc.problem) from None

    @staticmethod
    def export(router: Router, path: Path) -> None:
        save_router(router, path)  # the same atomic write as the user's own routers

    # ---- private ----------------------------------------------------------------------

    def _entry(self, name: str) -> RouterEntry | None:
        return next((e for e in self.entries() if e.name == name), None)

    def _free_path(self, name: str) -> Path:
        stem = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "router"
        path, n = user_routers_dir() / f"{stem}.json", 2
        while path.exists():
            path, n = user_routers_dir() / f"{stem}-{n}.json", n + 1
        return path

    def _repoint(self, old: str, new: str | None) -> None:
        self._session.store.replace_router(old, new)
        if self._session.settings.default_router == old:
            self.set_default(new or DEFAULT_ROUTER)


def _read_entries(templates: list[Router]) -> list[RouterEntry]:
    template_names = {t.name for t in templates}
    entries: list[RouterEntry] = []
    for path in _json_files(user_routers_dir()):
        try:
            router = load_router(path)
        except RouterFormatError as exc:
            entries.append(RouterEntry(path.stem, "yours", path=path, problem=str(exc)))
            continue
        if any(e.name == router.name for e in entries):
            continue
        origin: Origin = "changed template" if router.name in template_names else "yours"
        entries.append(RouterEntry(router.name, origin, router.description, path))
    mine = {e.name for e in entries}
    entries += [RouterEntry(t.name, "template", t.description) for t in templates if t.name not in mine]
    return entries


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except OSError:  # gone since it was listed: counts as a change
        return (str(path), -1, -1)
    return (str(path), st.st_mtime_ns, st.st_size)


def _json_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _load_or_none(path: Path) -> Router | None:
    try:
        return load_router(path)
    except RouterFormatError:
        return None
