"""The SQLite store: migrations, CRUD, search, crash recovery, WAL and settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

import app.core.store as store_module
from app.core.router.trace import TraceEntry, TraceKind
from app.core.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    DatabaseDamaged,
    RowNotFoundError,
    Store,
    StoreError,
    default_db_path,
)

T = TypeVar("T")
Shape = dict[str, tuple[list[Any], list[Any], list[Any]]]

V1_FIXTURE = Path(__file__).parent / "fixtures" / "store_v1.sql"
START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class TickingClock:
    """A clock that moves one second per reading, so activity order never ties."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def present(row: T | None) -> T:
    assert row is not None
    return row


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "switchboard.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path, clock=TickingClock()) as opened:
        yield opened


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection for looking under the store's hood."""
    return sqlite3.connect(path, isolation_level=None)


def user_version(path: Path) -> int:
    conn = raw(path)
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version
    finally:
        conn.close()


def schema_shape(path: Path) -> Shape:
    """Tables' columns and indexes as SQLite reports them, independent of DDL spelling."""
    conn = raw(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        shape: Shape = {}
        for table in tables:
            shape[table] = (
                list(conn.execute(f"PRAGMA table_info({table})")),
                sorted(conn.execute(f"PRAGMA index_list({table})")),
                list(conn.execute(f"PRAGMA foreign_key_list({table})")),
            )
        return shape
    finally:
        conn.close()


def write_v1_db(path: Path) -> None:
    conn = raw(path)
    try:
        conn.executescript(V1_FIXTURE.read_text(encoding="utf-8"))
    finally:
        conn.close()


# ---- opening and migrations -------------------------------------------------------------


def test_a_new_database_is_created_at_the_latest_schema(db_path: Path) -> None:
    with Store(db_path):
        pass
    assert user_version(db_path) == SCHEMA_VERSION >= 2
    assert {"conversations", "messages", "usage", "settings"} <= set(schema_shape(db_path))


def test_connection_is_wal_with_foreign_keys_normal_sync_and_a_busy_timeout(store: Store) -> None:
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_default_path_lives_under_switchboard_home(switchboard_home: Path) -> None:
    path = default_db_path()
    assert path == switchboard_home / "switchboard.db"
    with Store(path) as opened:
        assert opened.integrity_ok()
    assert path.is_file()


def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    with Store(tmp_path / "a" / "b" / "switchboard.db"):
        pass
    assert (tmp_path / "a" / "b" / "switchboard.db").is_file()


def test_a_v1_database_with_data_migrates_to_the_latest_schema(
    db_path: Path, tmp_path: Path
) -> None:
    write_v1_db(db_path)
    assert user_version(db_path) == 1

    with Store(db_path) as opened:
        assert [c.title for c in opened.conversations()] == ["Über Bäume", "Trip to Lisbon"]
        lisbon = opened.messages(1)
        assert [m.content for m in lisbon] == ["Plan three days in Lisbon", "Day 1: Alfama…"]
        assert lisbon[1].trace == (TraceEntry("long_context", True, "6200 > 6000 tokens"),)
        assert (lisbon[1].tokens_in, lisbon[1].cost, lisbon[1].ttft_ms) == (6200, 0.00112, 410.0)
        assert opened.messages(2)[0].attachments == [{"kind": "image"}]
        [usage] = opened.usage_rows()
        assert (usage.kind, usage.message_id, usage.estimated) == ("chat", 2, False)
        assert opened.get_setting("window") == {"width": 1200, "height": 800}
        assert opened.integrity_ok()
        # The v1 file's ids keep counting up: nothing is reused.
        assert opened.create_conversation() == 3

    assert user_version(db_path) == SCHEMA_VERSION
    fresh = tmp_path / "fresh.db"
    with Store(fresh):
        pass
    assert schema_shape(db_path) == schema_shape(fresh)


def test_a_v1_reply_left_streaming_is_recovered_after_migration(db_path: Path) -> None:
    write_v1_db(db_path)
    with Store(db_path) as opened:
        reply = opened.message(4)
    assert reply is not None
    assert (reply.status, reply.content) == ("incomplete", "Eine Eiche ist")


def test_a_database_from_a_newer_switchboard_is_refused_untouched(db_path: Path) -> None:
    with Store(db_path):
        pass
    conn = raw(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(StoreError, match="written by a newer Switchboard"):
        Store(db_path)
    assert user_version(db_path) == SCHEMA_VERSION + 1


def test_a_failing_migration_rolls_back_and_keeps_the_previous_version(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(db_path):
        pass
    broken = ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL")
    monkeypatch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)

    with pytest.raises(StoreError, match=f"schema v{SCHEMA_VERSION + 1} failed"):
        Store(db_path)
    assert user_version(db_path) == SCHEMA_VERSION
    assert "half_done" not in schema_shape(db_path)


def test_a_file_that_is_not_a_database_is_a_store_error(db_path: Path) -> None:
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="is damaged"):
        Store(db_path)


def test_store_closes_as_a_context_manager_and_close_is_idempotent(db_path: Path) -> None:
    with Store(db_path) as opened:
        pass
    with pytest.raises(sqlite3.ProgrammingError):
        opened.conversations()
    opened.close()


# ---- conversations --------------------------------------------------------------------


def test_create_and_read_a_conversation(store: Store) -> None:
    cid = store.create_conversation("Plans", router="Save money")
    row = store.conversation(cid)
    assert row is not None
    assert (row.id, row.title, row.router) == (cid, "Plans", "Save money")
    assert row.created_at.tzinfo is not None and row.created_at == row.updated_at
    assert store.conversation(cid + 1) is None
    assert present(store.conversation(store.create_conversation())).title == "New chat"


def test_conversations_are_listed_by_latest_activity(store: Store) -> None:
    first = store.create_conversation("first")
    second = store.create_conversation("second")
    assert [c.id for c in store.conversations()] == [second, first]

    store.add_message(first, "user", "hello again")
    assert [c.id for c in store.conversations()] == [first, second]

    # Renaming is not activity: the list does not jump.
    store.rename_conversation(second, "renamed")
    assert [c.title for c in store.conversations()] == ["first", "renamed"]


def test_rename_and_set_router(store: Store) -> None:
    cid = store.create_conversation()
    store.rename_conversation(cid, "Taxes")
    store.set_conversation_router(cid, "Private")
    row = store.conversation(cid)
    assert row is not None and (row.title, row.router) == ("Taxes", "Private")
    store.set_conversation_router(cid, None)
    assert present(store.conversation(cid)).router is None


def test_updating_a_missing_conversation_raises(store: Store) -> None:
    with pytest.raises(RowNotFoundError):
        store.rename_conversation(404, "x")
    with pytest.raises(RowNotFoundError):
        store.set_conversation_router(404, "x")
    with pytest.raises(RowNotFoundError):
        store.add_message(404, "user", "x")


def test_search_matches_title_or_content_case_insensitively(store: Store) -> None:
    trip = store.create_conversation("Trip to Lisbon")
    code = store.create_conversation("Refactor")
    store.add_message(code, "user", "Why does my PYTHON loop hang?")
    other = store.create_conversation("Groceries")
    store.add_message(other, "user", "milk, eggs")

    assert [c.id for c in store.conversations("lisbon")] == [trip]
    assert [c.id for c in store.conversations("python loop")] == [code]
    assert [c.id for c in store.conversations("  ")] == [other, code, trip]
    assert store.conversations("nowhere") == []


def test_search_treats_like_wildcards_literally(store: Store) -> None:
    exact = store.create_conversation("Discount 100% off")
    store.create_conversation("Discount 1000 off")
    store.create_conversation("snake_case names")
    store.create_conversation("snakeXcase names")
    assert [c.id for c in store.conversations("100%")] == [exact]
    assert [c.title for c in store.conversations("snake_case")] == ["snake_case names"]


def test_search_folds_case_beyond_ascii(store: Store) -> None:
    trees = store.create_conversation("Über Bäume")
    store.add_message(store.create_conversation("Other"), "user", "STRASSE")
    assert [c.id for c in store.conversations("über")] == [trees]
    assert [c.title for c in store.conversations("BÄUME")] == ["Über Bäume"]
    assert [c.title for c in store.conversations("Straße")] == ["Other"]  # ß folds to ss


def test_deleting_a_conversation_cascades_to_messages_but_keeps_usage(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, "assistant", "hi")
    store.add_usage(conversation_id=cid, message_id=mid, target="openai:gpt-4o-mini",
                    kind="chat", tokens_in=10, tokens_out=2, cost=0.001)
    keep = store.create_conversation()
    store.add_message(keep, "user", "stays")

    store.delete_conversation(cid)
    store.delete_conversation(cid)  # deleting twice is harmless

    assert store.conversation(cid) is None
    assert store.messages(cid) == [] and store.message(mid) is None
    assert [m.content for m in store.messages(keep)] == ["stays"]
    [usage] = store.usage_rows()
    assert (usage.conversation_id, usage.message_id, usage.cost) == (None, None, 0.001)
    assert store.integrity_ok()


# ---- messages -------------------------------------------------------------------------


def test_messages_round_trip_in_order_with_json_fields(store: Store) -> None:
    cid = store.create_conversation()
    trace = (TraceEntry("pii", True, "email", label="Private data"),)
    ids = [
        store.add_message(cid, "system", "Be brief."),
        store.add_message(cid, "user", "Look 👀", attachments=[{"kind": "image", "n": "a.png"}]),
        store.add_message(cid, "assistant", "", status="streaming", target="local:m",
                          rule="pii", trace=trace),
    ]
    rows = store.messages(cid)
    assert [m.id for m in rows] == ids == sorted(ids)
    assert [m.role for m in rows] == ["system", "user", "assistant"]
    assert rows[0].attachments == [] and rows[0].trace is None and rows[0].status == "complete"
    assert rows[1].attachments == [{"kind": "image", "n": "a.png"}]
    assert (rows[2].status, rows[2].target, rows[2].rule, rows[2].trace) == (
        "streaming", "local:m", "pii", trace)
    assert store.message(ids[1]) == rows[1]
    assert store.message(9999) is None


def test_add_message_is_committed_before_it_returns(store: Store, db_path: Path) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", "durable")
    conn = raw(db_path)  # another connection sees it at once
    try:
        assert conn.execute("SELECT content FROM messages").fetchall() == [("durable",)]
    finally:
        conn.close()


def test_update_message_changes_only_the_given_fields(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, "assistant", "", status="streaming", target="local:a",
                            rule="r1", trace=[TraceEntry("r1", True, "matched")])
    before = store.message(mid)
    assert before is not None

    store.update_message(mid, content="Hel")
    partial = store.message(mid)
    assert partial is not None
    assert (partial.content, partial.status, partial.target, partial.rule, partial.trace) == (
        "Hel", "streaming", "local:a", "r1", (TraceEntry("r1", True, "matched"),))
    assert partial.updated_at > before.updated_at and partial.created_at == before.created_at

    store.update_message(mid, content="Hello", status="complete", target="openai:x",
                         trace=[TraceEntry(None, False, "a failed", TraceKind.ATTEMPT)], tokens_in=12, tokens_out=3, cost=0.25,
                         latency_ms=812.5, ttft_ms=95.0)
    done = store.message(mid)
    assert done is not None
    assert (done.content, done.status, done.target, done.rule, done.trace) == (
        "Hello", "complete", "openai:x", "r1", (TraceEntry(None, False, "a failed", TraceKind.ATTEMPT),))
    assert (done.tokens_in, done.tokens_out, done.cost, done.latency_ms, done.ttft_ms) == (
        12, 3, 0.25, 812.5, 95.0)
    assert done.error is None

    store.update_message(mid, status="failed", error="rate limited")
    failed = store.message(mid)
    assert failed is not None and (failed.status, failed.error, failed.content) == (
        "failed", "rate limited", "Hello")


def test_update_message_rejects_bad_status_and_missing_rows(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, "user", "x")
    with pytest.raises(ValueError, match="status"):
        store.update_message(mid, status="done")
    with pytest.raises(ValueError, match="status"):
        store.add_message(cid, "user", "x", status="done")
    with pytest.raises(RowNotFoundError):
        store.update_message(mid + 100, content="lost")


def test_delete_messages_after_keeps_the_given_message(store: Store) -> None:
    cid = store.create_conversation()
    other = store.create_conversation()
    first = store.add_message(cid, "user", "q1")
    store.add_message(cid, "assistant", "a1")
    question = store.add_message(cid, "user", "q2")
    stale = store.add_message(cid, "assistant", "a2")
    elsewhere = store.add_message(other, "user", "untouched")

    store.delete_messages_after(cid, question)

    assert [m.id for m in store.messages(cid)] == [first, first + 1, question]
    assert [m.id for m in store.messages(other)] == [elsewhere]
    # A regenerated reply never reuses the deleted id, so a late checkpoint for the old
    # reply cannot overwrite the new one.
    assert store.add_message(cid, "assistant", "a2 again") > elsewhere > stale
    with pytest.raises(RowNotFoundError):
        store.update_message(stale, content="late checkpoint")


# ---- crash recovery and concurrency ----------------------------------------------------


def test_a_reply_left_streaming_by_a_crash_becomes_incomplete_on_open(db_path: Path) -> None:
    with Store(db_path) as first:
        cid = first.create_conversation()
        done = first.add_message(cid, "user", "question")
        mid = first.add_message(cid, "assistant", "", status="streaming")
        first.update_message(mid, content="Half an ans")  # the last checkpoint
        # ...and the process dies before the final update.

    with Store(db_path) as reopened:
        reply = reopened.message(mid)
        assert reply is not None
        assert (reply.status, reply.content) == ("incomplete", "Half an ans")
        assert present(reopened.message(done)).status == "complete"


def test_recovery_can_be_left_to_the_process_that_owns_the_stream(db_path: Path) -> None:
    with Store(db_path) as gui:
        mid = gui.add_message(gui.create_conversation(), "assistant", "", status="streaming")
        with Store(db_path, recover_interrupted=False) as cli:
            assert present(cli.message(mid)).status == "streaming"
        assert present(gui.message(mid)).status == "streaming"


def test_two_stores_on_one_file_read_while_the_other_writes(db_path: Path) -> None:
    with Store(db_path) as first, Store(db_path) as second:
        cid = first.create_conversation("shared")
        # A write transaction held open by the first store does not block the second's
        # readers (WAL): they see the last committed state.
        with first._transaction() as conn:
            conn.execute("UPDATE conversations SET title = 'uncommitted' WHERE id = ?", (cid,))
            assert [c.title for c in second.conversations()] == ["shared"]
            with Store(db_path) as third:  # opening while the other writes works too
                assert present(third.conversation(cid)).title == "shared"
        assert present(second.conversation(cid)).title == "uncommitted"

        second.add_message(cid, "user", "from the second")
        first.add_message(cid, "assistant", "from the first")
        assert [m.content for m in first.messages(cid)] == ["from the second", "from the first"]
        assert first.integrity_ok() and second.integrity_ok()


# ---- usage, settings, health ------------------------------------------------------------


def test_usage_rows_record_kinds_and_filter_by_conversation(store: Store) -> None:
    cid = store.create_conversation()
    other = store.create_conversation()
    mid = store.add_message(cid, "assistant", "a")
    store.add_usage(conversation_id=cid, message_id=None, target="local:classifier",
                    kind="classifier", tokens_in=40, tokens_out=1, cost=None, estimated=True)
    store.add_usage(conversation_id=cid, message_id=mid, target="openai:gpt-4o-mini",
                    kind="chat", tokens_in=100, tokens_out=20, cost=0.0003)
    store.add_usage(conversation_id=other, message_id=None, target="local:m", kind="chat",
                    tokens_in=5, tokens_out=5, cost=0.0)

    rows = store.usage_rows(cid)
    assert [(u.kind, u.message_id, u.cost, u.estimated) for u in rows] == [
        ("classifier", None, None, True), ("chat", mid, 0.0003, False)]
    assert all(u.conversation_id == cid and u.created_at.tzinfo for u in rows)
    assert len(store.usage_rows()) == 3
    with pytest.raises(ValueError, match="kind"):
        store.add_usage(conversation_id=cid, message_id=None, target="x", kind="embedding",
                        tokens_in=1, tokens_out=1, cost=None)


def test_usage_for_a_chat_deleted_mid_reply_is_still_recorded(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, "assistant", "", status="streaming")
    store.delete_conversation(cid)  # the user deleted the chat while the reply streamed
    store.add_usage(conversation_id=cid, message_id=mid, target="openai:x", kind="chat",
                    tokens_in=7, tokens_out=9, cost=0.01)
    [usage] = store.usage_rows()
    assert (usage.conversation_id, usage.message_id, usage.cost) == (None, None, 0.01)


@pytest.mark.parametrize("value", [
    "dark", 3, 2.5, True, None, [1, "two", None], {"nested": {"list": [1, 2]}, "ünï": "ç😀"},
])
def test_settings_round_trip_json_values(store: Store, value: object) -> None:
    store.set_setting("k", value)
    assert store.get_setting("k", default="missing") == value


def test_settings_default_overwrite_and_non_json(store: Store) -> None:
    assert store.get_setting("absent") is None
    assert store.get_setting("absent", {"x": 1}) == {"x": 1}
    store.set_setting("theme", "dark")
    store.set_setting("theme", "light")
    assert store.get_setting("theme") == "light"
    with pytest.raises(ValueError):
        store.set_setting("bad", float("nan"))
    with pytest.raises(TypeError):
        store.set_setting("bad", object())
    assert store.get_setting("bad", "unset") == "unset"


def test_integrity_ok_on_a_healthy_database(store: Store) -> None:
    store.add_message(store.create_conversation(), "user", "x")
    assert store.integrity_ok()


def test_a_damaged_file_is_refused_at_open_and_left_as_it_was(db_path: Path) -> None:
    with Store(db_path) as opened:
        cid = opened.create_conversation()
        for i in range(300):
            opened.add_message(cid, "user", f"message {i} " * 20)
    data = bytearray(db_path.read_bytes())
    page = 4096
    middle = len(data) // page // 2 * page  # a page of message rows, far from the schema
    data[middle: middle + 64] = b"\xff" * 64  # scribble over its b-tree page header
    db_path.write_bytes(bytes(data))
    # The quick check at open finds it (integrity_ok() would, too), before any write.
    with pytest.raises(DatabaseDamaged, match="is damaged"):
        Store(db_path, recover_interrupted=False)
    assert db_path.read_bytes() == data


def test_times_are_stored_as_fixed_width_utc_text(store: Store, db_path: Path) -> None:
    store.create_conversation()
    conn = raw(db_path)
    try:
        [(created,)] = conn.execute("SELECT created_at FROM conversations").fetchall()
    finally:
        conn.close()
    assert created == "2025-06-01T12:00:01.000000Z"


def test_no_column_could_hold_a_secret(store: Store, db_path: Path) -> None:
    columns = [
        column[1].lower()
        for info, _, _ in schema_shape(db_path).values()
        for column in info
    ]
    assert "content" in columns
    assert [c for c in columns if "key" in c or "secret" in c or "password" in c] == []


def test_traces_stored_before_kinds_read_with_their_kind(store: Store) -> None:
    cid = store.create_conversation()
    mid = store.add_message(cid, "assistant", "hi", target="local:m", rule=None)
    legacy = '[{"rule": "attempt", "matched": true, "detail": "x failed"}, ' \
             '{"rule": "code", "matched": false, "detail": "no code"}]'
    store._conn.execute("UPDATE messages SET trace = ? WHERE id = ?", (legacy, mid))
    row = store.message(mid)
    assert row is not None and row.trace is not None
    assert [(e.kind, e.rule) for e in row.trace] == [(TraceKind.ATTEMPT, None), (TraceKind.RULE, "code")]


def test_sticky_state_is_kept_per_conversation(store: Store) -> None:
    from datetime import UTC, datetime

    from app.core.router import StickyState

    cid, other = store.create_conversation(), store.create_conversation()
    assert store.sticky(cid) is None
    state = StickyState("openai:gpt-4o", "code", datetime(2026, 12, 1, 9, 30, tzinfo=UTC), 2)
    store.set_sticky(cid, state)
    assert store.sticky(cid) == state and store.sticky(other) is None
    store.set_sticky(cid, None)
    assert store.sticky(cid) is None


def test_a_fresh_data_folder_is_private(switchboard_home: Path) -> None:
    import stat

    from app.core.file_modes import secure_data_folder
    from app.core.settings import Settings

    home = switchboard_home / "fresh"
    with Store(home / "switchboard.db") as fresh:
        fresh.create_conversation()
        Settings().save(home / "settings.json")
        secure_data_folder(home)
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (home, *home.iterdir())}
    assert modes.pop("fresh") == 0o700
    assert modes and all(mode == 0o600 for mode in modes.values()), modes


def test_looser_modes_found_at_start_are_tightened(switchboard_home: Path) -> None:
    import os
    import stat

    from app.core.file_modes import secure_data_folder

    db = switchboard_home / "switchboard.db"
    Store(db).close()
    os.chmod(switchboard_home, 0o755)
    os.chmod(db, 0o644)
    secure_data_folder(switchboard_home)
    assert stat.S_IMODE(switchboard_home.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
