"""Reading an image the user attached, safely: the one reader the CLI and the window share.

The bytes decide what a file is, never its name: a ``notes.txt`` renamed ``notes.png``
would otherwise travel to a provider labelled ``image/png`` and come back as an opaque
400 (or be billed). Only what every vision API we talk to accepts passes: PNG, JPEG, GIF
and WebP. Only regular files are opened (``/dev/zero`` or a named pipe would fill memory
or block for ever), and never more than the limit is read. Everything is refused here,
before any provider is called, with one sentence naming the file.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from app.core.byte_size import format_bytes
from app.core.providers.base import ImagePart
from app.core.safe_read import UnsafeInput, one_line, open_regular

__all__ = ["ACCEPTED_FORMATS", "MAX_IMAGE_BYTES", "ImageError", "image_file", "image_from_bytes",
           "sniff_image_mime"]

# OpenAI's limit per image is 20 MB (Gemini's for a whole inline request is 20 MB too;
# Anthropic's API allows 5 MB per image and answers a bigger one with its own error).
# A bigger image only costs tokens: providers scale it down before the model sees it.
# Decimal units, as sizes are shown (format_bytes), so the limit reads "20.0 MB".
MAX_IMAGE_BYTES = 20_000_000
ACCEPTED_FORMATS = "PNG, JPEG, GIF or WebP"
MAX_NAME_CHARS = 200  # of a file's name in a refusal, which stays one line
_HEAD_BYTES = 512  # the magic number needs 12; the rest tells text from binary

# Files people attach by mistake, by their own magic numbers: named, the refusal helps.
_NOT_IMAGES = ((b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive or an Office document"),
               (b"GGUF", "a GGUF model"), (b"\x7fELF", "a program"), (b"MZ", "a Windows program"),
               (b"SQLite format 3\0", "an SQLite database"))
# Images in formats the vision APIs do not take.
_OTHER_IMAGES = ((b"BM", "BMP"), (b"II*\0", "TIFF"), (b"MM\0*", "TIFF"), (b"\0\0\1\0", "ICO"))


class ImageError(ValueError):
    """An image was refused; ``str(error)`` is one sentence to show the user as it is."""


def sniff_image_mime(head: bytes) -> str | None:
    """The MIME type the magic number at the start of ``head`` announces, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_from_bytes(name: str, data: bytes, *, limit: int = MAX_IMAGE_BYTES) -> ImagePart:
    """Bytes already in memory (a paste, a drop of raw image data) as an ``ImagePart``;
    ImageError when they are not one of the accepted formats or exceed ``limit``."""
    name = one_line(name, MAX_NAME_CHARS)
    mime = sniff_image_mime(data[:12])
    if mime is None:
        raise ImageError(_not_an_image(name, data[:_HEAD_BYTES]))
    if len(data) > limit:
        raise _too_big(name, len(data), limit)
    return ImagePart(mime, data)


def image_file(path: Path, *, name: str | None = None, limit: int = MAX_IMAGE_BYTES) -> ImagePart:
    """The image file at ``path``, its MIME type taken from its content.

    ImageError (named ``name``, default the path as given) for anything that is not a
    regular file holding a PNG, JPEG, GIF or WebP image of at most ``limit`` bytes. The
    head is sniffed and the size checked before the body is read, so a 4 GB video costs
    512 bytes of reading, not four gigabytes of memory."""
    name = one_line(name or str(path), MAX_NAME_CHARS)  # a file name may hold a newline
    try:
        with open_regular(path) as stream:
            head = stream.read(_HEAD_BYTES)
            mime = sniff_image_mime(head)
            if mime is None:
                raise ImageError(_not_an_image(name, head))
            size = os.fstat(stream.fileno()).st_size
            if size > limit:
                raise _too_big(name, size, limit)
            # At most one byte past the limit: the file may have grown since fstat.
            data = head + stream.read(max(0, limit + 1 - len(head)))
    except UnsafeInput as exc:
        raise ImageError(f"{name} {exc}") from None
    except FileNotFoundError:
        raise ImageError(f"{name} does not exist") from None
    except PermissionError:
        raise ImageError(f"{name} could not be opened: permission denied") from None
    except OSError as exc:
        raise ImageError(f"{name} could not be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise _too_big(name, len(data), limit)
    return ImagePart(mime, data)


def _too_big(name: str, size: int, limit: int) -> ImageError:
    # Rounded up: a file a little over the limit never reads as equal to it.
    return ImageError(f"{name} is {format_bytes(size, round_up=True)}; the limit is {format_bytes(limit)}")


def _not_an_image(name: str, head: bytes) -> str:
    """Why ``head`` is refused, saying what it is where that can be told."""
    if not head:
        return f"{name} is not an image (it is empty)"
    for magic, what in _NOT_IMAGES:
        if head.startswith(magic):
            return f"{name} is not an image (it is {what})"
    for magic, kind in _OTHER_IMAGES:
        if head.startswith(magic):
            return f"{name} is a {kind} image; only {ACCEPTED_FORMATS} can be sent"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"avif"):
        return f"{name} is a HEIC or AVIF image; only {ACCEPTED_FORMATS} can be sent"
    if _is_text(head):
        return f"{name} is not an image (it holds text)"
    return f"{name} is not an image ({ACCEPTED_FORMATS})"


def _is_text(head: bytes) -> bool:
    """UTF-8 without control characters other than whitespace; the head may end in the
    middle of a character, so it is decoded as the first part of a stream."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\n\r\f\ufeff" for ch in text)
