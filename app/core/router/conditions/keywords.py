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
    # "any"/"none" need only the first hit: one alternation scans the text once.
    _first: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _each: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    type_name = "keywords"

    def __post_init__(self) -> None:
        flags = 0 if self.case_sensitive else re.IGNORECASE
        # Look-arounds instead of \b so that "c++" or ".net" are whole words too.
        left, right = (r"(?<!\w)", r"(?!\w)") if self.whole_word else ("", "")
        # Longest first, so the hit named in the trace is the most specific word.
        ordered = sorted(self.words, key=len, reverse=True)
        alternation = "|".join(re.escape(w) for w in ordered)
        object.__setattr__(self, "_first", re.compile(f"{left}(?:{alternation}){right}", flags))
        object.__setattr__(self, "_each", tuple(
            re.compile(f"{left}{re.escape(w)}{right}", flags) for w in self.words))

    def _word_for(self, hit: str) -> str:
        if self.case_sensitive:
            return hit
        return next((w for w in self.words if w.lower() == hit.lower()), hit)

    def evaluate(self, ctx: RouteContext) -> Match:
        text = ctx.scan_text
        if self.match == "all":
            for word, pattern in zip(self.words, self._each):
                if pattern.search(text) is None:
                    return Match(False, lambda: f'keyword "{word}" not found')
            return Match(True, lambda: f"all of {_quoted(self.words)} found")
        hit = self._first.search(text)
        if hit is None:
            return Match(self.match == "none", lambda: f"none of {_quoted(self.words)} found")
        return Match(self.match == "any", lambda: f'keyword "{self._word_for(hit.group(0))}" found')

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
