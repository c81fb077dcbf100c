"""Inputs for the fuzz suite (tests/unit/fuzz, tests/integration/cli/test_fuzz_arguments.py):
JSON made from scratch, real files mutated (structure first, then bytes), and the check
every refusal must pass — one plain line.

Mutations aim where readers break: wrong types in the right places, values no file should
hold (NaN, 1e400, 5,000-digit integers, lone surrogate escapes, nesting past any limit),
very long text, control characters in keys and values, and plain byte damage (flips,
cuts, insertions) that may leave the text neither UTF-8 nor JSON.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

# The longest refusal a person can still read as one line; every reader stays far below.
ONE_LINE_MAX = 600

# Text tokens JSON allows or almost allows, which json.dumps cannot write: each is put in
# the document in place of a placeholder string, after serialising.
RAW_TOKENS = (
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "9" * 5000, "-" + "9" * 5000,
    str(2**53 + 1), str(2**63), "1" * 17, "0.1e99999", '"\\ud800"', '"\\udfff\\ud800"',
    '"a\\ud83dz"', '"\\u0000"', "[" * 64 + "]" * 64, "[" * 65 + "]" * 65, "[" * 1000 + "]" * 1000,
    '{"a":' * 200 + "1" + "}" * 200, "[" * 100_000, "tru", "nul", '"unterminated',
)
_PLACEHOLDER = "\x00raw{}\x00"

texts = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda s: s * 3000),
    st.sampled_from(["", " ", "\n", "a\nb", "\r\n", "\t", "\u2028", "\x00", "\x1b[2J", "é" * 2,
                     "local:SmolLM2-135M-Instruct", "openai:gpt-4o", "a:b\nc", "../../etc/passwd",
                     "HH:MM", "25:00", "²:00", "Europe/Berlin", "Mars/Olympus", "(" * 3000 + ")" * 3000,
                     "(?:a{10000}){10000}", "(?:(?:a{1000}){1000}){1000}", "[", "\\", "ignorecase",
                     "any", "all", "none", "between", "<", "loglik", "examples", "classified"]),
)
numbers = st.one_of(
    st.integers(-(2**40), 2**40), st.integers(), st.sampled_from([0, -1, 1, 2**53, 2**63, -(2**63)]),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.5, -0.0, 1e300, 5e-324]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def raw_token(index: int) -> str:
    """A placeholder that ``dumps`` writes as ``RAW_TOKENS[index]``."""
    return _PLACEHOLDER.format(index)


raw_tokens = st.integers(0, len(RAW_TOKENS) - 1).map(raw_token)


def dumps(document: Any) -> str:
    """``document`` as JSON text, placeholders replaced by their raw tokens."""
    text = json.dumps(document, ensure_ascii=False)
    for i, token in enumerate(RAW_TOKENS):
        text = text.replace(json.dumps(raw_token(i), ensure_ascii=False), token)
    return text


def _slots(holder: list[Any]) -> list[tuple[Any, Any]]:
    """Every (container, key) in the document held in ``holder[0]``, the root included."""
    found: list[tuple[Any, Any]] = [(holder, 0)]
    pending = [holder[0]]
    while pending:
        item = pending.pop()
        keys = list(item) if isinstance(item, dict) else range(len(item)) if isinstance(item, list) else ()
        for key in keys:
            found.append((item, key))
            pending.append(item[key])
    return found


@st.composite
def mutated_documents(draw: st.DrawFn, seed: Any, *, keys: tuple[str, ...] = ()) -> Any:
    """``seed`` (a parsed real file) with one to four structural changes: a value replaced
    by another of any type or by a raw token, a key removed, a key added (often one the
    format knows, in the wrong place), a value wrapped in lists."""
    holder = [copy.deepcopy(seed)]
    for _ in range(draw(st.integers(1, 4))):
        slots = _slots(holder)
        container, key = draw(st.sampled_from(slots))
        op = draw(st.sampled_from(["replace", "raw", "delete", "add", "wrap", "replace", "raw"]))
        if op == "replace":
            container[key] = draw(json_values)
        elif op == "raw":
            container[key] = draw(raw_tokens)
        elif op == "wrap":
            container[key] = [container[key]] * draw(st.integers(1, 2)) if draw(st.booleans()) \
                else {"all": [container[key]]}
        elif op == "delete" and container is not holder:
            del container[key]
        elif op == "add":
            target = container[key]
            name = draw(st.sampled_from(keys) | texts) if keys else draw(texts)
            if isinstance(target, dict):
                target[name] = draw(json_values)
            elif isinstance(target, list):
                target.append(draw(json_values))
    return holder[0]


@st.composite
def damaged_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after one to three byte-level accidents."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(out)))
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "zero"]))
        if op == "flip" and at < len(out):
            out[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del out[at:]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
                [b"\xff", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00", b"\\ud800", b"NaN", b"["]))
        elif op == "delete":
            del out[at:at + draw(st.integers(1, 64))]
        elif op == "zero":
            end = min(len(out), at + draw(st.integers(1, 512)))
            out[at:end] = bytes(end - at)
    return bytes(out)


def json_files(seed: Any, *, keys: tuple[str, ...] = ()) -> st.SearchStrategy[bytes]:
    """File contents seeded from ``seed``: the seed mutated in structure, some of those
    then damaged byte by byte, and JSON made from scratch."""
    structural = mutated_documents(seed, keys=keys).map(lambda d: dumps(d).encode("utf-8"))
    return st.one_of(
        structural,
        structural.flatmap(damaged_bytes),
        st.just(json.dumps(seed).encode()).flatmap(damaged_bytes),
        json_values.map(lambda d: dumps(d).encode("utf-8")),
        st.binary(max_size=64),
    )


def assert_one_line(message: str, *words: str) -> None:
    """A refusal the user can read: one non-empty line of printable text, short enough to
    read, encodable as UTF-8 (so it can be printed and stored), holding ``words``."""
    assert message.strip(), "an empty message"
    assert len(message) <= ONE_LINE_MAX, f"{len(message)} characters: {message[:200]!r}…"
    assert message.isprintable(), f"not one printable line: {message[:300]!r}"
    message.encode("utf-8")
    for word in words:
        assert word in message, (word, message)


def outcome(kind: str) -> None:
    """Count ``kind`` ("accepted", "refused") in Hypothesis' statistics
    (``--hypothesis-show-statistics``), so a run shows how deep its inputs got."""
    if currently_in_test_context():
        event(kind)
