"""Markdown split into prose and fenced code, and code turned into coloured HTML.

Qt-free, so the splitting rules are tested without a display. The message widget renders
prose with Qt's own Markdown support and each fenced block as a separate code widget; the
split is what lets a streaming reply update only its last piece.

Fences follow CommonMark: three or more backticks or tildes, indented at most three
spaces, closed by a run of the same character at least as long. Fences nested in lists or
block quotes are left inside the prose (Qt's renderer draws those itself).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pygments import format as format_tokens
from pygments.formatters.html import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Segment:
    kind: Literal["prose", "code"]
    text: str
    lang: str = ""
    closed: bool = True  # False only for a code fence still open at the end of the text


def split_segments(text: str) -> list[Segment]:
    """Split ``text`` into prose and code segments, in order; blank prose is dropped."""
    segments: list[Segment] = []
    prose: list[str] = []
    code: list[str] = []
    fence = ""  # the open fence ("" while in prose)
    indent = 0
    lang = ""

    def flush_prose() -> None:
        for paragraph in _paragraphs("".join(prose)):
            segments.append(Segment("prose", paragraph))
        prose.clear()

    for line in text.replace("\r\n", "\n").splitlines(keepends=True):
        bare = line.rstrip("\n")
        if not fence:
            opened = _OPEN.match(bare)
            # A backtick fence's info string may not hold a backtick: "```x```" is inline code.
            if opened and not (opened["fence"][0] == "`" and "`" in opened["info"]):
                flush_prose()
                fence, indent = opened["fence"], len(opened["indent"])
                words = opened["info"].split()
                lang = words[0] if words else ""
                code.clear()
            else:
                prose.append(line)
        elif _closes(bare, fence):
            segments.append(Segment("code", _join_code(code), lang, closed=True))
            fence = ""
        else:
            code.append(_dedent(line, indent))

    if fence:
        segments.append(Segment("code", _join_code(code), lang, closed=False))
    else:
        flush_prose()
    return segments


_LIST_ITEM = re.compile(r"(?m)^[ \t]{0,3}(?:[-*+]|\d{1,9}[.)])[ \t]")


def _paragraphs(prose: str) -> list[str]:
    """Prose cut at blank lines into blocks, so a streaming reply re-renders only its last
    paragraph. A list stays one block (its loose items and indented continuations too):
    cut apart, its items would render as separate lists."""
    blocks: list[str] = []
    for block in re.split(r"\n[ \t]*\n", prose.strip("\n")):
        if not block.strip():
            continue
        if blocks and _LIST_ITEM.search(blocks[-1]) and (block[0] in " \t" or _LIST_ITEM.match(block)):
            blocks[-1] += "\n\n" + block
        else:
            blocks.append(block)
    return blocks


def _closes(line: str, fence: str) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    run = len(stripped) - len(stripped.lstrip(fence[0]))
    return run >= len(fence) and not stripped[run:].strip(" \t")


def _dedent(line: str, indent: int) -> str:
    # CommonMark removes up to the opening fence's indentation from each content line.
    removable = len(line) - len(line.lstrip(" "))
    return line[min(indent, removable):]


def _join_code(lines: list[str]) -> str:
    # The newline before the closing fence belongs to the fence, not to the code.
    return "".join(lines).removesuffix("\n")


def pygments_style(dark: bool) -> str:
    """The pygments style for a light or dark code background (``app.ui.theme`` re-exports it)."""
    return "github-dark" if dark else "default"


@lru_cache(maxsize=256)
def highlight(code: str, lang: str, dark: bool) -> str:
    """``code`` as HTML spans with inline colours, to be wrapped in a ``<pre>``.

    An empty or unknown ``lang`` gives the code escaped and uncoloured: guessing the
    language is slow, and a wrong guess colours worse than none.
    """
    lexer = _lexer(lang.strip().lower())
    if lexer is None:
        return html.escape(code, quote=False)
    coloured: str = format_tokens(lexer.get_tokens(code), _formatter(dark))
    # Lexers end the text with a newline; keep it only if the code had one.
    return coloured if code.endswith("\n") else coloured.removesuffix("\n")


@lru_cache(maxsize=64)
def _lexer(lang: str) -> Lexer | None:
    if not lang:
        return None
    try:
        return get_lexer_by_name(lang, stripnl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=2)
def _formatter(dark: bool) -> HtmlFormatter[str]:
    return HtmlFormatter(style=pygments_style(dark), noclasses=True, nowrap=True)
