"""Provider availability: is a target reachable, keyed and downloaded right now?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from app.core.router.conditions.base import Condition, Match
from app.core.router.context import RouteContext
from app.core.router.fields import Fields
from app.core.router.targets import is_target


@dataclass(frozen=True, slots=True)
class TargetAvailable(Condition):
    target: str

    type_name = "available"

    def test(self, ctx: RouteContext) -> bool:
        return ctx.availability(self.target).ok

    def evaluate(self, ctx: RouteContext) -> Match:
        state = ctx.availability(self.target)
        if state.ok:
            return Match(True, lambda: f"{self.target} is available")
        return Match(False, lambda: f"{self.target} is unavailable ({state.reason})")

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "target": self.target}

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type", "target")
        target = f.text("target")
        if not is_target(target):
            f.fail("target", f'expected "provider:model", got "{target}"')
        return cls(target)
