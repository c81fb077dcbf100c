"""GGUF headers the fuzz work (tests/unit/fuzz/test_gguf_headers.py) found too costly to
read, each kept as a plain test: a sparse file costs no disk, so a "model" of a few
gigabytes of holes could make ``read_gguf`` (and so ``models list``) take gigabytes of
memory or minutes of CPU before it said anything."""

from __future__ import annotations

import resource
import struct
import time
from pathlib import Path

import pytest

from app.core.models.gguf_file import InvalidModelFile, parse_gguf_header, read_gguf

STRING, ARRAY = 8, 9  # GGUF value types


def sparse_gguf(path: Path, header: bytes, size: int) -> Path:
    with path.open("wb") as f:
        f.write(header)
        f.truncate(size)  # holes: no disk used
    return path


def refused_quickly(path: Path) -> str:
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(InvalidModelFile) as caught:
        read_gguf(path)
    assert time.perf_counter() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before < 200 * 1024  # KB
    return str(caught.value)


def test_a_key_of_a_gigabyte_is_refused_without_reading_it(tmp_path: Path):
    # Before: 7.5 s and 3.1 GB of memory to decode the key, then "damaged tensor table".
    header = b"GGUF" + struct.pack("<IQQQ", 3, 1, 1, 1 << 30)
    message = refused_quickly(sparse_gguf(tmp_path / "key.gguf", header, (1 << 30) + 64))
    assert message == "key.gguf has a damaged header (an impossible length)"


def test_an_array_of_16_million_empty_strings_is_refused_before_walking_it(tmp_path: Path):
    # Before: 21 s (and 2**28 strings, which the old limit allowed: about six minutes).
    n = 1 << 24
    header = b"GGUF" + struct.pack("<IQQQ", 3, 1, 1, 1) + b"k" + struct.pack("<IIQ", ARRAY, STRING, n)
    message = refused_quickly(sparse_gguf(tmp_path / "vocab.gguf", header, len(header) + 8 * n + 64))
    assert "more than 4,194,304 entries" in message


def test_sixteen_million_tensors_are_refused_before_walking_them(tmp_path: Path):
    header = b"GGUF" + struct.pack("<IQQ", 3, (1 << 24), 0)
    message = refused_quickly(sparse_gguf(tmp_path / "tensors.gguf", header, 1 << 30))
    assert "more than 4,194,304 entries" in message


def test_a_header_running_past_256_mb_is_refused(tmp_path: Path):
    header = b"GGUF" + struct.pack("<IQQQ", 3, 1, 1, 1) + b"k" + struct.pack("<IIQ", ARRAY, 6, 1 << 27)
    message = refused_quickly(sparse_gguf(tmp_path / "long.gguf", header, 1 << 30))
    assert message == "long.gguf has a damaged header (longer than 268 MB)"


def test_a_metadata_string_over_a_megabyte_is_measured_not_kept():
    key, n = b"tokenizer.huggingface.json", 2 << 20
    header = b"GGUF" + struct.pack("<IQQQ", 3, 1, 1, len(key)) + key + struct.pack("<IQ", STRING, n) \
        + b"x" * n + struct.pack("<Q", 1) + b"t" + struct.pack("<IQIQ", 1, 1, 0, 0)  # one F32
    data = header + bytes(-len(header) % 32) + bytes(4)
    info = parse_gguf_header(data, len(data))
    assert info.metadata[key.decode()] == n
