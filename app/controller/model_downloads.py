"""Model downloads as the model manager runs them: a queue, one file at a time, each job
with progress, pause, resume and cancel — and resumable after the app restarts.

The bytes are moved and checked by ``app.core.models.download``; this file decides what
runs when. Each job keeps a small ``<file>.part.json`` beside its ``.part`` (repo, name,
size, sha256), so a download paused or interrupted by quitting is offered again at the
next start and resumes from the bytes on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.core.models.download import (
    CONNECT_TIMEOUT_S,
    DownloadCancelled,
    DownloadError,
    DownloadRequest,
    Progress,
    download,
    part_path,
)
from app.core.models.hub import Hub, RemoteFile
from app.core.paths import models_dir
from app.core.safe_read import read_json

SIDECAR_LIMIT = 64 << 10  # a download's note is a few hundred bytes

STATES = ("queued", "downloading", "paused", "done", "failed", "cancelled")
# The client's defaults; each download request sets its own connect and stall limits.
CLIENT_TIMEOUT = httpx.Timeout(30.0, connect=CONNECT_TIMEOUT_S)


@dataclass(eq=False)
class DownloadJob:
    file: RemoteFile
    dest: Path
    state: str = "queued"
    progress: Progress | None = None
    error: str | None = None
    _cancel: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _keep_part: bool = field(default=True, repr=False)


def _sidecar(dest: Path) -> Path:
    return part_path(dest).with_name(part_path(dest).name + ".json")


class Downloads:
    def __init__(self, hub: Hub, *, on_change: Callable[[DownloadJob], None] = lambda job: None,
                 on_installed: Callable[[Path], None] = lambda path: None,
                 client: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self._hub = hub
        self._on_change = on_change
        self._on_installed = on_installed
        self._make_client = client or (lambda: httpx.AsyncClient(timeout=CLIENT_TIMEOUT, follow_redirects=True))
        self.jobs: list[DownloadJob] = []
        self._runner: asyncio.Task[None] | None = None

    # ---- what the manager asks for -----------------------------------------------------

    def add(self, file: RemoteFile) -> DownloadJob:
        dest = models_dir() / file.name
        existing = next((j for j in self.jobs if j.dest == dest and j.state in ("queued", "downloading")), None)
        if existing is not None:
            return existing
        job = DownloadJob(file, dest)
        self.jobs.append(job)
        self._write_sidecar(job)
        self._changed(job)
        self._run()
        return job

    def pause(self, job: DownloadJob) -> None:
        """Stop, keeping the bytes so far for a later resume."""
        self._stop(job, keep_part=True, state="paused")

    def cancel(self, job: DownloadJob) -> None:
        """Stop and delete the partial file: "I don't want it"."""
        self._stop(job, keep_part=False, state="cancelled")

    def resume(self, job: DownloadJob) -> None:
        if job.state in ("paused", "failed"):
            job.state, job.error, job._cancel = "queued", None, asyncio.Event()
            self._changed(job)
            self._run()

    def restore_interrupted(self) -> list[DownloadJob]:
        """Downloads left by an earlier run (paused, or cut short by quitting), as paused
        jobs the user can resume."""
        folder = models_dir()
        restored = []
        for sidecar in sorted(folder.glob("*.part.json")) if folder.is_dir() else ():
            try:
                data = read_json(sidecar, limit=SIDECAR_LIMIT)
                file = RemoteFile(data["repo"], data["name"], data.get("size"), data.get("sha256"),
                                  data.get("quant"))
            except (OSError, ValueError, KeyError, TypeError):  # UnsafeInput is a ValueError
                continue  # a damaged note: the .part alone cannot be verified, leave it be
            dest = folder / file.name
            if any(j.dest == dest for j in self.jobs):
                continue
            job = DownloadJob(file, dest, state="paused")
            if part_path(dest).exists():
                job.progress = Progress(part_path(dest).stat().st_size, file.size, 0.0, None)
            self.jobs.append(job)
            restored.append(job)
        return restored

    async def wait_idle(self) -> None:
        while self._runner is not None and not self._runner.done():
            await asyncio.shield(self._runner)

    async def aclose(self) -> None:
        """Quitting: a running download stops and keeps its part, to resume next time."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    # ---- running ---------------------------------------------------------------------------

    def _stop(self, job: DownloadJob, *, keep_part: bool, state: str) -> None:
        if job.state == "downloading":
            job._keep_part = keep_part
            job._cancel.set()  # the runner records the state when the download returns
            job.state = state
        elif job.state in ("queued", "paused", "failed"):
            job.state = state
            if not keep_part:
                self._discard(job)
        self._changed(job)

    def _run(self) -> None:
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._run_queue())

    async def _run_queue(self) -> None:
        async with self._make_client() as client:
            while (job := next((j for j in self.jobs if j.state == "queued"), None)) is not None:
                await self._run_one(job, client)

    async def _run_one(self, job: DownloadJob, client: httpx.AsyncClient) -> None:
        job.state, job._keep_part = "downloading", True
        self._changed(job)
        request = DownloadRequest(self._hub.file_url(job.file.repo, job.file.name), job.dest,
                                  job.file.sha256, job.file.size)

        def progress(update: Progress) -> None:
            job.progress = update
            self._changed(job)

        try:
            await download(request, client=client, on_progress=progress, cancel=job._cancel,
                           keep_partial_on_cancel=True)
        except DownloadCancelled:
            if not job._keep_part:
                self._discard(job)
            self._changed(job)
            return
        except DownloadError as error:
            job.state, job.error = "failed", str(error)
            if not part_path(job.dest).exists():
                _sidecar(job.dest).unlink(missing_ok=True)  # nothing left to resume
            self._changed(job)
            return
        job.state = "done"
        _sidecar(job.dest).unlink(missing_ok=True)
        self._changed(job)
        self._on_installed(job.dest)

    def _discard(self, job: DownloadJob) -> None:
        part_path(job.dest).unlink(missing_ok=True)
        _sidecar(job.dest).unlink(missing_ok=True)

    def _write_sidecar(self, job: DownloadJob) -> None:
        job.dest.parent.mkdir(parents=True, exist_ok=True)
        f = job.file
        _sidecar(job.dest).write_text(json.dumps({"repo": f.repo, "name": f.name, "size": f.size,
                                                  "sha256": f.sha256, "quant": f.quant}), encoding="utf-8")

    def _changed(self, job: DownloadJob) -> None:
        self._on_change(job)
