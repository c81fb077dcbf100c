"""Sizes in bytes, written the one way Switchboard writes them everywhere.

SI (decimal) units: 1 kB = 1,000 bytes, 1 MB = 1,000 kB, 1 GB = 1,000 MB. Decimal,
because the sizes a user compares ours with are decimal: the model hub and download
sites list a GGUF's size in decimal units, and so do disk makers and the README ("~94
MB"). Binary multiples would need the IEC names (MiB, GiB) to be honest, and a label
that means 1,000 in one window and 1,024 in another is what this module replaces.
"""

from __future__ import annotations

import math

UNITS = ("kB", "MB", "GB", "TB")
STEP = 1000


def format_bytes(n: float, *, round_up: bool = False) -> str:
    """``812 bytes``, ``34.5 kB``, ``94.0 MB``, ``312 MB``, ``1.9 GB``: one decimal below
    100 of a unit, none from 100 on (three figures are all a person compares).

    ``round_up`` for a size shown next to a limit, so one a little over it never reads
    as equal to it ("20.1 MB; the limit is 20.0 MB", not "20.0 MB; the limit is 20.0 MB").
    """
    count = math.ceil(n) if round_up else round(n)
    if count < STEP:
        return f"{count} byte{'' if count == 1 else 's'}"
    value = float(n)
    for unit in UNITS:
        value /= STEP
        text = _figures(value, round_up)
        if float(text) < STEP or unit == UNITS[-1]:
            return f"{text} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover: the last unit always returns


def _figures(value: float, round_up: bool) -> str:
    decimals = 1 if value < 99.95 else 0
    if round_up:
        scale = 10**decimals
        value = math.ceil(value * scale - 1e-9) / scale  # 1e-9: 20.0 is not "over" 20.0
        decimals = 1 if value < 100 else 0
    return f"{value:.{decimals}f}"
