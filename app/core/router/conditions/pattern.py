"""Regular-expression condition, safe against patterns that never finish.

A user's pattern runs on every message, so it runs under the ``regex`` package's timeout
on input capped to ``SCAN_LIMIT`` characters: a catastrophic pattern costs at most the
timeout and counts as no match, it never hangs the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import regex

from app.core.router.conditions.base import Condition, Match
from app.core.router.context import RouteContext
from app.core.router.fields import Fields

TIMEOUT_S = 0.05
FLAGS = {"ignorecase": regex.IGNORECASE, "multiline": regex.MULTILINE, "dotall": regex.DOTALL}


class PatternError(ValueError):
    """The pattern does not compile; the message is the regex engine's own explanation."""


def compile_pattern(pattern: str, flags: tuple[str, ...] = ()) -> regex.Pattern[str]:
    bits = 0
    for name in flags:
        bits |= FLAGS[name]
    try:
        return regex.compile(pattern, bits | regex.VERSION1)
    except regex.error as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None


@dataclass(frozen=True, slots=True)
class Pattern(Condition):
    pattern: str
    flags: tuple[str, ...] = ()
    _compiled: regex.Pattern[str] = field(init=False, repr=False, compare=False)

    type_name = "regex"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_pattern(self.pattern, self.flags))

    def test(self, ctx: RouteContext) -> bool:
        try:
            return self._compiled.search(ctx.scan_text, timeout=TIMEOUT_S) is not None
        except TimeoutError:
            return False

    def evaluate(self, ctx: RouteContext) -> Match:
        try:
            found = self._compiled.search(ctx.scan_text, timeout=TIMEOUT_S)
        except TimeoutError:
            return Match(False, lambda: f"pattern /{self.pattern}/ gave up after {TIMEOUT_S * 1000:.0f} ms")
        if found is None:
            return Match(False, lambda: f"pattern /{self.pattern}/ not found")
        return Match(True, lambda: f'pattern /{self.pattern}/ matched "{_excerpt(found.group(0))}"')

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name, "pattern": self.pattern}
        if self.flags:
            out["flags"] = list(self.flags)
        return out

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type", "pattern", "flags")
        pattern = f.text("pattern", non_empty=True)
        flags = f.texts("flags", non_empty=False) if f.has("flags") else ()
        for name in flags:
            if name not in FLAGS:
                f.fail("flags", f'unknown flag "{name}" (expected {", ".join(FLAGS)})')
        try:
            return cls(pattern, tuple(flags))
        except PatternError as exc:
            f.fail("pattern", str(exc))


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
