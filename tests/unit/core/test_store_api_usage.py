"""v8: usage from the local API server is its own kind. The usage table is rebuilt for
it (SQLite cannot alter a CHECK); rows, ids, links and indexes survive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import app.core.store as store_module
from app.core.store import Store


def test_a_v7_database_keeps_its_usage_and_takes_api_rows(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "switchboard.db"
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 7)
    with Store(path) as v7:
        cid = v7.create_conversation()
        mid = v7.add_message(cid, "assistant", "hi")
        v7.add_usage(conversation_id=cid, message_id=mid, target="local:m", kind="chat",
                     tokens_in=3, tokens_out=2, cost=None)
        v7.add_usage(conversation_id=cid, message_id=None, target="local:m", kind="classifier",
                     tokens_in=5, tokens_out=1, cost=0.5, estimated=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
        with pytest.raises(sqlite3.IntegrityError):  # the old CHECK refuses the new kind
            conn.execute("UPDATE usage SET kind = 'api'")
    conn.close()
    monkeypatch.undo()

    with Store(path) as v8:
        rows = v8.usage_rows()
        assert [(r.id, r.kind, r.message_id, r.tokens_in, r.estimated) for r in rows] == [
            (1, "chat", mid, 3, False), (2, "classifier", None, 5, True)]
        v8.add_usage(conversation_id=None, message_id=None, target="local:m", kind="api",
                     tokens_in=7, tokens_out=4, cost=None)
        assert [r.id for r in v8.usage_rows()] == [1, 2, 3]  # ids keep counting
        v8.delete_conversation(cid)  # the links still unlink, the rows stay
        assert [r.conversation_id for r in v8.usage_rows()] == [None, None, None]
        assert v8.integrity_ok()
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage'")}
        assert {"usage_by_conversation", "usage_by_message"} <= indexes
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE usage SET kind = 'other'")
    conn.close()
