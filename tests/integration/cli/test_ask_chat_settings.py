"""`ask` stores chat settings with the conversation, reports reading progress only on a
terminal, and its exit code tells a failed answer (1) from a stop (130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from app.core.providers.config import ProviderConfig
from app.core.settings import ProviderSettings, Settings
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "SWITCHBOARD_HOME": str(home)})


def use_cloud(url: str) -> None:
    provider = ProviderSettings(ProviderConfig("cloud", "openai", url + "/v1", key_required=False), ("m",))
    replace(Settings.load(), providers=(provider,)).save()


def answer(request: RecordedRequest) -> Reply:
    return sse_reply(openai_chunk("Noted."), sse(None, "[DONE]"))


def conversation_of(stderr: str) -> str:
    return stderr.rsplit("conversation ", 1)[1].split()[0]


def test_chat_settings_from_the_command_line_are_sent_and_kept(switchboard_home: Path):
    with SSEServer(answer) as cloud:
        use_cloud(cloud.url)
        first = cli(switchboard_home, "ask", "--model", "cloud:m", "--system", "Answer in one word.",
                    "--temperature", "0.3", "--top-p", "0.9", "--max-tokens", "7", "hi")
        assert first.returncode == 0, first.stderr
        assert "→ cloud:m · the model you chose" in first.stderr
        assert "Reading the conversation" not in first.stderr  # not a terminal
        again = cli(switchboard_home, "ask", "--conversation", conversation_of(first.stderr), "and again")
        assert again.returncode == 0, again.stderr
    for request in cloud.requests:
        body = request.json
        assert body["model"] == "m"
        assert body["messages"][0] == {"role": "system", "content": "Answer in one word."}
        assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.3, 0.9, 7)
    assert len(cloud.requests) == 2


def test_a_bad_chat_setting_is_one_line_and_exit_2(switchboard_home: Path):
    done = cli(switchboard_home, "ask", "--temperature", "5", "hi")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Temperature" in done.stderr
    done = cli(switchboard_home, "ask", "--model", "gpt-4o", "hi")
    assert done.returncode == 2 and "not a model" in done.stderr


def test_nothing_answering_exits_1(switchboard_home: Path, tmp_path: Path):
    use_cloud("http://127.0.0.1:9")  # nothing listens on the discard port
    router = tmp_path / "dead.json"
    router.write_text(json.dumps({"schema": 1, "name": "Dead end", "fallback": ["cloud:m"], "rules": []}))
    done = cli(switchboard_home, "ask", "--router", str(router), "hi")
    assert done.returncode == 1, done.stderr
    assert "error:" in done.stderr and "Cannot reach cloud" in done.stderr


def test_ctrl_c_stops_keeps_the_partial_reply_and_exits_130(switchboard_home: Path):
    def slow(request: RecordedRequest) -> Reply:
        return sse_reply(openai_chunk("The first words"), 30.0, openai_chunk(" never sent"), sse(None, "[DONE]"))

    with SSEServer(slow) as cloud:
        use_cloud(cloud.url)
        process = subprocess.Popen([sys.executable, "-m", "app", "ask", "--model", "cloud:m", "tell me"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "SWITCHBOARD_HOME": str(switchboard_home)})
        assert process.stdout is not None
        assert process.stdout.read(len("The first words")) == "The first words"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "stopped" in err
    history = cli(switchboard_home, "history", "--conversation", conversation_of(err))
    assert "The first words" in history.stdout
