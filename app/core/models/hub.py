"""Finding GGUF models on the Hugging Face Hub: search, a repository's files, curated picks.

A thin, typed layer over ``huggingface_hub``: it returns small frozen records, turns the
library's errors into ``HubError`` with plain words, and runs the blocking calls in a
worker thread. The endpoint is always passed explicitly (``huggingface_hub`` reads
``HF_ENDPOINT`` once, at import), so tests can point it at a server on 127.0.0.1. Bytes
are moved by ``app.core.models.download``; this module only says what is there.
It never imports Qt.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx2
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from app.core.paths import resources_dir

__all__ = [
    "DEFAULT_ENDPOINT",
    "PURPOSES",
    "Hub",
    "HubError",
    "Recommended",
    "RemoteFile",
    "RepoSummary",
    "quant_of",
    "recommended",
]

DEFAULT_ENDPOINT = "https://huggingface.co"
PURPOSES = ("chat", "code", "classifier", "embedding")
_INFO_TIMEOUT_S = 30.0
_SEARCH_TIMEOUT_S = 15.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RepoSummary:
    id: str
    downloads: int
    likes: int


@dataclass(frozen=True, slots=True)
class RemoteFile:
    repo: str
    name: str  # path inside the repository, e.g. "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    size: int | None  # bytes
    sha256: str | None  # lower-case hex, from the LFS metadata
    quant: str | None  # parsed from the name: Q4_K_M, Q8_0, F16, IQ3_XS, ... or None


@dataclass(frozen=True, slots=True)
class Recommended:
    repo: str
    file: str
    purpose: str  # "chat" | "code" | "classifier" | "embedding"
    note: str


class HubError(Exception):
    """Searching or listing failed; ``str()`` is a plain sentence the UI can show as it is."""


# Quant names as llama.cpp's quantize writes them into file names, longest first so that
# Q4_K_M is not read as Q4_K. Matched between separators (. - _ or the ends).
_QUANT_RE = re.compile(
    r"(?<![A-Za-z0-9])("
    r"IQ[1-4]_(?:XXS|XS|S|M|NL)"
    r"|IQ[1-4]_K(?:_[SML])?"
    r"|Q[2-8]_K(?:_[SMLX]L?)?"
    r"|Q[2-8]_[01]"
    r"|Q[2-8]"
    r"|TQ[12]_0"
    r"|MXFP4"
    r"|BF16|F16|FP16|F32|FP32"
    r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def quant_of(name: str) -> str | None:
    """The quantisation named in a GGUF file name, upper-case (``Q4_K_M``), or None."""
    stem = name.rsplit("/", 1)[-1]
    if stem.lower().endswith(".gguf"):
        stem = stem[:-5]
    matches = _QUANT_RE.findall(stem)
    if not matches:
        return None
    quant = str(matches[-1]).upper()  # the last one: "Llama-3-8B-Q8_0-Q4_K_M" is Q4_K_M
    return {"FP16": "F16", "FP32": "F32"}.get(quant, quant)


def recommended() -> list[Recommended]:
    """The curated starter models shipped in ``resources/recommended_models.json``."""
    path = resources_dir() / "recommended_models.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Recommended(repo=str(item["repo"]), file=str(item["file"]), purpose=str(item["purpose"]),
                    note=str(item["note"]))
        for item in data["models"]
    ]


class Hub:
    """Search and file listing against one hub endpoint (huggingface.co or a mirror)."""

    def __init__(self, endpoint: str | None = None, token: str | None = None) -> None:
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        # The token lives only inside HfApi; it is never put in a message or a log line.
        # None lets huggingface_hub use its own (HF_TOKEN or a saved login), if any.
        self._api = HfApi(endpoint=self.endpoint, token=token)
        self._token = token

    @property
    def token(self) -> str | None:
        """The user's token (from the keyring) for requests made outside HfApi: downloads."""
        return self._token

    def __repr__(self) -> str:
        return f"Hub(endpoint={self.endpoint!r})"

    async def search(self, query: str, limit: int = 20) -> list[RepoSummary]:
        """GGUF repositories matching ``query``, most downloaded first."""

        def run() -> list[RepoSummary]:
            models = self._api.list_models(search=query.strip() or None, filter="gguf",
                                           sort="downloads", limit=limit)
            found = [RepoSummary(m.id, int(m.downloads or 0), int(m.likes or 0)) for m in models]
            found.sort(key=lambda r: r.downloads, reverse=True)  # the hub already does; be sure
            return found

        try:
            # huggingface_hub retries an unreachable hub 5 times with back-off (~23 s) and sets
            # no time limit on list_models: bound the wait here. The thread finishes on its own.
            return await asyncio.wait_for(self._call(run, f"search for {query!r}"), _SEARCH_TIMEOUT_S)
        except TimeoutError:
            raise HubError(f"The model hub at {self.endpoint} did not answer in "
                           f"{_SEARCH_TIMEOUT_S:.0f} s. Check the internet connection "
                           "(or HF_ENDPOINT).") from None

    async def files(self, repo: str) -> list[RemoteFile]:
        """The ``.gguf`` files of ``repo`` with size and sha256, smallest first."""
        repo = repo.strip().strip("/")
        if not repo:
            raise HubError("No repository given.")

        def run() -> list[RemoteFile]:
            info = self._api.model_info(repo, files_metadata=True, timeout=_INFO_TIMEOUT_S)
            found = []
            for sibling in info.siblings or []:
                if not sibling.rfilename.lower().endswith(".gguf"):
                    continue
                lfs = sibling.lfs
                size = lfs.size if lfs is not None else sibling.size
                sha = lfs.sha256.lower() if lfs is not None and lfs.sha256 else None
                found.append(RemoteFile(repo=info.id or repo, name=sibling.rfilename, size=size,
                                        sha256=sha, quant=quant_of(sibling.rfilename)))
            found.sort(key=lambda f: (f.size is None, f.size or 0, f.name))
            return found

        return await self._call(run, repo, repo=repo)

    def file_url(self, repo: str, name: str, revision: str = "main") -> str:
        """Where ``name`` in ``repo`` downloads from (follows the hub's redirects)."""
        return hf_hub_url(repo, name, revision=revision, endpoint=self.endpoint)

    async def _call(self, fn: Callable[[], T], what: str, *, repo: str | None = None) -> T:
        try:
            return await asyncio.to_thread(fn)
        except HubError:
            raise
        except GatedRepoError:
            raise HubError(f"The repository {repo} is gated: accept its terms on the hub and "
                           "add a Hugging Face token in Settings.") from None
        except RepositoryNotFoundError:
            raise HubError(f"No repository called {repo} on {self.endpoint} "
                           "(or it is private and needs a token).") from None
        except RevisionNotFoundError:
            raise HubError(f"The repository {repo} has no such revision.") from None
        except OfflineModeIsEnabled:
            raise HubError("The model hub is switched off (HF_HUB_OFFLINE is set).") from None
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403):
                raise HubError(f"The model hub at {self.endpoint} refused access ({status}); "
                               "check the Hugging Face token in Settings.") from None
            if status == 404 and repo is not None:
                raise HubError(f"No repository called {repo} on {self.endpoint}.") from None
            if status == 429:
                raise HubError(f"The model hub at {self.endpoint} asks us to slow down; "
                               "try again in a minute.") from None
            raise HubError(f"The model hub at {self.endpoint} answered with an error "
                           f"({status or 'no status'}) to the {what} request.") from None
        except (httpx2.TransportError, OSError):
            raise HubError(f"Cannot reach the model hub at {self.endpoint}. "
                           "Check the internet connection (or HF_ENDPOINT).") from None
        except (ValueError, KeyError, TypeError):
            raise HubError(f"The model hub at {self.endpoint} sent an answer this version of "
                           "Switchboard cannot read.") from None
