"""A complaints file, for replies (kind: complaint-reply): checked, then measured.

mailing-rules.md §7: reply within a week; phone first when the complaint is serious. Every
row's delay (from the day the complaint was received to the reply's date) is computed. A row
that cannot be answered as written (a received date that cannot be read, or lies after the
reply's date) is held back with its reason, and the others are answered: a batch never waits
on a few rows. A serious complaint with no phone number cannot be phoned first: it is answered
in writing at once and listed (`replies.missing_phone: write`, the default), or held back
(`hold`). The indicators the course names: complaints by subject and by delay, and the
complaint rate.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from publipost.campaigns.model import Campaign
from publipost.errors import AudienceError
from publipost.folding import fold
from publipost.i18n import N_

REQUIRED = ("received", "reference")
SERIOUS = {"serious", "grave", "high", "haute", "elevee", "urgent", "urgente", "critical", "critique", "3"}
DEADLINE_DAYS = 7
BANDS = ((2, N_("0–2 days")), (7, N_("3–7 days")), (14, N_("8–14 days")))
LATER = N_("over 14 days")


@dataclass
class Complaint:
    row: int
    id: str
    received: dt.date
    days: int  # from receipt to the reply's date
    serious: bool
    phone: str
    subject: str
    name: str
    reference: str = ""  # the customer's reference (the ticket), what a service lead follows up by


@dataclass
class Complaints:
    reply_date: dt.date
    rows: list[Complaint] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)  # frame index → why its reply is held back

    @property
    def late(self) -> list[Complaint]:
        return [c for c in self.rows if c.days > DEADLINE_DAYS]

    @property
    def serious(self) -> list[Complaint]:
        """To phone first: the serious complaints that have a number."""
        return [c for c in self.rows if c.serious and c.phone]

    @property
    def no_phone(self) -> list[Complaint]:
        """Serious, and no number to call: answered in writing now, within 24 hours (§7)."""
        return [c for c in self.rows if c.serious and not c.phone]

    def by_subject(self) -> Counter[str]:
        return Counter(c.subject or "(no subject)" for c in self.rows)

    def by_delay(self) -> Counter[str]:
        return Counter(band(c.days) for c in self.rows)


def band(days: int) -> str:
    return next((label for limit, label in BANDS if days <= limit), LATER)


def check_columns(headers: dict[str, str], suggest: object, campaign: Campaign) -> None:
    """The columns a reply needs: when the complaint was received, and its reference."""
    for name in REQUIRED:
        if name not in headers:
            hint = suggest(name) if callable(suggest) else ""
            raise AudienceError(
                f"a complaints file needs a '{name}' column ({_what[name]}), and this one has none",
                campaign.where(("target", "source")),
                f"{hint}; or map a header to it: target.columns: {{'Your header': {name}}}".lstrip("; "),
            )


_what = {"received": "the date the complaint came in", "reference": "the customer's reference"}


def read_complaints(
    frame: pd.DataFrame, campaign: Campaign, id_column: str, today: dt.date | None = None
) -> Complaints:
    """The targeted rows as complaints; the rows that cannot be answered as written, in `held`
    with their reason (the caller holds them back), never an error that stops the batch."""
    from publipost.campaigns.table import ROW

    reply_date = (campaign.letter.date if campaign.letter and campaign.letter.date else None) or (
        today or dt.date.today()
    )
    received = pd.to_datetime(
        frame["received"].astype(str).str.strip(),
        errors="coerce",
        dayfirst=campaign.language == "fr",
        format="mixed",
    )
    complaints = Complaints(reply_date)
    hold_unreachable = campaign.replies.missing_phone == "hold"
    severity = frame["severity"].astype(str) if "severity" in frame else pd.Series("", index=frame.index)
    phones = frame["phone"].astype(str).str.strip() if "phone" in frame else pd.Series("", index=frame.index)
    subjects = (
        frame["subject"].astype(str).str.strip() if "subject" in frame else pd.Series("", index=frame.index)
    )
    for index in frame.index:
        row = int(frame.at[index, ROW])
        written = str(frame.at[index, "received"]).strip()
        when = received.at[index]
        if pd.isna(when):
            complaints.held[index] = (
                f"received date '{written[:40]}' is not a date (write 12/11/2026 or 2026-11-12): "
                "reply held back"
            )
            continue
        day = when.date()
        if day > reply_date:
            complaints.held[index] = (
                f"received {day.isoformat()}, after the reply's date ({reply_date.isoformat()}): "
                "reply held back"
            )
            continue
        serious = fold(severity.at[index].strip()) in SERIOUS
        phone = phones.at[index]
        if serious and not phone and hold_unreachable:
            empty = "its phone cell is empty" if "phone" in frame else "the file has no phone column"
            complaints.held[index] = (
                f"a serious complaint with no phone number ({empty}): reply held back "
                "(replies.missing_phone: hold); call the customer another way, or set missing_phone: write"
            )
            continue
        name = " ".join(str(frame.at[index, n]) for n in ("first_name", "last_name") if n in frame).strip()
        complaints.rows.append(
            Complaint(
                row,
                str(frame.at[index, id_column]),
                day,
                (reply_date - day).days,
                serious,
                phone,
                subjects.at[index],
                name,
                str(frame.at[index, "reference"]).strip(),
            )
        )
    return complaints
