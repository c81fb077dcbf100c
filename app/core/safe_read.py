"""Reading what the user (or anyone who can write to their folders) put on disk, safely.

Every file the app reads goes through here first: only regular files (a FIFO named
``*.json`` would block the read forever, ``/dev/zero`` would fill memory), never more
than the kind's own limit, JSON parsed with a depth limit and only with numbers that
mean something (no NaN, infinities or integers thousands of digits long), and text
made safe to store and print (lone surrogates become U+FFFD). Each kind of file turns
``UnsafeInput`` into its own error type with the file's name; the reason reads as a
plain clause ("is a named pipe, not a file").
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any, BinaryIO

from app.core.byte_size import format_bytes

MAX_JSON_DEPTH = 64  # far beyond any router or settings file a person writes
MAX_JSON_INT = 2**53  # what every JSON reader represents exactly
_SURROGATE = re.compile("[\ud800-\udfff]")
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
               # A FIFO opened without O_NONBLOCK waits for a writer before open() returns.
               | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
_KINDS = ((stat.S_ISDIR, "is a folder, not a file"), (stat.S_ISFIFO, "is a named pipe, not a file"),
          (stat.S_ISCHR, "is a device, not a file"), (stat.S_ISBLK, "is a device, not a file"),
          (stat.S_ISSOCK, "is a socket, not a file"))


class UnsafeInput(ValueError):
    """Content or a path the app will not read; ``str()`` is the plain reason."""


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading when it is (or a symlink resolves to) a regular file.

    The check is made on the opened descriptor, so the file cannot be swapped for a pipe
    between the check and the read. OSError for a missing or unreadable file."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except IsADirectoryError:
        raise UnsafeInput(_KINDS[0][1]) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafeInput(next((why for test, why in _KINDS if test(mode)), "is not a regular file"))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, *, limit: int) -> bytes:
    """The whole file, when it is a regular file of at most ``limit`` bytes."""
    with open_regular(path) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise UnsafeInput(f"is larger than {format_bytes(limit)}, too large to be read")
    return data


def parse_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON text as Python values, refusing what no sane file holds.

    UnsafeInput for text that is not UTF-8, not JSON, nested deeper than ``max_depth``,
    or holding NaN, Infinity, or numbers beyond what a double or ``MAX_JSON_INT``
    represents; lone surrogates in strings (``"\\ud800"``) become U+FFFD."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnsafeInput("is not UTF-8 text") from None
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_int=_bounded_int,
                           parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise UnsafeInput(f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise UnsafeInput(f"is nested more than {max_depth} levels deep") from None
    _check_depth(value, max_depth)
    return _safe_strings(value)


def read_json(path: Path, *, limit: int, max_depth: int = MAX_JSON_DEPTH) -> Any:
    return parse_json(read_bytes(path, limit=limit), max_depth=max_depth)


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate replaced, so it can be encoded as UTF-8.

    Undecodable bytes in command-line arguments and file names arrive as surrogate
    escapes (``\\udcff``); they are decoded back to bytes and read as UTF-8 where they
    are, and replaced where they are not."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates that are not escapes, e.g. from JSON "\ud800"
        return _SURROGATE.sub("\ufffd", text)


def one_line(text: str, limit: int) -> str:
    """``text`` as one line of printable characters, at most about ``limit`` long: what is
    not printable is escaped as Python writes it (``\\n``, ``\\x1f``), and a long text keeps
    its start and its end (where the field and the explanation are) around an ellipsis."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    if len(text) > limit:
        middle = f"… ({len(text):,} characters) …"
        head = (limit - len(middle)) // 2
        text = text[:head] + middle + text[len(text) - (limit - len(middle) - head):]
    return text


def _no_constant(name: str) -> Any:
    raise UnsafeInput(f"holds {name}, which is not a number JSON allows")


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 16 or abs(int(digits)) > MAX_JSON_INT:
        shown = digits if len(digits) <= 20 else f"{digits[:12]}… ({len(digits)} digits)"
        raise UnsafeInput(f"holds the number {shown}, beyond any value a setting can take")
    return int(digits)


def _finite_float(digits: str) -> float:
    value = float(digits)
    if not math.isfinite(value):
        shown = digits if len(digits) <= 20 else f"{digits[:12]}…"
        raise UnsafeInput(f"holds the number {shown}, too large to represent")
    return value


def _check_depth(value: Any, max_depth: int) -> None:
    # Iterative: the point is to refuse depths a recursive walk could not survive.
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > max_depth:
            raise UnsafeInput(f"is nested more than {max_depth} levels deep")
        pending.extend((child, depth + 1) for child in children)


def _safe_strings(value: Any) -> Any:
    """Depth is already bounded, so recursion is safe here."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, list):
        return [_safe_strings(v) for v in value]
    if isinstance(value, dict):
        return {safe_text(k): _safe_strings(v) for k, v in value.items()}
    return value
