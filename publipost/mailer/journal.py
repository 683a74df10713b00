"""The send journal: where every recipient of a campaign stands, committed as it happens.

One SQLite file (WAL) per campaign and output folder. A recipient is pending, then
in flight (claimed, and committed, before its message's transaction starts), then sent
with the server's reply, deferred (a 4xx or a failure before the data: retried) or failed
(a 5xx). A recipient stays in flight when the outcome is unknown: the data went out and
no reply came back (a lost reply, RFC 1047), or the process died. Such a recipient is
reported as uncertain and sent again only on request. A recipient the audience no longer
holds (suppressed, filtered out since) is withdrawn, and pending again if it comes back.

The journal also remembers which campaign it belongs to and fingerprints of what was
sent (see `publipost.resume`): a journal is never resumed by another campaign, nor
after the copy or the customer file changed, unless the operator says so.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from publipost.errors import PublipostError, Where

PENDING, IN_FLIGHT, SENT, DEFERRED, FAILED, WITHDRAWN = (
    "pending",
    "in flight",
    "sent",
    "deferred",
    "failed",
    "withdrawn",
)
STATUSES = (PENDING, IN_FLIGHT, SENT, DEFERRED, FAILED, WITHDRAWN)
TODO = (PENDING, DEFERRED)  # what a run sends
SCHEMA_VERSION = 3  # 3: not_before and first_deferred (a domain that asked to slow down)

SCHEMA = """
CREATE TABLE IF NOT EXISTS recipients (
    id TEXT PRIMARY KEY,
    row INTEGER NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    not_before REAL NOT NULL DEFAULT 0,  -- a deferred recipient is not tried before (epoch seconds)
    first_deferred REAL                  -- since when it has been deferred: --max-retry-time
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Entry:
    id: str
    row: int
    address: str
    status: str
    attempts: int
    reply: str


@dataclass(frozen=True)
class Change:
    """A status change. A claim succeeds only if the recipient is still pending or deferred:
    two writers can never both start a transaction for one recipient."""

    id: str
    status: str
    reply: str = ""
    attempt: bool = False
    claim: bool = False
    not_before: float = 0.0  # deferred: not tried again before this time (epoch seconds)


@dataclass
class Reconciled:
    """What `reconcile` did to the journal to make it match the audience."""

    added: int = 0
    withdrawn: int = 0
    restored: int = 0
    readdressed: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old address, new address)


def shard_of(address: str, shards: int, by_domain: bool = True) -> int:
    """The sending process an address belongs to (a stable hash, not Python's): by its domain,
    so that one process holds a per-domain limit, or by the address itself, so that a list
    that is mostly one domain (a retailer's, to gmail.com) still keeps every process busy."""
    if shards <= 1:
        return 0
    key = address.rsplit("@", 1)[-1] if by_domain else address
    return zlib.crc32(key.lower().encode()) % shards


class Journal:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        existed = path.exists() and path.stat().st_size > 0
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)  # autocommit
        self.db.create_function("shard_of", 3, shard_of, deterministic=True)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if existed:
                self._check_schema()
            self.db.executescript(SCHEMA)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(recipients)")}
            for column, kind in (("not_before", "REAL NOT NULL DEFAULT 0"), ("first_deferred", "REAL")):
                if column not in columns:  # a journal of schema 1 or 2
                    self.db.execute(f"ALTER TABLE recipients ADD COLUMN {column} {kind}")
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise PublipostError(
                f"this file is not a publipost send journal: {exc}",
                Where(path),
                "choose another output folder with --out; publipost does not overwrite it",
            ) from None
        if not existed or int(self.meta().get("schema", "1")) < SCHEMA_VERSION:
            self.set_meta("schema", str(SCHEMA_VERSION))

    def _check_schema(self) -> None:
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "recipients" not in tables:
            raise sqlite3.DatabaseError("it has no recipients table")
        version = self.meta().get("schema", "1")
        if int(version) > SCHEMA_VERSION:
            raise PublipostError(
                f"this send journal was written by a newer publipost (schema {version})",
                Where(self.path),
                "upgrade publipost (pip install -U publipost) to resume this send",
            )

    def close(self) -> None:
        self.db.close()

    # --- what the journal belongs to ---------------------------------------------------------

    def meta(self) -> dict[str, str]:
        try:
            return dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:  # a journal of the first schema
            return {}

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def fingerprints(self) -> dict[str, str] | None:
        value = self.meta().get("fingerprints")
        return json.loads(value) if value else None

    def set_fingerprints(self, fingerprints: dict[str, str]) -> None:
        self.set_meta("fingerprints", json.dumps(fingerprints, sort_keys=True))

    # --- the recipients ----------------------------------------------------------------------

    def add(self, recipients: Iterable[tuple[str, int, str]], batch: int = 2000) -> None:
        """Record new recipients as pending, a batch per transaction; known ones keep their status."""
        now = time.time()
        rows = ((rid, row, address, PENDING, now) for rid, row, address in recipients)
        while chunk := list(islice(rows, batch)):
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO recipients (id, row, address, status, updated) VALUES (?, ?, ?, ?, ?)",
                chunk,
            )
            self.db.execute("COMMIT")

    def reconcile(self, mailing: Iterable[tuple[str, int, str]]) -> Reconciled:
        """Make the journal match the audience about to be mailed, in one transaction.

        New recipients are added as pending. Pending or deferred ones the audience no longer
        holds are withdrawn (nobody is left 'pending' for ever), withdrawn ones that are back
        are pending again. A recipient not yet mailed whose address changed is recorded with
        the new one, so the envelope and the message always name the same address. Sent,
        failed and uncertain recipients are never touched.
        """
        now = time.time()
        known = {
            rid: (status, address)
            for rid, status, address in self.db.execute("SELECT id, status, address FROM recipients")
        }
        result = Reconciled()
        new: list[tuple[str, int, str, str, float]] = []
        updates: list[tuple[str, str, int, float, str]] = []
        present: set[str] = set()
        for rid, row, address in mailing:
            present.add(rid)
            seen = known.get(rid)
            if seen is None:
                new.append((rid, row, address, PENDING, now))
                continue
            status, old = seen
            if status not in (*TODO, WITHDRAWN):
                continue
            if status == WITHDRAWN:
                result.restored += 1
                status = PENDING
            if old != address:
                result.readdressed.append((rid, old, address))
            if seen != (status, address):
                updates.append((status, address, row, now, rid))
        gone = [
            (WITHDRAWN, now, rid)
            for rid, (status, _) in known.items()
            if status in TODO and rid not in present
        ]
        result.added, result.withdrawn = len(new), len(gone)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "INSERT INTO recipients (id, row, address, status, updated) VALUES (?, ?, ?, ?, ?)", new
            )
            self.db.executemany(
                "UPDATE recipients SET status = ?, address = ?, row = ?, updated = ? WHERE id = ?", updates
            )
            self.db.executemany(
                "UPDATE recipients SET status = ?, reply = 'no longer in the audience', updated = ? "
                "WHERE id = ?",
                gone,
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return result

    def todo(
        self, shard: int = 0, shards: int = 1, batch: int = 1000, *, by_domain: bool = True
    ) -> Iterator[Entry]:
        """Pending recipients, and deferred ones whose time has come, read a batch at a time
        (memory stays flat), one shard of them (`shard_of`)."""
        last = 0
        now = time.time()
        while True:
            rows = self.db.execute(
                "SELECT rowid, id, row, address, status, attempts, reply FROM recipients "
                "WHERE rowid > ? AND status IN (?, ?) AND not_before <= ? AND shard_of(address, ?, ?) = ? "
                "ORDER BY rowid LIMIT ?",
                (last, PENDING, DEFERRED, now, shards, by_domain, shard, batch),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from (Entry(*row[1:]) for row in rows)

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self.db.execute("SELECT COUNT(*) FROM recipients").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM recipients WHERE status = ?", (status,)).fetchone()[0]

    def counts(self) -> dict[str, int]:
        found = dict(self.db.execute("SELECT status, COUNT(*) FROM recipients GROUP BY status").fetchall())
        return {status: found.get(status, 0) for status in STATUSES}

    def entries(self, *statuses: str) -> list[Entry]:
        marks = ", ".join("?" for _ in statuses)
        rows = self.db.execute(
            "SELECT id, row, address, status, attempts, reply FROM recipients "
            f"WHERE status IN ({marks}) ORDER BY row",
            statuses,
        ).fetchall()
        return [Entry(*row) for row in rows]

    def apply(self, changes: list[Change]) -> list[bool]:
        """Changes in order, in one transaction; for each, whether it took effect (a claim of a
        recipient that is no longer pending or deferred does not)."""
        now = time.time()
        done: list[bool] = []
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for change in changes:
                condition = " AND status IN (?, ?)" if change.claim else ""
                deferred = change.status == DEFERRED
                cursor = self.db.execute(
                    "UPDATE recipients SET status = ?, reply = ?, attempts = attempts + ?, updated = ?, "
                    "not_before = ?, first_deferred = CASE WHEN ? THEN COALESCE(first_deferred, ?) "
                    f"WHEN ? THEN first_deferred ELSE NULL END WHERE id = ?{condition}",
                    (change.status, change.reply, int(change.attempt), now, change.not_before)
                    + (deferred, now, change.status == IN_FLIGHT, change.id)
                    + (TODO if change.claim else ()),
                )
                done.append(cursor.rowcount == 1)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return done

    def set_many(self, changes: list[tuple[str, str, bool, str]]) -> None:
        """(id, status, attempt, reply) changes, in order, in one transaction."""
        self.apply([Change(rid, status, reply, attempt) for rid, status, attempt, reply in changes])

    def reset(self, statuses: tuple[str, ...]) -> int:
        """Make recipients in these states pending again (--resend, --retry-uncertain)."""
        marks = ", ".join("?" for _ in statuses)
        cursor = self.db.execute(
            f"UPDATE recipients SET status = ?, updated = ?, not_before = 0, first_deferred = NULL "
            f"WHERE status IN ({marks})",
            (PENDING, time.time(), *statuses),
        )
        return cursor.rowcount

    def retry(self, ids: list[str]) -> int:
        """Failed recipients pending again (send --retry-failed): only failed ones, so nobody the
        journal records as sent or in flight is ever sent again."""
        changed = 0
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join("?" for _ in part)
            changed += self.db.execute(
                f"UPDATE recipients SET status = ?, updated = ?, not_before = 0, first_deferred = NULL "
                f"WHERE status = ? AND id IN ({marks})",
                (PENDING, time.time(), FAILED, *part),
            ).rowcount
        return changed

    def due(self) -> int:
        """Recipients a run sends now: pending, and deferred whose time has come."""
        found = self.db.execute(
            "SELECT COUNT(*) FROM recipients WHERE status IN (?, ?) AND not_before <= ?",
            (PENDING, DEFERRED, time.time()),
        ).fetchone()
        return int(found[0])

    def paused_due(self, among: set[str] | None = None) -> int:
        """Recipients deferred by a domain's pause whose time has come (a pass retries them)."""
        rows = self.db.execute(
            "SELECT id FROM recipients WHERE status = ? AND not_before > 0 AND not_before <= ?",
            (DEFERRED, time.time()),
        ).fetchall()
        return sum(1 for (rid,) in rows if among is None or rid in among)

    def paused(self, among: set[str] | None = None) -> float | None:
        """When the first recipient deferred by a domain's pause may go (epoch seconds, maybe
        past already), or None when none waits so (--wait waits for these only)."""
        rows = self.db.execute(
            "SELECT id, not_before FROM recipients WHERE status = ? AND not_before > 0", (DEFERRED,)
        ).fetchall()
        times = [at for rid, at in rows if among is None or rid in among]
        return min(times) if times else None

    def next_due(self) -> float | None:
        """When the first deferred recipient not yet due may be tried (epoch seconds), or None."""
        found = self.db.execute(
            "SELECT MIN(not_before) FROM recipients WHERE status = ? AND not_before > ?",
            (DEFERRED, time.time()),
        ).fetchone()
        return found[0] if found and found[0] is not None else None

    def expire(self, seconds: float) -> int:
        """Recipients deferred for longer than `seconds` fail (an MTA gives up after days too)."""
        days = seconds / 86400
        cursor = self.db.execute(
            "UPDATE recipients SET status = ?, reply = ? || reply, updated = ?, not_before = 0 "
            "WHERE status = ? AND first_deferred IS NOT NULL AND first_deferred < ?",
            (FAILED, f"gave up after {days:g} days deferred: ", time.time(), DEFERRED, time.time() - seconds),
        )
        return cursor.rowcount
