"""The local model in a real ``ask`` run, with what an unlucky user leaves in the data
folder: an absurd context length in settings.json, a reply limit, a truncated copy of
the bundled model. Each runs the real command in its own process and data folder."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.paths import models_dir

pytestmark = pytest.mark.model
MEMORY_CAP = 4 << 30  # an allocation for 1e12 tokens of context hits this, not the machine
LONG = "Write a long story about a dragon who learns to bake bread."


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=300, check=False, preexec_fn=cap_memory,
                          env={**os.environ, "SWITCHBOARD_HOME": str(home)})


def write_settings(home: Path, **values: object) -> None:
    (home / "settings.json").write_text(json.dumps({"schema": 1, **values}))


def test_an_absurd_context_length_in_settings_still_answers(switchboard_home: Path):
    write_settings(switchboard_home, local={"n_ctx": 1_000_000_000_000}, reply_limit_tokens=4)
    result = cli(switchboard_home, "ask", "--offline", "Say hi.")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and result.stdout.strip()


def test_the_reply_limit_in_settings_cuts_a_long_reply_and_says_so(switchboard_home: Path):
    write_settings(switchboard_home, reply_limit_tokens=8)
    result = cli(switchboard_home, "ask", "--offline", LONG)
    assert result.returncode == 0, result.stderr
    done = result.stderr.strip().splitlines()[-1]
    assert " · 8 tokens · " in done, done
    assert done.endswith(" · Cut off: the reply reached its limit of 8 tokens (change it in Settings → Chats).")


def test_a_truncated_copy_named_like_the_bundled_model_does_not_shadow_it(switchboard_home: Path,
                                                                        bundled_gguf: Path):
    models_dir().mkdir(parents=True)
    copy = models_dir() / bundled_gguf.name
    with bundled_gguf.open("rb") as whole, copy.open("wb") as cut:
        cut.write(whole.read(bundled_gguf.stat().st_size // 2))  # a download that stopped halfway
    write_settings(switchboard_home, reply_limit_tokens=4)
    answered = cli(switchboard_home, "ask", "--offline", "--router", "Local only", "Say hi.")
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.strip() and "local:SmolLM2-135M-Instruct" in answered.stderr
    listed = cli(switchboard_home, "models", "list")
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.startswith("SmolLM2-135M-Instruct ")]
    assert len(lines) == 2, listed.stdout
    assert "[bundled]" in lines[0]  # the one that answers, first
    assert "unusable: SmolLM2-135M-Instruct.Q4_1.gguf is incomplete" in lines[1]
    assert lines[1].endswith("(was the download interrupted?); the bundled copy is used instead")
