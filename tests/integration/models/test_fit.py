"""The "will it fit" estimate, and reading a remote GGUF header with Range requests only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.core.byte_size import format_bytes
from app.core.models.fit import FitEstimate, available_memory, estimate, remote_info
from app.core.models.gguf_file import GGUFInfo, InvalidModelFile, read_gguf
from app.core.models.hub import Hub, HubError
from app.core.paths import bundled_models_dir
from tests.support.hub_server import HubRepo, HubServer

BUNDLED = bundled_models_dir() / "SmolLM2-135M-Instruct.Q4_1.gguf"
REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"


def _head(n: int) -> bytes:
    with BUNDLED.open("rb") as f:
        return f.read(n)


@pytest.fixture(scope="module")
def hub_server() -> Iterator[HubServer]:
    repos = [HubRepo(REPO, files={
        BUNDLED.name: BUNDLED,
        "not-a-model.gguf": b"<!doctype html><html><body>Sign in to download</body></html>" * 50,
        "cut.gguf": _head(600_000),
    })]
    with HubServer(repos) as server:
        yield server


@pytest.fixture(scope="module")
def local_info() -> GGUFInfo:
    return read_gguf(BUNDLED)


def _ranged_bytes(ranges: list[str | None]) -> int:
    total = 0
    for value in ranges:
        assert value is not None and value.startswith("bytes=")
        first, last = value.removeprefix("bytes=").split("-")
        total += int(last) - int(first) + 1
    return total


async def test_remote_info_reads_only_the_header_with_ranges(hub_server: HubServer, local_info: GGUFInfo) -> None:
    url = Hub(hub_server.url).file_url(REPO, BUNDLED.name)
    async with httpx.AsyncClient(timeout=30) as client:
        info, total = await remote_info(client, url)
    size = BUNDLED.stat().st_size
    assert total == size == info.size
    assert info.metadata == local_info.metadata
    assert (info.tensor_count, info.data_end, info.version) == (
        local_info.tensor_count, local_info.data_end, local_info.version)
    assert info.path.name == BUNDLED.name
    requests = hub_server.file_requests(BUNDLED.name)
    assert requests and all(r.method == "GET" and r.range for r in requests)
    assert _ranged_bytes([r.range for r in requests]) < size // 10


async def test_estimate_for_the_bundled_model(local_info: GGUFInfo) -> None:
    md, size = local_info.metadata, BUNDLED.stat().st_size
    n_layer, n_embd = md["llama.block_count"], md["llama.embedding_length"]
    n_head, n_head_kv = md["llama.attention.head_count"], md["llama.attention.head_count_kv"]
    assert (n_layer, n_embd, n_head, n_head_kv) == (30, 576, 9, 3)  # SmolLM2-135M: GQA 3:1
    kv_by_hand = 2 * n_layer * 4096 * (n_embd * n_head_kv // n_head) * 2
    est = estimate(local_info, size, 4096, available=16_000_000_000)
    assert est.weights_bytes == size and 90e6 < size < 100e6
    assert est.kv_cache_bytes == kv_by_hand == 94_371_840
    assert 0.1 * (size + kv_by_hand) < est.overhead_bytes < 300e6
    assert est.needed_bytes == est.weights_bytes + est.kv_cache_bytes + est.overhead_bytes
    assert est.verdict == "fits"
    assert est.words == (f"Needs about {format_bytes(est.needed_bytes)} at 4,096 tokens of context; "
                         "16.0 GB free: fits.")
    longer = estimate(local_info, size, 8192, available=16_000_000_000)
    assert longer.kv_cache_bytes == 2 * kv_by_hand and longer.needed_bytes > est.needed_bytes


@pytest.mark.parametrize(("share", "verdict", "tail"), [
    (2.0, "fits", "fits."),
    (1 / 0.79, "fits", "fits."),
    (1 / 0.81, "tight", "a tight fit; close other apps first."),
    (1 / 0.9, "tight", "a tight fit; close other apps first."),
    (1.0, "too_big", "too big for this machine."),
    (0.5, "too_big", "too big for this machine."),
])
def test_verdicts(local_info: GGUFInfo, share: float, verdict: str, tail: str) -> None:
    needed = estimate(local_info, BUNDLED.stat().st_size, 4096, available=10**12).needed_bytes
    est = estimate(local_info, BUNDLED.stat().st_size, 4096, available=int(needed * share))
    assert isinstance(est, FitEstimate) and est.needed_bytes == needed
    assert (est.verdict, est.words.endswith(tail)) == (verdict, True)


def test_estimate_falls_back_when_metadata_is_missing(local_info: GGUFInfo) -> None:
    bare = GGUFInfo(local_info.path, local_info.size, 3, 1, {"general.architecture": "mystery"}, 0)
    est = estimate(bare, 4_000_000_000, 4096, available=64_000_000_000)
    assert est.kv_cache_bytes == 2 * 32 * 4096 * 4096 * 2  # a 7B Llama's shape, no GQA
    assert est.verdict == "fits"


def test_available_memory_is_positive() -> None:
    assert available_memory() > 0


async def test_a_non_gguf_remote_file_is_invalid(hub_server: HubServer) -> None:
    url = Hub(hub_server.url).file_url(REPO, "not-a-model.gguf")
    async with httpx.AsyncClient(timeout=30) as client:
        with pytest.raises(InvalidModelFile, match=r"^not-a-model\.gguf is not a GGUF model"):
            await remote_info(client, url)


async def test_a_cut_short_remote_file_is_invalid(hub_server: HubServer) -> None:
    url = Hub(hub_server.url).file_url(REPO, "cut.gguf")
    async with httpx.AsyncClient(timeout=30) as client:
        with pytest.raises(InvalidModelFile, match="ends in the middle of its header"):
            await remote_info(client, url)


async def test_a_header_larger_than_the_limit_is_refused(hub_server: HubServer) -> None:
    url = Hub(hub_server.url).file_url(REPO, BUNDLED.name)
    async with httpx.AsyncClient(timeout=30) as client:
        with pytest.raises(InvalidModelFile, match="header larger than"):
            await remote_info(client, url, max_bytes=64 * 1024)


async def test_a_missing_remote_file_is_a_plain_error(hub_server: HubServer) -> None:
    url = Hub(hub_server.url).file_url(REPO, "gone.gguf")
    async with httpx.AsyncClient(timeout=30) as client:
        with pytest.raises(HubError, match=r"not on the server at 127\.0\.0\.1:\d+ \(HTTP 404\)"):
            await remote_info(client, url)
