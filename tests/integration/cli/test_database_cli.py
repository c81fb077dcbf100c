"""The CLI against a damaged, locked or shared database (issue 20), each run as a real
``python -m app`` process on its own data folder: one plain line, never a traceback, the
user's message never lost, and a reply left streaming recovered only when its writer has
ended.

No answer needs a model here: ``ask --offline`` through a router with one remote target
stores the message, then fails at once (no target is available), which is all these
tests need from ``ask``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from app.core.router.library import user_routers_dir
from app.core.store import Store, default_db_path
from tests.unit.core.test_store_damage import damage

ASK_NO_MODEL = ("ask", "--offline", "--router", "Cloud only")
TYPED = "keep me: my carefully typed question"


@pytest.fixture(autouse=True)
def cloud_only_router() -> None:
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cloud-only.json").write_text(json.dumps(
        {"schema": 1, "name": "Cloud only", "fallback": ["openai:gpt-4o-mini"], "rules": []}))


def cli(home: Path, *args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m app ARGS``; ``prelude`` runs first (in-process, before any import)."""
    start = ["-c", f"{prelude}\nimport sys\nfrom app.__main__ import main\nsys.exit(main(sys.argv[1:]))"] \
        if prelude else ["-m", "app"]
    return subprocess.run([sys.executable, *start, *args], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "SWITCHBOARD_HOME": str(home)})


@contextmanager
def child(home: Path, code: str) -> Iterator[subprocess.Popen[str]]:
    """A Python process on the same data folder; it prints 'ready' when set, then waits
    for a line on stdin (or to be killed). Killed, if still running, on the way out."""
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True, env={**os.environ, "SWITCHBOARD_HOME": str(home)}) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            yield proc
        finally:
            proc.kill()
            proc.wait(timeout=30)


def the_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def statuses(db: Path) -> dict[int, str]:
    """Each message's status, read without the Store (which would recover them)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return dict(conn.execute("SELECT id, status FROM messages").fetchall())


# ---- damaged ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["garbage", "header", "truncated", "folder", "page"])
def test_ask_on_a_damaged_database_says_so_in_one_line_and_prints_the_message_back(
        switchboard_home: Path, kind: str) -> None:
    db = default_db_path()
    damage(db, kind)
    before = None if db.is_dir() else db.read_bytes()

    result = cli(switchboard_home, *ASK_NO_MODEL, TYPED)

    line = the_error(result, 2)
    assert f"The chat database {db} is damaged" in line and "Move it aside" in line
    assert f"Your message was not saved: {TYPED}" in result.stderr
    assert (None if db.is_dir() else db.read_bytes()) == before


@pytest.mark.parametrize("kind", ["garbage", "folder", "page"])
def test_history_on_a_damaged_database_is_one_line(switchboard_home: Path, kind: str) -> None:
    damage(default_db_path(), kind)
    for args in (("history",), ("history", "--conversation", "1")):
        assert "is damaged" in the_error(cli(switchboard_home, *args), 2)  # a file to fix, as ask


def test_ask_on_a_database_from_a_newer_switchboard_is_one_line(switchboard_home: Path) -> None:
    db = default_db_path()
    with Store(db):
        pass
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 99")
    result = cli(switchboard_home, *ASK_NO_MODEL, TYPED)
    assert "newer Switchboard" in the_error(result, 2)
    assert f"Your message was not saved: {TYPED}" in result.stderr


# ---- locked ----------------------------------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys
from app.core.store import default_db_path
conn = sqlite3.connect(default_db_path(), isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("ready", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


@contextmanager
def locked_by_another_process(home: Path) -> Iterator[subprocess.Popen[str]]:
    with Store(default_db_path()):
        pass  # a database in WAL mode, as the app leaves it
    with child(home, HOLD_LOCK) as proc:
        yield proc


def test_ask_on_a_locked_database_waits_then_says_so_and_prints_the_message_back(
        switchboard_home: Path) -> None:
    with locked_by_another_process(switchboard_home):
        # The wait shortened from 30 s; each try still waits SQLite's 5 s busy timeout.
        result = cli(switchboard_home, *ASK_NO_MODEL, TYPED,
                     prelude="import app.core.store as s; s.WRITE_WAIT_S = 1.0")
    line = the_error(result, 1)
    assert "The chat database is busy: another program has kept" in line and "Try again" in line
    assert f"Your message was not saved: {TYPED}" in result.stderr
    with Store(default_db_path()) as store:
        assert store.conversations() == []  # no empty chat left behind


def test_ask_keeps_trying_past_the_busy_timeout_and_stores_the_message(switchboard_home: Path) -> None:
    with locked_by_another_process(switchboard_home) as holder:
        assert holder.stdin is not None
        # Released after 7 s: past one busy timeout (5 s), well within the 30 s a run waits.
        release = threading.Timer(7.0, lambda: (holder.stdin.write("\n"), holder.stdin.flush()))
        release.start()
        try:
            result = cli(switchboard_home, *ASK_NO_MODEL, TYPED)
        finally:
            release.cancel()
    assert "Traceback" not in result.stderr and "not saved" not in result.stderr, result.stderr
    with Store(default_db_path()) as store:
        [chat] = store.conversations()
        assert [m.content for m in store.messages(chat.id) if m.role == "user"] == [TYPED]


# ---- text ------------------------------------------------------------------------------


def test_ask_with_undecodable_bytes_stores_the_message(switchboard_home: Path) -> None:
    undecodable = os.fsdecode(b"hello \xff\xfe world")  # what argv holds for those bytes
    result = cli(switchboard_home, *ASK_NO_MODEL, undecodable)
    assert "Traceback" not in result.stderr and "not saved" not in result.stderr, result.stderr
    with Store(default_db_path()) as store:
        [chat] = store.conversations()
        [user] = [m for m in store.messages(chat.id) if m.role == "user"]
        assert user.content == "hello \ufffd\ufffd world"


def test_history_with_a_huge_search_or_id_is_one_line(switchboard_home: Path) -> None:
    assert "at most 1,000 characters" in the_error(cli(switchboard_home, "history", "--search", "a" * 100_000), 2)
    result = cli(switchboard_home, "history", "--conversation", "99999999999999999999")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


# ---- a reply left streaming ------------------------------------------------------------

STREAMING = """
from app.core.store import Store, default_db_path
store = Store(default_db_path())
cid = store.create_conversation()
store.add_message(cid, "user", "question")
mid = store.add_message(cid, "assistant", "half an ans", status="streaming")
print("ready", flush=True)
import sys
sys.stdin.readline()
"""


def streaming_writer(home: Path) -> contextlib.AbstractContextManager[subprocess.Popen[str]]:
    """A process (a window, or an `ask` run) in the middle of streaming a reply."""
    return child(home, STREAMING)


def test_a_reply_left_streaming_by_a_killed_process_is_recovered_by_the_next_cli_run(
        switchboard_home: Path) -> None:
    db = default_db_path()
    with streaming_writer(switchboard_home) as writer:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert statuses(db) == {1: "complete", 2: "streaming"}

    result = cli(switchboard_home, *ASK_NO_MODEL, "--conversation", "1", "and then?")

    assert "Traceback" not in result.stderr, result.stderr
    assert statuses(db)[2] == "incomplete"
    shown = cli(switchboard_home, "history", "--conversation", "1")
    assert "(incomplete): half an ans" in shown.stdout, shown.stdout


def test_a_live_process_s_streaming_reply_is_left_alone_by_other_runs(switchboard_home: Path) -> None:
    db = default_db_path()
    with streaming_writer(switchboard_home):
        for args in (("history", "--conversation", "1"), (*ASK_NO_MODEL, "another chat")):
            result = cli(switchboard_home, *args)
            assert "Traceback" not in result.stderr, result.stderr
            assert statuses(db)[2] == "streaming"
        with Store(db) as store:  # the window opening beside it
            assert store.message(2).status == "streaming"  # type: ignore[union-attr]
    with Store(db) as store:  # its writer has ended now
        assert store.message(2).status == "incomplete"  # type: ignore[union-attr]



@pytest.mark.parametrize("command", [["usage"], ["egress"], ["export", "--conversation", "1"]])
def test_every_command_on_a_damaged_database_is_one_line_and_exit_2(switchboard_home: Path,
                                                                  command: list[str]) -> None:
    damage(default_db_path(), "garbage")
    before = default_db_path().read_bytes()
    assert "is damaged" in the_error(cli(switchboard_home, *command), 2)
    assert default_db_path().read_bytes() == before
