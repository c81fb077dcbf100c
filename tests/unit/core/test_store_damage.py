"""The store against bad database files and bad input (issue 20): each is one plain error
naming the file, the file itself is never changed, and no input raises past the store.

Real SQLite files, damaged the way disks, crashes and people damage them."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.store import (
    MAX_SEARCH_CHARS,
    DatabaseDamaged,
    DatabaseTooNew,
    RowNotFoundError,
    Store,
    default_db_path,
    set_aside,
)

HUGE = 99999999999999999999  # beyond SQLite's 64-bit integers


@pytest.fixture
def db_path() -> Path:
    path = default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def filled(path: Path, messages: int = 300) -> bytes:
    """A healthy database with one long chat, checkpointed into the main file."""
    with Store(path) as store:
        cid = store.create_conversation("A long chat")
        for i in range(messages):
            store.add_message(cid, "user", f"message {i} " * 20)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes()


def damage(path: Path, kind: str) -> None:
    if kind == "folder":
        path.mkdir()
        return
    if kind == "garbage":
        path.write_bytes(os.urandom(8192))
        return
    data = bytearray(filled(path))
    if kind == "header":
        data[:100] = b"\xff" * 100
    elif kind == "truncated":
        data = data[: len(data) // 2 + 100]
    elif kind == "page":  # a b-tree page of message rows, far from the schema
        middle = len(data) // 4096 // 2 * 4096
        data[middle: middle + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


def snapshot(path: Path) -> bytes | None:
    return None if path.is_dir() else path.read_bytes()


@pytest.mark.parametrize("kind", ["garbage", "header", "truncated", "folder", "page"])
def test_a_damaged_database_is_one_line_naming_the_file_and_stays_as_it_was(db_path: Path, kind: str) -> None:
    damage(db_path, kind)
    before = snapshot(db_path)
    with pytest.raises(DatabaseDamaged) as raised:
        Store(db_path)
    words = str(raised.value)
    assert "\n" not in words
    assert words.startswith(f"The chat database {db_path} is damaged (")
    assert "Move it aside" in words and "restore a backup" in words
    assert snapshot(db_path) == before  # never written to, overwritten or deleted


def test_damage_met_by_a_later_read_is_database_damaged(db_path: Path) -> None:
    filled(db_path, messages=600)
    store = Store(db_path)
    try:
        # Another program scribbles over the message pages while the store is open; with
        # no page cache, the store reads them from the disk as they now are.
        store._conn.execute("PRAGMA cache_size = 1")
        data = bytearray(db_path.read_bytes())
        for page in range(len(data) // 4096 // 3, len(data) // 4096):
            data[page * 4096: page * 4096 + 64] = b"\xff" * 64
        with open(db_path, "r+b") as f:
            f.write(bytes(data))
        with pytest.raises(DatabaseDamaged, match="is damaged"):
            store.messages(1)
    finally:
        store.close()


def test_a_database_from_a_newer_switchboard_is_one_line(db_path: Path) -> None:
    filled(db_path, messages=1)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(DatabaseTooNew, match="newer Switchboard") as raised:
        Store(db_path)
    assert "\n" not in str(raised.value)


def test_a_named_pipe_in_place_of_the_database_is_refused_without_blocking(db_path: Path) -> None:
    os.mkfifo(db_path)
    with pytest.raises(DatabaseDamaged, match="named pipe"):
        Store(db_path)


def test_text_with_lone_surrogates_is_stored_with_replacement_characters(db_path: Path) -> None:
    undecodable = "hello \udcff\udcfe world"  # how Python passes argv bytes that are not UTF-8
    with Store(db_path) as store:
        cid = store.create_conversation(title=undecodable, router="\ud800router")
        mid = store.add_message(cid, "user", undecodable, attachments=[{"name": "\udcff.png"}])
        store.update_message(mid, error="bad \udcff")
        store.set_setting("state.\udcff", {"k\ud800": "v\udfff"})
        row = store.message(mid)
        assert row is not None and row.content == "hello \ufffd\ufffd world"
        assert row.attachments == [{"name": "\ufffd.png"}] and row.error == "bad \ufffd"
        conversation = store.conversation(cid)
        assert conversation is not None and conversation.title == row.content
        assert store.get_setting("state.\ufffd") == {"k\ufffd": "v\ufffd"}
        assert [c.id for c in store.conversations(search="hello \udcff")] == [cid]


@pytest.mark.parametrize("bad_id", [HUGE, -HUGE, 2**63])
def test_an_id_beyond_sqlite_integers_names_no_row(db_path: Path, bad_id: int) -> None:
    with Store(db_path) as store:
        cid = store.create_conversation()
        store.add_message(cid, "user", "kept")
        assert store.conversation(bad_id) is None
        assert store.messages(bad_id) == [] and store.message(bad_id) is None
        assert store.sticky(bad_id) is None and store.lock(bad_id) is None
        assert store.summary(bad_id) is None and store.chat_settings(bad_id).to_json() == {}
        assert store.usage_rows(bad_id) == [] and store.egress_rows(bad_id) == []
        with pytest.raises(RowNotFoundError):
            store.add_message(bad_id, "user", "x")
        with pytest.raises(RowNotFoundError):
            store.update_message(bad_id, content="x")
        with pytest.raises(RowNotFoundError):
            store.rename_conversation(bad_id, "x")
        store.delete_conversation(bad_id)
        store.delete_messages_after(cid, bad_id)
        assert [m.content for m in store.messages(cid)] == ["kept"]


@pytest.mark.parametrize("needle", ["a" * 100_000, "%" * 100_000, "ü" * 100_000])
def test_a_huge_search_looks_for_its_first_characters(db_path: Path, needle: str) -> None:
    with Store(db_path) as store:
        cid = store.create_conversation()
        store.add_message(cid, "user", needle[:MAX_SEARCH_CHARS] + " and more")
        other = store.create_conversation()
        store.add_message(other, "user", "nothing like it")
        assert [c.id for c in store.conversations(search=needle)] == [cid]


def test_set_aside_renames_the_database_and_its_wal_and_never_overwrites(db_path: Path) -> None:
    damage(db_path, "garbage")
    data = db_path.read_bytes()
    wal = Path(f"{db_path}-wal")
    wal.write_bytes(b"wal frames")
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    taken = db_path.with_name(f"{db_path.name}.damaged-20260304-050607")
    taken.write_bytes(b"an earlier one")  # the name a first move would take

    kept = set_aside(db_path, clock=lambda: moment)

    assert kept.name == f"{db_path.name}.damaged-20260304-050607-2"
    assert kept.read_bytes() == data and Path(f"{kept}-wal").read_bytes() == b"wal frames"
    assert taken.read_bytes() == b"an earlier one"
    assert not db_path.exists() and not wal.exists()
    with Store(db_path) as fresh:  # and a new database starts where it was
        assert fresh.conversations() == []


def test_set_aside_moves_a_folder_in_the_database_s_place(db_path: Path) -> None:
    damage(db_path, "folder")
    (db_path / "inside").write_text("kept")
    kept = set_aside(db_path)
    assert (kept / "inside").read_text() == "kept" and not db_path.exists()
