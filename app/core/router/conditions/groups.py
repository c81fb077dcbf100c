"""Groups combine conditions: all / any / not, nested as deep as needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.router.conditions.base import Condition, Match
from app.core.router.context import RouteContext


@dataclass(frozen=True, slots=True)
class AllOf(Condition):
    children: tuple[Condition, ...]

    type_name = "all"

    def test(self, ctx: RouteContext) -> bool:
        for child in self.children:
            if not child.test(ctx):
                return False
        return True

    def evaluate(self, ctx: RouteContext) -> Match:
        matches = []
        for child in self.children:  # stops at the first failure: later tests may be costly
            m = child.evaluate(ctx)
            if not m.matched:
                return m
            matches.append(m)
        return Match(True, lambda: " and ".join(m.detail for m in matches))

    def to_dict(self) -> dict[str, Any]:
        return {"all": [c.to_dict() for c in self.children]}


@dataclass(frozen=True, slots=True)
class AnyOf(Condition):
    children: tuple[Condition, ...]

    type_name = "any"

    def test(self, ctx: RouteContext) -> bool:
        for child in self.children:
            if child.test(ctx):
                return True
        return False

    def evaluate(self, ctx: RouteContext) -> Match:
        misses = []
        for child in self.children:
            m = child.evaluate(ctx)
            if m.matched:
                return m
            misses.append(m)
        return Match(False, lambda: "; ".join(m.detail for m in misses))

    def to_dict(self) -> dict[str, Any]:
        return {"any": [c.to_dict() for c in self.children]}


@dataclass(frozen=True, slots=True)
class Not(Condition):
    child: Condition

    type_name = "not"

    def test(self, ctx: RouteContext) -> bool:
        return not self.child.test(ctx)

    def evaluate(self, ctx: RouteContext) -> Match:
        m = self.child.evaluate(ctx)
        return Match(not m.matched, lambda: f"not: {m.detail}")

    def to_dict(self) -> dict[str, Any]:
        return {"not": self.child.to_dict()}
