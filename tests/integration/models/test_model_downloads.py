"""The download queue: one file at a time, pause and resume (also after a restart),
cancel without stray files — over a real loopback server, with the bundled GGUF."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from app.controller.model_downloads import Downloads
from app.core.models.download import part_path
from app.core.models.hub import RemoteFile
from app.core.paths import models_dir
from tests.support.range_server import RangeServer


class OneFileHub:
    """Maps a hub file to the loopback server's address (the hub API itself is tested
    with its own server in test_hub.py)."""

    def __init__(self, server: RangeServer) -> None:
        self.server = server

    def file_url(self, repo: str, name: str, revision: str = "main") -> str:
        return self.server.file_url


@pytest.fixture(scope="module")
def sha256(bundled_gguf: Path) -> str:
    return hashlib.sha256(bundled_gguf.read_bytes()).hexdigest()


def remote(bundled_gguf: Path, sha: str) -> RemoteFile:
    return RemoteFile("acme/smol-GGUF", "Smol-Copy.Q4_1.gguf", bundled_gguf.stat().st_size, sha, "Q4_1")


async def test_a_queued_download_lands_in_the_models_folder(bundled_gguf, sha256):
    installed: list[Path] = []
    with RangeServer(bundled_gguf) as server:
        downloads = Downloads(OneFileHub(server), on_installed=installed.append)  # type: ignore[arg-type]
        job = downloads.add(remote(bundled_gguf, sha256))
        await downloads.wait_idle()
    assert job.state == "done" and installed == [models_dir() / "Smol-Copy.Q4_1.gguf"]
    assert hashlib.sha256(installed[0].read_bytes()).hexdigest() == sha256
    assert sorted(p.name for p in models_dir().iterdir()) == ["Smol-Copy.Q4_1.gguf"]


async def test_pause_keeps_the_part_and_a_restart_resumes_it(bundled_gguf, sha256):
    file = remote(bundled_gguf, sha256)
    with RangeServer(bundled_gguf) as server:
        server.stall(5.0, after=20_000_000)  # a slow line: time to press Pause
        seen: list[str] = []
        downloads = Downloads(OneFileHub(server), on_change=lambda job: seen.append(job.state))  # type: ignore[arg-type]
        job = downloads.add(file)
        while not (job.progress and job.progress.done >= 20_000_000):
            await asyncio.sleep(0.01)
        downloads.pause(job)
        await downloads.wait_idle()
        assert job.state == "paused" and part_path(job.dest).stat().st_size >= 20_000_000

        again = Downloads(OneFileHub(server))  # type: ignore[arg-type]  # the app restarted
        (restored,) = again.restore_interrupted()
        assert restored.state == "paused" and restored.file == file
        again.resume(restored)
        await again.wait_idle()
    assert restored.state == "done"
    assert server.ranges[-1] is not None and server.ranges[-1].startswith("bytes=")
    assert sorted(p.name for p in models_dir().iterdir()) == ["Smol-Copy.Q4_1.gguf"]


async def test_cancel_leaves_no_stray_files(bundled_gguf, sha256):
    with RangeServer(bundled_gguf) as server:
        server.stall(5.0, after=10_000_000)
        downloads = Downloads(OneFileHub(server))  # type: ignore[arg-type]
        job = downloads.add(remote(bundled_gguf, sha256))
        while not (job.progress and job.progress.done >= 10_000_000):
            await asyncio.sleep(0.01)
        downloads.cancel(job)
        await downloads.wait_idle()
    assert job.state == "cancelled"
    assert list(models_dir().iterdir()) == []


async def test_a_wrong_checksum_fails_in_plain_words_and_leaves_nothing(bundled_gguf):
    with RangeServer(bundled_gguf) as server:
        downloads = Downloads(OneFileHub(server))  # type: ignore[arg-type]
        job = downloads.add(remote(bundled_gguf, "0" * 64))
        await downloads.wait_idle()
    assert job.state == "failed" and "damaged" in (job.error or "")
    assert list(models_dir().iterdir()) == []


def test_a_pipe_or_a_deep_note_beside_a_download_restores_nothing_and_blocks_nothing():
    folder = models_dir()
    folder.mkdir(parents=True)
    os.mkfifo(folder / "Stuck.gguf.part.json")
    (folder / "Deep.gguf.part.json").write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    assert Downloads(None).restore_interrupted() == []  # type: ignore[arg-type]  # no hub needed
