"""``python -m app export``: the controller's export, on stdout or into a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import main
from app.core.store import Store, default_db_path


@pytest.fixture
def cid() -> int:
    with Store(default_db_path()) as store:
        cid = store.create_conversation("Greetings")
        store.add_message(cid, "user", "hi")
        store.add_message(cid, "assistant", "Hello!", target="local:SmolLM2-135M-Instruct")
    return cid


def test_markdown_on_stdout(capsys: pytest.CaptureFixture[str], cid: int) -> None:
    assert main(["export", "--conversation", str(cid)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Greetings\n") and "Hello!" in out and err == ""


def test_json_into_a_file(capsys: pytest.CaptureFixture[str], cid: int, tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    assert main(["export", "--conversation", str(cid), "--format", "json",
                 "--output", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == f"Exported conversation {cid} to {path}\n"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [m["content"] for m in document["messages"]] == ["hi", "Hello!"]


@pytest.mark.parametrize(("args", "words"), [
    (["--conversation", "999"], "error: there is no conversation 999\n"),
    (["--conversation", "{cid}", "--output", "{missing}/x.md"], "error: cannot write "),
])
def test_bad_input_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str], cid: int,
                                            tmp_path: Path, args: list[str], words: str) -> None:
    filled = [a.format(cid=cid, missing=tmp_path / "missing") for a in args]
    assert main(["export", *filled]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(words) and err.count("\n") == 1


def test_the_command_is_registered(cid: int) -> None:
    proc = subprocess.run([sys.executable, "-m", "app", "export", "--conversation", str(cid),
                           "--format", "json"], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy(), check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["conversation"]["title"] == "Greetings"
