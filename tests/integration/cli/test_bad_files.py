"""Bad files in the data folder, as an unlucky user or an attacker leaves them: each is
one plain line (exit 2) where it is asked for, and spoils nothing else.

Every case runs the real command in its own process with its own data folder; a FIFO
that would block a read shows up as the timeout, not as a hung test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.router.library import user_routers_dir
from app.core.settings import Settings

ROUTE_LOCAL = ("route", "--router", "Local only", "--message", "hello", "--json")


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "SWITCHBOARD_HOME": str(home)})


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def routes_fine(home: Path) -> None:
    result = cli(home, *ROUTE_LOCAL)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["target"].startswith("local:")


def put_router(name: str, text: str) -> Path:
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(text, encoding="utf-8")
    return path


def router_text(**extra: object) -> str:
    router = {"schema": 1, "name": "Mine", "fallback": ["local:SmolLM2-135M-Instruct"], "rules": []}
    return json.dumps({**router, **extra})


@pytest.mark.parametrize("depth", [1_000, 10_000])
def test_a_deeply_nested_router_is_one_line_and_breaks_no_other(switchboard_home: Path, depth: int):
    put_router("deep", '{"schema": 1, "name": "Deep", "fallback": ["local:x"], "rules": '
               + "[" * depth + "]" * depth + "}")
    routes_fine(switchboard_home)
    one_line_error(cli(switchboard_home, "route", "--router", "deep", "--message", "hi"),
                   "deep.json", "nested more than")


def test_a_router_with_a_giant_number_is_one_line(switchboard_home: Path):
    put_router("huge", router_text(sticky={"messages": 1}).replace(": 1}", ": " + "9" * 5000 + "}"))
    routes_fine(switchboard_home)
    one_line_error(cli(switchboard_home, "route", "--router", "huge", "--message", "hi"),
                   "huge.json", "5000 digits")


@pytest.mark.parametrize(("text", "words"), [
    (router_text(schema=True), ("schema", "expected 1")),
    (router_text(sticky={"minutes": "NaN"}).replace('"NaN"', "NaN"), ("NaN",)),
    (router_text(sticky={"minutes": 1}).replace(": 1}", ": 1e400}"), ("1e400",)),
])
def test_values_json_should_not_hold_are_refused(switchboard_home: Path, text: str,
                                                 words: tuple[str, ...]):
    path = put_router("odd", text)
    one_line_error(cli(switchboard_home, "route", "--router", str(path), "--message", "hi"), *words)


def test_a_fifo_named_like_a_router_blocks_nothing(switchboard_home: Path):
    folder = user_routers_dir()
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe.json")
    routes_fine(switchboard_home)
    one_line_error(cli(switchboard_home, "route", "--router", "pipe", "--message", "hi"),
                   "pipe.json", "named pipe")


def test_a_fifo_named_like_a_model_blocks_nothing(switchboard_home: Path):
    folder = switchboard_home / "models"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "Pipe.gguf")
    listed = cli(switchboard_home, "models", "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert "SmolLM2-135M-Instruct" in listed.stdout
    routes_fine(switchboard_home)


@pytest.mark.parametrize("content", [
    "[" * 10_000 + "]" * 10_000,
    '{"offline": ' + "[" * 10_000 + "]" * 10_000 + "}",
    '{"local": {"n_ctx": ' + "9" * 5000 + "}}",
])
def test_any_bad_settings_file_is_set_aside_with_one_warning(switchboard_home: Path, content: str):
    settings = switchboard_home / "settings.json"
    settings.write_text(content, encoding="utf-8")
    result = cli(switchboard_home, *ROUTE_LOCAL)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "settings" in line.lower()]
    assert len(warnings) == 1 and "settings.json.broken-" in warnings[0], result.stderr
    kept = list(switchboard_home.glob("settings.json.broken-*"))
    assert [p.read_text(encoding="utf-8") for p in kept] == [content]  # the user's file, intact


def test_a_fifo_as_settings_uses_defaults(switchboard_home: Path):
    os.mkfifo(switchboard_home / "settings.json")
    assert Settings.load().problem is not None
    routes_fine(switchboard_home)


@pytest.mark.parametrize("args", [
    ("history", "--conversation", "99999999999999999999"),
    ("ask", "--conversation", "99999999999999999999", "hi"),
    ("export", "--conversation", "-3"),
])
def test_an_impossible_conversation_number_is_refused(switchboard_home: Path, args: tuple[str, ...]):
    result = cli(switchboard_home, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "is not a conversation number" in result.stderr


def test_a_router_name_too_long_for_a_path_is_no_such_router(switchboard_home: Path):
    line = one_line_error(cli(switchboard_home, "route", "--router", "r" * 300, "--message", "hi"),
                          "no router called", "300 characters")
    assert len(line) < 300


def test_a_router_named_with_a_page_of_text_is_refused_in_one_line(switchboard_home: Path):
    path = put_router("long", router_text(name="N" * 300))
    routes_fine(switchboard_home)
    one_line_error(cli(switchboard_home, "route", "--router", str(path), "--message", "hi"),
                   "name: may be at most 100 characters long (this one has 300)")
