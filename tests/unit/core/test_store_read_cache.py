"""Opening a chat reads its messages for the view, the lock and the meter: the store reads
them once, and any write (here, or by another program) makes the next read fresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.store import RowNotFoundError, Store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "switchboard.db"


def test_a_second_read_is_the_same_rows_without_asking_sqlite_again(db: Path):
    with Store(db) as store:
        cid = store.create_conversation("chat")
        store.add_message(cid, "user", "hello")
        first = store.messages(cid)
        again = store.messages(cid)
        assert again == first and again is not first  # a list of its own to keep
        assert again[0] is first[0]  # the same frozen rows: nothing was read twice


def test_every_kind_of_write_here_is_seen_by_the_next_read(db: Path):
    with Store(db) as store:
        cid = store.create_conversation("chat")
        mid = store.add_message(cid, "user", "hello")
        assert [m.content for m in store.messages(cid)] == ["hello"]
        store.update_message(mid, content="hello again")
        assert [m.content for m in store.messages(cid)] == ["hello again"]
        reply = store.add_message(cid, "assistant", "hi")
        assert [m.id for m in store.messages(cid)] == [mid, reply]
        store.delete_messages_after(cid, mid)
        assert [m.id for m in store.messages(cid)] == [mid]
        other = store.create_conversation("other")
        store.add_message(other, "user", "elsewhere")
        assert [m.content for m in store.messages(other)] == ["elsewhere"]
        assert [m.content for m in store.messages(cid)] == ["hello again"]


def test_a_write_by_another_program_is_seen_too(db: Path):
    with Store(db) as window, Store(db) as cli:
        cid = window.create_conversation("chat")
        window.add_message(cid, "user", "from the window")
        assert len(window.messages(cid)) == 1
        cli.add_message(cid, "assistant", "from `switchboard ask`")
        assert [m.content for m in window.messages(cid)] == ["from the window", "from `switchboard ask`"]


def test_a_failed_write_leaves_no_stale_read(db: Path):
    with Store(db) as store:
        cid = store.create_conversation("chat")
        store.add_message(cid, "user", "kept")
        store.messages(cid)
        with pytest.raises(RowNotFoundError):
            store.add_message(cid + 99, "user", "no such chat")
        assert [m.content for m in store.messages(cid)] == ["kept"]


def test_a_write_elsewhere_in_the_file_keeps_the_read(db: Path):
    with Store(db) as store:
        cid = store.create_conversation("chat")
        store.add_message(cid, "user", "hello")
        first = store.messages(cid)
        store.set_setting("theme", "dark")  # opening a chat saves which one it was, say
        store.rename_conversation(cid, "renamed")
        assert store.messages(cid)[0] is first[0]


def test_deleting_the_chat_is_seen(db: Path):
    with Store(db) as store:
        cid = store.create_conversation("chat")
        store.add_message(cid, "user", "hello")
        assert store.messages(cid)
        store.delete_conversation(cid)  # its messages go by cascade
        assert store.messages(cid) == []
