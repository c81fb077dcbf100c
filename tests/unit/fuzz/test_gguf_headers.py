"""Fuzz: GGUF headers. Whatever a model file (or the prefix of one fetched from the hub)
holds, ``parse_gguf_header`` and ``read_gguf`` return its header, whose properties all
read without an exception, or raise InvalidModelFile (HeaderIncomplete for a short
prefix) with one plain line naming the file; reading never changes the file.

Seeds: a small complete GGUF written here with the ``gguf`` package (every value type,
arrays, two tensors) and the first 64 KB of the bundled model, both mutated byte by
byte and word by word (counts, lengths and type ids set to values at their limits)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.models.gguf_file import (
    GGUFInfo,
    HeaderIncomplete,
    InvalidModelFile,
    parse_gguf_header,
    read_gguf,
)
from app.core.paths import bundled_models_dir
from tests.support.fuzz_inputs import assert_one_line, damaged_bytes, outcome
from tests.support.special_paths import fifo, folder, unix_socket

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

BUNDLED = next(bundled_models_dir().glob("*.gguf"))
BUNDLED_SIZE = BUNDLED.stat().st_size
with BUNDLED.open("rb") as _f:
    BUNDLED_HEAD = _f.read(64 << 10)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Values at the edges of what a count, a length or a type id can say.
EDGE_WORDS = (0, 1, 2, 3, 8, 9, 12, 13, 255, 2**16, 2**24, 2**24 + 1, 2**28 + 1, 2**31, 2**32 - 1,
              2**63, 2**64 - 1)


def tiny_gguf(path: Path) -> bytes:
    """A complete GGUF of under a kilobyte: one value of every type, string and number
    arrays, a nested array, a chat template, an F32 and an F16 tensor."""
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("Tiny")
    writer.add_context_length(8192)
    writer.add_uint8("x.u8", 200)
    writer.add_int8("x.i8", -1)
    writer.add_uint16("x.u16", 7)
    writer.add_int16("x.i16", -7)
    writer.add_uint32("llama.block_count", 2)
    writer.add_int32("x.i32", -70)
    writer.add_float32("llama.rope.freq_base", 10000.0)
    writer.add_uint64("general.file_type", 3)
    writer.add_int64("x.i64", -5)
    writer.add_float64("x.f64", 1.5)
    writer.add_bool("tokenizer.ggml.add_bos_token", True)
    writer.add_array("tokenizer.ggml.tokens", ["<s>", "a", "é"])
    writer.add_array("tokenizer.ggml.scores", [0.0, 1.5, -2.0])
    writer.add_array("x.nested", [[1, 2], [3]])
    writer.add_string("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")
    writer.add_tensor("tok_embd.weight", np.ones((4, 8), dtype=np.float32))
    writer.add_tensor("output.weight", np.ones((32,), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    data = tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")
    assert parse_gguf_header(data, len(data)).tensor_count == 2  # the seed itself is a model
    return data


@st.composite
def edge_words(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one to three 4- or 8-byte little-endian words set to an edge value."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        width = draw(st.sampled_from([4, 8]))
        value = draw(st.sampled_from(EDGE_WORDS)) % (1 << (8 * width))
        at = draw(st.integers(0, max(0, len(out) - width)))
        out[at:at + width] = struct.pack("<I" if width == 4 else "<Q", value)
    return bytes(out)


def mutations(data: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(damaged_bytes(data), edge_words(data), edge_words(data).flatmap(damaged_bytes))


def check_info(info: GGUFInfo) -> None:
    """Everything the app reads off a header works on any header that was accepted."""
    outcome("accepted")
    for value in (info.architecture, info.name, info.chat_template, info.context_length,
                  info.quantization, info.version, info.tensor_count, info.data_end):
        assert value is None or isinstance(value, str | int)
    assert info.data_end <= info.size


def check_header(data: bytes, total: int, name: str = "model.gguf") -> None:
    try:
        info = parse_gguf_header(data, total, name)
    except InvalidModelFile as exc:
        outcome("incomplete" if isinstance(exc, HeaderIncomplete) else "refused")
        assert_one_line(str(exc), name)
    else:
        check_info(info)


@FUZZ
@given(data=st.data())
def test_any_complete_file_parses_or_is_refused_in_one_line(tiny: bytes, data: st.DataObject) -> None:
    content = data.draw(mutations(tiny), label="content")
    check_header(content, len(content))


@FUZZ
@given(data=st.data())
def test_any_prefix_of_a_file_parses_or_is_refused_in_one_line(tiny: bytes, data: st.DataObject) -> None:
    content = data.draw(mutations(tiny), label="content")
    cut = data.draw(st.integers(0, len(content)), label="cut")
    total = data.draw(st.sampled_from([len(content), len(content) * 2, 2**40, 0, 23, 24]), label="total")
    check_header(content[:cut], total)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=mutations(BUNDLED_HEAD))
def test_the_bundled_models_first_64_kb_damaged_are_refused_or_incomplete(content: bytes) -> None:
    check_header(content, BUNDLED_SIZE, BUNDLED.name)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_model_file_on_disk_reads_or_is_refused_in_one_line(tiny: bytes, tmp_path: Path,
                                                               data: st.DataObject) -> None:
    content = data.draw(mutations(tiny), label="content")
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    try:
        info = read_gguf(path)
    except InvalidModelFile as exc:
        assert_one_line(str(exc), "model.gguf")
    else:
        check_info(info)
    assert path.read_bytes() == content


# ---- paths that are not model files --------------------------------------------------


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _just_short(path: Path) -> None:
    path.write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(15))


def _sparse(path: Path) -> None:
    with path.open("wb") as f:
        f.write(BUNDLED_HEAD[:24])
        f.truncate(1 << 30)  # a gigabyte that is mostly a hole


SPECIAL_PATHS = {"fifo": fifo, "folder": folder, "socket": unix_socket, "empty": _empty, "23 bytes": _just_short,
                 "sparse 1 GB": _sparse, "link to /dev/zero": lambda p: p.symlink_to("/dev/zero"),
                 "dangling link": lambda p: p.symlink_to(p.with_name("gone.gguf")),
                 "link loop": lambda p: p.symlink_to(p)}


@pytest.mark.parametrize("make", SPECIAL_PATHS.values(), ids=SPECIAL_PATHS.keys())
def test_a_model_path_that_is_no_model_file_is_one_line(tmp_path: Path, make) -> None:
    path = tmp_path / "odd.gguf"
    make(path)
    with pytest.raises(InvalidModelFile) as caught:
        read_gguf(path)
    assert_one_line(str(caught.value), "odd.gguf")
