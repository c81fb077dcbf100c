"""A whole session with a sentinel key under the real Secret Service: the key works,
the keyring has it, and it is nowhere in Switchboard's files or output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

pytestmark = pytest.mark.keyring
SENTINEL = "sk-SENTINEL-7d1e0c9b5a4f3e2d1c0b9a8f7e6d5c4b"


def cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "SWITCHBOARD_HOME": str(home)})


def answer(request: RecordedRequest) -> Reply:
    if request.route.endswith("/models"):
        return Reply(200, {"content-type": "application/json"}, [b'{"data": [{"id": "gpt-4o-mini"}]}'])
    delta = {"choices": [{"index": 0, "delta": {"content": "It works."}, "finish_reason": "stop"}]}
    return sse_reply(sse(None, delta), sse(None, "[DONE]"))


def test_sentinel_key_lives_only_in_the_keyring(switchboard_home: Path, tmp_path: Path):
    assert "SecretService" in type(keyring.get_keyring()).__module__ + str(keyring.get_keyring()), \
        "run under scripts/test: a real Secret Service is needed"
    router = tmp_path / "cloud.json"
    router.write_text(json.dumps({"schema": 1, "name": "Cloud", "fallback": ["openai:gpt-4o-mini"],
                                  "rules": []}))
    outputs = []
    try:
        with SSEServer(answer) as server:
            steps = [
                cli(switchboard_home, "providers", "add", "openai", "--base-url", server.url + "/v1"),
                cli(switchboard_home, "keys", "set", "openai", stdin=SENTINEL + "\n"),
                cli(switchboard_home, "providers", "list"),
                cli(switchboard_home, "providers", "test", "openai"),
                cli(switchboard_home, "ask", "--router", str(router), "hello"),
                cli(switchboard_home, "history", "--conversation", "1"),
                cli(switchboard_home, "usage", "--json"),
            ]
        for step in steps:
            assert step.returncode == 0, step.stderr
            outputs += [step.stdout, step.stderr]
        assert "It works." in steps[4].stdout
        assert server.requests[-1].headers["authorization"] == f"Bearer {SENTINEL}"
        assert keyring.get_password("switchboard", "openai") == SENTINEL
    finally:
        if keyring.get_password("switchboard", "openai") is not None:
            keyring.delete_password("switchboard", "openai")

    assert not any(SENTINEL in text for text in outputs)
    leaks = [p for p in switchboard_home.rglob("*") if p.is_file() and SENTINEL.encode() in p.read_bytes()]
    assert leaks == []
    assert (switchboard_home / "switchboard.db").exists() and (switchboard_home / "settings.json").exists()
