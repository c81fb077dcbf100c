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
    _needles: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _whole: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    type_name = "keywords"

    def __post_init__(self) -> None:
        needles = self.words if self.case_sensitive else tuple(w.lower() for w in self.words)
        object.__setattr__(self, "_needles", needles)
        # Look-arounds instead of \b so that "c++" or ".net" are whole words too.
        flags = 0 if self.case_sensitive else re.IGNORECASE
        whole = tuple(re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", flags) for w in self.words)
        object.__setattr__(self, "_whole", whole if self.whole_word else ())

    def _present(self, i: int, ctx: RouteContext) -> bool:
        # A substring test first (tens of ns); the whole-word regex (microseconds) only
        # confirms the rare texts that contain the word at all.
        text = ctx.scan_text if self.case_sensitive else ctx.scan_text_lower
        if self._needles[i] not in text:
            return False
        return not self.whole_word or self._whole[i].search(ctx.scan_text) is not None

    def test(self, ctx: RouteContext) -> bool:
        text = ctx.scan_text if self.case_sensitive else ctx.scan_text_lower
        if self.match == "all":
            return self._first(ctx, present=False) is None
        # "any"/"none" on a message without any of the words (the common case) costs one
        # substring test per word, inline.
        for needle in self._needles:
            if needle in text:
                return (self._first(ctx, present=True) is None) is (self.match == "none")
        return self.match == "none"

    def evaluate(self, ctx: RouteContext) -> Match:
        words = self.words
        if self.match == "all":
            missing = self._first(ctx, present=False)
            if missing is None:
                return Match(True, lambda: f"all of {_quoted(words)} found")
            return Match(False, lambda: f'keyword "{missing}" not found')
        found = self._first(ctx, present=True)
        if found is None:
            return Match(self.match == "none", lambda: f"none of {_quoted(words)} found")
        return Match(self.match == "any", lambda: f'keyword "{found}" found')

    def _first(self, ctx: RouteContext, *, present: bool) -> str | None:
        """The first word (in list order) that is present, or absent when present=False."""
        for i, word in enumerate(self.words):
            if self._present(i, ctx) is present:
                return word
        return None

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
