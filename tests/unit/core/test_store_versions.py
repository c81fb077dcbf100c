"""v9: a reply keeps every version Regenerate wrote, one of them chosen; single messages
are deleted and put back (Undo) exactly as they were."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import app.core.store as store_module
from app.core.router.trace import TraceEntry
from app.core.store import RowNotFoundError, Store, StoreError


def _chat(store: Store) -> tuple[int, int, int]:
    cid = store.create_conversation("Versions")
    user = store.add_message(cid, "user", "Name a colour.")
    reply = store.add_message(cid, "assistant", "Red.", target="local:m", rule="r",
                              trace=[TraceEntry("r", True, "why")], reason="Routed because")
    store.update_message(reply, tokens_in=5, tokens_out=2, cost=0.25, latency_ms=40.0)
    return cid, user, reply


def _finish(store: Store, mid: int, text: str) -> None:
    store.update_message(mid, content=text, status="complete", target="local:n")


def test_a_v8_database_opens_at_v9_with_everything_kept(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "switchboard.db"
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 8)
    with Store(path) as v8:
        cid, user, reply = _chat(v8)
        v8.update_message(reply, error="Cut off: the reply reached its limit of 6 tokens.")
        v8.add_usage(conversation_id=cid, message_id=reply, target="local:m", kind="chat",
                     tokens_in=5, tokens_out=2, cost=0.25)
        v8.set_setting("window", {"width": 900})
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 8
        before = conn.execute("SELECT * FROM messages ORDER BY id").fetchall()
    conn.close()
    monkeypatch.undo()

    with Store(path) as v9:
        rows = v9.messages(cid)
        assert [(m.id, m.content, m.version, m.versions) for m in rows] == [
            (user, "Name a colour.", 1, 1), (reply, "Red.", 1, 1)]
        assert rows[1].trace == (TraceEntry("r", True, "why"),)
        assert (rows[1].tokens_out, rows[1].cost, rows[1].error) == (
            2, 0.25, "Cut off: the reply reached its limit of 6 tokens.")
        assert [u.message_id for u in v9.usage_rows()] == [reply]
        assert v9.get_setting("window") == {"width": 900}
        assert v9.integrity_ok()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 9
        after = conn.execute("SELECT * FROM messages ORDER BY id").fetchall()
    conn.close()
    assert [row[:-1] for row in after] == before  # every column as it was, plus version 1
    assert {row[-1] for row in after} == {1}


def test_regenerating_keeps_the_old_version_and_choosing_one_is_remembered(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.db"
    with Store(path) as store:
        cid, _user, reply = _chat(store)
        store.new_version(reply)
        streaming = store.message(reply)
        assert streaming is not None
        assert (streaming.content, streaming.status, streaming.version, streaming.versions) == (
            "", "streaming", 2, 2)
        assert streaming.tokens_out is None and streaming.target is None  # nothing of v1 left on it
        _finish(store, reply, "Blue.")
        assert [(m.content, m.version, m.versions) for m in store.messages(cid)][1] == ("Blue.", 2, 2)

        first = store.choose_version(reply, 1)
        assert (first.content, first.version, first.versions, first.target) == ("Red.", 1, 2, "local:m")
        assert (first.tokens_out, first.cost, first.reason) == (2, 0.25, "Routed because")
    with Store(path) as reopened:  # remembered
        assert [m.content for m in reopened.messages(cid)] == ["Name a colour.", "Red."]
        assert reopened.choose_version(reply, 2).content == "Blue."
        store_rows = reopened.messages(cid)
        assert len(store_rows) == 2  # one row per message, whatever its versions
        with pytest.raises(RowNotFoundError):
            reopened.choose_version(reply, 3)


def test_a_reply_that_failed_with_no_text_is_replaced_not_kept(tmp_path: Path) -> None:
    with Store(tmp_path / "switchboard.db") as store:
        _cid, _user, reply = _chat(store)
        store.new_version(reply)
        store.update_message(reply, status="failed", error="Nothing could answer.")
        store.new_version(reply)  # Retry: the failed attempt is not a version
        _finish(store, reply, "Green.")
        row = store.message(reply)
        assert row is not None and (row.content, row.version, row.versions) == ("Green.", 2, 2)
        store.new_version(reply)
        store.update_message(reply, status="failed", error="Nothing could answer.")
        assert store.choose_version(reply, 1).versions == 2  # left, the empty one is dropped
        with pytest.raises(StoreError, match="still being written"):
            store.new_version(reply)
            store.choose_version(reply, 2)


def test_deleting_takes_every_version_and_restoring_puts_it_all_back(tmp_path: Path) -> None:
    with Store(tmp_path / "switchboard.db") as store:
        cid, user, reply = _chat(store)
        store.add_usage(conversation_id=cid, message_id=reply, target="local:m", kind="chat",
                        tokens_in=5, tokens_out=2, cost=0.25)
        store.new_version(reply)
        _finish(store, reply, "Blue.")
        later = store.add_message(cid, "user", "And another?")
        before = store.messages(cid)

        deleted = store.delete_messages(cid, [user, reply])
        assert deleted.ids == (user, reply)
        assert [m.id for m in store.messages(cid)] == [later]
        assert [u.message_id for u in store.usage_rows()] == [None]  # the cost stays
        assert store._rows("SELECT * FROM reply_versions") == []  # no version outlives its reply

        store.restore_messages(deleted)
        assert store.messages(cid) == before
        assert store.choose_version(reply, 1).content == "Red."
        assert [u.message_id for u in store.usage_rows()] == [reply]
        assert store.add_message(cid, "user", "new") > later  # ids are never reused
        assert store.integrity_ok()


def test_restoring_into_a_deleted_chat_says_so(tmp_path: Path) -> None:
    with Store(tmp_path / "switchboard.db") as store:
        cid, user, _reply = _chat(store)
        deleted = store.delete_messages(cid, [user])
        store.delete_conversation(cid)
        with pytest.raises(RowNotFoundError, match="no conversation"):
            store.restore_messages(deleted)


def test_continuing_reopens_the_reply_with_its_text(tmp_path: Path) -> None:
    with Store(tmp_path / "switchboard.db") as store:
        _cid, _user, reply = _chat(store)
        store.update_message(reply, error="Cut off: the reply reached its limit of 6 tokens.")
        store.reopen_reply(reply)
        row = store.message(reply)
        assert row is not None and (row.content, row.status, row.error) == ("Red.", "streaming", None)
        with pytest.raises(RowNotFoundError):
            store.reopen_reply(reply + 100)
