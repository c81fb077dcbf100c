"""What every command's arguments are checked for before a command sees them.

argparse turns bytes that are not UTF-8 into lone surrogates (``\\udcff``), which cannot
be stored or printed; an id beyond SQLite's 64-bit integers overflows in the driver.
"""

from __future__ import annotations

import argparse

from app.core.safe_read import safe_text

MAX_ID = 2**63 - 1  # SQLite's INTEGER


def record_id(text: str) -> int:
    """``--conversation ID``: a whole number from 1 to SQLite's largest id."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a conversation number") from None
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text[:40]} is not a conversation number "
                                         "(see: python -m app history)")
    return value


def safe_arguments(args: argparse.Namespace) -> argparse.Namespace:
    """Every text argument made safe to store and print (paths are left as given: they
    name files whose names need not be UTF-8)."""
    for name, value in vars(args).items():
        if isinstance(value, str):
            setattr(args, name, safe_text(value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            setattr(args, name, [safe_text(v) for v in value])
    return args
