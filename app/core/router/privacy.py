"""Which messages are private, for a given router, and what that asks of the rest.

A message is private when one of the router's private-data conditions (``pii``, at any
depth of an enabled rule) finds something in it, or an enabled rule the router marks
``"private": true`` matches it. The mark names kinds and a reason, never the value; a
conversation holding a private message is *protected*.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.core.router.conditions.base import Condition
from app.core.router.conditions.content import PrivateData
from app.core.router.conditions.groups import AllOf, AnyOf, Not
from app.core.router.context import RouteContext
from app.core.router.private_data import find_private_data
from app.core.router.schema import Router


@dataclass(frozen=True, slots=True)
class PrivateMark:
    kinds: tuple[str, ...]  # what was found ("email", "secret"); () for a rule-marked message
    reason: str  # plain words: "email address found", 'rule "Confidential" matched'

    def to_json(self) -> dict[str, Any]:
        return {"kinds": list(self.kinds), "reason": self.reason}

    @classmethod
    def from_json(cls, data: object) -> PrivateMark | None:
        if not isinstance(data, Mapping):
            return None
        kinds = data.get("kinds")
        return cls(tuple(k for k in kinds if isinstance(k, str)) if isinstance(kinds, list) else (),
                   str(data.get("reason", "private")))


def private_kinds(router: Router) -> tuple[str, ...]:
    """Every kind of private data the router's enabled rules look for."""
    kinds: list[str] = []
    for rule in router.rules:
        if rule.enabled and rule.when is not None:
            for condition in _private_data_conditions(rule.when):
                kinds += [k for k in condition.kinds if k not in kinds]
    return tuple(kinds)


def private_mark(router: Router, ctx: RouteContext) -> PrivateMark | None:
    """The routed message's mark under ``router``, or None when it is not private."""
    kinds = private_kinds(router)
    found = find_private_data(ctx.message, kinds) if kinds else None
    if found is not None:
        return PrivateMark((found.kind,), found.detail)
    for rule in router.rules:
        if rule.enabled and rule.private and rule.when is not None and rule.when.test(ctx):
            return PrivateMark((), f'rule "{rule.label}" matched')
    return None


def _private_data_conditions(condition: Condition) -> Iterator[PrivateData]:
    if isinstance(condition, PrivateData):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for child in condition.children:
            yield from _private_data_conditions(child)
    elif isinstance(condition, Not):
        yield from _private_data_conditions(condition.child)
