"""``bench.py download``: our model downloader against a bare httpx streaming loop.

Both fetch the same 256 MB GGUF from ``python -m http.server`` on 127.0.0.1 (its own
process), in alternating rounds. Ours also hashes (sha256), checks the GGUF header,
fsyncs and renames; the baseline only writes the bytes. ``ratio`` = our throughput /
the baseline's (median of per-round ratios); ``peak_rss_growth_mb`` = the highest RSS seen
during our downloads minus the RSS before them (sampled every 5 ms).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

SIZE_MB = 256


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class RssPeak:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_kb())

    def __enter__(self) -> RssPeak:
        self.peak = _rss_kb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _make_gguf(path: Path, size_mb: int) -> str:
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("bench")
    writer.add_tensor("w", np.zeros(size_mb * (1 << 20) // 4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _ours(url: str, dest: Path, sha: str, size: int) -> float:
    from app.core.models.download import DownloadRequest, download

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        await download(DownloadRequest(url, dest, sha, size), client=client)
    return time.perf_counter() - started


async def _bare(url: str, dest: Path) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client, client.stream("GET", url) as response:
        with dest.open("wb") as out:
            async for chunk in response.aiter_raw(1 << 20):
                out.write(chunk)
    return time.perf_counter() - started


def bench_download(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        served = root / "served"
        served.mkdir()
        payload = served / "bench.gguf"
        sha = _make_gguf(payload, SIZE_MB)
        size = payload.stat().st_size
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(served)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/bench.gguf"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.head(url, timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            ours, bare, growth = [], [], 0
            for i in range(rounds):
                target = root / f"ours-{i}.gguf"
                with RssPeak() as rss:
                    before = _rss_kb()
                    ours.append(asyncio.run(_ours(url, target, sha, size)))
                growth = max(growth, rss.peak - before)
                target.unlink()
                copy = root / f"bare-{i}.gguf"
                bare.append(asyncio.run(_bare(url, copy)))
                copy.unlink()
        finally:
            server.terminate()
            server.wait(timeout=10)
    ratios = [b / o for o, b in zip(ours, bare, strict=True)]  # time ratio = throughput ratio inverted
    return {"bench": "download", "size_mb": round(size / (1 << 20)), "rounds": rounds,
            "ours_mb_per_s": round(size / (1 << 20) / statistics.median(ours), 1),
            "baseline_httpx_mb_per_s": round(size / (1 << 20) / statistics.median(bare), 1),
            "ratio": round(statistics.median(ratios), 3),
            "peak_rss_growth_mb": round(growth / 1024, 1),
            "goals": {"ratio": ">= 0.9", "peak_rss_growth_mb": "< 50"}}
