"""The send journal: where every recipient of a campaign stands, committed as it happens.

One SQLite file (WAL) per campaign and output folder. A recipient is pending, then
in flight (committed before its message's data is sent), then sent with the server's
reply, deferred (a 4xx, to retry) or failed (a 5xx). Re-running a send reads it:
nobody the server accepted is mailed again, nobody is skipped silently. A crash can
leave a few recipients in flight, whose fate is unknown: they are reported as
uncertain and sent again only on request.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

PENDING, IN_FLIGHT, SENT, DEFERRED, FAILED = "pending", "in flight", "sent", "deferred", "failed"

SCHEMA = """
CREATE TABLE IF NOT EXISTS recipients (
    id TEXT PRIMARY KEY,
    row INTEGER NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    id: str
    row: int
    address: str
    status: str
    attempts: int
    reply: str


class Journal:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)  # autocommit: each change is durable at once
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

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

    def todo(self, shard: int = 0, shards: int = 1, batch: int = 1000) -> Iterator[Entry]:
        """Pending and deferred recipients, read a batch at a time (memory stays flat), one shard of them."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT rowid, id, row, address, status, attempts, reply FROM recipients "
                "WHERE rowid > ? AND status IN (?, ?) AND rowid % ? = ? ORDER BY rowid LIMIT ?",
                (last, PENDING, DEFERRED, shards, shard, batch),
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
        return {status: found.get(status, 0) for status in (PENDING, IN_FLIGHT, SENT, DEFERRED, FAILED)}

    def entries(self, *statuses: str) -> list[Entry]:
        marks = ", ".join("?" for _ in statuses)
        rows = self.db.execute(
            "SELECT id, row, address, status, attempts, reply FROM recipients "
            f"WHERE status IN ({marks}) ORDER BY row",
            statuses,
        ).fetchall()
        return [Entry(*row) for row in rows]

    def set_many(self, changes: list[tuple[str, str, bool, str]]) -> None:
        """(id, status, attempt, reply) changes, in order, in one transaction."""
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "UPDATE recipients SET status = ?, reply = ?, attempts = attempts + ?, updated = ? "
                "WHERE id = ?",
                [(status, reply, int(attempt), now, rid) for rid, status, attempt, reply in changes],
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def reset(self, statuses: tuple[str, ...]) -> int:
        """Make recipients in these states pending again (--resend, --retry-uncertain)."""
        marks = ", ".join("?" for _ in statuses)
        cursor = self.db.execute(
            f"UPDATE recipients SET status = ?, updated = ? WHERE status IN ({marks})",
            (PENDING, time.time(), *statuses),
        )
        return cursor.rowcount
