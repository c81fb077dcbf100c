"""Fuzz: the chat database. Whatever the file holds, ``Store`` opens it and every read and
write either works or raises StoreError with one plain line; a file it refuses to open
is left byte for byte as it was (never overwritten, truncated or deleted).

Seed: a real database written by the store (chats with settings, a summary, a sticky
state, replies with traces, attachments, private marks, usage and egress rows), its WAL
checkpointed into the main file, then damaged: bytes flipped, cut, inserted or zeroed,
header fields set to values at their limits, whole pages zeroed, swapped or repeated."""

from __future__ import annotations

import os
import sqlite3
import struct
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.chat_settings import ChatSettings
from app.core.router import StickyState, TraceEntry
from app.core.router.privacy import PrivateMark
from app.core.store import Store, StoredSummary, StoreError
from tests.support.fuzz_inputs import assert_one_line, damaged_bytes, outcome
from tests.support.special_paths import unix_socket

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

PAGE = 4096
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# SQLite's header fields (offset, width): page size, write/read versions, reserved bytes,
# change counter, size in pages, freelist, schema cookie and format, user_version, encoding.
HEADER_FIELDS = ((16, 2), (18, 1), (19, 1), (20, 1), (24, 4), (28, 4), (32, 4), (36, 4), (40, 4),
                 (44, 4), (56, 4), (60, 4), (96, 4))
EDGES = (0, 1, 2, 3, 4, 7, 255, 256, 512, 65535, 65536, 2**31 - 1, 2**31, 2**32 - 1)


def write_seed(path: Path) -> bytes:
    with Store(path, clock=lambda: datetime(2026, 3, 2, 10, 30, tzinfo=UTC)) as store:
        for n in range(3):
            cid = store.create_conversation(f"Chat {n} é ✓", router="Save money")
            store.set_chat_settings(cid, ChatSettings(system_prompt="Be brief.", temperature=0.5))
            store.set_sticky(cid, StickyState("openai:gpt-4o", "code", datetime(2026, 3, 2, tzinfo=UTC), 1))
            first = store.add_message(cid, "user", f"question {n} " * 30,
                                      attachments=[{"kind": "image", "mime": "image/png", "name": "a.png"}])
            store.mark_private(first, PrivateMark(("email",), "email address found"))
            reply = store.add_message(cid, "assistant", "answer " * 40, target="openai:gpt-4o", rule="code",
                                      trace=[TraceEntry("code", True, "code found", label="Code")],
                                      reason="Routed")
            store.add_message(cid, "assistant", "half a repl", status="streaming")
            store.set_summary(cid, StoredSummary(first, "They asked a question.", "local:SmolLM2-135M-Instruct",
                                                 private=True))
            store.add_usage(conversation_id=cid, message_id=reply, target="openai:gpt-4o", kind="chat",
                            tokens_in=10, tokens_out=20, cost=0.01)
            store.add_egress(conversation_id=cid, kind="chat", target="openai:gpt-4o", host="api.openai.com",
                             size=100, message_ids=[first], redactions={"email": 1}, omitted=0)
        store.set_setting("window", {"width": 800})
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path.read_bytes()


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_seed(tmp_path_factory.mktemp("db") / "seed.db")


@st.composite
def header_edits(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 2))):
        offset, width = draw(st.sampled_from(HEADER_FIELDS))
        value = draw(st.sampled_from(EDGES)) % (1 << (8 * width))
        out[offset:offset + width] = value.to_bytes(width, "big")
    return bytes(out)


@st.composite
def page_damage(draw: st.DrawFn, data: bytes) -> bytes:
    pages = [data[i:i + PAGE] for i in range(0, len(data), PAGE)]
    a, b = draw(st.integers(0, len(pages) - 1)), draw(st.integers(0, len(pages) - 1))
    op = draw(st.sampled_from(["zero", "swap", "repeat", "drop", "random"]))
    if op == "zero":
        pages[a] = bytes(PAGE)
    elif op == "swap":
        pages[a], pages[b] = pages[b], pages[a]
    elif op == "repeat":
        pages[a] = pages[b]
    elif op == "drop" and len(pages) > 1:
        del pages[a]
    elif op == "random":
        pages[a] = draw(st.binary(min_size=PAGE, max_size=PAGE))
    return b"".join(pages)


def damaged_databases(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(damaged_bytes(seed), header_edits(seed), page_damage(seed),
                     page_damage(seed).flatmap(damaged_bytes), header_edits(seed).flatmap(page_damage))


def differences(before: bytes, after: bytes) -> str:
    """Where ``after`` differs from ``before``, short enough to read in a failure."""
    changed = [i for i in range(min(len(before), len(after))) if before[i] != after[i]]
    shown = ", ".join(f"[{i}] {before[i]:#04x}→{after[i]:#04x}" for i in changed[:8])
    more = f" and {len(changed) - 8} more" if len(changed) > 8 else ""
    size = f", {len(before)} → {len(after)} bytes" if len(before) != len(after) else ""
    return (shown + more + size) or "none"


def use(store: Store) -> None:
    """Read everything the app reads, and write a message and a chat: each call works or
    raises StoreError in one line."""
    def step(action) -> object:  # noqa: ANN001 - any store call
        try:
            return action()
        except StoreError as exc:
            assert_one_line(str(exc))
            return None

    chats = step(store.conversations) or []
    step(lambda: store.conversations("question"))
    for chat in chats[:3]:
        for read in (store.messages, store.chat_settings, store.summary, store.sticky, store.lock):
            step(lambda read=read: read(chat.id))
    step(store.usage_rows)
    step(store.egress_rows)
    step(lambda: store.get_setting("window"))
    cid = step(store.create_conversation)
    if isinstance(cid, int):
        step(lambda: store.add_message(cid, "user", "hello"))
    step(store.integrity_ok)


@FUZZ
@given(data=st.data())
def test_any_database_file_opens_or_is_refused_in_one_line_untouched(seed: bytes, tmp_path: Path,
                                                                    data: st.DataObject) -> None:
    content = data.draw(damaged_databases(seed), label="content")
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "switchboard.db"
    path.write_bytes(content)
    try:
        store = Store(path)
    except StoreError as exc:
        outcome("refused")
        assert_one_line(str(exc))
        after = path.read_bytes()
        assert after == content, (f"a database it refused was changed ({exc}): damage "
                                  f"{differences(seed, content)}, then changed {differences(content, after)}")
        return
    outcome("opened")
    with store:
        use(store)


# ---- paths that are not database files ---------------------------------------------------


SPECIAL_PATHS = {"fifo": os.mkfifo, "folder": Path.mkdir, "socket": unix_socket,
                 "link to /dev/zero": lambda p: p.symlink_to("/dev/zero"),
                 "link loop": lambda p: p.symlink_to(p),
                 "empty page of NULs": lambda p: p.write_bytes(bytes(PAGE)),
                 "text": lambda p: p.write_text("not a database\n"),
                 "just the magic": lambda p: p.write_bytes(b"SQLite format 3\0"),
                 "header of a 2**32-page file": lambda p: p.write_bytes(
                     b"SQLite format 3\0" + struct.pack(">HBBBBBBIIIIIIIIIIII", 4096, 1, 1, 0, 64, 32, 32,
                                                        1, 2**32 - 1, 0, 0, 1, 4, 0, 0, 1, 0, 0, 0)
                     + bytes(PAGE - 100 + 28))}


@pytest.mark.parametrize("make", SPECIAL_PATHS.values(), ids=SPECIAL_PATHS.keys())
def test_a_database_path_that_is_no_database_is_refused_in_one_line(tmp_path: Path, make) -> None:
    path = tmp_path / "switchboard.db"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert_one_line(str(caught.value))
    assert os.path.lexists(path)
    if before is not None:
        assert path.read_bytes() == before


# ---- what the fuzzing found in store.py, each case exactly (fixed there; kept as tests)

def _at(seed: bytes, needle: bytes) -> int:
    return seed.index(needle)


def _edited(seed: bytes, *edits: tuple[int, bytes]) -> bytes:
    out = bytearray(seed)
    for offset, value in edits:
        out[offset:offset + len(value)] = value
    return bytes(out)


OPEN_CASES = {
    # Header bytes 60-63 (user_version, signed) = 0x80000000: -2**31 < SCHEMA_VERSION, and
    # MIGRATIONS[-2**31] raises IndexError out of Store() (store.py, _apply_next_migration).
    "user_version -2**31": lambda seed: _edited(seed, (60, b"\x80\x00\x00\x00")),
    # user_version = 0xFFFFFFFF (-1): MIGRATIONS[-1] (the last one) is run again and
    # committed, then v1 fails "table conversations already exists"; StoreError, but the
    # file it refused was written (header bytes 27, 35, 43, 60-63, 95 and ~3,500 more).
    "user_version -1": lambda seed: _edited(seed, (60, b"\xff\xff\xff\xff")),
    # Byte 19 (read version) 0x02 -> 0x00, i.e. a rollback-journal file, with a damaged
    # freelist count (byte 39 0x01 -> 0x07): PRAGMA journal_mode = WAL in _configure runs
    # before _check_sound and rewrites bytes 19, 27 and 95; then DatabaseDamaged ("Main
    # freelist: size is 1 but should be 7") for a file that was just written to.
    "rollback header, bad freelist": lambda seed: _edited(seed, (19, b"\x00"), (39, b"\x07")),
    # One byte of the schema's SQL text (sqlite_master, page 1) set to 0xff: the first
    # statement, PRAGMA journal_mode = WAL, raises UnicodeDecodeError out of Store().
    "schema text not UTF-8": lambda seed: _edited(seed, (_at(seed, b"CREATE TABLE conversations") + 7, b"\xff")),
}


@pytest.mark.parametrize("damage", OPEN_CASES.values(), ids=OPEN_CASES.keys())
def test_store_finding_a_damaged_file_is_refused_in_one_line_untouched(seed: bytes, tmp_path: Path,
                                                                       damage) -> None:
    content = damage(seed)
    path = tmp_path / "switchboard.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert_one_line(str(caught.value))
    assert path.read_bytes() == content, differences(content, path.read_bytes())


READ_CASES = {
    # The first conversation's created_at "2026-03-02T10:30:00.000000Z" -> "x026-…": the
    # file passes quick_check (which does not read values), and conversations() raises
    # ValueError: Invalid isoformat string (store.py parse_time).
    "created_at not a time": (lambda seed: _edited(seed, (_at(seed, b"2026-03-02T10:30"), b"x")),
                              lambda store: store.conversations()),
    # The settings row {"width": 800} -> x"width": 800}: get_setting raises JSONDecodeError.
    "setting not JSON": (lambda seed: _edited(seed, (_at(seed, b'{"width"'), b"x")),
                         lambda store: store.get_setting("window")),
    # A message's attachments [{"kind": … -> x{"kind": …: messages() raises JSONDecodeError.
    "attachments not JSON": (lambda seed: _edited(seed, (_at(seed, b'[{"kind"'), b"x")),
                             lambda store: [store.messages(cid) for cid in (1, 2, 3)]),
    # In the usage table's CREATE statement (sqlite_master) "target" -> "harget": the
    # schema still parses, and usage_rows() raises IndexError: No item with that key.
    "usage column renamed": (lambda seed: _edited(seed, (_at(seed, b'CREATE TABLE "usage"')
                                                         + seed[_at(seed, b'CREATE TABLE "usage"'):].index(b"target"),
                                                         b"h")),
                             lambda store: store.usage_rows()),
}


@pytest.mark.parametrize(("damage", "read"), READ_CASES.values(), ids=READ_CASES.keys())
def test_store_reading_a_damaged_value_raises_store_error(seed: bytes, tmp_path: Path, damage, read) -> None:
    path = tmp_path / "switchboard.db"
    path.write_bytes(damage(seed))
    with Store(path) as store, pytest.raises(StoreError) as caught:
        read(store)
    assert_one_line(str(caught.value))
