"""Turn an image file or a pasted image into an ``ImagePart``, or say in plain words why not.

The bytes decide what a file is, never its extension: a ``notes.txt`` renamed ``notes.png``
would otherwise travel to a provider, which answers with an opaque 400. Only the formats
every vision API we talk to accepts pass: PNG, JPEG, GIF and WebP.

Limits are module constants read at call time, so a test can monkeypatch them small.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage

from app.core.byte_size import format_bytes
from app.core.providers.base import ImagePart

# OpenAI's per-image limit; the other cloud APIs allow as much or less after their own
# resizing, and a bigger image only costs tokens without helping the answer. 20 MB in
# decimal units, as sizes are shown (format_bytes), so the limit reads "20.0 MB".
MAX_IMAGE_BYTES = 20_000_000
MAX_IMAGES = 8

ACCEPTED_FORMATS = "PNG, JPEG, GIF or WebP"
# For QFileDialog. "All files" stays so a user can still pick a misnamed image: the sniff,
# not the extension, decides.
FILE_DIALOG_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.webp);;All files (*)"

PASTED_IMAGE_NAME = "Pasted image"

_SNIFF_BYTES = 12


class AttachmentError(Exception):
    """An image was refused; ``str(error)`` is a sentence to show the user as it is."""


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # what the user knows it by: the file's name, or "Pasted image"
    part: ImagePart

    @property
    def size(self) -> int:
        return len(self.part.data)


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


def _too_big(name: str, size: int) -> AttachmentError:
    return AttachmentError(
        # Rounded up: a file a little over the limit never reads as equal to it.
        f"{name} is {format_bytes(size, round_up=True)}; "
        f"the limit is {format_bytes(MAX_IMAGE_BYTES)}"
    )


def attachment_from_bytes(name: str, data: bytes) -> Attachment:
    """Validate bytes already in memory (a paste, a drop of raw image data)."""
    mime = sniff_image_mime(data[:_SNIFF_BYTES])
    if mime is None:
        raise AttachmentError(f"{name} is not an image ({ACCEPTED_FORMATS})")
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_big(name, len(data))
    return Attachment(name, ImagePart(mime, data))


def read_image_file(path: str | os.PathLike[str]) -> Attachment:
    """Read and validate one file; raise ``AttachmentError`` with the reason if it is refused.

    The header is sniffed and the size checked before the body is read, so dropping a 4 GB
    video costs twelve bytes of I/O, not four gigabytes of memory.
    """
    file = Path(path)
    name = file.name or str(file)
    if file.is_dir():
        raise AttachmentError(f"{name} is a folder, not an image")
    try:
        with file.open("rb") as stream:
            head = stream.read(_SNIFF_BYTES)
            mime = sniff_image_mime(head)
            if mime is None:
                raise AttachmentError(f"{name} is not an image ({ACCEPTED_FORMATS})")
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_IMAGE_BYTES:
                raise _too_big(name, size)
            # Read at most one byte past the limit: the file may have grown since fstat.
            data = head + stream.read(MAX_IMAGE_BYTES + 1 - len(head))
    except FileNotFoundError:
        raise AttachmentError(f"{name} no longer exists") from None
    except PermissionError:
        raise AttachmentError(f"{name} could not be opened: permission denied") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise AttachmentError(f"{name} could not be read: {reason}") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_big(name, len(data))
    return Attachment(name, ImagePart(mime, data))


def attachment_from_qimage(image: QImage, name: str = PASTED_IMAGE_NAME) -> Attachment:
    """Encode a pasted or dropped QImage as PNG: lossless, and accepted by every provider."""
    if image.isNull():
        raise AttachmentError("The pasted image could not be read")
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide's stub says bytes, but at run time only str is accepted for the format.
    saved = image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    if not saved:
        raise AttachmentError("The pasted image could not be converted to PNG")
    data = bytes(buffer.data().data())
    return attachment_from_bytes(name, data)
