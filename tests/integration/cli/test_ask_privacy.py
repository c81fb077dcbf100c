"""`ask` keeps a protected conversation on this computer, as the window does (one path):
after a message with an email, a later code question that would go to the cloud stays
local, the loopback "cloud" receives nothing, and `egress` says nothing left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.providers.config import ProviderConfig
from app.core.settings import ProviderSettings, Settings
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

pytestmark = pytest.mark.model
EMAIL = "jane.doe@example.com"


def answer(request: RecordedRequest) -> Reply:
    return sse_reply(openai_chunk("From the cloud."), sse(None, "[DONE]"))


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if args[0] == "ask":
        args = ("ask", "--max-tokens", "4", *args[1:])
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "SWITCHBOARD_HOME": str(home)})


def test_a_protected_conversation_stays_local_from_the_cli(switchboard_home: Path):
    with SSEServer(answer) as cloud:
        provider = ProviderSettings(ProviderConfig("openai", "openai", cloud.url + "/v1", key_required=False))
        replace(Settings.load(), providers=(provider,)).save()

        first = cli(switchboard_home, "ask", "--router", "Save money", f"My email is {EMAIL}")
        assert first.returncode == 0, first.stderr
        assert "rule “Private data stays local”" in first.stderr
        cid = next(w for w in first.stderr.split() if w.isdigit() and f"conversation {w}" in first.stderr)

        code = "```python\nprint('hello')\n```\nWhat does this print?"
        second = cli(switchboard_home, "ask", "--router", "Save money", "--conversation", cid, code)
        assert second.returncode == 0, second.stderr
        assert "→ local:SmolLM2-135M-Instruct" in second.stderr
        assert cloud.requests == []  # the code rule's cloud target was closed to this chat

        locked = cli(switchboard_home, "ask", "--router", "Save money", "--local-only", code)
        assert locked.returncode == 0 and "→ local:" in locked.stderr and cloud.requests == []

        fresh = cli(switchboard_home, "ask", "--router", "Save money", code)
        assert fresh.returncode == 0 and "→ openai:gpt-4o-mini" in fresh.stderr
        assert "From the cloud." in fresh.stdout and len(cloud.requests) == 1

    report = json.loads(cli(switchboard_home, "egress", "--json").stdout)
    assert len(report["requests"]) == 1 and report["requests"][0]["target"] == "openai:gpt-4o-mini"
    assert EMAIL not in json.dumps(report)
    per_chat = cli(switchboard_home, "egress", "--conversation", cid)
    assert per_chat.returncode == 0 and "Nothing was sent off this computer" in per_chat.stdout
