"""The model downloader against a real HTTP server on loopback, with injected faults.

Most fault tests use a small valid GGUF (256 kB, written with ``gguf.GGUFWriter``) and a
16 kB write chunk; the bundled 94 MB model is the payload of the end-to-end ones.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import gguf
import httpx
import numpy as np
import pytest

from app.core.models import download as download_module
from app.core.models.download import (
    ChecksumMismatch,
    DownloadCancelled,
    DownloadError,
    DownloadRequest,
    NotAModel,
    NotEnoughSpace,
    Progress,
    download,
    part_path,
)
from tests.support.range_server import Fault, RangeServer

CHUNK = 16 * 1024
FAST = {"chunk": CHUNK, "backoff_s": 0.01}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="session")
def small_gguf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("gguf") / "small.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny")
    writer.add_tensor("w", np.arange(65536, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


@pytest.fixture(scope="session")
def bundled_sha(bundled_gguf: Path) -> str:
    with bundled_gguf.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@pytest.fixture
def serve() -> Iterator[Callable[[bytes | Path], RangeServer]]:
    servers: list[RangeServer] = []

    def start(payload: bytes | Path) -> RangeServer:
        servers.append(RangeServer(payload).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "models" / "tiny.gguf"


def request_for(server: RangeServer, dest: Path, payload: bytes, *, known_size: bool = True) -> DownloadRequest:
    return DownloadRequest(server.file_url, dest, sha256(payload), len(payload) if known_size else None)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_full_download_of_the_bundled_model(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    bundled_gguf: Path, bundled_sha: str, dest: Path,
) -> None:
    server = serve(bundled_gguf)
    reports: list[Progress] = []
    size = bundled_gguf.stat().st_size
    started = time.monotonic()
    result = await download(DownloadRequest(server.file_url, dest, bundled_sha, size),
                            client=client, on_progress=reports.append)
    elapsed = time.monotonic() - started
    assert result == dest
    assert files_in(dest.parent) == [dest.name]
    with dest.open("rb") as f:
        assert hashlib.file_digest(f, "sha256").hexdigest() == bundled_sha
    assert server.ranges == [None]
    done = [r.done for r in reports]
    assert done == sorted(done) and done[0] == 0 and done[-1] == size
    assert reports[-1].total == size and reports[-1].eta_s == 0.0
    assert len(reports) <= elapsed / 0.1 + 3  # throttled to ~10 a second (+ first and last)
    assert any(r.bytes_per_s > 0 for r in reports[1:])


async def test_restart_resumes_the_bundled_model_from_a_part_on_disk(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    bundled_gguf: Path, bundled_sha: str, dest: Path,
) -> None:
    """As after an app restart: a part left by an earlier run is hashed and continued."""
    have = 40_000_123
    dest.parent.mkdir(parents=True)
    with bundled_gguf.open("rb") as src, part_path(dest).open("wb") as out:
        out.write(src.read(have))
    server = serve(bundled_gguf)
    reports: list[Progress] = []
    await download(DownloadRequest(server.file_url, dest, bundled_sha, bundled_gguf.stat().st_size),
                   client=client, on_progress=reports.append)
    assert server.ranges == [f"bytes={have}-"]
    assert reports[0].done == have
    assert files_in(dest.parent) == [dest.name]
    with dest.open("rb") as f:
        assert hashlib.file_digest(f, "sha256").hexdigest() == bundled_sha


@pytest.mark.parametrize("seed", [1, 2])
async def test_connection_cut_at_random_points_resumes_with_range(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path, seed: int,
) -> None:
    cuts = sorted(random.Random(seed).sample(range(1, len(small_gguf)), 4))
    server = serve(small_gguf)
    # Each reply starts where the previous one was cut: cut after the gap to the next point.
    server.add(*[Fault(cut_after=b - a) for a, b in zip([0, *cuts], cuts, strict=False)])
    await download(request_for(server, dest, small_gguf), client=client, **FAST)
    assert server.ranges == [None, *[f"bytes={c}-" for c in cuts]]
    assert dest.read_bytes() == small_gguf
    assert files_in(dest.parent) == [dest.name]


async def test_pause_then_a_new_call_resumes_from_the_part(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    server = serve(small_gguf)
    server.stall(30.0, after=100_000)
    cancel = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, cancel.set)
    with pytest.raises(DownloadCancelled, match="paused"):
        await download(request_for(server, dest, small_gguf), client=client, cancel=cancel,
                       keep_partial_on_cancel=True, **FAST)
    part = part_path(dest)
    assert part.read_bytes() == small_gguf[:100_000]  # every byte received is kept
    await download(request_for(server, dest, small_gguf), client=client, **FAST)
    assert server.ranges == [None, "bytes=100000-"]
    assert dest.read_bytes() == small_gguf and not part.exists()


async def test_server_ignoring_range_restarts_cleanly(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(small_gguf[:50_000])
    server = serve(small_gguf)
    server.ignore_range()
    reports: list[Progress] = []
    await download(request_for(server, dest, small_gguf), client=client,
                   on_progress=reports.append, **FAST)
    assert server.ranges == ["bytes=50000-"]  # the 200 body itself was used, from byte 0
    assert dest.read_bytes() == small_gguf
    assert files_in(dest.parent) == [dest.name]
    assert reports[0].done == 50_000 and reports[-1].done == len(small_gguf)


async def test_wrong_sha256_deletes_everything(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    server = serve(small_gguf)
    wrong = "ab" * 32
    with pytest.raises(ChecksumMismatch) as caught:
        await download(DownloadRequest(server.file_url, dest, wrong.upper(), len(small_gguf)),
                       client=client, **FAST)
    assert caught.value.expected == wrong and caught.value.actual == sha256(small_gguf)
    assert wrong in str(caught.value) and sha256(small_gguf) in str(caught.value)
    assert files_in(dest.parent) == []


@pytest.mark.parametrize("kind", ["truncated", "not_gguf"])
async def test_not_a_model_with_matching_sha_deletes_everything(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path, kind: str,
) -> None:
    payload = small_gguf[:200_000] if kind == "truncated" else b"<html>not a model</html>" * 100
    server = serve(payload)
    with pytest.raises(NotAModel) as caught:
        await download(request_for(server, dest, payload), client=client, **FAST)
    words = str(caught.value)
    assert "tiny.gguf" in words and ".part" not in words
    assert ("incomplete" if kind == "truncated" else "not a GGUF model") in words
    assert files_in(dest.parent) == []


async def test_not_enough_space_before_any_request(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path, tmp_path: Path,
) -> None:
    server = serve(small_gguf)
    seen: list[Path] = []

    def free_space(path: Path) -> int:
        seen.append(path)
        return 10_000_000

    with pytest.raises(NotEnoughSpace, match=r"needs 67\.4 MB, 10\.0 MB free at"):
        await download(request_for(server, dest, small_gguf), client=client, free_space=free_space)
    assert server.requests == []
    assert seen == [tmp_path] and not dest.parent.exists()


async def test_not_enough_space_for_an_unknown_size_is_found_before_writing(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    server = serve(small_gguf)
    with pytest.raises(NotEnoughSpace):
        await download(request_for(server, dest, small_gguf, known_size=False), client=client,
                       free_space=lambda _: 1000, margin=0)
    assert len(server.requests) == 1  # the size came from Content-Length
    assert files_in(dest.parent) == []


async def test_disk_full_mid_write_keeps_the_part_and_a_later_call_finishes(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_write = download_module._write_chunk
    budget = [100_000]

    def filling_write(f: io.FileIO, data: memoryview) -> None:
        if len(data) > budget[0]:  # the disk takes part of the chunk, then is full
            real_write(f, data[:budget[0]])
            budget[0] = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(f, data)
        budget[0] -= len(data)

    monkeypatch.setattr(download_module, "_write_chunk", filling_write)
    server = serve(small_gguf)
    with pytest.raises(NotEnoughSpace, match="is full after"):
        await download(request_for(server, dest, small_gguf), client=client, **FAST)
    kept = part_path(dest).read_bytes()
    # Only whole, hashed writes stay: the half-written one was taken back out.
    assert 0 < len(kept) <= 100_000 and kept == small_gguf[:len(kept)]
    monkeypatch.undo()
    await download(request_for(server, dest, small_gguf), client=client, **FAST)
    assert server.ranges == [None, f"bytes={len(kept)}-"]
    assert dest.read_bytes() == small_gguf
    assert files_in(dest.parent) == [dest.name]


async def test_cancel_mid_way_stops_promptly_and_leaves_nothing(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    server = serve(small_gguf)
    server.stall(30.0, after=100_000)
    cancel = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, cancel.set)
    started = time.monotonic()
    with pytest.raises(DownloadCancelled, match="cancelled"):
        await download(request_for(server, dest, small_gguf), client=client, cancel=cancel, **FAST)
    assert time.monotonic() - started < 2.0
    assert files_in(dest.parent) == []


async def test_stall_is_treated_as_a_drop_and_resumed(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    server = serve(small_gguf)
    server.stall(3.0, after=70_000)
    started = time.monotonic()
    await download(request_for(server, dest, small_gguf), client=client, stall_timeout_s=0.5, **FAST)
    assert time.monotonic() - started < 2.5
    assert server.ranges == [None, "bytes=70000-"]
    assert dest.read_bytes() == small_gguf


async def test_server_errors_are_retried_and_refusals_are_not(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    server = serve(small_gguf)
    server.add(Fault(status=503), Fault(status=502))
    await download(request_for(server, dest, small_gguf), client=client, **FAST)
    assert len(server.requests) == 3 and dest.read_bytes() == small_gguf

    other = dest.with_name("other.gguf")
    server.add(Fault(status=403))
    with pytest.raises(DownloadError, match="HTTP 403"):
        await download(request_for(server, other, small_gguf), client=client, **FAST)
    assert len(server.requests) == 4 and files_in(dest.parent) == [dest.name]


async def test_giving_up_after_max_retries_keeps_the_part(
    serve: Callable[[bytes | Path], RangeServer], client: httpx.AsyncClient,
    small_gguf: bytes, dest: Path,
) -> None:
    server = serve(small_gguf)
    server.cut_after(50_000)
    server.add(*[Fault(status=503)] * 2)
    # The cut brought bytes, so it counts as the first failure of a fresh budget of 2.
    with pytest.raises(DownloadError, match="keeps failing"):
        await download(request_for(server, dest, small_gguf), client=client, max_retries=2, **FAST)
    assert part_path(dest).read_bytes() == small_gguf[:50_000]
    assert server.ranges == [None, "bytes=50000-", "bytes=50000-"]
