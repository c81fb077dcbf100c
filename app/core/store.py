"""The app's SQLite store: conversations, messages, usage and settings.

Stdlib ``sqlite3`` in WAL mode, no ORM. The connection runs in autocommit mode and every
write is one short explicit ``BEGIN IMMEDIATE`` transaction, so each call is durable when
it returns: the user's message is on disk before any model is called, and a streaming
reply is checkpointed by ``update_message``.

Schema changes are numbered migrations tracked in ``PRAGMA user_version``; each one is
applied in its own transaction, so a failed migration leaves the file at the previous
version. A file written by a newer Switchboard is refused rather than guessed at.

A file that is not a sound database (garbage, a smashed page, a folder in its place) is
``DatabaseDamaged``, found at open by SQLite's quick check and on any later statement; it
is never written to, overwritten or deleted here (``set_aside`` moves it, when the user
asks). A database another program keeps locked is waited for, then ``DatabaseBusy``.
Every text written is made storable first (``safe_text``), and an id no SQLite integer
can hold simply names no row.

Times are stored as fixed-width ISO-8601 UTC text (``2025-01-02T03:04:05.000006Z``), so
text order is time order, and rows expose them as aware ``datetime`` values.

Secrets never live here: API keys belong to the OS keyring, and no table has a column
for them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from app.core.chat_settings import ChatSettings
from app.core.file_modes import create_private_file, private_dir
from app.core.paths import data_dir
from app.core.router.engine import StickyState
from app.core.router.privacy import PrivateMark
from app.core.router.trace import TraceEntry, trace_from_json, trace_to_json
from app.core.safe_read import UnsafeInput, open_regular, safe_text
from app.core.writer_locks import WriterLocks

DB_FILENAME = "switchboard.db"
# Long enough to ride out another process's checkpoint write, short enough that a wedged
# writer surfaces as an error instead of a frozen UI.
BUSY_TIMEOUT_S = 5.0
# How long a write keeps trying while another program holds the database (a backup tool,
# a second Switchboard mid-migration): a CLI run can wait; the window passes less.
WRITE_WAIT_S = 30.0
# A search is typed (or pasted) by a person; beyond this it is a paste of a whole text, and
# SQLite's LIKE refuses patterns over 50,000 bytes. Longer searches use their start.
MAX_SEARCH_CHARS = 1000
_SQLITE_INT = range(-(2**63), 2**63)  # what an INTEGER column can hold
_DAMAGED = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
MESSAGE_STATUSES = frozenset({"complete", "incomplete", "failed", "streaming"})
USAGE_KINDS = frozenset({"chat", "classifier", "api"})

JsonDict = dict[str, Any]
T = TypeVar("T")

# Each migration is a tuple of single SQL statements (not a script): executescript()
# commits any open transaction first, which would break per-migration atomicity.
# Migration N brings the schema from version N-1 to N. Never edit a shipped migration;
# append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: the base schema.
    (
        # AUTOINCREMENT: ids are never reused, so a stale id held by a late streaming
        # checkpoint cannot land on a newer row after regenerate deleted the old one.
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            router TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            attachments TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL
                CHECK (status IN ('complete', 'incomplete', 'failed', 'streaming')),
            target TEXT,
            rule TEXT,
            trace TEXT,
            tokens_in INTEGER,
            tokens_out INTEGER,
            cost REAL,
            latency_ms REAL,
            ttft_ms REAL,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # SET NULL, not CASCADE: deleting a chat must not erase what it cost.
        """CREATE TABLE usage (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
            message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            target TEXT NOT NULL,
            tokens_in INTEGER NOT NULL,
            tokens_out INTEGER NOT NULL,
            cost REAL,
            estimated INTEGER NOT NULL CHECK (estimated IN (0, 1)),
            created_at TEXT NOT NULL
        )""",
        # "name", not "key": no column anywhere is called anything like a key or secret,
        # which a test checks, so nobody mistakes this table for a place to put one.
        """CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
    ),
    # v2: classifier calls are billed separately from chat replies, and the hot paths
    # get indexes (without them, deleting one message scans all usage rows).
    (
        """ALTER TABLE usage ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat'
            CHECK (kind IN ('chat', 'classifier'))""",
        "CREATE INDEX messages_by_conversation ON messages(conversation_id, id)",
        # Partial index: crash recovery on open touches only the streaming rows.
        "CREATE INDEX messages_streaming ON messages(id) WHERE status = 'streaming'",
        "CREATE INDEX usage_by_conversation ON usage(conversation_id)",
        "CREATE INDEX usage_by_message ON usage(message_id)",
    ),
    # v3: a reply keeps the router's sentence ("Routed to X because …") beside its trace,
    # so a reopened chat explains itself exactly as it did live.
    ("ALTER TABLE messages ADD COLUMN reason TEXT",),
    # v4: a conversation keeps its sticky routing state, so the window and separate
    # `ask` runs agree on it and it survives a restart. (Traces stored before v4 name
    # their special lines by a pseudo rule id; TraceEntry.from_json reads both.)
    ("ALTER TABLE conversations ADD COLUMN sticky TEXT",),
    # v5: privacy. A user message keeps why it is private (kinds and reason, never the
    # value); a chat can be locked to this computer; every request that left the
    # machine is logged (where, how many bytes, which messages; not the content).
    (
        "ALTER TABLE messages ADD COLUMN private TEXT",
        # NULL: as its privacy decides; 1: locked to this computer; 0: unlocked by the
        # user although it holds private messages.
        "ALTER TABLE conversations ADD COLUMN lock INTEGER CHECK (lock IN (0, 1))",
        """CREATE TABLE egress (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            host TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            message_ids TEXT NOT NULL,
            redactions TEXT NOT NULL,
            omitted INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX egress_by_conversation ON egress(conversation_id)",
    ),
    # v6: a chat keeps its own settings (system prompt, sampling, reply length, context
    # policy, one model instead of its router) and the summary of its older turns that
    # the "summarize" context policy made (reused until the chat outgrows it).
    (
        "ALTER TABLE conversations ADD COLUMN settings TEXT",
        "ALTER TABLE conversations ADD COLUMN summary TEXT",
    ),
    # v7: a streaming reply names the process writing it (a token of app.core.writer_locks),
    # so whoever opens the database next marks it incomplete only if that process is gone.
    ("ALTER TABLE messages ADD COLUMN owner TEXT",),
    # v8: requests answered through the local API server are billed as kind 'api'. A
    # CHECK constraint cannot be altered in SQLite: the table is rebuilt, rows and ids kept.
    (
        """CREATE TABLE usage_v8 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
            message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            target TEXT NOT NULL,
            tokens_in INTEGER NOT NULL,
            tokens_out INTEGER NOT NULL,
            cost REAL,
            estimated INTEGER NOT NULL CHECK (estimated IN (0, 1)),
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'classifier', 'api'))
        )""",
        """INSERT INTO usage_v8 (id, conversation_id, message_id, target, tokens_in, tokens_out,
                                 cost, estimated, created_at, kind)
            SELECT id, conversation_id, message_id, target, tokens_in, tokens_out, cost,
                   estimated, created_at, kind FROM usage""",
        "DROP TABLE usage",
        "ALTER TABLE usage_v8 RENAME TO usage",
        "CREATE INDEX usage_by_conversation ON usage(conversation_id)",
        "CREATE INDEX usage_by_message ON usage(message_id)",
    ),
    # v9: a reply keeps every version Regenerate wrote. The messages row holds the chosen
    # one (its number in ``version``), so whatever reads a chat (what models are sent,
    # export, search, privacy) reads the chosen version unchanged; the others wait in
    # reply_versions, and trade places with the row when chosen. Rows migrated from v8
    # are version 1 of 1.
    (
        "ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
        """CREATE TABLE reply_versions (
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            content TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('complete', 'incomplete', 'failed')),
            target TEXT,
            rule TEXT,
            trace TEXT,
            reason TEXT,
            tokens_in INTEGER,
            tokens_out INTEGER,
            cost REAL,
            latency_ms REAL,
            ttft_ms REAL,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (message_id, number)
        ) WITHOUT ROWID""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# What one version of a reply is: the columns a reply_versions row keeps and trades with
# its messages row. A literal, never the caller's: they are written into SQL.
_VERSION_COLUMNS = ("content", "status", "target", "rule", "trace", "reason", "tokens_in",
                    "tokens_out", "cost", "latency_ms", "ttft_ms", "error", "created_at",
                    "updated_at")
# A message as read: its columns, and how many versions it has (1: it was never regenerated).
_MESSAGE_SELECT = ("SELECT m.*, 1 + (SELECT COUNT(*) FROM reply_versions AS v "
                   "WHERE v.message_id = m.id) AS versions FROM messages AS m")


class StoreError(RuntimeError):
    """The database cannot be opened, migrated or written as asked."""


class RowNotFoundError(StoreError, LookupError):
    """An update named a conversation or message that does not exist (any more)."""


class DatabaseDamaged(StoreError):
    """The file is not a sound SQLite database; nothing in it is read or written."""

    def __init__(self, path: Path, why: str) -> None:
        self.path = path
        self.why = why  # SQLite's words, or what is there instead of a file
        super().__init__(
            f"The chat database {path} is damaged ({why}). Move it aside to start a new one "
            f"(rename it, e.g. to {path.name}.damaged), or restore a backup.")


class DatabaseTooNew(StoreError):
    """The file was written by a newer Switchboard, whose schema this one cannot read."""


class DatabaseBusy(StoreError):
    """Another program kept the database locked for longer than the store waits."""

    def __init__(self, path: Path, waited_s: float) -> None:
        self.path = path
        super().__init__(f"The chat database is busy: another program has kept {path} locked "
                         f"for {waited_s:.0f} s. Try again when it is done.")


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: int
    title: str
    router: str | None
    created_at: datetime
    updated_at: datetime  # last message activity: what the chat list is sorted by


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    conversation_id: int
    role: str
    content: str
    status: str
    attachments: list[JsonDict]
    target: str | None
    rule: str | None
    trace: tuple[TraceEntry, ...] | None
    reason: str | None
    private: PrivateMark | None
    tokens_in: int | None
    tokens_out: int | None
    cost: float | None
    latency_ms: float | None
    ttft_ms: float | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 1  # which of the reply's versions this is (Regenerate adds one)
    versions: int = 1  # how many it has


@dataclass(frozen=True, slots=True)
class DeletedMessages:
    """What ``delete_messages`` took away, exactly as it was, for ``restore_messages``
    (Undo): the rows with every column, their other versions, and the usage rows that
    pointed at them."""

    conversation_id: int
    ids: tuple[int, ...]
    messages: tuple[dict[str, Any], ...]
    versions: tuple[dict[str, Any], ...]
    usage: tuple[tuple[int, int], ...]  # (usage row, message) links the deletion cut


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """What the summarize policy wrote about a chat's turns up to message ``through``."""

    through: int  # the id of the last message it covers
    text: str
    model: str  # the local model that wrote it
    private: bool  # it covers a private message: it is private too
    since: int | None = None  # the first message it read; older ones were left out unread


@dataclass(frozen=True, slots=True)
class EgressRow:
    """One request that left this computer: where to, how big, about which messages."""

    id: int
    conversation_id: int | None
    kind: str  # "chat", "classifier" or "api" (the local API server)
    target: str
    host: str
    bytes: int
    message_ids: list[int]
    redactions: dict[str, int]  # kind → values replaced by placeholders
    omitted: int  # private messages (and their replies) left out
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UsageRow:
    id: int
    conversation_id: int | None
    message_id: int | None
    target: str
    kind: str
    tokens_in: int
    tokens_out: int
    cost: float | None
    estimated: bool
    created_at: datetime


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    # Fixed width (always microseconds, always Z) keeps ORDER BY on the text chronological.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _to_json(value: Any) -> str:
    # allow_nan=False: NaN/Infinity are not JSON, and other readers of the file would choke.
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _from_json(text: str | None) -> Any:
    if text == "[]":  # most messages' attachments: 10,000 of them parse in 50 ms otherwise
        return []
    return None if text is None else json.loads(text)


def _casefold_contains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle in haystack.casefold()


def _like_pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _check_status(status: str) -> None:
    if status not in MESSAGE_STATUSES:
        expected = sorted(MESSAGE_STATUSES)
        raise ValueError(f"Unknown message status {status!r}; expected one of {expected}.")


def _conversation_row(row: sqlite3.Row) -> ConversationRow:
    return ConversationRow(
        id=row["id"],
        title=row["title"],
        router=row["router"],
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
    )


_STORED_AS_IS = ("id", "conversation_id", "role", "content", "status", "target", "rule", "reason",
                 "tokens_in", "tokens_out", "cost", "latency_ms", "ttft_ms", "error", "version", "versions")


def _message_rows(rows: Sequence[sqlite3.Row]) -> list[MessageRow]:
    """Rows of ``_MESSAGE_SELECT`` as messages. Columns are read by position: a
    sqlite3.Row finds a column by name by scanning its names, and those lookups alone
    made a 10,000-message chat's rows cost 60 ms more to read."""
    if not rows:
        return []
    at = {name: index for index, name in enumerate(rows[0].keys())}
    as_is = [(name, at[name]) for name in _STORED_AS_IS]
    attachments, trace, private = at["attachments"], at["trace"], at["private"]
    created, updated = at["created_at"], at["updated_at"]
    return [MessageRow(**{name: row[index] for name, index in as_is},
                       attachments=_from_json(row[attachments]),
                       trace=None if row[trace] is None else trace_from_json(_from_json(row[trace])),
                       private=PrivateMark.from_json(_from_json(row[private])) if row[private] else None,
                       created_at=parse_time(row[created]), updated_at=parse_time(row[updated]))
            for row in rows]


def _sticky_state(data: object) -> StickyState | None:
    if not isinstance(data, dict):
        return None
    try:
        return StickyState(str(data["target"]), str(data["rule"]), parse_time(str(data["decided_at"])),
                           int(data.get("messages_since", 0)))
    except (KeyError, TypeError, ValueError):
        return None  # a damaged state only means the next message is routed afresh


def _summary(data: object) -> StoredSummary | None:
    if not isinstance(data, dict):
        return None
    through, text, model = data.get("through"), data.get("text"), data.get("model")
    if not (isinstance(through, int) and isinstance(text, str) and isinstance(model, str)):
        return None
    since = data.get("since")
    return StoredSummary(through, text, model, bool(data.get("private")),
                         since if isinstance(since, int) else None)


def _egress_row(row: sqlite3.Row) -> EgressRow:
    return EgressRow(
        id=row["id"], conversation_id=row["conversation_id"], kind=row["kind"],
        target=row["target"], host=row["host"], bytes=row["bytes"],
        message_ids=_from_json(row["message_ids"]), redactions=_from_json(row["redactions"]),
        omitted=row["omitted"], created_at=parse_time(row["created_at"]),
    )


def _usage_row(row: sqlite3.Row) -> UsageRow:
    return UsageRow(
        id=row["id"],
        conversation_id=row["conversation_id"],
        message_id=row["message_id"],
        target=row["target"],
        kind=row["kind"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        cost=row["cost"],
        estimated=bool(row["estimated"]),
        created_at=parse_time(row["created_at"]),
    )


def _user_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _check_version(path: Path, version: int) -> None:
    if version < 0:  # user_version is signed; no Switchboard ever wrote a negative one
        raise DatabaseDamaged(path, f"its schema version is {version}")
    if version > SCHEMA_VERSION:
        raise DatabaseTooNew(
            f"The database {path} was written by a newer Switchboard (schema v{version}; "
            f"this version understands up to v{SCHEMA_VERSION}). Update Switchboard to open it."
        )


class Store:
    """One open database. Use it from one thread (the asyncio loop thread)."""

    def __init__(
        self,
        path: Path,
        *,
        recover_interrupted: bool = True,
        clock: Callable[[], datetime] = utc_now,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        write_wait_s: float = WRITE_WAIT_S,
    ) -> None:
        """Open (creating if needed), check and migrate the database at ``path``.

        ``recover_interrupted`` marks replies left 'streaming' by a process that has
        ended as 'incomplete'; a reply another live process is streaming is left alone
        (see app.core.writer_locks), so any process may pass True.

        ``busy_timeout_s`` is how long one statement waits for another program's lock;
        ``write_wait_s`` how long a write keeps trying in all before ``DatabaseBusy``.
        """
        self.path = path
        self._clock = clock
        self._busy_timeout_s = busy_timeout_s
        self._write_wait_s = write_wait_s
        self._writers = WriterLocks(path.with_name(f"{path.name}-writers"))
        # The last chat's messages as read: opening a chat reads them for the view, its
        # lock and its meter. A change to a message here (counted by temporary triggers)
        # or any write by another connection (SQLite's data_version) makes them stale.
        self._message_changes = 0
        self._last_messages: tuple[tuple[int, int, int], list[MessageRow]] | None = None
        self._conn = self._connect(path, busy_timeout_s)
        try:
            # Checked first: PRAGMA journal_mode = WAL rewrites the header of a file in
            # rollback-journal mode, and a damaged file must be left exactly as it was.
            self._check_sound()
            self._configure()
            self._migrate()
            self._watch_messages()
            if recover_interrupted:
                self._recover_interrupted()
        except BaseException:
            self._conn.close()
            raise

    # ---- lifecycle ---------------------------------------------------------------------

    @staticmethod
    def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
        try:
            private_dir(path.parent)
            if path.exists() or path.is_symlink():
                # SQLite would open a named pipe and wait on it forever, and calls a folder
                # "unable to open database file": say what is there instead.
                open_regular(path).close()
            else:
                create_private_file(path)
            # isolation_level=None: no implicit BEGINs; _transaction() is the only way in.
            conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
        except UnsafeInput as exc:
            raise DatabaseDamaged(path, f"it {exc}") from None
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the database {path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        return conn

    def _configure(self) -> None:
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL commits survive an app crash (only an OS crash or power
            # loss can drop the last ones) and skip an fsync per streaming checkpoint.
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except (sqlite3.Error, UnicodeDecodeError) as exc:  # e.g. "file is not a database"
            raise self._error(exc, "Opening") from exc
        self._conn.create_function("casefold_contains", 2, _casefold_contains, deterministic=True)

    def _watch_messages(self) -> None:
        """Count every change to a message or a reply's versions made through this
        connection (cascades from a deleted chat included), for ``messages``' cache.
        Temporary: the triggers live in this connection only, never in the file."""
        def changed() -> None:
            self._message_changes += 1

        self._conn.create_function("message_changed", 0, changed)
        tables = {name for (name,) in self._rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in {"messages", "reply_versions"} & tables:  # a test may stop at an old schema
            for event in ("INSERT", "UPDATE", "DELETE"):
                self._conn.execute(f"CREATE TEMP TRIGGER watch_{table}_{event.lower()} AFTER {event} "
                                   f"ON main.{table} BEGIN SELECT message_changed(); END")

    def _check_sound(self) -> None:
        """SQLite's quick check (every page's structure, not the index contents): a damaged
        file is refused before anything writes into it and spreads the damage. It reads
        the whole file: 5 ms for 1,000 messages, 38 ms for 10,000, 333 ms for 100,000
        (138 MB) on the 2-core machine this was measured on."""
        [(first,)] = self._rows("PRAGMA quick_check(1)")
        if first != "ok":
            raise DatabaseDamaged(self.path, _first_line(str(first)))

    def close(self) -> None:
        """Close the connection; calling it twice is harmless."""
        self._conn.close()
        self._writers.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._begin()
        try:
            yield self._conn
            self._conn.commit()
        except BaseException as exc:
            # rollback() is a no-op when no transaction is open (SQLite already rolled
            # back on the error); a failed COMMIT must not leave one open.
            try:
                self._conn.rollback()
            except sqlite3.Error:
                pass  # a damaged file can fail this too; the error below says so
            if isinstance(exc, sqlite3.Error | UnicodeDecodeError):
                raise self._error(exc, "Writing to") from exc
            raise

    def _begin(self) -> None:
        """Take the write lock, waiting up to ``write_wait_s`` for another program's.

        IMMEDIATE takes the lock up front and waits on the busy timeout; a deferred
        transaction that upgrades later can fail with SQLITE_BUSY without waiting. Each
        try already waits the busy timeout, so the loop only repeats it."""
        started = time.monotonic()
        while True:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.Error as exc:
                waited = time.monotonic() - started
                if _code(exc) not in _BUSY:
                    raise self._error(exc, "Writing to") from exc
                if waited >= self._write_wait_s:
                    raise DatabaseBusy(self.path, waited) from exc

    def _error(self, exc: sqlite3.Error | UnicodeDecodeError, doing: str) -> StoreError:
        """The store's error for what SQLite said, by its result code."""
        if isinstance(exc, UnicodeDecodeError):  # the schema's own text, or SQLite's words quoting it
            return DatabaseDamaged(self.path, "it holds text that is not UTF-8")
        code = _code(exc)
        if code in _DAMAGED:
            return DatabaseDamaged(self.path, str(exc))
        if code in _BUSY:
            return DatabaseBusy(self.path, self._busy_timeout_s)
        return StoreError(f"{doing} the database {self.path} failed: {exc}")

    def _execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run one statement inside ``_transaction`` (which words its errors)."""
        return self._conn.execute(sql, _bindable(params))

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """A query's rows, read at once: a damaged page can fail the read midway."""
        try:
            return self._conn.execute(sql, _bindable(params)).fetchall()
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # the caller's mistake (a closed store, a bad statement), not the file's
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise self._error(exc, "Reading") from exc

    def _row(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _values(self, sql: str, params: Sequence[object], convert: Callable[[sqlite3.Row], T]) -> list[T]:
        """A query's rows as values, each row converted by ``convert``."""
        return self._converted(sql, params, lambda rows: [convert(row) for row in rows])

    def _converted(self, sql: str, params: Sequence[object],
                   convert: Callable[[list[sqlite3.Row]], list[T]]) -> list[T]:
        """A query's rows as values, all converted at once by ``convert``. A stored value
        that is not what it should be (a time that is no time, JSON that is not JSON, a
        column renamed in the schema) passes SQLite's checks, so it is told here: damage,
        not a bug of the caller's."""
        rows = self._rows(sql, params)
        try:
            return convert(rows)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise DatabaseDamaged(self.path, f"a stored value cannot be read: {_first_line(str(exc))}") from exc

    def _value(self, sql: str, params: Sequence[object], convert: Callable[[sqlite3.Row], T]) -> T | None:
        values = self._values(sql, params, convert)
        return values[0] if values else None

    def _now(self) -> str:
        return format_time(self._clock())

    # ---- migrations and recovery -------------------------------------------------------

    def _migrate(self) -> None:
        version = self._user_version()
        _check_version(self.path, version)
        while version < SCHEMA_VERSION:
            version = self._apply_next_migration()

    def _user_version(self) -> int:
        [(version,)] = self._rows("PRAGMA user_version")
        return int(version)

    def _apply_next_migration(self) -> int:
        """Apply one migration in its own transaction; return the version reached."""
        with self._transaction() as conn:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = _user_version(conn)
            _check_version(self.path, version)
            if version == SCHEMA_VERSION:
                return version
            try:
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
            except sqlite3.Error as exc:
                if _code(exc) in _DAMAGED | _BUSY:
                    raise
                raise StoreError(
                    f"Upgrading the database {self.path} to schema v{version + 1} failed: {exc}"
                ) from exc
            # PRAGMA does not take parameters; version is an int we computed.
            conn.execute(f"PRAGMA user_version = {version + 1}")
            return version + 1

    def _recover_interrupted(self) -> None:
        """A reply still 'streaming' whose writer has ended was cut off: keep it, as incomplete."""
        # Read first so that the common case (nothing to recover) never takes the write lock.
        owners = {row[0] for row in self._rows(
            "SELECT DISTINCT owner FROM messages WHERE status = 'streaming'")}
        dead = self._writers.dead(owner for owner in owners if owner is not None)
        if dead or None in owners:  # None: streamed by a version that named no writer
            marks = ", ".join("?" * len(dead))
            with self._transaction():
                self._execute(
                    "UPDATE messages SET status = 'incomplete', updated_at = ? "
                    f"WHERE status = 'streaming' AND (owner IS NULL OR owner IN ({marks}))",
                    (self._now(), *dead),
                )
        self._writers.sweep()

    # ---- conversations ------------------------------------------------------------------

    def create_conversation(self, title: str = "New chat", router: str | None = None) -> int:
        now = self._now()
        with self._transaction():
            cursor = self._execute(
                "INSERT INTO conversations (title, router, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (title, router, now, now),
            )
        return _lastrowid(cursor)

    def conversation(self, cid: int) -> ConversationRow | None:
        return self._value("SELECT * FROM conversations WHERE id = ?", (cid,), _conversation_row)

    def conversations(self, search: str | None = None) -> list[ConversationRow]:
        """Most recently active first; ``search`` matches the title or any message text.

        Only its first ``MAX_SEARCH_CHARS`` characters are looked for (callers that take
        typed input say so; see ``app.cli.history``)."""
        needle = (search or "").strip()[:MAX_SEARCH_CHARS].strip()
        params: tuple[str, ...] = ()
        if not needle:
            sql = "SELECT * FROM conversations AS c"
        else:
            where, param = _search_predicate(needle)
            in_title, in_content = where.format(column="c.title"), where.format(column="m.content")
            sql = (
                f"SELECT * FROM conversations AS c WHERE {in_title} OR EXISTS "
                f"(SELECT 1 FROM messages AS m WHERE m.conversation_id = c.id AND {in_content})"
            )
            params = (param, param)
        return self._values(sql + " ORDER BY c.updated_at DESC, c.id DESC", params, _conversation_row)

    def rename_conversation(self, cid: int, title: str) -> None:
        self._update_conversation(cid, "title", title)

    def set_conversation_router(self, cid: int, router: str | None) -> None:
        self._update_conversation(cid, "router", router)

    def replace_router(self, old: str, new: str | None) -> int:
        """Point every conversation routed by ``old`` at ``new`` (None: the default
        router), when a router is renamed or deleted. Returns how many changed."""
        with self._transaction():
            cursor = self._execute("UPDATE conversations SET router = ? WHERE router = ?", (new, old))
        return cursor.rowcount

    def sticky(self, cid: int) -> StickyState | None:
        """The conversation's sticky routing state (None: none, or unreadable)."""
        return self._value("SELECT sticky FROM conversations WHERE id = ?", (cid,),
                           lambda row: _sticky_state(_from_json(row["sticky"])))

    def set_sticky(self, cid: int, state: StickyState | None) -> None:
        value = None if state is None else _to_json({
            "target": state.target, "rule": state.rule,
            "decided_at": format_time(state.decided_at), "messages_since": state.messages_since})
        self._update_conversation(cid, "sticky", value)

    def lock(self, cid: int) -> bool | None:
        """True: locked to this computer; False: unlocked by the user despite private
        messages; None: as the conversation's privacy decides."""
        row = self._row("SELECT lock FROM conversations WHERE id = ?", (cid,))
        return None if row is None or row["lock"] is None else bool(row["lock"])

    def set_lock(self, cid: int, lock: bool | None) -> None:
        self._update_conversation(cid, "lock", None if lock is None else int(lock))

    def chat_settings(self, cid: int) -> ChatSettings:
        """The chat's own settings (defaults when none were set, or unreadable)."""
        settings = self._value("SELECT settings FROM conversations WHERE id = ?", (cid,),
                               lambda row: ChatSettings.from_json(_from_json(row["settings"])))
        return ChatSettings() if settings is None else settings

    def set_chat_settings(self, cid: int, settings: ChatSettings) -> None:
        data = settings.to_json()
        self._update_conversation(cid, "settings", _to_json(data) if data else None)

    def summary(self, cid: int) -> StoredSummary | None:
        """The summary of the chat's older turns, made by the summarize policy."""
        return self._value("SELECT summary FROM conversations WHERE id = ?", (cid,),
                           lambda row: _summary(_from_json(row["summary"])))

    def set_summary(self, cid: int, summary: StoredSummary | None) -> None:
        value = None if summary is None else _to_json({
            "through": summary.through, "text": summary.text, "model": summary.model,
            "private": summary.private, "since": summary.since})
        self._update_conversation(cid, "summary", value)

    def _update_conversation(self, cid: int, column: str, value: str | int | None) -> None:
        # Not an activity: renaming a chat should not move it to the top of the list.
        with self._transaction():
            cursor = self._execute(
                f"UPDATE conversations SET {column} = ? WHERE id = ?", (value, cid)
            )
        if cursor.rowcount == 0:
            raise RowNotFoundError(f"There is no conversation {cid}.")

    def delete_conversation(self, cid: int) -> None:
        """Delete a chat and its messages; its usage rows stay (unlinked) for cost totals."""
        with self._transaction():
            self._execute("DELETE FROM conversations WHERE id = ?", (cid,))

    # ---- messages ---------------------------------------------------------------------

    def add_message(
        self,
        cid: int,
        role: str,
        content: str,
        *,
        status: str = "complete",
        attachments: list[JsonDict] | None = None,
        target: str | None = None,
        rule: str | None = None,
        trace: Sequence[TraceEntry] | None = None,
        reason: str | None = None,
    ) -> int:
        """Append a message and commit before returning; counts as activity on the chat.

        A 'streaming' reply names this process as its writer (see ``_recover_interrupted``)."""
        _check_status(status)
        owner = self._writers.token() if status == "streaming" else None
        now = self._now()
        with self._transaction():
            bumped = self._execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, cid)
            ).rowcount
            if bumped == 0:
                raise RowNotFoundError(f"There is no conversation {cid}.")
            cursor = self._execute(
                "INSERT INTO messages (conversation_id, role, content, status, attachments, "
                "target, rule, trace, reason, owner, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid, role, content, status, _to_json(attachments or []), target, rule,
                    None if trace is None else _to_json(trace_to_json(trace)), reason, owner,
                    now, now,
                ),
            )
        return _lastrowid(cursor)

    def update_message(
        self,
        mid: int,
        *,
        content: str | None = None,
        status: str | None = None,
        target: str | None = None,
        rule: str | None = None,
        trace: Sequence[TraceEntry] | None = None,
        reason: str | None = None,
        tokens_in: int | None = None,
        tokens_out: int | None = None,
        cost: float | None = None,
        latency_ms: float | None = None,
        ttft_ms: float | None = None,
        error: str | None = None,
    ) -> None:
        """Change only the fields given (None means "leave as is") and commit.

        This is the streaming checkpoint, called about once a second.
        """
        if status is not None:
            _check_status(status)
        changes: dict[str, Any] = {
            "content": content,
            "status": status,
            "target": target,
            "rule": rule,
            "trace": None if trace is None else _to_json(trace_to_json(trace)),
            "reason": reason,
            "tokens_in": tokens_in,
            "tokens_out": tokens_out,
            "cost": cost,
            "latency_ms": latency_ms,
            "ttft_ms": ttft_ms,
            "error": error,
        }
        given = {column: value for column, value in changes.items() if value is not None}
        given["updated_at"] = self._now()
        # Column names come from the literal dict above, never from the caller.
        assignments = ", ".join(f"{column} = ?" for column in given)
        with self._transaction():
            cursor = self._execute(
                f"UPDATE messages SET {assignments} WHERE id = ?", (*given.values(), mid)
            )
        if cursor.rowcount == 0:
            raise RowNotFoundError(f"There is no message {mid}.")

    def messages(self, cid: int) -> list[MessageRow]:
        """The chat's messages in order; a reply as its chosen version."""
        [(data_version,)] = self._rows("PRAGMA data_version")
        key = (cid, self._message_changes, data_version)
        if self._last_messages is not None and self._last_messages[0] == key:
            return list(self._last_messages[1])
        rows = self._converted(f"{_MESSAGE_SELECT} WHERE m.conversation_id = ? ORDER BY m.id", (cid,),
                               _message_rows)
        self._last_messages = (key, rows)
        return list(rows)

    def message(self, mid: int) -> MessageRow | None:
        return next(iter(self._converted(f"{_MESSAGE_SELECT} WHERE m.id = ?", (mid,), _message_rows)), None)

    # ---- versions of a reply -------------------------------------------------------------

    def new_version(self, mid: int) -> None:
        """Make room for another version of reply ``mid`` (Regenerate) and start streaming it.

        The version shown is kept among the others, numbered as it was, unless it holds no
        text (a reply that failed before its first word is replaced, not kept); the new
        one is numbered after the last. Counts as activity on the chat."""
        now = self._now()
        with self._transaction():
            row = self._row("SELECT conversation_id, content FROM messages WHERE id = ?", (mid,))
            if row is None:
                raise RowNotFoundError(f"There is no message {mid}.")
            if row["content"]:
                self._archive_version(mid)
            [(last,)] = self._rows(
                "SELECT COALESCE(MAX(number), 0) FROM reply_versions WHERE message_id = ?", (mid,))
            cleared = ", ".join(f"{column} = NULL" for column in _VERSION_COLUMNS[2:-2])
            self._execute(
                f"UPDATE messages SET content = '', status = 'streaming', {cleared}, owner = ?, "
                "version = ?, created_at = ?, updated_at = ? WHERE id = ?",
                (self._writers.token(), int(last) + 1, now, now, mid))
            self._execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                          (now, row["conversation_id"]))

    def choose_version(self, mid: int, number: int) -> MessageRow:
        """Show version ``number`` of reply ``mid`` from now on (it is what later
        requests and exports read). A version with no text is dropped when left."""
        with self._transaction():
            row = self._row("SELECT version, status, content FROM messages WHERE id = ?", (mid,))
            if row is None:
                raise RowNotFoundError(f"There is no message {mid}.")
            if row["status"] == "streaming":
                raise StoreError("This reply is still being written; its versions can be chosen "
                                 "when it is done.")
            if number != row["version"]:
                if self._row("SELECT 1 FROM reply_versions WHERE message_id = ? AND number = ?",
                             (mid, number)) is None:
                    raise RowNotFoundError(f"Message {mid} has no version {number}.")
                if row["content"]:
                    self._archive_version(mid)
                columns = ", ".join(_VERSION_COLUMNS)
                self._execute(
                    f"UPDATE messages SET ({columns}) = (SELECT {columns} FROM reply_versions "
                    "WHERE message_id = ? AND number = ?), version = ? WHERE id = ?",
                    (mid, number, number, mid))
                self._execute("DELETE FROM reply_versions WHERE message_id = ? AND number = ?",
                              (mid, number))
        chosen = self.message(mid)
        assert chosen is not None  # changed just above, in the same thread
        return chosen

    def _archive_version(self, mid: int) -> None:
        """Copy the version a reply shows into reply_versions (inside a transaction). A
        reply left 'streaming' by a crash is kept as what it is: incomplete."""
        columns = ", ".join(_VERSION_COLUMNS)
        picked = columns.replace("status", "CASE status WHEN 'streaming' THEN 'incomplete' "
                                           "ELSE status END", 1)
        self._execute(f"INSERT INTO reply_versions (message_id, number, {columns}) "
                      f"SELECT id, version, {picked} FROM messages WHERE id = ?", (mid,))

    def reopen_reply(self, mid: int) -> None:
        """Reply ``mid`` streams again, its text kept (Continue): 'streaming', written by
        this process, and its note (why it was cut off) cleared until it ends again."""
        with self._transaction():
            cursor = self._execute(
                "UPDATE messages SET status = 'streaming', error = NULL, owner = ?, updated_at = ? "
                "WHERE id = ?", (self._writers.token(), self._now(), mid))
        if cursor.rowcount == 0:
            raise RowNotFoundError(f"There is no message {mid}.")

    # ---- deleting and restoring single messages ---------------------------------------------

    def delete_messages(self, cid: int, ids: Sequence[int]) -> DeletedMessages:
        """Delete some of a chat's messages (with all their versions); returns what went,
        so that ``restore_messages`` can put it back as it was. Their usage stays, unlinked."""
        marks = ", ".join("?" * len(ids))
        with self._transaction():
            messages = self._rows(f"SELECT * FROM messages WHERE conversation_id = ? AND id IN ({marks}) "
                                  "ORDER BY id", (cid, *ids))
            found = tuple(int(m["id"]) for m in messages)
            marks = ", ".join("?" * len(found))
            versions = self._rows(f"SELECT * FROM reply_versions WHERE message_id IN ({marks})", found)
            usage = self._rows(f"SELECT id, message_id FROM usage WHERE message_id IN ({marks})", found)
            self._execute(f"DELETE FROM messages WHERE id IN ({marks})", found)
        return DeletedMessages(cid, found, tuple(dict(m) for m in messages),
                               tuple(dict(v) for v in versions),
                               tuple((int(u["id"]), int(u["message_id"])) for u in usage))

    def restore_messages(self, deleted: DeletedMessages) -> None:
        """Put back what ``delete_messages`` took, with the same ids (so the same places in
        the chat) and links. RowNotFoundError when the chat itself is gone meanwhile."""
        with self._transaction():
            if self._row("SELECT 1 FROM conversations WHERE id = ?", (deleted.conversation_id,)) is None:
                raise RowNotFoundError(f"There is no conversation {deleted.conversation_id}.")
            for table, rows in (("messages", deleted.messages), ("reply_versions", deleted.versions)):
                for values in rows:
                    # The names were read from this database's own tables, not from a caller.
                    names = ", ".join(f'"{name}"' for name in values)
                    marks = ", ".join("?" * len(values))
                    self._execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values()))
            for usage_id, message_id in deleted.usage:
                self._execute("UPDATE usage SET message_id = ? WHERE id = ? AND message_id IS NULL",
                              (message_id, usage_id))

    def delete_messages_after(self, cid: int, mid: int) -> None:
        """Delete the chat's messages after ``mid`` (which stays): edit-and-resend, regenerate."""
        with self._transaction():
            self._execute("DELETE FROM messages WHERE conversation_id = ? AND id > ?", (cid, mid))

    # ---- usage ----------------------------------------------------------------------------

    def add_usage(
        self,
        *,
        conversation_id: int | None,
        message_id: int | None,
        target: str,
        kind: str,
        tokens_in: int,
        tokens_out: int,
        cost: float | None,
        estimated: bool = False,
    ) -> None:
        """Record what one model call cost.

        The links are resolved in SQL: if the chat or message was deleted while the reply
        streamed, the row is still recorded, unlinked, exactly as if the delete had come
        a moment later (ON DELETE SET NULL). Spend is never lost to that race.
        """
        if kind not in USAGE_KINDS:
            raise ValueError(f"Unknown usage kind {kind!r}; expected one of {sorted(USAGE_KINDS)}.")
        with self._transaction():
            self._execute(
                "INSERT INTO usage (conversation_id, message_id, target, kind, tokens_in, "
                "tokens_out, cost, estimated, created_at) VALUES ("
                "(SELECT id FROM conversations WHERE id = ?), "
                "(SELECT id FROM messages WHERE id = ?), ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id, message_id, target, kind, tokens_in, tokens_out, cost,
                    int(estimated), self._now(),
                ),
            )

    def usage_rows(self, conversation_id: int | None = None) -> list[UsageRow]:
        """All usage in recording order, or one conversation's."""
        if conversation_id is None:
            return self._values("SELECT * FROM usage ORDER BY id", (), _usage_row)
        return self._values("SELECT * FROM usage WHERE conversation_id = ? ORDER BY id",
                            (conversation_id,), _usage_row)

    # ---- privacy ---------------------------------------------------------------------------

    def mark_private(self, mid: int, mark: PrivateMark | None) -> None:
        """Record why a user message is private (None: it is not); never the value."""
        value = None if mark is None else _to_json(mark.to_json())
        with self._transaction():
            cursor = self._execute("UPDATE messages SET private = ? WHERE id = ?", (value, mid))
        if cursor.rowcount == 0:
            raise RowNotFoundError(f"There is no message {mid}.")

    def add_egress(self, *, conversation_id: int | None, kind: str, target: str, host: str,
                   size: int, message_ids: Sequence[int], redactions: dict[str, int],
                   omitted: int) -> int:
        with self._transaction():
            cursor = self._execute(
                "INSERT INTO egress (conversation_id, kind, target, host, bytes, message_ids, "
                "redactions, omitted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, kind, target, host, size, _to_json(list(message_ids)),
                 _to_json(redactions), omitted, self._now()),
            )
        return _lastrowid(cursor)

    def egress_rows(self, conversation_id: int | None = None) -> list[EgressRow]:
        """Oldest first; every conversation's when ``conversation_id`` is None."""
        if conversation_id is None:
            return self._values("SELECT * FROM egress ORDER BY id", (), _egress_row)
        return self._values("SELECT * FROM egress WHERE conversation_id = ? ORDER BY id",
                            (conversation_id,), _egress_row)

    # ---- settings and health -------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        found = self._values("SELECT value FROM settings WHERE name = ?", (key,),
                             lambda row: json.loads(row["value"]))
        return found[0] if found else default

    def set_setting(self, key: str, value: Any) -> None:
        """Store any JSON value (a TypeError/ValueError if it is not JSON)."""
        encoded = _to_json(value)
        with self._transaction():
            self._execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (key, encoded),
            )

    def integrity_ok(self) -> bool:
        """SQLite's integrity check passes and no foreign key dangles."""
        try:
            result = [row[0] for row in self._rows("PRAGMA integrity_check")]
            dangling = self._row("PRAGMA foreign_key_check")
        except DatabaseDamaged:  # a damaged file can fail the check itself
            return False
        return result == ["ok"] and dangling is None


def set_aside(path: Path, clock: Callable[[], datetime] = utc_now) -> Path:
    """Move a damaged database out of the way, so that a new one can start at ``path``.

    Renamed, never copied over or deleted: to ``<name>.damaged-<time>``, with its ``-wal``
    and ``-shm`` files beside it under the same new name (SQLite finds them by name, so a
    repair tool can still read everything that was committed). A name that is taken is
    never overwritten. Returns the new path; OSError when it cannot be moved."""
    stamp = clock().astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    target, n = path.with_name(f"{path.name}.damaged-{stamp}"), 1
    while any(os.path.lexists(f"{target}{suffix}") for suffix in _COMPANIONS):
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    # The main file first: were a stale -wal left at ``path`` after it, SQLite would
    # replay it into the new database, so a companion that cannot move is an error.
    for suffix in _COMPANIONS:
        if os.path.lexists(f"{path}{suffix}"):
            os.rename(f"{path}{suffix}", f"{target}{suffix}")
    return target


_COMPANIONS = ("", "-wal", "-shm")  # a database file, and the files SQLite keeps beside it


def _code(exc: sqlite3.Error) -> int:
    """SQLite's primary result code (the extended code's low byte), 0 when unknown."""
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _bindable(params: Sequence[object]) -> tuple[object, ...]:
    """Parameters as SQLite can take them.

    Text is made storable (lone surrogates from undecodable bytes would raise
    UnicodeEncodeError and lose the message). An integer beyond 64 bits can only be an
    id that no row has, so it is bound as NULL, which equals nothing: a lookup finds
    nothing and an update reports RowNotFoundError, instead of OverflowError."""
    return tuple(safe_text(p) if isinstance(p, str)
                 else None if isinstance(p, int) and p not in _SQLITE_INT
                 else p for p in params)


def _first_line(text: str) -> str:
    """The first line that says something of SQLite's check report (it opens with a
    '*** in database main ***' banner), kept short."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and "***" not in line]
    first = lines[0] if lines else text.strip()
    return first if len(first) <= 120 else f"{first[:117]}…"


def _search_predicate(needle: str) -> tuple[str, str]:
    """SQL (with a ``{column}`` slot) and its parameter for a case-insensitive substring match.

    SQLite's LIKE folds case for ASCII only. An ASCII needle uses LIKE (fast, in C); any
    other goes through Python's casefold so that "über" finds "Über".
    """
    if needle.isascii():
        return "{column} LIKE ? ESCAPE '\\'", _like_pattern(needle)
    return "casefold_contains({column}, ?)", needle.casefold()


def _lastrowid(cursor: sqlite3.Cursor) -> int:
    rowid = cursor.lastrowid
    assert rowid is not None  # an INSERT into a rowid table always sets it
    return rowid
