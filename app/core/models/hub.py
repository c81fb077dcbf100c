"""Finding GGUF models on the Hugging Face Hub: search, a repository's files, curated picks.

A thin, typed layer over ``huggingface_hub``: it returns small frozen records, turns the
library's errors into ``HubError`` with plain words, and runs the blocking calls in a
worker thread. The endpoint is always passed explicitly (``huggingface_hub`` reads
``HF_ENDPOINT`` once, at import), so tests can point it at a server on 127.0.0.1. Bytes
are moved by ``app.core.models.download``; this module only says what is there.
Every call has a short limit (``HUB_TIMEOUT_S`` to connect and per read, ``HUB_DEADLINE_S``
in all), so a hub that cannot be found, refuses, or accepts and then says nothing is told
apart in a couple of seconds, in the words ``hub_failures`` gives. It never imports Qt.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import HfApi, get_session, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

# Public names (huggingface_hub.utils.*), imported from where they live: the package's
# lazy __init__ hides them from mypy.
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import hf_raise_for_status

from app.core.models.hub_failures import host_of, status_words, transport_words
from app.core.paths import resources_dir

__all__ = [
    "DEFAULT_ENDPOINT",
    "HUB_DEADLINE_S",
    "HUB_TIMEOUT_S",
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
# Search and file lists are a few kilobytes: a hub that has not connected or answered in
# 2 s is not going to, and the user should hear why at once (issue 23: under 3 s).
HUB_TIMEOUT_S = 2.0  # to connect, and between bytes of the answer
HUB_DEADLINE_S = 2.5  # for the whole call, name lookup included

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
    size: int | None = None  # bytes, rounded as the hub shows them; the file list has the exact size


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
                    note=str(item["note"]), size=int(item["size"]) if item.get("size") else None)
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

    @property
    def place(self) -> str:
        """The hub as the user reads it: "the model hub at huggingface.co"."""
        return f"the model hub at {host_of(self.endpoint)}"

    def __repr__(self) -> str:
        return f"Hub(endpoint={self.endpoint!r})"

    async def search(self, query: str, limit: int = 20) -> list[RepoSummary]:
        """GGUF repositories matching ``query``, most downloaded first."""

        def run() -> list[RepoSummary]:
            # One request, as HfApi.list_models builds it, but not through it: that one
            # retries a refused or silent hub five times with back-off (~23 s), and the
            # first page is all the list shows.
            params: dict[str, str | int] = {"filter": "gguf", "sort": "downloads", "limit": limit}
            if query.strip():
                params["search"] = query.strip()
            response = get_session().get(f"{self.endpoint}/api/models", params=params,
                                         headers=build_hf_headers(token=self._token),
                                         timeout=HUB_TIMEOUT_S)
            hf_raise_for_status(response)
            found = [RepoSummary(str(m["id"]), int(m.get("downloads") or 0), int(m.get("likes") or 0))
                     for m in response.json()[:limit]]
            found.sort(key=lambda r: r.downloads, reverse=True)  # the hub already does; be sure
            return found

        return await self._call(run, "the search")

    async def files(self, repo: str) -> list[RemoteFile]:
        """The ``.gguf`` files of ``repo`` with size and sha256, smallest first."""
        repo = repo.strip().strip("/")
        if not repo:
            raise HubError("No repository given.")

        def run() -> list[RemoteFile]:
            info = self._api.model_info(repo, files_metadata=True, timeout=HUB_TIMEOUT_S)
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

        return await self._call(run, f"the file list of {repo}", repo=repo)

    def file_url(self, repo: str, name: str, revision: str = "main") -> str:
        """Where ``name`` in ``repo`` downloads from (follows the hub's redirects)."""
        return hf_hub_url(repo, name, revision=revision, endpoint=self.endpoint)

    async def _call(self, fn: Callable[[], T], what: str, *, repo: str | None = None) -> T:
        """``fn`` in a worker thread, bounded by ``HUB_DEADLINE_S``, its failure in words."""
        looking_up = threading.Event()

        def run() -> T:
            looking_up.set()
            self._look_up()
            looking_up.clear()
            return fn()

        try:
            # The thread cannot be stopped; on the deadline it ends on its own, bounded
            # by the client's timeouts (or the resolver's, for a name lookup).
            return await asyncio.wait_for(self._mapped(run, what, repo), HUB_DEADLINE_S)
        except TimeoutError:
            host = host_of(self.endpoint)
            if looking_up.is_set():
                raise HubError(f"Cannot find {host}: the name was not looked up within "
                               f"{HUB_DEADLINE_S:g} s; check your internet connection.") from None
            raise HubError(f"The model hub at {host} did not answer within {HUB_DEADLINE_S:g} s; "
                           "try again later.") from None

    def _look_up(self) -> None:
        """Resolve the hub's name first, so that a name that cannot be looked up is told
        apart from a hub that does not answer, even where the resolver is slow to say so.
        Behind a proxy the proxy looks names up, so nothing is checked here."""
        parts = urlsplit(self.endpoint)
        if not parts.hostname:
            return
        if urllib.request.getproxies() and not urllib.request.proxy_bypass(parts.hostname):
            return
        try:
            socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                               type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise HubError(transport_words(exc, self.endpoint)) from None
        except (OSError, UnicodeError):
            return  # let the request itself say what is wrong

    async def _mapped(self, fn: Callable[[], T], what: str, repo: str | None) -> T:
        try:
            return await asyncio.to_thread(fn)
        except HubError:
            raise
        except GatedRepoError:
            raise HubError(f"The repository {repo} is gated: accept its terms on its page on "
                           f"{host_of(self.endpoint)} and add a Hugging Face token in Settings.") from None
        except RepositoryNotFoundError:
            raise HubError(f"No repository called {repo} on {self.place} "
                           "(or it is private and needs a token).") from None
        except RevisionNotFoundError:
            raise HubError(f"The repository {repo} has no such revision.") from None
        except OfflineModeIsEnabled:
            raise HubError("The model hub is switched off on this computer: the Hugging Face "
                           "library is set to work offline.") from None
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status is None:
                raise HubError(f"{self.place[:1].upper()}{self.place[1:]} answered {what} with "
                               "an error.") from None
            raise HubError(status_words(status, self.endpoint, what=what, repo=repo,
                                        gated=repo is not None)) from None
        except (httpx2.TransportError, OSError) as exc:
            raise HubError(transport_words(exc, self.endpoint, timeout_s=HUB_TIMEOUT_S)) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise HubError(f"{self.place[:1].upper()}{self.place[1:]} sent an answer this version "
                           "of Switchboard cannot read.") from None
