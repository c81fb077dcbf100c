"""``bench.py private``: private-data detection over whole messages, against one plain pass.

Messages of 1 KB, 100 KB and 5 MB are cut from the negatives corpus
(tests/data/private_negatives: prose, Markdown, code, logs), with a few labelled private
values (tests/data/private_positives.jsonl: an email, a card, a phone, a bearer token,
an AWS key ID) spread through them. For each size, ``find_private_data`` (the routing
hot path; also on a message of the same size with nothing to find, its worst case, where
every scanner reads the whole message) and ``find_private_spans`` (redaction) are timed,
p50 and min over repeats, each on a fresh copy of the message (no cached hash, byte view
or digit-run scan carried over). The baselines, timed in the same rounds on the same
text: ``str.count("@")`` and one
``re.search`` for an AWS-key-shaped pattern that is not there, the cost of reading the
message once. Then the false-positive rate on the negatives corpus (spans found, and
lines holding one) and the recall on the positives (each labelled value found, as its
own kind and exactly its own characters).
"""

from __future__ import annotations

import gc
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.router.private_data import Span, find_private_data, find_private_spans

DATA = ROOT / "tests" / "data"
SIZES = {"1KB": 1_000, "100KB": 100_000, "5MB": 5_000_000}
REPEATS = {"1KB": 400, "100KB": 40, "5MB": 7}
# Which labelled values go into the messages, by sort: one of each common kind of leak.
PLANTED = ("email", "card", "phone", "bearer", "aws_key_id")
_BASELINE = re.compile(r"AKIA[0-9A-Z]{16}")


def _negatives() -> str:
    return "\n".join(p.read_text(encoding="utf-8")
                     for p in sorted((DATA / "private_negatives").glob("*")))


def _positives() -> list[dict[str, str]]:
    lines = (DATA / "private_positives.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def message(size: int, filler: str, values: list[str]) -> str:
    """``size`` characters of filler with ``values`` spread evenly through it, each on a
    line of its own (fewer values when the message is too short to hold them all)."""
    text = (filler * (size // len(filler) + 1))[:size]
    values = values[: min(len(values), max(2, size // 400))]
    step = size // (len(values) + 1)
    out, last = [], 0
    for i, value in enumerate(values, 1):
        cut = text.rfind("\n", last, i * step) + 1 or i * step
        out += [text[last:cut], value, "\n"]
        last = cut
    out.append(text[last:])
    return "".join(out)[:size]


def _time_ms(fn: Callable[[str], object], base: str) -> float:
    # A new string, as a new message is: nothing computed for the last one applies.
    text = base[:-1] + base[-1]
    started = time.perf_counter_ns()
    fn(text)
    return (time.perf_counter_ns() - started) / 1e6


def scan_times(text: str, clean: str, repeats: int) -> dict[str, dict[str, float]]:
    runs: dict[str, tuple[Callable[[str], object], str]] = {
        "find_private_data": (find_private_data, text),
        # Nothing to find: every scanner reads the whole message (the routing worst case).
        "find_private_data_clean": (find_private_data, clean),
        "find_private_spans": (find_private_spans, text),
        "baseline_count": (lambda t: t.count("@"), text),
        "baseline_search": (_BASELINE.search, text),
    }
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for fn, on in runs.values():
        fn(on)  # warm up
    gc.disable()  # a collection pause is not the scan's cost
    try:
        for _ in range(repeats):  # alternating, so a slow patch hits all alike
            for name, (fn, on) in runs.items():
                samples[name].append(_time_ms(fn, on))
    finally:
        gc.enable()
    return {name: {"p50_ms": round(statistics.median(s), 3), "min_ms": round(min(s), 3)}
            for name, s in samples.items()}


def accuracy(negatives: str, positives: list[dict[str, str]]) -> dict[str, Any]:
    false = find_private_spans(negatives)
    lines = negatives.count("\n") + 1
    found = 0
    for row in positives:
        start = row["text"].index(row["value"])
        found += Span(row["kind"], start, start + len(row["value"])) in find_private_spans(
            row["text"])
    return {
        "negatives_bytes": len(negatives.encode()),
        "negatives_lines": lines,
        "false_positives": len(false),
        "false_positive_lines_rate": round(len({negatives.count("\n", 0, s.start) for s in false})
                                           / lines, 6),
        "positives": len(positives),
        "positives_found": found,
        "recall": round(found / len(positives), 4),
    }


def calibration_us() -> float:
    """The fixed workload of ``bench.py router``: this shared machine's speed drifts by 2x
    and more between runs, and this figure tells a slow run from a slow change."""
    samples = []
    for _ in range(200):
        started = time.perf_counter_ns()
        sum(range(10_000))
        samples.append((time.perf_counter_ns() - started) / 1000)
    return statistics.median(samples)


def bench_private(repeat_scale: float = 1.0) -> dict[str, Any]:
    negatives, positives = _negatives(), _positives()
    by_sort = {row["sort"]: row["text"] for row in positives}
    values = [by_sort[sort] for sort in PLANTED]
    sizes: dict[str, Any] = {}
    for label, size in SIZES.items():
        text, clean = message(size, negatives, values), message(size, negatives, [])
        times = scan_times(text, clean, max(3, int(REPEATS[label] * repeat_scale)))
        spans = find_private_spans(text)
        sizes[label] = {
            "chars": len(text),
            "spans_found": len(spans),
            **times,
            "spans_vs_search": round(times["find_private_spans"]["p50_ms"]
                                     / max(times["baseline_search"]["p50_ms"], 1e-6), 1),
        }
    return {
        "bench": "private",
        "sizes": sizes,
        "goal_5mb_under_ms": 100,
        "accuracy": accuracy(negatives, positives),
        "calibration_us": round(calibration_us(), 1),
        "python": sys.version.split()[0],
    }
