"""A fake Hugging Face Hub: a real HTTP server on 127.0.0.1 speaking the few endpoints
``huggingface_hub`` 2.4 uses for search, file metadata and downloads.

    repos = [HubRepo("org/Model-GGUF", downloads=10, likes=2,
                     files={"model.Q4_1.gguf": Path(...), "README.md": b"# hi"})]
    with HubServer(repos) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        ...
        hub.requests            # every request (method, path, headers), in order

Endpoints (what ``HfApi.list_models``, ``HfApi.model_info`` and ``hf_hub_url`` build):

- ``GET /api/models?search=&filter=&sort=downloads&limit=``: a JSON list of
  ``{"id", "downloads", "likes", "tags", ...}``; ``search`` is a case-insensitive
  substring of the id, ``filter`` a tag every hit has (repos are tagged ``gguf`` when
  they hold a .gguf file), sorted by ``sort`` descending, cut at ``limit``.
- ``GET /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}`` (``?blobs=true``
  adds size, blobId and LFS size/sha256 per sibling); an unknown repo is a 404 with
  ``X-Error-Code: RepoNotFound``, as the real hub answers.
- ``GET``/``HEAD /{repo}/resolve/{rev}/{file}``: the file, with Range support
  (``bytes=a-``, ``a-b``, ``-n``; 206 + Content-Range; 416 past the end).

Files given as a Path are streamed from disk and hashed once, at construction.
``stop()`` joins every handler thread and raises a handler's unexpected exception.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.loopback_server import LoopbackServer, OwnedHTTPServer, TrackedHandler
from tests.support.range_server import RecordedRequest, _parse_range

_BLOCK = 256 * 1024


@dataclass
class HubRepo:
    id: str
    files: dict[str, bytes | Path]
    downloads: int = 0
    likes: int = 0
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Blob:
    payload: bytes | Path
    size: int
    sha256: str
    git_oid: str

    @classmethod
    def of(cls, payload: bytes | Path) -> _Blob:
        digest, size = hashlib.sha256(), 0
        if isinstance(payload, Path):
            with payload.open("rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
                    size += len(block)
        else:
            digest.update(payload)
            size = len(payload)
        oid = hashlib.sha1(f"blob {size}\0".encode() + (payload if isinstance(payload, bytes) else b""))
        return cls(payload, size, digest.hexdigest(), oid.hexdigest())

    def read(self, offset: int, n: int) -> bytes:
        if isinstance(self.payload, Path):
            with self.payload.open("rb") as f:
                f.seek(offset)
                return f.read(n)
        return self.payload[offset:offset + n]


class HubServer(LoopbackServer):
    name = "hub server"

    def _handler_class(self) -> type[TrackedHandler]:
        return _Handler  # defined below: looked up when the server starts

    def __init__(self, repos: list[HubRepo]) -> None:
        super().__init__()
        self.repos = {repo.id: repo for repo in repos}
        self.blobs = {(repo.id, name): _Blob.of(payload)
                      for repo in repos for name, payload in repo.files.items()}
        self.requests: list[RecordedRequest] = []

    def sha256(self, repo: str, name: str) -> str:
        return self.blobs[(repo, name)].sha256

    def file_requests(self, name: str) -> list[RecordedRequest]:
        """Requests for a file called ``name`` (in any repo), in order."""
        return [r for r in self.requests if "/resolve/" in r.path and unquote(r.path).endswith("/" + name)]


    # JSON bodies, shaped like the real hub's.

    def _tags(self, repo: HubRepo) -> list[str]:
        tags = list(repo.tags)
        if any(name.lower().endswith(".gguf") for name in repo.files) and "gguf" not in tags:
            tags.append("gguf")
        return tags

    def _summary(self, repo: HubRepo) -> dict[str, Any]:
        return {"_id": hashlib.md5(repo.id.encode()).hexdigest()[:24], "id": repo.id,
                "modelId": repo.id, "likes": repo.likes, "downloads": repo.downloads,
                "trendingScore": 0, "private": False, "tags": self._tags(repo),
                "library_name": "gguf", "createdAt": "2024-11-01T00:00:00.000Z"}

    def search(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        text = (query.get("search") or [""])[0].lower()
        wanted = set(query.get("filter", []))
        hits = [repo for repo in self.repos.values()
                if text in repo.id.lower() and wanted <= set(self._tags(repo))]
        sort = (query.get("sort") or [""])[0]
        if sort in ("downloads", "likes"):
            hits.sort(key=lambda r: getattr(r, sort), reverse=True)
        limit = int((query.get("limit") or ["1000"])[0])
        return [self._summary(repo) for repo in hits[:limit]]

    def info(self, repo: HubRepo, blobs: bool) -> dict[str, Any]:
        siblings: list[dict[str, Any]] = []
        for name in repo.files:
            blob = self.blobs[(repo.id, name)]
            sibling: dict[str, Any] = {"rfilename": name}
            if blobs:
                sibling |= {"blobId": blob.git_oid, "size": blob.size}
                if name.lower().endswith(".gguf"):
                    sibling["lfs"] = {"sha256": blob.sha256, "size": blob.size, "pointerSize": 134}
            siblings.append(sibling)
        return self._summary(repo) | {
            "author": repo.id.split("/")[0], "sha": "0" * 40, "disabled": False, "gated": False,
            "lastModified": "2024-11-01T00:00:00.000Z", "siblings": siblings,
        }


class _Handler(TrackedHandler):
    server: OwnedHTTPServer

    def do_GET(self) -> None:
        try:
            self._route(body=True)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_HEAD(self) -> None:
        self._route(body=False)

    def _route(self, *, body: bool) -> None:
        owner = self.server.owner
        request = RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        with owner._lock:
            owner.requests.append(request)
        split = urlsplit(self.path)
        path, query = unquote(split.path), parse_qs(split.query)
        if path == "/api/models":
            return self._json(200, owner.search(query), body=body)
        if path.startswith("/api/models/"):
            repo_id = path.removeprefix("/api/models/").split("/revision/")[0]
            repo = owner.repos.get(repo_id)
            if repo is None:
                return self._json(404, {"error": "Repository not found"}, body=body,
                                  headers={"X-Error-Code": "RepoNotFound",
                                           "X-Error-Message": "Repository not found"})
            return self._json(200, owner.info(repo, (query.get("blobs") or [""])[0] == "true"), body=body)
        if "/resolve/" in path:
            repo_id, _, rest = path.lstrip("/").partition("/resolve/")
            name = rest.partition("/")[2]  # after the revision
            blob = owner.blobs.get((repo_id, name))
            if blob is None:
                code = "RepoNotFound" if repo_id not in owner.repos else "EntryNotFound"
                return self._json(404, {"error": "not found"}, body=body, headers={"X-Error-Code": code})
            return self._file(blob, request.range, body=body)
        return self._json(404, {"error": "no such endpoint"}, body=body)

    def _json(self, status: int, data: Any, *, body: bool, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if body:
            self.wfile.write(raw)

    def _file(self, blob: _Blob, range_header: str | None, *, body: bool) -> None:
        size, start, end, status = blob.size, 0, blob.size - 1, 200
        if range_header is not None:
            parsed = _parse_range(range_header, size)
            if parsed is None:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            (start, end), status = parsed, 206
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        self.send_header("ETag", f'"{blob.sha256}"')
        self.send_header("X-Repo-Commit", "0" * 40)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not body:
            return
        sent = 0
        while sent < length:
            if self.server.owner._stopping.is_set():
                self.close_connection = True
                return
            n = min(_BLOCK, length - sent)
            self.wfile.write(blob.read(start + sent, n))
            sent += n
