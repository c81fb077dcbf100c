"""Calculated conditions and the one function that reads any of them from JSON.

A condition is either a typed test (``{"type": "keywords", ...}``) or a group
(``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.router.conditions.availability import TargetAvailable
from app.core.router.conditions.base import Condition, Match
from app.core.router.conditions.content import CodePresent, ImageAttached, PrivateData
from app.core.router.conditions.groups import AllOf, AnyOf, Not
from app.core.router.conditions.keywords import Keywords
from app.core.router.conditions.measure import QUANTITIES, Measure
from app.core.router.conditions.pattern import Pattern
from app.core.router.conditions.time_window import TimeWindow
from app.core.router.fields import Fields, RouterFormatError, describe

__all__ = [
    "CONDITION_TYPES",
    "AllOf",
    "AnyOf",
    "CodePresent",
    "Condition",
    "ImageAttached",
    "Keywords",
    "Match",
    "Measure",
    "Not",
    "Pattern",
    "PrivateData",
    "TargetAvailable",
    "TimeWindow",
    "parse_condition",
]

_SIMPLE: dict[str, Callable[[Fields], Condition]] = {
    cls.type_name: cls.from_fields
    for cls in (Keywords, Pattern, TimeWindow, ImageAttached, CodePresent, PrivateData,
                TargetAvailable)
}
_SIMPLE.update({quantity: Measure.from_fields for quantity in QUANTITIES})

CONDITION_TYPES: tuple[str, ...] = tuple(_SIMPLE)
GROUPS = ("all", "any", "not")


def parse_condition(data: Any, path: str) -> Condition:
    f = Fields(data, path)
    groups = [g for g in GROUPS if f.has(g)]
    if len(groups) > 1 or (groups and len(f.data) > 1):
        raise RouterFormatError(path, 'a group has exactly one key: "all", "any" or "not"')
    if groups == ["not"]:
        return Not(parse_condition(f.raw("not"), f.at("not")))
    if groups:
        group = groups[0]
        children = tuple(parse_condition(item, p) for item, p in f.items(group))
        return AllOf(children) if group == "all" else AnyOf(children)
    if not f.has("type"):
        raise RouterFormatError(path, 'expected a "type" or a group ("all", "any", "not")')
    kind = f.raw("type")
    read = _SIMPLE.get(kind) if isinstance(kind, str) else None
    if read is None:
        f.fail("type", f"unknown condition {describe(kind)} (expected one of {', '.join(CONDITION_TYPES)})")
    return read(f)
