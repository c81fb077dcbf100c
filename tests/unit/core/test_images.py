"""One image reader for the CLI and the window: regular files only, never more than the
limit read, the MIME type from the bytes and not the name, a non-image refused in one
sentence that says what the file holds."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from app.core import images
from app.core.images import ImageError, image_file, image_from_bytes

PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 32


def test_a_text_file_named_png_is_refused_as_text(tmp_path: Path) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("Buy milk.\nCall the bank about the card ending 4242.\n")
    with pytest.raises(ImageError) as refused:
        image_file(notes, name="notes.png")
    assert str(refused.value) == "notes.png is not an image (it holds text)"


def test_the_mime_type_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(JPEG)
    assert image_file(path).mime == "image/jpeg"
    assert image_file(path).data == JPEG


@pytest.mark.parametrize(("data", "words"), [
    (b"", "is not an image (it is empty)"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "is not an image (it is a PDF document)"),
    (b"PK\x03\x04" + b"\0" * 40, "is not an image (it is a ZIP archive or an Office document)"),
    (b"BM" + b"\0" * 60, "is a BMP image; only PNG, JPEG, GIF or WebP can be sent"),
    (b"\0\0\0\x18ftypheic" + b"\0" * 20, "is a HEIC or AVIF image; only PNG, JPEG, GIF or WebP can be sent"),
    (bytes(range(256)), "is not an image (PNG, JPEG, GIF or WebP)"),
    ("Grüße, ça va? 日本".encode() * 40, "is not an image (it holds text)"),  # cut mid-character
])
def test_a_refusal_says_what_the_file_is(tmp_path: Path, data: bytes, words: str) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(data)
    with pytest.raises(ImageError) as refused:
        image_file(path)
    assert str(refused.value) == f"{path} {words}"


def test_a_device_is_refused_before_a_byte_is_read() -> None:
    with pytest.raises(ImageError, match="^/dev/zero is a device, not a file$"):
        image_file(Path("/dev/zero"))


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "camera.png"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, fifo), daemon=True)
    reader.start()
    reader.join(30)  # generous for a loaded machine; a blocking open would never return
    assert not reader.is_alive(), "reading a named pipe blocked"
    assert [str(e) for e in outcome] == ["camera.png is a named pipe, not a file"]


def _catch(outcome: list[BaseException], path: Path) -> None:
    try:
        image_file(path, name=path.name)
    except ImageError as exc:
        outcome.append(exc)


def test_a_folder_and_a_missing_file_are_one_line_each(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="^holiday is a folder, not a file$"):
        image_file(tmp_path, name="holiday")
    with pytest.raises(ImageError, match="^gone.png does not exist$"):
        image_file(tmp_path / "gone.png", name="gone.png")


def test_no_more_than_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(PNG + b"\0" * 1000)
    with pytest.raises(ImageError, match="^big.png is 1.1 kB; the limit is 100 bytes$"):
        image_file(path, name="big.png", limit=100)
    assert image_file(path, limit=path.stat().st_size).data == path.read_bytes()


def test_the_limit_is_openais_20_mb_in_the_units_sizes_are_shown_in() -> None:
    from app.core.byte_size import format_bytes

    assert format_bytes(images.MAX_IMAGE_BYTES) == "20.0 MB"


def test_bytes_in_memory_are_checked_the_same_way() -> None:
    assert image_from_bytes("Pasted image", PNG).mime == "image/png"
    with pytest.raises(ImageError, match=r"^Pasted image is not an image \(it holds text\)$"):
        image_from_bytes("Pasted image", b"just words")
    with pytest.raises(ImageError, match="the limit is 10 bytes"):
        image_from_bytes("Pasted image", PNG, limit=10)
