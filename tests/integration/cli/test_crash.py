"""kill -9 the CLI while it streams from the local model: nothing the user wrote, and
no checkpointed text, may be lost, and the database must stay sound."""

from __future__ import annotations

import os
from contextlib import closing
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.store import Store, default_db_path

pytestmark = pytest.mark.model
PROMPT = "Write a long story about a lighthouse keeper and a storm, in many paragraphs."


def checkpointed_reply(db: Path) -> str:
    """The streaming reply's saved text, read without the Store (which would recover it)."""
    if not db.exists():
        return ""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as con:
            row = con.execute("SELECT content FROM messages WHERE role = 'assistant' "
                              "AND status = 'streaming'").fetchone()
    except sqlite3.OperationalError:  # the app is still creating its tables
        return ""
    return row[0] if row else ""


def test_kill_9_while_streaming_keeps_the_message_and_the_checkpoint(switchboard_home: Path):
    db = default_db_path()
    log = switchboard_home.parent / "ask.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app", "ask", "--offline", PROMPT],
                                stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "SWITCHBOARD_HOME": str(switchboard_home)})
    try:
        deadline = time.monotonic() + 120
        while not checkpointed_reply(db):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no checkpoint was written"
            time.sleep(0.2)
        saved = checkpointed_reply(db)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    with Store(db) as store:  # the app opening again after the crash
        assert store.integrity_ok()
        [conversation] = store.conversations()
        user, reply = store.messages(conversation.id)
        assert (user.role, user.content, user.status) == ("user", PROMPT, "complete")
        assert reply.status == "incomplete"
        assert reply.content.startswith(saved) and len(saved) > 0
