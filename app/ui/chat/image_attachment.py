"""Turn an image file or a pasted image into an ``Attachment``, or say in plain words why not.

The reading, sniffing and limits are ``app.core.images``, which the CLI's ``--image``
shares; this module adds what the window alone needs (pasted pixels, the file dialog's
filter, how many images a message may carry).

Limits are module constants read at call time, so a test can monkeypatch them small.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage

from app.core import images
from app.core.images import ACCEPTED_FORMATS, sniff_image_mime
from app.core.providers.base import ImagePart

__all__ = ["ACCEPTED_FORMATS", "FILE_DIALOG_FILTER", "MAX_IMAGES", "MAX_IMAGE_BYTES", "PASTED_IMAGE_NAME",
           "Attachment", "AttachmentError", "attachment_from_bytes", "attachment_from_qimage",
           "read_image_file", "sniff_image_mime"]

MAX_IMAGE_BYTES = images.MAX_IMAGE_BYTES  # see there for which providers' limit it is
MAX_IMAGES = 8

# For QFileDialog. "All files" stays so a user can still pick a misnamed image: the sniff,
# not the extension, decides.
FILE_DIALOG_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.webp);;All files (*)"

PASTED_IMAGE_NAME = "Pasted image"

# The window shows the core's refusals as they are; the composer raises its own too.
AttachmentError = images.ImageError


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # what the user knows it by: the file's name, or "Pasted image"
    part: ImagePart

    @property
    def size(self) -> int:
        return len(self.part.data)


def attachment_from_bytes(name: str, data: bytes) -> Attachment:
    """Validate bytes already in memory (a paste, a drop of raw image data)."""
    return Attachment(name, images.image_from_bytes(name, data, limit=MAX_IMAGE_BYTES))


def read_image_file(path: str | os.PathLike[str]) -> Attachment:
    """Read and validate one file; raise ``AttachmentError`` with the reason if it is refused."""
    file = Path(path)
    name = file.name or str(file)
    return Attachment(name, images.image_file(file, name=name, limit=MAX_IMAGE_BYTES))


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
