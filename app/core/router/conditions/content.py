"""Conditions on what a message carries: images, source code, private data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from app.core.router.code_detection import find_code
from app.core.router.conditions.base import Condition, Match
from app.core.router.context import RouteContext
from app.core.router.fields import Fields
from app.core.router.private_data import PRIVATE_KINDS, find_private_data


@dataclass(frozen=True, slots=True)
class ImageAttached(Condition):
    type_name = "image"

    def test(self, ctx: RouteContext) -> bool:
        return ctx.image_count > 0

    def evaluate(self, ctx: RouteContext) -> Match:
        n = ctx.image_count
        if n == 0:
            return Match(False, "no image attached")
        return Match(True, f"{n} image{'s' if n > 1 else ''} attached")

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name}

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type")
        return cls()


@dataclass(frozen=True, slots=True)
class CodePresent(Condition):
    min_lines: int = 2

    type_name = "code"

    def test(self, ctx: RouteContext) -> bool:
        return find_code(ctx.scan_text, self.min_lines) is not None

    def evaluate(self, ctx: RouteContext) -> Match:
        found = find_code(ctx.scan_text, self.min_lines)
        return Match(True, found.detail) if found else Match(False, "no code found")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name}
        if self.min_lines != 2:
            out["min_lines"] = self.min_lines
        return out

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type", "min_lines")
        return cls(f.whole("min_lines", minimum=1) if f.has("min_lines") else 2)


@dataclass(frozen=True, slots=True)
class PrivateData(Condition):
    kinds: tuple[str, ...] = PRIVATE_KINDS

    type_name = "pii"

    # The whole message, not ctx.scan_text: a private value past the scan limit is as
    # private as one before it, and every scanner is linear in the message's length.
    def test(self, ctx: RouteContext) -> bool:
        return find_private_data(ctx.message, self.kinds) is not None

    def evaluate(self, ctx: RouteContext) -> Match:
        found = find_private_data(ctx.message, self.kinds)
        if found:
            return Match(True, found.detail)
        return Match(False, lambda: f"no {_kinds_text(self.kinds)} found")

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "kinds": list(self.kinds)}

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type", "kinds")
        if not f.has("kinds"):
            return cls()
        kinds = f.texts("kinds")
        for kind in kinds:
            if kind not in PRIVATE_KINDS:
                f.fail("kinds", f'unknown kind "{kind}" (expected {", ".join(PRIVATE_KINDS)})')
        return cls(tuple(k for k in PRIVATE_KINDS if k in kinds))


def _kinds_text(kinds: tuple[str, ...]) -> str:
    names = {"email": "email", "phone": "phone number", "card": "card number",
             "iban": "IBAN", "secret": "secret"}
    words = [names[k] for k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
