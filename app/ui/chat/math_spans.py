"""Where a reply's prose holds LaTeX math: ``$…$`` and ``\\(…\\)`` inline, ``$$…$$`` and
``\\[…\\]`` on their own line.

Qt-free, so the rules are tested without a display. They are the usual ones (pandoc's,
KaTeX's auto-render), chosen so prices are never taken for math: an inline ``$`` opens only
before a non-space, closes only after a non-space, and never right before a digit, so
"$5 and $10" stays text. Code spans are left alone, and so is an indented code block. An
opening ``$$``, ``\\(`` or ``\\[`` with no closing one yet (a streaming reply cut
mid-formula) is returned unclosed, for the caller to show raw until the rest arrives; a
lone ``$`` is just a dollar sign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INDENTED_CODE = re.compile(r"^(?: {4}|\t)")
_LIST_ITEM = re.compile(r"(?m)^[ \t]{0,3}(?:[-*+]|\d{1,9}[.)])[ \t]")
_CLOSERS = {"$$": "$$", "\\[": "\\]", "\\(": "\\)"}


@dataclass(frozen=True)
class Math:
    source: str  # the formula as written, delimiters included
    latex: str  # what stands between the delimiters
    display: bool  # $$…$$ or \[…\]: a line of its own
    closed: bool = True  # False: the reply ends before the closing delimiter


def split_math(text: str) -> list[str | Math]:
    """``text`` cut into Markdown (``str``) and formulas (:class:`Math`), in order.

    Joining every piece's text (``str`` as is, ``Math.source``) gives ``text`` back.
    """
    if _INDENTED_CODE.match(text) and not _LIST_ITEM.match(text):
        return [text] if text else []
    pieces: list[str | Math] = []
    plain_from = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "`":
            i = _after_code_span(text, i)
            continue
        found: Math | None = None
        if char == "\\":
            opener = text[i:i + 2]
            if opener in ("\\(", "\\["):
                found = _delimited(text, i, opener)
            else:
                i += 2  # an escaped character (\$ is a dollar sign, \\ a backslash)
                continue
        elif text.startswith("$$", i):
            found = _delimited(text, i, "$$")
        elif char == "$":
            found = _inline_dollar(text, i)
        if found is None:
            i += 1
            continue
        if not found.latex.strip():
            i += len(found.source)  # "$$ $$" or "\[\]": nothing to draw, so plain text
            continue
        if plain_from < i:
            pieces.append(text[plain_from:i])
        pieces.append(found)
        i += len(found.source)
        plain_from = i
    if plain_from < len(text):
        pieces.append(text[plain_from:])
    return pieces


def _after_code_span(text: str, start: int) -> int:
    # CommonMark: a run of N backticks opens a span closed by the next run of exactly N;
    # a run with no such partner is literal backticks.
    run = len(text) - start - len(text[start:].lstrip("`"))
    fence = "`" * run
    search = start + run
    while (close := text.find(fence, search)) != -1:
        after = close + run
        if after < len(text) and text[after] == "`":
            search = after + len(text[after:]) - len(text[after:].lstrip("`"))
            continue
        return after
    return start + run


def _delimited(text: str, start: int, opener: str) -> Math:
    closer = _CLOSERS[opener]
    display = opener != "\\("
    body_from = start + len(opener)
    i = body_from
    while i < len(text):
        if text.startswith(closer, i):
            return Math(text[start:i + len(closer)], text[body_from:i], display)
        i += 2 if text[i] == "\\" and closer[0] != "\\" else 1
    return Math(text[start:], text[body_from:], display, closed=False)


def _inline_dollar(text: str, start: int) -> Math | None:
    body_from = start + 1
    if body_from >= len(text) or text[body_from].isspace():
        return None
    i = body_from
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "`" or (char == "\n" and text[i + 1:i + 2] == "\n"):
            return None  # a code span starts first: "$5 or `$x$`" holds no formula
        if char == "$" and not text[i - 1].isspace():
            if i + 1 < len(text) and text[i + 1].isdigit():
                return None  # "$5/$6": a price, not a closing dollar
            return Math(text[start:i + 1], text[body_from:i], display=False)
        i += 1
    return None
