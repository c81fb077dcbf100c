"""Will it fit? The memory a GGUF model needs at a context size, against what is free.

The estimate is deliberately simple and a little generous, like the badges in Jan and
LM Studio: weights (≈ the file size, as llama.cpp maps the file), the f16 KV cache for
``n_ctx`` tokens (with grouped-query attention taken into account), and an overhead of
~10 % plus llama.cpp's compute buffers. ``remote_info`` reads just the header of a file
on the hub with HTTP Range requests, so the badge can be shown before a download.
It never imports Qt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from app.core.byte_size import format_bytes

if TYPE_CHECKING:  # imported where a file is read over HTTP: the local model never needs it
    import httpx
from app.core.models.gguf_file import (
    GGUFInfo,
    HeaderIncomplete,
    InvalidModelFile,
    parse_gguf_header,
)

__all__ = [
    "FIT_RATIO",
    "ContextPlan",
    "FitEstimate",
    "KVShape",
    "TooBigForMemory",
    "available_memory",
    "estimate",
    "kv_shape",
    "plan_context",
    "remote_info",
]

FIT_RATIO = 0.8  # "fits" below this share of the available memory; "tight" below 100 %
OVERHEAD_RATIO = 0.10  # of weights + KV cache: allocator slack, mmap bookkeeping, runtime
N_UBATCH = 512  # llama.cpp's default micro-batch, which sizes its compute buffers
_KV_BYTES = 2  # f16 per element
_FIRST_READ = 1 << 20

# Used when a file lacks the metadata (old or unusual conversions): the shape of a 7B
# Llama, so an unknown model is not under-estimated by much.
_FALLBACK_LAYERS = 32
_FALLBACK_EMBD = 4096
_FALLBACK_HEADS = 32
_FALLBACK_VOCAB = 32000


@dataclass(frozen=True, slots=True)
class FitEstimate:
    weights_bytes: int
    kv_cache_bytes: int
    overhead_bytes: int
    needed_bytes: int  # the sum of the three above
    available_bytes: int
    verdict: str  # "fits" | "tight" | "too_big"
    words: str  # "Needs about 1.9 GB at 4,096 tokens of context; 11.2 GB free: fits."


@dataclass(frozen=True, slots=True)
class KVShape:
    """What the KV cache and compute buffers depend on, from the GGUF metadata."""

    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_embd_k: int  # per token and layer: key width (n_embd × n_head_kv / n_head unless given)
    n_embd_v: int
    n_vocab: int
    guessed: bool  # some value was missing and a fallback was used


def _int(metadata: dict[str, Any], key: str) -> int | None:
    value = metadata.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def kv_shape(info: GGUFInfo) -> KVShape:
    md, arch = info.metadata, info.architecture
    guessed = False

    def get(key: str, fallback: int) -> int:
        nonlocal guessed
        value = _int(md, f"{arch}.{key}")
        if value is None:
            guessed = True
            return fallback
        return value

    n_layer = get("block_count", _FALLBACK_LAYERS)
    n_embd = get("embedding_length", _FALLBACK_EMBD)
    n_head = get("attention.head_count", _FALLBACK_HEADS)
    # Missing head_count_kv means no GQA (as llama.cpp reads it), not a guess.
    n_head_kv = _int(md, f"{arch}.attention.head_count_kv") or n_head
    n_head_kv = min(n_head_kv, n_head)
    head_k = _int(md, f"{arch}.attention.key_length") or n_embd // n_head
    head_v = _int(md, f"{arch}.attention.value_length") or n_embd // n_head
    n_vocab = _int(md, f"{arch}.vocab_size") or _int(md, "tokenizer.ggml.tokens") or _FALLBACK_VOCAB
    return KVShape(n_layer, n_embd, n_head, n_head_kv, head_k * n_head_kv, head_v * n_head_kv,
                   n_vocab, guessed)


def kv_cache_bytes(shape: KVShape, n_ctx: int) -> int:
    """f16 K and V for every layer and token: 2 × n_layer × n_ctx × n_embd_kv × 2 bytes
    (K and V may differ in width; then it is their sum instead of 2 × n_embd_kv)."""
    return shape.n_layer * n_ctx * (shape.n_embd_k + shape.n_embd_v) * _KV_BYTES


def compute_buffer_bytes(shape: KVShape, n_ctx: int) -> int:
    """A rough size of llama.cpp's compute buffers for one ``N_UBATCH`` micro-batch, f32:
    the logits, a few activations per token, and the attention scores (n_ctx per head)."""
    n = min(N_UBATCH, max(n_ctx, 1))
    logits = n * shape.n_vocab
    activations = n * shape.n_embd * 8
    scores = n * max(n_ctx, 1) * shape.n_head
    return 4 * (logits + activations + scores)


def estimate(info: GGUFInfo, file_size: int, n_ctx: int, available: int | None = None) -> FitEstimate:
    """How much memory ``info`` needs at ``n_ctx`` tokens and whether it fits ``available``
    bytes (default: ``available_memory()`` now)."""
    n_ctx = max(int(n_ctx), 1)
    shape = kv_shape(info)
    weights = max(int(file_size), 0)
    kv = kv_cache_bytes(shape, n_ctx)
    overhead = int(OVERHEAD_RATIO * (weights + kv)) + compute_buffer_bytes(shape, n_ctx)
    needed = weights + kv + overhead
    free = available_memory() if available is None else max(int(available), 0)
    if needed < FIT_RATIO * free:
        verdict, tail = "fits", "fits"
    elif needed < free:
        verdict, tail = "tight", "a tight fit; close other apps first"
    else:
        verdict, tail = "too_big", "too big for this machine"
    words = (f"Needs about {format_bytes(needed)} at {n_ctx:,} tokens of context; "
             f"{format_bytes(free)} free: {tail}.")
    return FitEstimate(weights, kv, overhead, needed, free, verdict, words)


class TooBigForMemory(ValueError):
    """The model would not fit in this machine's memory at that context; the message
    says how much it needs and what is free, in plain words."""


@dataclass(frozen=True, slots=True)
class ContextPlan:
    n_ctx: int  # what to load the model with
    note: str | None  # why it differs from what the settings asked for, or a tight fit


def plan_context(name: str, info: GGUFInfo, file_size: int, n_ctx: int,
                 available: int | None = None) -> ContextPlan:
    """The context length to load ``info`` with, decided before llama.cpp allocates any of it.

    A length beyond the model's own maximum (its GGUF ``context_length``) is lowered to it,
    with a note, as LM Studio and GPT4All do: the model cannot use more, and the setting
    is one for every model. A length whose memory (``estimate``) exceeds ``available``
    (default: now) is refused with ``TooBigForMemory``: llama.cpp would otherwise allocate
    for a while and fail, or take the machine's memory from everything else. Unknown free
    memory (0) is not a reason to refuse."""
    note = None
    trained = info.context_length
    if trained is not None and n_ctx > trained:
        note = (f"The context length {n_ctx:,} is beyond what {name} supports ({trained:,}); "
                f"it runs with {trained:,}.")
        n_ctx = trained
    fit = estimate(info, file_size, n_ctx, available)
    if fit.available_bytes and fit.verdict == "too_big":
        raise TooBigForMemory(
            f"{name} at {n_ctx:,} tokens of context needs about {format_bytes(fit.needed_bytes)} of "
            f"memory; {format_bytes(fit.available_bytes)} is free. Lower the context length in "
            "Settings → Local models, or close other apps.")
    if fit.verdict == "tight":
        tight = f"{name}: {fit.words}"
        note = f"{note} {tight}" if note else tight
    return ContextPlan(n_ctx, note)


def available_memory() -> int:
    """Bytes of memory available to a new process now (MemAvailable); 0 if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):  # macOS has only the second
        try:
            count, page = os.sysconf(pages), os.sysconf("SC_PAGE_SIZE")
            if count > 0 and page > 0:
                return int(count) * int(page)
        except (ValueError, OSError, AttributeError):
            continue
    return 0


async def remote_info(client: httpx.AsyncClient, url: str, max_bytes: int = 32 << 20) -> tuple[GGUFInfo, int]:
    """Header and metadata of the GGUF file at ``url`` and its total size, reading only
    the header with Range requests: 1 MB first, then doubling until it parses (at most
    ``max_bytes`` in all). Raises ``InvalidModelFile`` for a file that is not a usable
    GGUF model and ``HubError`` (plain words) when the server cannot be read."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name or "the model file"
    data = bytearray()
    total: int | None = None
    want = min(_FIRST_READ, max_bytes)
    while True:
        chunk, total = await _read_range(client, url, len(data), want, total)
        data += chunk
        try:
            return parse_gguf_header(bytes(data), total, name), total
        except HeaderIncomplete:
            if len(data) >= total:
                raise  # the whole file was read: it really is cut short
            if len(data) >= max_bytes:
                raise InvalidModelFile(f"{name} has a header larger than "
                                       f"{format_bytes(max_bytes)}; "
                                       "it is not a model this app can use.") from None
            want = min(len(data) * 2, max_bytes) - len(data)


async def _read_range(client: httpx.AsyncClient, url: str, start: int, n: int,
                      total: int | None) -> tuple[bytes, int]:
    """Up to ``n`` bytes from ``start``, and the file's total size."""
    # Here, not at the top: loading a local model (plan_context) must not import the hub
    # client (huggingface_hub, a quarter of a second of a cold `route`), nor httpx.
    import httpx

    from app.core.models.hub import HubError

    headers = {"Range": f"bytes={start}-{start + n - 1}", "Accept-Encoding": "identity"}
    try:
        async with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 416:
                size = _content_range_total(response.headers.get("content-range"))
                if size is not None and size <= start:
                    return b"", size
            if response.status_code not in (200, 206):
                raise HubError(_status_words(response.status_code, url))
            if response.status_code == 206:
                size = _content_range_total(response.headers.get("content-range"))
                first = _content_range_start(response.headers.get("content-range"))
                if first != start:
                    raise HubError(f"The server at {_host(url)} sent the wrong part of the file.")
            else:  # the server ignores Range: read the head of the whole body, then hang up
                size = _length(response)
                if start:
                    raise HubError(f"The server at {_host(url)} cannot send part of a file.")
            if size is None:
                size = total
            if size is None:
                raise HubError(f"The server at {_host(url)} did not say how big the file is.")
            body = bytearray()
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) >= n:
                    break
            return bytes(body[:n]), size
    except httpx.TransportError as exc:
        from app.core.models.hub_failures import failed_url, transport_words

        raise HubError(transport_words(exc, failed_url(exc, url), who="the server",
                                       timeout_s=_timeout_of(client, exc))) from None


def _timeout_of(client: httpx.AsyncClient, exc: httpx.TransportError) -> float | None:
    """The limit a timeout ran into, to say it ("did not answer within 2 s")."""
    import httpx

    timeout = client.timeout
    return timeout.connect if isinstance(exc, httpx.ConnectTimeout) else timeout.read


def _content_range_total(value: str | None) -> int | None:
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


def _content_range_start(value: str | None) -> int | None:
    if not value:
        return None
    spec = value.strip().removeprefix("bytes").strip().split("/", 1)[0]
    first = spec.split("-", 1)[0].strip()
    return int(first) if first.isdigit() else None


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _status_words(status: int, url: str) -> str:
    from app.core.models.hub_failures import status_words

    return status_words(status, url, who="the server", what="the model file")


