"""The router being edited: its JSON, what was last saved, and what is wrong with it.

The editor holds the router as the JSON it will write (``dump_router``'s shape) rather
than as typed objects: a half-made rule (no words yet, a regex still being typed) must
live somewhere while it is invalid. The core's ``parse_router`` is the only judge of
validity, so the editor shows the very error a broken file would give.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from app.core.router import Router, RouterFormatError, dump_router, parse_router

_RULE_PATH = re.compile(r"rules\[(\d+)\](?:\.(.*))?")
_ID_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


class RouterDraft:
    def __init__(self, data: dict[str, Any], opened_as: str | None) -> None:
        self.data = copy.deepcopy(data)
        self.opened_as = opened_as  # the name it has on disk
        self._saved = copy.deepcopy(data)
        self._saved_router = _parsed_or_none(data)  # parsed once: dirty is asked per keystroke

    @classmethod
    def of(cls, router: Router) -> RouterDraft:
        return cls(dump_router(router), router.name)

    @property
    def rules(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self.data.setdefault("rules", [])
        return rules

    @property
    def dirty(self) -> bool:
        """Changed since saved; a form writing the same router in another shape
        (4000 for 4000.0, keys in another order) is not a change."""
        if self.data == self._saved:
            return False
        return self._saved_router is None or _parsed_or_none(self.data) != self._saved_router

    @property
    def saved_data(self) -> dict[str, Any]:
        return copy.deepcopy(self._saved)

    def mark_saved(self, router: Router) -> None:
        self.data = dump_router(router)
        self._saved = copy.deepcopy(self.data)
        self._saved_router = router
        self.opened_as = router.name

    def revert(self) -> None:
        self.data = copy.deepcopy(self._saved)

    def validate(self, name_problem: Callable[[str], str | None]) -> Router | RouterFormatError:
        """The router, or the first thing wrong with it (field path and plain words)."""
        try:
            router = parse_router(self.data)
        except RouterFormatError as exc:
            return exc
        problem = name_problem(router.name)
        return RouterFormatError("name", problem) if problem else router

    def unique_rule_id(self, wanted: str, index: int | None) -> str:
        """``wanted`` made a valid id, with _2, _3… if another rule (not ``index``) has it."""
        base = _ID_CHARS.sub("_", wanted.strip().lower()).strip("_.-") or "rule"
        taken = {r.get("id") for i, r in enumerate(self.rules) if i != index}
        rule_id, n = base, 2
        while rule_id in taken:
            rule_id, n = f"{base}_{n}", n + 1
        return rule_id


def _parsed_or_none(data: dict[str, Any]) -> Router | None:
    try:
        return parse_router(data)
    except RouterFormatError:
        return None


def rule_error_at(path: str) -> tuple[int | None, str]:
    """Split an error path: "rules[2].when.all[0]" → (2, "when.all[0]"); others → (None, path)."""
    found = _RULE_PATH.fullmatch(path)
    if found is None:
        return None, path
    return int(found.group(1)), found.group(2) or ""
