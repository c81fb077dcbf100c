"""Fixtures shared by every test layer, and the real parts integration and GUI tests
use: the bundled GGUF, and llama.cpp's own OpenAI-compatible server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.paths import bundled_models_dir


@pytest.fixture(autouse=True)
def switchboard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data root: no test touches the real home directory."""
    home = tmp_path / "switchboard-home"
    home.mkdir()
    monkeypatch.setenv("SWITCHBOARD_HOME", str(home))
    return home


BUNDLED_NAME = "SmolLM2-135M-Instruct"


@pytest.fixture(scope="session")
def bundled_gguf() -> Path:
    path = bundled_models_dir() / f"{BUNDLED_NAME}.Q4_1.gguf"
    # A missing model is a broken set-up, not a reason to skip: fail loudly.
    assert path.is_file(), f"{path} is missing: run scripts/setup"
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(bundled_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its /v1 base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf),
             "--model_alias", BUNDLED_NAME, "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048"],
            stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
