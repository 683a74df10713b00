"""What a print run or a send writes into the campaign's manifest (results/manifest.py): the
letters printed, the e-mails' outcomes from the send journal, the control group held out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from publipost.campaigns.audience import EMAIL, ID, Outcome
from publipost.campaigns.table import ROW
from publipost.mailer.journal import IN_FLIGHT, Entry
from publipost.prepared import Prepared
from publipost.results.manifest import CONTROL, FILE, MAIN, Mailing, Manifest, email_key
from publipost.templates.codes import response_code


def record_letters(prepared: Prepared, out_dir: Path, failed_rows: Iterable[int]) -> None:
    """Every letter of the print run but those that failed, as printed now."""
    code, skipped = prepared.campaign.code, set(failed_rows)
    reached = prepared.audience.reached("letter")
    printed = (
        Mailing(rid, row, "letter", MAIN, response_code(code, rid), "printed", email_key(address))
        for rid, row, address in zip(
            reached[ID].tolist(), reached[ROW].astype(int).tolist(), reached[EMAIL].tolist(), strict=True
        )
        if row not in skipped
    )
    _record(prepared, out_dir, printed)


def record_sends(prepared: Prepared, out_dir: Path, entries: Iterable[Entry]) -> None:
    """The send journal's outcomes: the journal decides, the manifest copies."""
    code = prepared.campaign.code
    mailed = (
        Mailing(
            e.id,
            e.row,
            "email",
            MAIN,
            response_code(code, e.id),
            "uncertain" if e.status == IN_FLIGHT else e.status,
        )
        for e in entries
    )
    _record(prepared, out_dir, mailed)


def check_manifest(prepared: Prepared, out_dir: Path) -> None:
    """Before a print run or a send: the manifest is this campaign's, with the same code and
    control group (exit 2 before anything is printed or sent)."""
    _record(prepared, out_dir, [], held_out=False)


def _record(prepared: Prepared, out_dir: Path, mailings: Iterable[Mailing], held_out: bool = True) -> None:
    campaign = prepared.campaign
    with Manifest(out_dir / FILE) as manifest:
        manifest.bind(campaign.name, campaign.code, campaign.control or 0.0, campaign.path.stem)
        if held_out:
            manifest.record([*mailings, *_held_out(prepared)])


def _held_out(prepared: Prepared) -> list[Mailing]:
    frame = prepared.audience.frame
    held = frame[frame["_outcome"] == Outcome.CONTROL]
    return [
        Mailing(rid, row, "none", CONTROL, None, "held out", email_key(address))
        for rid, row, address in zip(
            held[ID].tolist(), held[ROW].astype(int).tolist(), held[EMAIL].tolist(), strict=True
        )
    ]
