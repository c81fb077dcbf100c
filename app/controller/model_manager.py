"""The model manager's one door: installed models, the hub, "will it fit", downloads.

The window (and anything else) calls this; when a model arrives or goes it refreshes the
session's one list of installed models (``LocalModels``), which publishes
``Changes(local_models=True)``, so a new model is a chat target at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx

from app.controller.local_models import LocalModels
from app.controller.model_downloads import DownloadJob, Downloads
from app.controller.model_library import LibraryEntry, import_model, library_entries, remove_model
from app.controller.saved_settings import SavedSettings
from app.core.models.download import CONNECT_TIMEOUT_S
from app.core.models.fit import FitEstimate, estimate, remote_info
from app.core.models.gguf_file import GGUFInfo
from app.core.models.hub import (
    HUB_TIMEOUT_S,
    Hub,
    Recommended,
    RemoteFile,
    RepoSummary,
    recommended,
)

# Reading a header is metadata, like a file list: a short limit, so a silent server is
# named in seconds. Downloads wait longer between chunks (the downloader's stall limit).
FIT_TIMEOUT = httpx.Timeout(HUB_TIMEOUT_S)
DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, connect=CONNECT_TIMEOUT_S)


class ModelManager:
    def __init__(self, installed: LocalModels, settings: SavedSettings,
                 hub: Hub | None = None) -> None:
        """``installed``: the session's one list of local models, refreshed here when a
        model arrives or goes; ``settings``: read for the context length a fit assumes."""
        self._local_models = installed
        self._settings = settings
        self.hub = hub or Hub()
        self._listeners: list[Callable[[DownloadJob], None]] = []
        self.downloads = Downloads(self.hub, on_change=self._job_changed, on_installed=self._installed,
                                   client=self._client)

    def on_download_change(self, listener: Callable[[DownloadJob], None]) -> None:
        self._listeners.append(listener)

    # ---- installed -----------------------------------------------------------------------

    def library(self) -> list[LibraryEntry]:
        """The installed models, each with the context chats load it with."""
        return library_entries(self._settings.current.local.n_ctx)

    async def import_file(self, path: Path) -> LibraryEntry:
        """Copy a GGUF file in (on a thread: it is hundreds of MB), then refresh the list
        here, on the loop, where listeners of the change expect to be called."""
        entry = await asyncio.to_thread(import_model, path)
        self._refresh()
        return entry

    def remove(self, name: str) -> Path:
        path = remove_model(name)
        self._refresh()
        return path

    # ---- the hub -------------------------------------------------------------------------

    @staticmethod
    def recommended() -> list[Recommended]:
        return recommended()

    async def search(self, query: str) -> list[RepoSummary]:
        return await self.hub.search(query)

    async def files(self, repo: str) -> list[RemoteFile]:
        return await self.hub.files(repo)

    def _client(self, timeout: httpx.Timeout = DOWNLOAD_TIMEOUT) -> httpx.AsyncClient:
        """HTTP to the hub, with the user's token when one is set (gated models need it)."""
        token = self.hub.token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(timeout=timeout, follow_redirects=True, headers=headers)

    async def fit(self, file: RemoteFile, n_ctx: int | None = None) -> FitEstimate:
        """Read only the file's GGUF header from the hub and estimate its memory needs at
        the context length the local models are set to use."""
        async with self._client(FIT_TIMEOUT) as client:
            info, size = await remote_info(client, self.hub.file_url(file.repo, file.name))
        return estimate(info, size, n_ctx or self._chat_context(info))

    def _chat_context(self, info: GGUFInfo) -> int:
        """The context chats would load ``info`` with: the setting, lowered to the model's
        own maximum as loading lowers it (``plan_context``)."""
        n_ctx = self._settings.current.local.n_ctx
        return min(n_ctx, info.context_length) if info.context_length else n_ctx

    async def memory_needed(self, files: list[RemoteFile]) -> dict[str, FitEstimate]:
        """The memory each of a repository's files needs at the context chats use, by file
        name, from one header: the quantisations of a model share its shape (layers,
        heads), only their sizes differ. Files of another kind (a vision projector) and
        files of unknown size are left out."""
        models = [f for f in files if f.size and not f.name.rsplit("/", 1)[-1].lower().startswith("mmproj")]
        if not models:
            return {}
        sample = min(models, key=lambda f: f.size or 0)
        async with self._client(FIT_TIMEOUT) as client:
            info, _ = await remote_info(client, self.hub.file_url(sample.repo, sample.name))
        n_ctx = self._chat_context(info)
        return {f.name: estimate(info, f.size or 0, n_ctx) for f in models}

    def download(self, file: RemoteFile) -> DownloadJob:
        return self.downloads.add(file)

    # ---- keeping the session current ---------------------------------------------------

    def _installed(self, path: Path) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self._local_models.refresh()

    def _job_changed(self, job: DownloadJob) -> None:
        for listener in self._listeners:
            listener(job)
