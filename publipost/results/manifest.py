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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publipost.errors import PublipostError, Where

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
CREATE TABLE IF NOT EXISTS responses (
    source TEXT NOT NULL,          -- SHA-256 of the imported file: importing it again adds nothing
    source_row INTEGER NOT NULL,
    file TEXT NOT NULL,
    id TEXT NOT NULL,              -- the recipient it is attributed to
    matched_by TEXT NOT NULL,      -- response code, id or e-mail
    date TEXT,
    amount REAL,
    PRIMARY KEY (source, source_row)
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


def control_share(control: float | None) -> str:
    """The control group's share as the manifest and the send journal record it: '10%', '0%'."""
    return f"{control:.0%}" if control else "0%"


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

    def bind(
        self,
        campaign: str,
        code: str,
        control: float | None = None,
        stem: str = "CAMPAIGN",
        split: str = "no variants",
    ) -> None:
        """Attribute to one campaign code only: another campaign's manifest, or this campaign under
        a new code, would mix replies. A print run or send (`control` given) also fixes the control
        group's share: changed once someone was mailed, it would be chosen after the fact."""
        found = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if "code" not in found:
            with self.db:
                self.db.executemany(
                    "INSERT INTO meta VALUES (?, ?)", [("campaign", campaign), ("code", code)]
                )
        elif found.get("campaign") != campaign:
            raise PublipostError(
                f"this manifest belongs to the campaign '{found.get('campaign')}', not to '{campaign}'",
                Where(self.path),
                f"give each campaign its own output folder: --out out/{stem}",
            )
        elif found["code"] != code:
            raise PublipostError(
                f"this campaign was already printed or sent under the code {found['code']}, not {code}",
                Where(self.path),
                f"keep 'code: {found['code']}' for this campaign, or give another campaign its own --out",
            )
        if control is None:
            return
        share = control_share(control)
        mailed = self.mailed()
        before = found.get("control")
        if mailed and before is not None and before != share:
            held = "no control group" if before == "0%" else f"a control group of {before}"
            raise PublipostError(
                f"this campaign was already printed or sent with {held}; a control group of {share} "
                "now would choose the baseline after the fact",
                Where(self.path),
                "put 'control:' back as it was; a new control group is for a new campaign (another --out)",
            )
        split_before = found.get("split")
        if mailed and split_before is not None and split_before != split:
            raise PublipostError(
                f"this campaign was already printed or sent with variants split as '{split_before}'; "
                f"splitting them as '{split}' now would move recipients between variants",
                Where(self.path),
                "put the variants' weights, values and names back as they were (their copy may change); "
                "a new split is a new test (another --out)",
            )
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('control', ?)", (share,))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('split', ?)", (split,))

    def record(self, mailings: Iterable[Mailing], when: dt.datetime | None = None) -> int:
        """Add or update (a later outcome replaces an earlier one for the same id and channel)."""
        at = (when or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        rows = [
            (m.id, m.row, m.channel, m.variant, m.response_code, m.status, at, m.email_key) for m in mailings
        ]
        with self.db:
            self.db.executemany(
                "INSERT INTO mailings VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id, channel) DO UPDATE SET "
                "row = excluded.row, variant = excluded.variant, response_code = excluded.response_code, "
                "status = excluded.status, at = excluded.at, email_key = excluded.email_key",
                rows,
            )
        return len(rows)

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

    def sending(self, running: bool | None = None) -> bool:
        """Whether a send was running and has not yet copied its outcomes here (a crash leaves it
        so); with `running`, say so first. A send sets it before its first message and clears it
        once its outcomes are recorded."""
        if running is not None:
            with self.db:
                if running:
                    self.db.execute("INSERT OR REPLACE INTO meta VALUES ('sending', 'yes')")
                else:
                    self.db.execute("DELETE FROM meta WHERE key = 'sending'")
        return self.db.execute("SELECT 1 FROM meta WHERE key = 'sending'").fetchone() is not None

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

    def add_responses(self, responses: Iterable[Response]) -> int:
        """The new ones (a file imported again adds nothing); how many were new."""
        rows = [(r.source, r.source_row, r.file, r.id, r.matched_by, r.date, r.amount) for r in responses]
        with self.db:
            before = self.db.total_changes
            self.db.executemany("INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            return self.db.total_changes - before

    def mailings(self) -> Any:
        """Every mailing (id, channel, variant, status) as a DataFrame: for reports by recipient."""
        import pandas as pd

        rows = self.db.execute("SELECT id, channel, variant, status FROM mailings").fetchall()
        return pd.DataFrame(rows, columns=["id", "channel", "variant", "status"])

    def responses(self) -> Any:
        """The responses with the variant of the recipient each is attributed to."""
        import pandas as pd

        return pd.read_sql_query(
            "SELECT r.id, r.date, r.amount, (SELECT CASE WHEN MAX(m.variant = 'control') THEN 'control' "
            "ELSE MAX(m.variant) END FROM mailings m WHERE m.id = r.id) AS variant FROM responses r",
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
