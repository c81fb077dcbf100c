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
# What compiling may cost is bounded too, as a router is read on every start: a pattern
# of a million characters takes seconds, and regex expands the minimum of a counted
# repeat when it compiles, so ``(?:a{10000}){10000}`` (18 characters) takes gigabytes and
# ends in MemoryError. Neither is a pattern anyone writes by hand.
MAX_PATTERN_CHARS = 10_000
MAX_EXPANDED_SIZE = 100_000  # a{100000} compiles in 30 ms
_COUNTED_REPEAT = regex.compile(r"\{(\d+)(?:,\d*)?\}")


class PatternError(ValueError):
    """The pattern cannot be used: it does not compile (the message is the regex engine's
    own explanation), or compiling it would cost too much time or memory."""


def compile_pattern(pattern: str, flags: tuple[str, ...] = ()) -> regex.Pattern[str]:
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"the pattern is {len(pattern):,} characters long; "
                           f"at most {MAX_PATTERN_CHARS:,} are allowed")
    if expanded_size(pattern) > MAX_EXPANDED_SIZE:
        raise PatternError("the pattern repeats too much: its counted repeats ({n}) multiply to "
                           f"more than {MAX_EXPANDED_SIZE:,} steps; use smaller counts")
    bits = 0
    for name in flags:
        bits |= FLAGS[name]
    try:
        return regex.compile(pattern, bits | regex.VERSION1)
    except regex.error as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None
    except RecursionError:  # regex parses groups recursively: "(" * 3000 overflows the stack
        raise PatternError("the pattern nests groups too deeply") from None


def expanded_size(pattern: str) -> int:
    """About how many steps ``pattern`` holds once compiled, its counted repeats expanded:
    each character, escape or set counts one, a group the sum of its parts, and ``{m}`` or
    ``{m,n}`` multiplies what it follows by m. An overestimate where the syntax is odd
    (``\\x{41}`` counts as a repeat); stops counting once past MAX_EXPANDED_SIZE."""
    stack = [[0, 0]]  # per open group: [its size so far, the size of its last item]
    i = 0
    while i < len(pattern):
        ch, frame = pattern[i], stack[-1]
        repeat = _COUNTED_REPEAT.match(pattern, i) if ch == "{" else None
        if repeat is not None:
            digits = repeat.group(1)
            count = max(1, int(digits) if len(digits) <= 9 else 10**9)
            frame[0] += frame[1] * (count - 1)
            frame[1] *= count
            if frame[0] > MAX_EXPANDED_SIZE:
                return frame[0]
            i = repeat.end()
            continue
        if ch == "(":
            stack.append([0, 0])
            i += 1
            continue
        if ch in "|*+?":
            i += 1
            continue
        if ch == ")" and len(stack) > 1:
            size = stack.pop()[0]
            frame = stack[-1]
            i += 1
        elif ch == "[":
            size, i = 1, _set_end(pattern, i)
        else:
            size, i = 1, i + (2 if ch == "\\" else 1)
        frame[0] += size
        frame[1] = size
    return sum(frame[0] for frame in stack)


def _set_end(pattern: str, start: int) -> int:
    """Where the set opened at ``start`` ends (sets nest in regex's VERSION1)."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        i += 1
        if ch == "[":
            depth += 1
            i += pattern.startswith("^", i)
            i += pattern.startswith("]", i)  # "[]a]": a "]" first is literal
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
    return i


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
