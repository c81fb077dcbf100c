"""``python -m app serve``: headless, on asyncio; says where it listens, answers, and
stops cleanly on Ctrl+C (SIGINT) or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_answers_and_stops_on_a_signal(switchboard_home: Path, stop: signal.Signals) -> None:
    port = free_port()
    env = {**os.environ, "SWITCHBOARD_HOME": str(switchboard_home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert models.status_code == 200
        assert "switchboard/Local only" in {m["id"] for m in models.json()["data"]}
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert f"Switchboard API on http://127.0.0.1:{port}/v1" in err and "no token" in err
    assert "stopped" in err and "Traceback" not in err and out == ""
