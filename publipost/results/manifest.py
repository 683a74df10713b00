"""The mailing manifest: every recipient a run printed or mailed, or held out, with the channel,
the variant (or `control`), the response code and what became of it, in `out/manifest.sqlite`.

It is what replies are attributed against, so it is durable (SQLite, WAL, one transaction
per run) and queryable by anyone (`publipost manifest` exports it; any SQLite tool reads it).
The send journal stays the source of delivery truth: a send copies its outcomes here.
It takes plain values, like the mailer: ids, codes, statuses.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publipost.errors import PublipostError, Where
from publipost.results.identity import Identity

FILE = "manifest.sqlite"
COLUMNS = ("id", "row", "channel", "variant", "response_code", "status", "at")  # what `manifest` exports
CONTROL = "control"
MAIN = "main"  # the variant of a campaign without variants

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mailings (
    id TEXT NOT NULL,
    row INTEGER,
    channel TEXT NOT NULL,         -- letter, email, or none (the control group)
    variant TEXT NOT NULL,         -- the variant's name, or 'control'
    response_code TEXT,
    status TEXT NOT NULL,          -- printed, sent, failed, deferred, uncertain, pending, withdrawn, held out
    at TEXT NOT NULL,              -- when printed or when the outcome was known (ISO 8601, UTC)
    email_key TEXT,                -- the suppression store's key of the address (no address kept)
    PRIMARY KEY (id, channel)
);
CREATE INDEX IF NOT EXISTS mailings_code ON mailings (response_code);
CREATE INDEX IF NOT EXISTS mailings_email ON mailings (email_key);
CREATE TABLE IF NOT EXISTS responses (  -- what the report counts: each response once (see imports)
    source TEXT NOT NULL,          -- SHA-256 of the file it was taken from
    source_row INTEGER NOT NULL,
    file TEXT NOT NULL,
    id TEXT NOT NULL,              -- the recipient it is attributed to
    matched_by TEXT NOT NULL,      -- response code, id or e-mail
    date TEXT,
    amount REAL,
    channel TEXT,                  -- letter or email when the row says which (a tracked link's medium)
    PRIMARY KEY (source, source_row)
);
CREATE TABLE IF NOT EXISTS short_codes (  -- a campaign without customer ids: each recipient's number
    id TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    digest TEXT NOT NULL,          -- SHA-256 of the file
    at TEXT NOT NULL,
    replace INTEGER NOT NULL,      -- 1: its amounts replace those of earlier imports (--replace)
    rows INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS import_rows (  -- every attributed row of every import, counted or not
    import_id INTEGER NOT NULL,
    key TEXT NOT NULL,             -- who, when, order number (and which repeat in its file)
    source_row INTEGER NOT NULL,
    id TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    date TEXT,
    amount REAL,
    channel TEXT,
    PRIMARY KEY (import_id, key)
);
"""


MAILED = ("printed", "sent", "uncertain", "failed", "deferred")  # attempted: counted in the group's size
DELIVERED = ("printed", "sent")


@dataclass(frozen=True)
class Mailing:
    id: str
    row: int | None
    channel: str
    variant: str
    response_code: str | None
    status: str
    email_key: str | None = None


@dataclass(frozen=True)
class Response:
    source: str
    source_row: int
    file: str
    id: str
    matched_by: str
    date: str | None
    amount: float | None
    key: str = ""  # the response itself, whatever file brings it: who|date|order#repeat
    channel: str | None = None  # letter or email, when the row says which (utm_medium)


@dataclass
class ImportResult:
    """What one import did to the responses counted."""

    id: int
    added: int = 0  # responses counted now that were not before
    duplicates: int = 0  # the same responses, already counted (from this file or another)
    corrected: list[tuple[int, float | None, float | None]] = field(
        default_factory=list
    )  # row, counted, here
    replaced: bool = False  # whether the corrected amounts were taken (--replace)


class Manifest:
    def __init__(self, path: Path, *, create: bool = True):
        if not create and not path.exists():
            raise PublipostError(
                "no mailing manifest yet: nothing was printed or sent",
                Where(path),
                "publipost render CAMPAIGN --format pdf, or publipost send CAMPAIGN, writes it",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError:
            self.db.close()
            raise PublipostError(
                "this file is not a publipost manifest", Where(path), "move it away, or choose another --out"
            ) from None
        self._migrate_responses()

    def bind(self, identity: Identity, *, run: bool = False) -> None:
        """Attribute to one campaign code only: another campaign's manifest, or this campaign under
        a new code, would mix replies (results/identity.py). A print run or send (`run`) also fixes
        the control group's share and the variants' split: changed once someone was mailed, they
        would be chosen after the fact."""
        found = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        identity.check(found, Where(self.path), what="manifest", mailed=self.mailed())
        record = identity.recorded()
        with self.db:
            if "code" not in found:
                self.db.executemany(
                    "INSERT INTO meta VALUES (?, ?)", [(k, record[k]) for k in ("campaign", "code")]
                )
            if run:
                for key in ("control", "split"):
                    if key in record:
                        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, record[key]))

    def record(self, mailings: Iterable[Mailing], when: dt.datetime | None = None) -> int:
        """Add or update (a later outcome replaces an earlier one for the same id and channel)."""
        at = (when or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        count = 0

        def rows() -> Iterator[tuple[Any, ...]]:  # handed to SQLite as made: 100,000 at once are 40 MB
            nonlocal count
            for m in mailings:
                count += 1
                yield (m.id, m.row, m.channel, m.variant, m.response_code, m.status, at, m.email_key)

        with self.db:
            self.db.executemany(
                "INSERT INTO mailings VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id, channel) DO UPDATE SET "
                "row = excluded.row, variant = excluded.variant, response_code = excluded.response_code, "
                "status = excluded.status, at = excluded.at, email_key = excluded.email_key",
                rows(),
            )
        return count

    def numbers(self) -> dict[str, int]:
        """Each recipient's short-code number, as bound by earlier runs."""
        return dict(self.db.execute("SELECT id, number FROM short_codes"))

    def bind_numbers(self, numbers: Iterable[tuple[str, int]]) -> None:
        """Bind new numbers (never renumbering one already bound: a printed code stays valid)."""
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO short_codes VALUES (?, ?)", list(numbers))

    def recorded_codes(self) -> dict[str, str]:
        """The response code each recipient was printed or mailed with (their first, if several)."""
        found: dict[str, str] = {}
        for rid, code in self.db.execute(
            "SELECT id, response_code FROM mailings WHERE response_code IS NOT NULL ORDER BY rowid"
        ):
            found.setdefault(rid, code)
        return found

    def store(self, identity: tuple[str, str] | None = None) -> tuple[str, str] | None:
        """(id, location) of the suppression store the runs consulted; with `identity`, set it."""
        if identity is not None:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('store', ?)", ("\t".join(identity),))
        found = self.db.execute("SELECT value FROM meta WHERE key = 'store'").fetchone()
        if found is None:
            return None
        store_id, _, location = found[0].partition("\t")
        return store_id, location

    def mailed(self) -> bool:
        """Whether anyone was printed or mailed (the control group is no one)."""
        return (
            self.db.execute("SELECT 1 FROM mailings WHERE channel != 'none' LIMIT 1").fetchone() is not None
        )

    def outcomes(self, channel: str) -> dict[str, tuple[str, str]]:
        """id → (status, when) of every mailing on a channel."""
        query = "SELECT id, status, at FROM mailings WHERE channel = ?"
        return {rid: (status, at) for rid, status, at in self.db.execute(query, (channel,))}

    def sending(self, running: bool | None = None, channel: str = "email") -> bool:
        """Whether a send of this channel was running and has not yet copied its outcomes here
        (a crash leaves it so); with `running`, say so first. A send sets it before its first
        message and clears it once its outcomes are recorded."""
        key = "sending" if channel == "email" else f"sending {channel}"  # e-mail: as 0.2 wrote it
        if running is not None:
            with self.db:
                if running:
                    self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, 'yes')", (key,))
                else:
                    self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        return self.db.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None

    def lookup(self) -> tuple[dict[str, str], set[str], dict[str, str]]:
        """What responses are matched against: response code → id, the ids, e-mail key → id."""
        codes, ids, emails = {}, set(), {}
        for rid, code, key in self.db.execute("SELECT id, response_code, email_key FROM mailings"):
            ids.add(rid)
            if code:
                codes[code] = rid
            if key:
                emails[key] = rid
        return codes, ids, emails

    def add_import(
        self, file: str, digest: str, rows: int, rejected: int, responses: list[Response], *, replace: bool
    ) -> ImportResult:
        """Record an import and every response it attributes; count each response once.

        A response is known by its content (who, when, order number), never by its file: the
        same orders imported again, from this file or a corrected copy, add nothing. A response
        already counted with another amount is a correction: reported, and taken only with
        `replace`."""
        before = self._active()
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO imports (file, digest, at, replace, rows, rejected) VALUES (?, ?, ?, ?, ?, ?)",
                (file, digest, at, int(replace), rows, rejected),
            )
            number = int(cursor.lastrowid or 0)
            self.db.executemany(
                "INSERT OR IGNORE INTO import_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (number, r.key, r.source_row, r.id, r.matched_by, r.date, r.amount, r.channel)
                    for r in responses
                ],
            )
        result = ImportResult(number, replaced=replace)
        for response in responses:
            counted = before.get(response.key)
            if counted is None:
                result.added += 1
            elif counted[5] == response.amount:
                result.duplicates += 1
            else:
                result.corrected.append((response.source_row, counted[5], response.amount))
        self._count()
        return result

    def imports(self) -> list[tuple[int, str, str, int, int, int, int]]:
        """(id, file, when, rows, responses it brings that are counted, rejected, replace)."""
        counted = self._active()
        brought: dict[int, int] = {}
        for row in counted.values():
            brought[row[0]] = brought.get(row[0], 0) + 1
        listed = self.db.execute("SELECT id, file, at, rows, rejected, replace FROM imports ORDER BY id")
        return [(i, f, at, n, brought.get(i, 0), bad, rep) for i, f, at, n, bad, rep in listed]

    def remove_import(self, number: int) -> tuple[str, int, int] | None:
        """Undo an import: (its file, responses counted before, after); None if there is none.
        Responses it shared with another import stay counted, from that one."""
        found = self.db.execute("SELECT file FROM imports WHERE id = ?", (number,)).fetchone()
        if found is None:
            return None
        before = len(self._active())
        with self.db:
            self.db.execute("DELETE FROM import_rows WHERE import_id = ?", (number,))
            self.db.execute("DELETE FROM imports WHERE id = ?", (number,))
        self._count()
        return found[0], before, len(self._active())

    def _active(self) -> dict[str, tuple[Any, ...]]:
        """key → the row counted: its first import's, or the latest --replace import's."""
        rows = self.db.execute(
            "SELECT r.import_id, r.source_row, i.file, r.id, r.matched_by, r.amount, r.date, i.digest, "
            "i.replace, r.key, r.channel FROM import_rows r JOIN imports i ON i.id = r.import_id "
            "ORDER BY r.import_id"
        )
        active: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            key, replace = row[9], row[8]
            if key not in active or replace:
                active[key] = row
        return active

    def _count(self) -> None:
        """The responses table, as the report reads it: each response once."""
        rows = [
            (digest, source_row, file, rid, how, date, amount, channel)
            for _, source_row, file, rid, how, amount, date, digest, _, _, channel in self._active().values()
        ]
        with self.db:
            self.db.execute("DELETE FROM responses")
            self.db.executemany(
                "INSERT OR IGNORE INTO responses (source, source_row, file, id, matched_by, date, amount, "
                "channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def _migrate_responses(self) -> None:
        """A manifest of an earlier publipost holds responses without their imports: each file's
        responses become one import, keyed as the import does now."""
        for table in ("responses", "import_rows"):
            columns = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if "channel" not in columns:
                with self.db:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN channel TEXT")
        if self.db.execute("SELECT 1 FROM imports LIMIT 1").fetchone() is not None:
            return
        old = self.db.execute(
            "SELECT source, source_row, file, id, matched_by, date, amount FROM responses ORDER BY rowid"
        ).fetchall()
        if not old:
            return
        by_source: dict[str, list[Response]] = {}
        for row in old:
            by_source.setdefault(row[0], []).append(Response(*row))
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.db:
            for digest, responses in by_source.items():
                cursor = self.db.execute(
                    "INSERT INTO imports (file, digest, at, replace, rows, rejected) "
                    "VALUES (?, ?, ?, 0, ?, 0)",
                    (responses[0].file, digest, at, len(responses)),
                )
                seen: dict[str, int] = {}
                for r in responses:
                    base = f"{r.id}|{r.date or ''}|"
                    seen[base] = seen.get(base, 0) + 1
                    self.db.execute(
                        "INSERT OR IGNORE INTO import_rows VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                        (
                            cursor.lastrowid,
                            f"{base}#{seen[base]}",
                            r.source_row,
                            r.id,
                            r.matched_by,
                            r.date,
                            r.amount,
                        ),
                    )
        self._count()

    def mailings(self) -> Any:
        """Every mailing (id, channel, variant, status) as a DataFrame: for reports by recipient."""
        import pandas as pd

        rows = self.db.execute("SELECT id, channel, variant, status FROM mailings").fetchall()
        return pd.DataFrame(rows, columns=["id", "channel", "variant", "status"])

    def responses(self) -> Any:
        """The responses with the variant of the recipient each is attributed to."""
        import pandas as pd

        return pd.read_sql_query(
            "SELECT r.id, r.date, r.amount, r.channel, (SELECT CASE WHEN MAX(m.variant = 'control') "
            "THEN 'control' ELSE MAX(m.variant) END FROM mailings m WHERE m.id = r.id) AS variant "
            "FROM responses r",
            self.db,
        )

    def rows(self) -> Iterator[tuple]:
        yield from self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM mailings ORDER BY row, channel")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
