"""Keyword conditions: any / all / none of a list of words or phrases."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Self

from app.core.router.conditions.base import Condition, Match
from app.core.router.context import RouteContext
from app.core.router.fields import Fields

MODES = ("any", "all", "none")


@dataclass(frozen=True, slots=True)
class Keywords(Condition):
    words: tuple[str, ...]
    match: str = "any"
    case_sensitive: bool = False
    whole_word: bool = False
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    type_name = "keywords"

    def __post_init__(self) -> None:
        flags = 0 if self.case_sensitive else re.IGNORECASE
        # Look-arounds instead of \b so that "c++" or ".net" are whole words too.
        patterns = tuple(
            re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", flags) for w in self.words
        ) if self.whole_word else ()
        object.__setattr__(self, "_patterns", patterns)

    def _found(self, index: int, ctx: RouteContext) -> bool:
        if self.whole_word:
            return self._patterns[index].search(ctx.scan_text) is not None
        if self.case_sensitive:
            return self.words[index] in ctx.scan_text
        return self.words[index].lower() in ctx.scan_text_lower

    def evaluate(self, ctx: RouteContext) -> Match:
        found = (i for i in range(len(self.words)) if self._found(i, ctx))
        if self.match == "any":
            hit = next(found, None)
            if hit is None:
                return Match(False, f"none of {_quoted(self.words)} found")
            return Match(True, f'keyword "{self.words[hit]}" found')
        if self.match == "none":
            hit = next(found, None)
            if hit is None:
                return Match(True, f"none of {_quoted(self.words)} found")
            return Match(False, f'keyword "{self.words[hit]}" found')
        missing = next((w for i, w in enumerate(self.words) if not self._found(i, ctx)), None)
        if missing is None:
            return Match(True, f"all of {_quoted(self.words)} found")
        return Match(False, f'keyword "{missing}" not found')

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name, "match": self.match, "words": list(self.words)}
        if self.case_sensitive:
            out["case_sensitive"] = True
        if self.whole_word:
            out["whole_word"] = True
        return out

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type", "match", "words", "case_sensitive", "whole_word")
        return cls(
            words=f.texts("words"),
            match=f.choice("match", MODES, default="any"),
            case_sensitive=f.flag("case_sensitive", False),
            whole_word=f.flag("whole_word", False),
        )


def _quoted(words: tuple[str, ...], limit: int = 4) -> str:
    shown = ", ".join(f'"{w}"' for w in words[:limit])
    return shown + (f" (+{len(words) - limit} more)" if len(words) > limit else "")
