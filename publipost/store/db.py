"""The store itself: a SQLite file (WAL) on one machine, or a PostgreSQL database for a team;
the same schema and the same statements on both.

Every write is one short transaction that inserts what is new and leaves what is there: two
imports, a send and the unsubscribe endpoint may write at once, and nothing is lost or
doubled (SQLite waits for the lock up to BUSY_SECONDS instead of failing).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publipost.errors import PublipostError, Where

APPLICATION = "publipost-store"
SCHEMA_VERSION = 1
BUSY_SECONDS = 60
BATCH = 500  # keys per lookup query
SCAN_FROM = 20_000  # more keys than this: one pass over the entries beats 40 indexed queries
COLUMNS = "key, channel, reason, source, at"
REASONS = ("unsubscribed", "hard bounce", "complaint", "manual", "soft bounces")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS suppressions ("
    " key TEXT NOT NULL, channel TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,"
    " at TEXT NOT NULL, PRIMARY KEY (key, channel))",
    "CREATE TABLE IF NOT EXISTS soft_bounces ("
    " key TEXT NOT NULL, message TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL,"
    " PRIMARY KEY (key, message))",
    # Reports that proved nothing (bounces import): set aside with the reason, suppressing nobody.
    "CREATE TABLE IF NOT EXISTS reviews ("
    " message TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, shown TEXT NOT NULL,"
    " reason TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (message, key))",
    # The messages of each mailbox already read: an import never reads a mailbox whole again.
    "CREATE TABLE IF NOT EXISTS seen_messages ("
    " mailbox TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (mailbox, key))",
]

# The suppressions' version: a random token the database itself draws anew on every change to
# them, whoever writes (a trigger: publipost, the unsubscribe endpoint, a hand-written UPDATE).
# A count would repeat (a delete, a backup restored); a token names one state of the entries, so a
# command may reuse an audience accounted against the same token (campaigns/accounted.py).
CHANGED = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS suppressions_{event.lower()} AFTER {event} ON suppressions"
        " BEGIN UPDATE store_meta SET value = lower(hex(randomblob(16))) WHERE key = 'version'; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ],
    "postgres": [
        "CREATE OR REPLACE FUNCTION publipost_suppressions_changed() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN UPDATE store_meta SET value = md5(random()::text || clock_timestamp()::text)"
        " WHERE key = 'version'; RETURN NULL; END $$",
        "CREATE TRIGGER suppressions_changed AFTER INSERT OR UPDATE OR DELETE ON suppressions"
        " FOR EACH ROW EXECUTE FUNCTION publipost_suppressions_changed()",
    ],
}


@dataclass(frozen=True)
class Entry:
    key: str  # SHA-256 of the normalised address (keys.py)
    channel: str  # email | postal
    reason: str  # one of REASONS
    source: str  # the campaign code, the file, the message that brought it
    at: str = ""  # ISO 8601, UTC; set when written if empty


@dataclass(frozen=True)
class Review:
    """A report set aside: it suppressed nobody, and says why."""

    message: str  # the report's Message-ID, or its key in the mailbox
    key: str  # the store's key of the address it names ("" for a message that could not be read)
    kind: str  # hard bounce, soft bounce, complaint, unsubscribe, unreadable
    shown: str  # the address masked (a***@example.com)
    reason: str
    source: str  # the mailbox
    at: str = ""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def is_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def shown(location: str) -> str:
    """The location as messages may print it: a URL without its password (even one that is not
    a valid URL: everything between '//' and the last '@' is hidden)."""
    if not is_url(location):
        return location
    try:
        parts = urlsplit(location)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        scheme, _, rest = location.partition("//")
        return f"{scheme}//***@{rest.rsplit('@', 1)[1]}" if "@" in rest else location
    parts = urlsplit(location)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


class Store:
    """One connection to the store. Use as a context manager."""

    def __init__(
        self, location: str, *, create: bool = True, busy_seconds: float = BUSY_SECONDS, db: Any = None
    ):
        """`db`: a connection from a pool (the unsubscribe endpoint's), already checked to be a
        store; `busy_seconds`: how long a SQLite write waits for another writer's lock."""
        self.location = location
        self.postgres = is_url(location)
        if self.postgres:
            try:
                urlsplit(location).port  # noqa: B018 (an unclosed '[' or a port that is not a number)
            except ValueError as exc:
                raise PublipostError(
                    f"the store's URL cannot be read ({exc}): {shown(location)}",
                    hint="check PUBLIPOST_STORE: postgresql://USER@HOST:PORT/DATABASE (no password shown)",
                ) from None
        self.busy_seconds = busy_seconds
        if db is not None:
            self.db = db
            return
        self.db = self._connect_postgres() if self.postgres else self._connect_sqlite(create)
        self._migrate()

    # --- connecting ---------------------------------------------------------------------------

    def _connect_sqlite(self, create: bool) -> sqlite3.Connection:
        path = Path(self.location)
        if not create and not path.exists():
            raise FileNotFoundError(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=self.busy_seconds, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_seconds * 1000)}")
        except (OSError, sqlite3.Error) as exc:
            raise PublipostError(
                f"cannot open the store: {exc}",
                Where(path),
                "PUBLIPOST_STORE (or [tool.publipost] store) names a file in a folder you can write to",
            ) from None
        return db

    def _connect_postgres(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise PublipostError(
                f"the store {shown(self.location)} is a PostgreSQL database, and psycopg is not installed",
                hint="pip install 'publipost[postgres]'",
            ) from None
        try:
            return psycopg.connect(self.location, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            parts = urlsplit(self.location)
            database = parts.path.lstrip("/") or "(default)"
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if parts.password:
                reason = reason.replace(parts.password, "***")
            raise PublipostError(
                f"cannot connect to the store: database '{database}' on {parts.hostname or 'localhost'}"
                f"{':' + str(parts.port) if parts.port else ''}: {reason}",
                hint="check PUBLIPOST_STORE (host, port, database, user; the password is not shown)",
            ) from None

    def _not_a_store(self) -> PublipostError:
        return PublipostError(
            "this file is not a publipost suppression store",
            Where(Path(self.location)),
            "point PUBLIPOST_STORE (or [tool.publipost] store) at another file; this one is left as it is",
        )

    def _migrate(self) -> None:
        """Create the schema, or check the one there: another application's database, or a
        newer publipost's store, is refused before anything is written."""
        tables = self._tables()
        if tables and "store_meta" not in tables:
            raise self._foreign()
        if "store_meta" in tables:
            meta = dict(self._rows("SELECT key, value FROM store_meta"))
            if meta.get("application") != APPLICATION:
                raise self._foreign()
            version = int(meta.get("schema", "0"))
            if version > SCHEMA_VERSION:
                raise PublipostError(
                    f"the store {shown(self.location)} has schema {version}, newer than this publipost's "
                    f"({SCHEMA_VERSION})",
                    hint="upgrade publipost (pip install -U publipost); the store is left as it is",
                )
        if not self.postgres:  # readers never wait for a writer (set once the file is known ours)
            self.db.execute("PRAGMA journal_mode=WAL")
        with self._transaction():
            if self.postgres:  # two first connections at once: CREATE … IF NOT EXISTS races in
                # PostgreSQL (a duplicate key in its catalogue), so they migrate one at a time
                self._execute("SELECT pg_advisory_xact_lock(hashtext('publipost-store-schema'))")
            for statement in SCHEMA:
                self._execute(statement)
            self._execute(self._insert_ignore("store_meta", 2), ("application", APPLICATION))
            self._execute(self._insert_ignore("store_meta", 2), ("schema", str(SCHEMA_VERSION)))
            self._execute(self._insert_ignore("store_meta", 2), ("id", uuid.uuid4().hex))
            self._execute(self._insert_ignore("store_meta", 2), ("version", uuid.uuid4().hex))
            if not self._triggers():  # a store made before versions (or its triggers dropped)
                self._add_triggers()

    def _foreign(self) -> PublipostError:
        if self.postgres:
            return PublipostError(
                f"the database {shown(self.location)} holds tables that are not a publipost store",
                hint="give the store a database (or a schema) of its own; nothing was changed",
            )
        return self._not_a_store()

    def _tables(self) -> set[str]:
        if self.postgres:
            query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        try:
            return {name for (name,) in self._rows(query)}
        except sqlite3.DatabaseError:
            raise self._not_a_store() from None

    # --- statements, the same on both --------------------------------------------------------

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def _insert_ignore(self, table: str, values: int) -> str:
        marks = ", ".join("?" * values)
        return f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT DO NOTHING"

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(self._sql(statement), params)

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._execute(statement, params).fetchall())

    def _transaction(self) -> Any:
        if self.postgres:
            return self.db.transaction()
        return _SqliteTransaction(self.db)

    # --- what publipost asks of it ----------------------------------------------------------

    def add(self, entries: Iterable[Entry]) -> tuple[int, int]:
        """Suppress these keys; returns (new, already there). An entry already there keeps its
        first reason and date: the first unsubscribe is the one the law counts from."""
        stamp = now()
        rows = [(e.key, e.channel, e.reason, e.source[:500], e.at or stamp) for e in entries]
        new = self._insert(self._insert_ignore("suppressions", 5), rows)
        return new, len(rows) - new

    def remove(self, keys: Iterable[str], channel: str) -> int:
        """Lift suppressions (a customer who subscribes again, an entry added by mistake)."""
        removed = 0
        wanted = sorted(set(keys))
        with self._transaction():
            for start in range(0, len(wanted), BATCH):
                batch = wanted[start : start + BATCH]
                marks = ", ".join("?" * len(batch))
                cursor = self._execute(
                    f"DELETE FROM suppressions WHERE channel = ? AND key IN ({marks})", [channel, *batch]
                )
                removed += cursor.rowcount
                self._execute(f"DELETE FROM soft_bounces WHERE key IN ({marks})", batch)
        return removed

    def find(self, keys: Iterable[str], channel: str) -> dict[str, Entry]:
        """The entries of these keys on a channel, by key (keys not suppressed are absent)."""
        wanted = sorted(set(keys))
        found: dict[str, Entry] = {}
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            marks = ", ".join("?" * len(batch))
            query = f"SELECT {COLUMNS} FROM suppressions WHERE channel = ? AND key IN ({marks})"
            for key, chan, reason, source, at in self._rows(query, [channel, *batch]):
                found[key] = Entry(key, chan, reason, source, at)
        return found

    def said(self, keys: Iterable[str], channel: str) -> dict[str, str]:
        """For the suppressed ones among these keys, why, as reports print it: "unsubscribed
        on 2026-11-29 (PLAN27, one-click)". Many keys: one pass over the channel's entries."""
        text = "reason || ' on ' || substr(at, 1, 10) || ' (' || source || ')'"
        wanted = set(keys)
        found: dict[str, str] = {}
        if len(wanted) > SCAN_FROM:  # which of them are there: one pass over the keys alone
            cursor = self._execute("SELECT key FROM suppressions WHERE channel = ?", [channel])
            present = []
            while rows := cursor.fetchmany(100_000):
                present += [key for (key,) in rows if key in wanted]
            wanted = set(present)
        if len(wanted) > SCAN_FROM:  # and many are: why, in a second pass
            cursor = self._execute(f"SELECT key, {text} FROM suppressions WHERE channel = ?", [channel])
            while rows := cursor.fetchmany(100_000):
                found.update((key, said) for key, said in rows if key in wanted)
            return found
        ordered = sorted(wanted)
        for start in range(0, len(ordered), BATCH):
            batch = ordered[start : start + BATCH]
            marks = ", ".join("?" * len(batch))
            query = f"SELECT key, {text} FROM suppressions WHERE channel = ? AND key IN ({marks})"
            found.update(self._rows(query, [channel, *batch]))
        return found

    def soft_bounce(self, key: str, message: str, source: str, threshold: int) -> bool:
        """Count a temporary failure (once per message); at `threshold` of them, suppress.
        Returns whether this report suppressed the address."""
        with self._transaction():
            self._execute(self._insert_ignore("soft_bounces", 4), (key, message, source, now()))
            (count,) = self._rows("SELECT COUNT(*) FROM soft_bounces WHERE key = ?", [key])[0]
        if count >= threshold:
            said = f"{count} soft bounces, the last: {source}"
            new, _ = self.add([Entry(key, "email", "soft bounces", said)])
            return new > 0
        return False

    def to_review(self, items: Iterable[Review]) -> int:
        """Set reports aside; returns how many are new (a report read again is there once)."""
        stamp = now()
        rows = [
            (r.message, r.key, r.kind, r.shown, r.reason[:500], r.source[:500], r.at or stamp) for r in items
        ]
        return self._insert(self._insert_ignore("reviews", 7), rows)

    def reviews(self) -> list[Review]:
        query = "SELECT message, key, kind, shown, reason, source, at FROM reviews ORDER BY at, message, key"
        return [Review(*row) for row in self._rows(query)]

    def seen(self, mailbox: str) -> set[str]:
        """The keys of this mailbox's messages already read."""
        return {key for (key,) in self._rows("SELECT key FROM seen_messages WHERE mailbox = ?", [mailbox])}

    def mark_seen(self, mailbox: str, keys: Iterable[str]) -> None:
        stamp = now()
        self._insert(self._insert_ignore("seen_messages", 3), [(mailbox, key, stamp) for key in keys])

    def _insert(self, statement: str, rows: list[tuple[Any, ...]]) -> int:
        statement = self._sql(statement)
        with self._transaction():
            if self.postgres:
                cursor = self.db.cursor()
                cursor.executemany(statement, rows)
                return max(cursor.rowcount, 0)  # psycopg: the rows inserted, summed
            # the rows inserted, summed (a row ignored on conflict is none); not total_changes,
            # which counts the version triggers' writes too
            return max(self.db.executemany(statement, rows).rowcount, 0)

    def entries(self) -> Iterator[Entry]:
        for row in self._rows(f"SELECT {COLUMNS} FROM suppressions ORDER BY at, key"):
            yield Entry(*row)

    def stats(self) -> dict[tuple[str, str], int]:
        """(channel, reason) → entries."""
        rows = self._rows("SELECT channel, reason, COUNT(*) FROM suppressions GROUP BY channel, reason")
        return {(channel, reason): int(count) for channel, reason, count in rows}

    def identity(self) -> str:
        """The store's own id, made when it was created: a run records it, so that a store
        moved keeps its identity and another store under the same name does not."""
        found = self._rows("SELECT value FROM store_meta WHERE key = 'id'")
        return str(found[0][0]) if found else ""

    def version(self) -> str:
        """A token the store draws anew at every change to its suppressions (CHANGED): equal
        tokens, the same entries. "" when its triggers are gone or disabled (dropped by hand,
        never added, a restore without them): a token nothing keeps up to date says nothing."""
        if not self._triggers(enabled=True):
            return ""
        found = self._rows("SELECT value FROM store_meta WHERE key = 'version'")
        return str(found[0][0]) if found else ""

    def _triggers(self, enabled: bool = False) -> bool:
        """Whether every trigger that keeps the version is there (`enabled`: and enabled)."""
        if self.postgres:
            names = ["suppressions_changed"]
            query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'suppressions'::regclass"
            query += " AND tgenabled <> 'D'" if enabled else ""
        else:
            names = [f"suppressions_{event}" for event in ("insert", "update", "delete")]
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'suppressions'"
        return set(names) <= {name for (name,) in self._rows(query)}

    def _add_triggers(self) -> None:
        """Within the migration (one connection at a time), with a new version: what changed
        while they were missing went unseen. A PostgreSQL role that may not add a trigger (not
        the tables' owner) keeps a store that works; its version then says nothing, and no
        audience is kept accounted whole against it. (A trigger disabled and enabled again by
        hand hides what changed meanwhile: draw a new version after such work, as here.)"""
        self._execute("UPDATE store_meta SET value = ? WHERE key = 'version'", [uuid.uuid4().hex])
        if not self.postgres:
            for statement in CHANGED["sqlite"]:
                self._execute(statement)
            return
        import psycopg

        try:
            with self.db.transaction():  # a savepoint: a refusal undoes these statements only
                for statement in CHANGED["postgres"]:
                    self._execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            pass

    def total(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM suppressions")[0][0])

    def soft_counts(self) -> int:
        return int(self._rows("SELECT COUNT(DISTINCT key) FROM soft_bounces")[0][0])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _SqliteTransaction:
    """BEGIN IMMEDIATE: take the write lock first (waiting for it), so that two writers never
    deadlock halfway through."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
