"""Fuzz: images the user attaches. Whatever a file (or pasted bytes) holds,
``image_file`` and ``image_from_bytes`` return an ImagePart whose MIME type its own bytes
announce, holding exactly those bytes and no more than the limit, or raise ImageError
with one plain line naming the file; reading never changes the file, and never reads
much past the limit.

Seeds: the smallest headers of each accepted format (PNG, JPEG, GIF, WebP), of formats
people attach by mistake (PDF, ZIP, GGUF, ELF, SQLite, BMP, TIFF, ICO, HEIC), text, and
bytes from scratch; each mutated byte by byte."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.images import ImageError, image_file, image_from_bytes, sniff_image_mime
from tests.support.fuzz_inputs import assert_one_line, damaged_bytes, outcome
from tests.support.special_paths import unix_socket

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


SEEDS = [
    png(),
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00",
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"PK\x03\x04\x14\x00", b"GGUF\x03\x00\x00\x00", b"\x7fELF\x02\x01\x01",
    b"SQLite format 3\x00", b"BM6\x00\x00\x00", b"II*\x00\x08\x00", b"MM\x00*\x00\x00", b"\x00\x00\x01\x00\x01\x00",
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", b"notes: buy milk\n", "é✓ text\n".encode(), b"",
]
contents = st.one_of(st.sampled_from(SEEDS), st.sampled_from(SEEDS).flatmap(damaged_bytes), st.binary(max_size=64))
names = st.one_of(st.just("photo.png"), st.text(max_size=20).filter(lambda s: "/" not in s and "\x00" not in s and s))


def check_part(part, content: bytes, limit: int) -> None:
    outcome("accepted")
    assert part.mime == sniff_image_mime(content[:12])
    assert part.data == content and len(part.data) <= limit


@FUZZ
@given(content=contents, limit=st.sampled_from([20_000_000, 64, 16, 12, 0]))
def test_any_file_is_an_image_or_refused_in_one_line(tmp_path: Path, content: bytes, limit: int) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(content)
    try:
        part = image_file(path, limit=limit)
    except ImageError as exc:
        outcome("refused")
        assert_one_line(str(exc), str(path))
    else:
        check_part(part, content, limit)
    assert path.read_bytes() == content


@FUZZ
@given(content=contents, limit=st.sampled_from([20_000_000, 64, 16, 12, 0]))
def test_any_pasted_bytes_are_an_image_or_refused_in_one_line(content: bytes, limit: int) -> None:
    try:
        part = image_from_bytes("pasted image", content, limit=limit)
    except ImageError as exc:
        outcome("refused")
        assert_one_line(str(exc), "pasted image")
    else:
        check_part(part, content, limit)


@FUZZ
@given(content=contents, name=names)
def test_a_refusal_is_one_line_whatever_the_files_name(content: bytes, name: str) -> None:
    try:
        image_from_bytes(name, content)
    except ImageError as exc:
        assert_one_line(str(exc))


def test_a_missing_file_with_a_newline_in_its_name_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as caught:
        image_file(tmp_path / "a\nb.png")
    assert_one_line(str(caught.value))


def test_a_file_growing_past_the_limit_is_never_read_much_past_it(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    with path.open("wb") as f:
        f.write(SEEDS[0])
        f.truncate(200 << 20)  # 200 MB, sparse
    with pytest.raises(ImageError, match="the limit is"):
        image_file(path)


# ---- paths that are not image files ------------------------------------------------------


SPECIAL_PATHS = {"fifo": os.mkfifo, "folder": Path.mkdir, "socket": unix_socket, "missing": lambda p: None,
                 "link to /dev/zero": lambda p: p.symlink_to("/dev/zero"),
                 "link to /dev/urandom": lambda p: p.symlink_to("/dev/urandom"),
                 "dangling link": lambda p: p.symlink_to(p.with_name("gone.png")),
                 "link loop": lambda p: p.symlink_to(p)}


@pytest.mark.parametrize("make", SPECIAL_PATHS.values(), ids=SPECIAL_PATHS.keys())
def test_an_image_path_that_is_no_file_is_one_line(tmp_path: Path, make) -> None:
    path = tmp_path / "odd.png"
    make(path)
    with pytest.raises(ImageError) as caught:
        image_file(path)
    assert_one_line(str(caught.value), "odd.png")
