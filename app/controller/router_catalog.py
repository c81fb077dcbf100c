"""The user's routers as the editor sees them: list, create, save, rename, delete, share.

Templates ship read-only in resources/; editing one saves a copy of the same name in the
user's routers folder, which wins over the template (library.router_files). Deleting
that copy brings the template back. Every write goes through ``parse_router``, so a
router that would not load is never written.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.controller.changes import Changes
from app.controller.router_folders import Origin, RouterEntry, RouterFolders
from app.controller.target_choices import TargetChoice, target_choices
from app.core.router import (
    Router,
    RouterFormatError,
    dump_router,
    load_router,
    parse_router,
    save_router,
)
from app.core.router.library import DEFAULT_ROUTER, user_routers_dir
from app.core.router.schema import MAX_NAME_CHARS

if TYPE_CHECKING:
    from app.controller.session import Session

class RouterCatalog:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._folders = RouterFolders()

    # ---- reading ----------------------------------------------------------------------

    def entries(self) -> list[RouterEntry]:
        """Every router once, the user's first; a broken file is listed with its problem."""
        return self._folders.entries()

    def load(self, name: str) -> Router:
        return self._folders.load(name)

    def find(self, spec: str) -> Router:
        return self._folders.find(spec)

    def template(self, name: str) -> Router | None:
        return self._folders.template(name)

    def templates(self) -> list[Router]:
        return self._folders.templates()

    def names(self) -> list[str]:
        return self._folders.names()

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
        if len(name) > MAX_NAME_CHARS:
            return f"a router's name may be at most {MAX_NAME_CHARS} characters long"
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
        with self._session.changes.batch():
            save_router(router, target)
            self._session.changes.publish(Changes(routers=True))
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
        with self._session.changes.batch():
            entry.path.unlink(missing_ok=True)
            self._session.changes.publish(Changes(routers=True))
            if entry.origin == "changed template":
                return "template"
            self._repoint(name, None)
        return None

    def set_default(self, name: str) -> None:
        self._session.saved_settings.update(default_router=name, also=Changes(routers=True))

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
        stem = re.sub(r"[^a-z0-9]+", "-", name.casefold())[:MAX_NAME_CHARS].strip("-") or "router"
        path, n = user_routers_dir() / f"{stem}.json", 2
        while path.exists():
            path, n = user_routers_dir() / f"{stem}-{n}.json", n + 1
        return path

    def _repoint(self, old: str, new: str | None) -> None:
        """Chats (and the default) that used ``old`` now use ``new`` (None: the default)."""
        self._session.store.replace_router(old, new)
        self._session.changes.publish(Changes(conversations=True))
        if self._session.settings.default_router == old:
            self.set_default(new or DEFAULT_ROUTER)
