"""Example messages' vectors, kept on disk so a router with hundreds of examples loads
at once and only examples added since are embedded.

Keyed by the embedding model file's sha256 and the exact text: a re-downloaded or
renamed copy of the same file reuses the vectors, a different model never does.
Hashing a model file takes a while, so each (path, size, mtime) is hashed once and
remembered, in memory and in the same file. The cache is disposable: a broken or
unwritable file only costs re-embedding, never a routing decision.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import ClassVar

import numpy as np

from app.core.paths import data_dir

log = logging.getLogger(__name__)
Vector = np.ndarray  # float32, unit length

_SCHEMA = """
CREATE TABLE IF NOT EXISTS model_files (
    path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (path, size, mtime_ns));
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, text));
"""


def default_cache_path() -> Path:
    return data_dir() / "cache" / "embeddings.sqlite3"


class EmbeddingCache:
    """Thread-safe: the example classifier calls it from worker threads (``asyncio.to_thread``)."""

    _shared: ClassVar[dict[Path, EmbeddingCache]] = {}
    _shared_lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._vectors: dict[tuple[str, str], Vector] = {}
        self._ready = False

    @classmethod
    def shared(cls) -> EmbeddingCache:
        """One cache per data directory, so its memory outlives a single decision."""
        path = default_cache_path()
        with cls._shared_lock:
            return cls._shared.setdefault(path, cls(path))

    # ---- model files ---------------------------------------------------------------

    def known_key(self, model_file: Path) -> str | None:
        """The file's hash if it was hashed in this process and has not changed since."""
        return self._hashes.get(_identity(model_file))

    def model_key(self, model_file: Path) -> str:
        """The sha256 of the model file; slow the first time for a file, so not on the event loop."""
        identity = _identity(model_file)
        if identity in self._hashes:
            return self._hashes[identity]
        row = self._query("SELECT sha256 FROM model_files WHERE path = ? AND size = ? AND mtime_ns = ?",
                          identity)
        digest = str(row[0][0]) if row else _sha256(model_file)
        if not row:
            self._write("INSERT OR REPLACE INTO model_files VALUES (?, ?, ?, ?)", [(*identity, digest)])
        self._hashes[identity] = digest
        return digest

    # ---- vectors -------------------------------------------------------------------

    def remembered(self, model: str, texts: Iterable[str]) -> dict[str, Vector]:
        """The vectors already in memory; no disk access, so safe on the event loop."""
        found = {}
        for text in texts:
            vector = self._vectors.get((model, text))
            if vector is not None:
                found[text] = vector
        return found

    def load(self, model: str, texts: Sequence[str]) -> dict[str, Vector]:
        """The vectors on disk (or in memory) for these texts; missing ones are left out."""
        found = self.remembered(model, texts)
        wanted = [t for t in dict.fromkeys(texts) if t not in found]
        for start in range(0, len(wanted), 500):  # SQLite's limit on ? parameters
            chunk = wanted[start:start + 500]
            rows = self._query(f"SELECT text, vector FROM embeddings WHERE model = ? AND text IN "
                               f"({', '.join('?' * len(chunk))})", (model, *chunk))
            for text, blob in rows:
                assert isinstance(text, str) and isinstance(blob, bytes)
                found[text] = self._vectors[(model, text)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def store(self, model: str, vectors: Mapping[str, Sequence[float] | Vector]) -> dict[str, Vector]:
        arrays = {text: np.asarray(v, dtype=np.float32) for text, v in vectors.items()}
        for text, array in arrays.items():
            self._vectors[(model, text)] = array
        self._write("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                    [(model, text, array.tobytes()) for text, array in arrays.items()])
        return arrays

    # ---- SQLite --------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5)
        if not self._ready:
            conn.executescript(_SCHEMA)
            self._ready = True
        return conn

    def _query(self, sql: str, params: Sequence[object]) -> list[tuple[object, ...]]:
        try:
            with self._lock, closing(self._connect()) as conn:
                return list(conn.execute(sql, params))
        except (sqlite3.Error, OSError) as exc:
            log.warning("embedding cache %s unreadable (%s); embedding again", self.path, exc)
            return []

    def _write(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        try:
            with self._lock, closing(self._connect()) as conn, conn:
                conn.executemany(sql, rows)
        except (sqlite3.Error, OSError) as exc:
            log.warning("embedding cache %s not written (%s)", self.path, exc)


def _identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
