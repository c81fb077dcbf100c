"""Reading and checking a GGUF file's header before llama.cpp ever sees it.

A truncated download or a file that is not a model must give a plain error, never a
crash inside llama.cpp. The ``gguf`` package defines the format (value types, quant
block sizes, magic), but its GGUFReader maps every element of the tokenizer arrays as
a numpy view and takes ~5 s on the 94 MB bundled model here; this reader walks the same
header with struct in a few milliseconds, skipping arrays it does not need.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import (
    GGML_QUANT_SIZES,
    GGUF_DEFAULT_ALIGNMENT,
    GGUF_MAGIC,
    GGMLQuantizationType,
    LlamaFileType,
)
from gguf import GGUFValueType as T

from app.core.byte_size import format_bytes
from app.core.safe_read import UnsafeInput, open_regular

SUPPORTED_VERSIONS = (2, 3)
_SCALARS = {
    T.UINT8: "<B", T.INT8: "<b", T.UINT16: "<H", T.INT16: "<h", T.UINT32: "<I", T.INT32: "<i",
    T.FLOAT32: "<f", T.BOOL: "<?", T.UINT64: "<Q", T.INT64: "<q", T.FLOAT64: "<d",
}
# Bounds that no real model reaches: garbage in a damaged header must fail fast, not
# make us allocate gigabytes.
_MAX_COUNT = 1 << 24
_MAX_DIMS = 8
_MAX_ARRAY_DEPTH = 4  # llama.cpp writes flat arrays; a deeper nest is damage, not a model
# A damaged or hostile header can make reading it cost what the file's size allows, and a
# sparse file costs no disk: a 1 GB key took 3 GB of memory, 2**24 empty strings in an
# array 21 s. So the whole header is bounded (a model's is a few MB, 20 with a tokenizer
# JSON inside), and so is the number of entries walked: keys, tensors and the strings of
# arrays (a 262k vocabulary plus its merges is well under a million).
_MAX_HEADER_BYTES = 256 << 20
_MAX_ENTRIES = 1 << 22
_MAX_KEY_BYTES = 65_535  # the GGUF specification's own limit
_MAX_KEPT_STRING = 1 << 20  # a longer value (a tokenizer's JSON) is only measured, as arrays are


class InvalidModelFile(ValueError):
    """The file cannot be used as a model; the message says why in plain words."""


class HeaderIncomplete(InvalidModelFile):
    """The bytes given end before the header does: a truncated file, or (for
    ``parse_gguf_header``) a prefix that was too short; read more and try again."""


@dataclass(frozen=True, slots=True)
class GGUFInfo:
    path: Path
    size: int
    version: int
    tensor_count: int
    metadata: dict[str, Any] = field(repr=False)  # scalars and strings; arrays as their length
    data_end: int  # where the last tensor ends; ≤ size for a complete file

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    @property
    def name(self) -> str | None:
        value = self.metadata.get("general.name")
        return str(value) if value else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if isinstance(value, int) else None

    @property
    def quantization(self) -> str | None:
        value = self.metadata.get("general.file_type")
        if not isinstance(value, int):
            return None
        try:
            return LlamaFileType(value).name.removeprefix("MOSTLY_")
        except ValueError:
            return None


class _Cursor:
    """Sequential little-endian reads over the mapped file, with bounds checks."""

    def __init__(self, buf: bytes | mmap.mmap, size: int) -> None:
        self.buf, self.size, self.pos = buf, size, 0
        self.entries = 0

    def need(self, n: int) -> None:
        if self.pos + n > _MAX_HEADER_BYTES:
            raise InvalidModelFile(f"has a damaged header (longer than {format_bytes(_MAX_HEADER_BYTES)})")
        if self.pos + n > self.size:
            raise HeaderIncomplete("ends in the middle of its header")

    def walk(self, n: int) -> None:
        """Count ``n`` more entries to walk, before walking them."""
        self.entries += n
        if self.entries > _MAX_ENTRIES:
            raise InvalidModelFile(f"has a damaged header (more than {_MAX_ENTRIES:,} entries)")

    def unpack(self, fmt: str) -> Any:
        n = struct.calcsize(fmt)
        self.need(n)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return value

    def string(self, limit: int = 1 << 31) -> str | int:
        """The next string, or its length when it is longer than ``_MAX_KEPT_STRING``."""
        n = self.count(limit)
        self.need(n)
        if n > _MAX_KEPT_STRING:
            self.pos += n
            return n
        raw = self.buf[self.pos:self.pos + n]
        self.pos += n
        return raw.decode("utf-8", "replace")

    def skip_strings(self, n: int) -> None:
        """Step over ``n`` strings: the vocabulary, in one tight loop."""
        self.walk(n)
        buf, pos, end = self.buf, self.pos, min(self.size, _MAX_HEADER_BYTES)
        for _ in range(n):
            if pos + 8 > end:
                break
            (length,) = struct.unpack_from("<Q", buf, pos)
            if length > 1 << 31:
                raise InvalidModelFile("has a damaged header (an impossible length)")
            pos += 8 + length
            if pos > end:
                break
        else:
            self.pos = pos
            return
        self.pos = pos
        self.need(8)  # past the end: HeaderIncomplete, or InvalidModelFile past the bound

    def count(self, limit: int = 1 << 31) -> int:
        n = int(self.unpack("<Q"))
        if n > limit:
            raise InvalidModelFile("has a damaged header (an impossible length)")
        return n

    def skip_string(self) -> None:
        n = self.count()
        self.need(n)
        self.pos += n


def _value(cur: _Cursor, kind: int) -> Any:
    if kind == T.STRING:
        return cur.string()  # str, or the length of one too long to keep
    if kind == T.ARRAY:
        item_kind, n = cur.unpack("<I"), cur.count(limit=1 << 28)
        _skip_array(cur, item_kind, n, depth=1)
        return n  # arrays (vocabularies, merges) are only counted
    fmt = _SCALARS.get(kind)  # type: ignore[call-overload]
    if fmt is None:
        raise InvalidModelFile(f"has a damaged header (unknown value type {kind})")
    return cur.unpack(fmt)


def _skip_array(cur: _Cursor, kind: int, n: int, depth: int) -> None:
    if depth > _MAX_ARRAY_DEPTH:
        raise InvalidModelFile("has a damaged header (arrays nested too deeply)")
    fmt = _SCALARS.get(kind)  # type: ignore[call-overload]
    if fmt is not None:
        cur.need(n * struct.calcsize(fmt))
        cur.pos += n * struct.calcsize(fmt)
    elif kind == T.STRING:
        cur.skip_strings(n)
    elif kind == T.ARRAY:
        cur.walk(n)
        for _ in range(n):
            _skip_array(cur, cur.unpack("<I"), cur.count(limit=1 << 28), depth + 1)
    else:
        raise InvalidModelFile(f"has a damaged header (unknown array type {kind})")


def _tensor_end(cur: _Cursor) -> tuple[int, int]:
    """(offset, byte size) of the next tensor described in the header."""
    cur.skip_string()
    n_dims = cur.unpack("<I")
    if not 0 < n_dims <= _MAX_DIMS:
        raise InvalidModelFile("has a damaged tensor table")
    elements = 1
    for _ in range(n_dims):
        elements *= cur.unpack("<Q")
    kind, offset = cur.unpack("<I"), cur.unpack("<Q")
    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
    except (ValueError, KeyError):
        raise InvalidModelFile(f"uses a tensor type this version of llama.cpp does not know ({kind})") from None
    return offset, elements // block * type_size


def read_gguf(path: Path) -> GGUFInfo:
    """Header, metadata and completeness of a GGUF file; InvalidModelFile when unusable."""
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size < 24:
                raise InvalidModelFile(f"is not a GGUF model ({format_bytes(size)}, far too small)")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(path, buf, size)
    except HeaderIncomplete as exc:
        raise HeaderIncomplete(f"{path.name} {exc}") from None
    except InvalidModelFile as exc:
        raise InvalidModelFile(f"{path.name} {exc}") from None
    except UnsafeInput as exc:
        raise InvalidModelFile(f"{path.name} {exc}") from None
    except OSError as exc:
        raise InvalidModelFile(f"{path.name} cannot be read: {exc.strerror or exc}") from None


def parse_gguf_header(data: bytes, total_size: int, name: str = "the model file") -> GGUFInfo:
    """Header and metadata from the first bytes of a GGUF file of ``total_size`` bytes.

    For a file that is not on disk (a header read with HTTP Range requests): ``data`` is
    a prefix of the file. Raises ``HeaderIncomplete`` when the prefix ends before the
    header does (read more and call again) and ``InvalidModelFile`` when the file cannot
    be a usable model. ``GGUFInfo.path`` is ``Path(name)`` and ``size`` is ``total_size``.
    """
    try:
        if total_size < 24:
            raise InvalidModelFile(
                f"is not a GGUF model ({format_bytes(total_size)}, far too small)")
        available = min(len(data), total_size)
        if available < 24:
            raise HeaderIncomplete("ends in the middle of its header")
        return _parse(Path(name), data, total_size, available)
    except HeaderIncomplete as exc:
        raise HeaderIncomplete(f"{name} {exc}") from None
    except InvalidModelFile as exc:
        raise InvalidModelFile(f"{name} {exc}") from None


def _parse(path: Path, buf: bytes | mmap.mmap, size: int, available: int | None = None) -> GGUFInfo:
    """``size``: the whole file; ``available``: how many bytes of it ``buf`` holds."""
    cur = _Cursor(buf, size if available is None else available)
    if cur.unpack("<I") != GGUF_MAGIC:
        start = bytes(buf[:4]).decode("ascii", "replace")
        raise InvalidModelFile(f"is not a GGUF model (it starts with {start!r}, not 'GGUF')")
    version = cur.unpack("<I")
    if version not in SUPPORTED_VERSIONS:
        raise InvalidModelFile(f"uses GGUF version {version}; only versions 2 and 3 are supported")
    tensor_count, kv_count = cur.count(_MAX_COUNT), cur.count(_MAX_COUNT)
    cur.walk(tensor_count + kv_count)
    metadata = {}
    for _ in range(kv_count):
        key = str(cur.string(limit=_MAX_KEY_BYTES))
        metadata[key] = _value(cur, cur.unpack("<I"))
    if tensor_count == 0:
        raise InvalidModelFile("has no tensors: it holds no model weights")
    tensors = [_tensor_end(cur) for _ in range(tensor_count)]
    alignment = metadata.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0:
        alignment = GGUF_DEFAULT_ALIGNMENT
    data_start = -(-cur.pos // alignment) * alignment
    data_end = data_start + max(offset + nbytes for offset, nbytes in tensors)
    if data_end > size:
        raise InvalidModelFile(f"is incomplete: {format_bytes(size)} of {format_bytes(data_end)} "
                               "(was the download interrupted?)")
    return GGUFInfo(path, size, version, tensor_count, metadata, data_end)


