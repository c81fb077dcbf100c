"""Hub search, file listing and the curated list, against a fake hub on 127.0.0.1.

``tests.support.hub_server`` speaks the endpoints huggingface_hub 2.4 calls; one of its
files is the real bundled model, so the end-to-end test downloads it with the sha256
that ``Hub.files()`` reported.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.models.download import DownloadRequest, download
from app.core.models.gguf_file import read_gguf
from app.core.models.hub import (
    PURPOSES,
    Hub,
    HubError,
    RemoteFile,
    RepoSummary,
    quant_of,
    recommended,
)
from app.core.paths import bundled_models_dir
from tests.support.hub_server import HubRepo, HubServer

BUNDLED = bundled_models_dir() / "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"


@pytest.fixture(scope="module")
def hub_server() -> Iterator[HubServer]:
    repos = [
        HubRepo(SMOL, downloads=5_000, likes=40, files={
            BUNDLED.name: BUNDLED,
            "SmolLM2-135M-Instruct.Q8_0.gguf": b"GGUF" + b"\0" * 4000,
            "README.md": b"# SmolLM2\n",
        }),
        HubRepo("bartowski/SmolLM2-1.7B-Instruct-GGUF", downloads=90_000, likes=12, files={
            "SmolLM2-1.7B-Instruct-IQ3_XS.gguf": b"x" * 3000,
            "SmolLM2-1.7B-Instruct-Q4_K_M.gguf": b"x" * 2000,
            "SmolLM2-1.7B-Instruct-f16.gguf": b"x" * 9000,
        }),
        HubRepo("someone/smollm2-tiny-GGUF", downloads=7, likes=0, files={"tiny.gguf": b"x" * 10}),
        # Most downloaded of all, but not GGUF: search must not list it.
        HubRepo("HuggingFaceTB/SmolLM2-135M-Instruct", downloads=1_000_000, likes=300,
                files={"model.safetensors": b"x" * 100}),
        HubRepo("Qwen/Qwen2.5-0.5B-Instruct-GGUF", downloads=300_000, likes=90,
                files={"qwen2.5-0.5b-instruct-q4_k_m.gguf": b"x" * 50}),
    ]
    with HubServer(repos) as server:
        yield server


@pytest.fixture
def hub(hub_server: HubServer, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
    return Hub()


async def test_endpoint_comes_from_hf_endpoint_or_defaults(hub: Hub, hub_server: HubServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert hub.endpoint == hub_server.url
    assert Hub("http://example.invalid/").endpoint == "http://example.invalid"
    monkeypatch.delenv("HF_ENDPOINT")
    assert Hub().endpoint == "https://huggingface.co"
    assert "secret" not in repr(Hub(token="hf_secret"))


async def test_search_lists_gguf_repos_most_downloaded_first(hub: Hub, hub_server: HubServer) -> None:
    found = await hub.search("smollm2")
    assert found == [
        RepoSummary("bartowski/SmolLM2-1.7B-Instruct-GGUF", 90_000, 12),
        RepoSummary(SMOL, 5_000, 40),
        RepoSummary("someone/smollm2-tiny-GGUF", 7, 0),
    ]
    asked = [r for r in hub_server.requests if r.path.startswith("/api/models?")][-1]
    for part in ("search=smollm2", "filter=gguf", "sort=downloads", "limit=20"):
        assert part in asked.path
    assert await hub.search("smollm2", limit=1) == found[:1]
    assert await hub.search("no-such-model-anywhere") == []


async def test_files_lists_gguf_files_with_size_sha256_and_quant(hub: Hub, hub_server: HubServer) -> None:
    files = await hub.files("bartowski/SmolLM2-1.7B-Instruct-GGUF")
    assert [(f.name, f.size, f.quant) for f in files] == [
        ("SmolLM2-1.7B-Instruct-Q4_K_M.gguf", 2000, "Q4_K_M"),
        ("SmolLM2-1.7B-Instruct-IQ3_XS.gguf", 3000, "IQ3_XS"),
        ("SmolLM2-1.7B-Instruct-f16.gguf", 9000, "F16"),
    ]
    assert all(f.sha256 == hub_server.sha256(f.repo, f.name) for f in files)

    smol = await hub.files(SMOL)
    assert [f.name for f in smol] == ["SmolLM2-135M-Instruct.Q8_0.gguf", BUNDLED.name]  # no README
    assert smol[1] == RemoteFile(SMOL, BUNDLED.name, BUNDLED.stat().st_size,
                                 hub_server.sha256(SMOL, BUNDLED.name), "Q4_1")


async def test_a_listed_file_downloads_end_to_end_with_its_sha256(hub: Hub, hub_server: HubServer,
                                                                  tmp_path: Path) -> None:
    remote = next(f for f in await hub.files(SMOL) if f.name == BUNDLED.name)
    url = hub.file_url(SMOL, remote.name)
    assert url == f"{hub_server.url}/{SMOL}/resolve/main/{BUNDLED.name}"
    dest = tmp_path / remote.name
    async with httpx.AsyncClient(timeout=30) as client:
        path = await download(DownloadRequest(url, dest, sha256=remote.sha256, size=remote.size),
                              client=client)
    assert path == dest and dest.stat().st_size == remote.size
    assert read_gguf(dest).architecture == "llama"


async def test_unknown_repository_is_a_plain_error(hub: Hub) -> None:
    with pytest.raises(HubError, match=r"^No repository called nobody/nothing-GGUF on the model hub at 127\.0\.0\.1:"):
        await hub.files("nobody/nothing-GGUF")


async def test_unreachable_hub_is_a_plain_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hub = Hub(f"http://127.0.0.1:{port}")
    with pytest.raises(HubError, match=rf"^The model hub at 127\.0\.0\.1:{port} refused the connection"):
        await hub.files(SMOL)


@pytest.mark.parametrize(("name", "quant"), [
    ("qwen2.5-0.5b-instruct-q4_k_m.gguf", "Q4_K_M"),
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1"),
    ("Meta-Llama-3-8B-Instruct-Q8_0.gguf", "Q8_0"),
    ("model-IQ3_XS.gguf", "IQ3_XS"),
    ("model-IQ2_XXS.gguf", "IQ2_XXS"),
    ("model-IQ4_NL.gguf", "IQ4_NL"),
    ("model.Q5_K_S.gguf", "Q5_K_S"),
    ("Q3_K_L/model-Q3_K_L-00001-of-00002.gguf", "Q3_K_L"),
    ("nomic-embed-text-v1.5.f16.gguf", "F16"),
    ("model-bf16.gguf", "BF16"),
    ("model-f32.gguf", "F32"),
    ("bge-small-en-v1.5-q8_0.gguf", "Q8_0"),
    ("mmproj-model.gguf", None),
    ("qwen2.5-1.5b-instruct.gguf", None),
])
def test_quant_of(name: str, quant: str | None) -> None:
    assert quant_of(name) == quant


def test_recommended_list_is_small_real_gguf_files() -> None:
    picks = recommended()
    assert 4 <= len(picks) <= 12
    assert {p.purpose for p in picks} == set(PURPOSES)
    for pick in picks:
        assert pick.repo.count("/") == 1 and pick.file.endswith(".gguf") and pick.note
        assert quant_of(pick.file) is not None
