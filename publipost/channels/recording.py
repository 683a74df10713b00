"""What a print run or a send writes into the campaign's manifest (results/manifest.py): the
letters printed, the e-mails' outcomes from the send journal, the control group held out."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

from publipost.campaigns.audience import EMAIL, ID, VARIANT, Outcome, in_slices
from publipost.campaigns.table import ROW
from publipost.errors import PublipostError, Where
from publipost.mailer.journal import DEFERRED, FAILED, IN_FLIGHT, PENDING, SENT, Change, Entry, Journal
from publipost.prepared import Prepared
from publipost.results.identity import Identity
from publipost.results.manifest import CONTROL, FILE, MAIN, Mailing, Manifest
from publipost.store.keys import email_key


def record_letters(prepared: Prepared, out_dir: Path, failed_rows: Iterable[int]) -> None:
    """Every letter of the print run but those that failed, as printed now."""
    skipped = set(failed_rows)
    frame = prepared.audience.frame
    reached = prepared.audience.reached("letter", [c for c in (ID, ROW, EMAIL, VARIANT) if c in frame])
    printed = (
        Mailing(rid, row, "letter", variant or MAIN, prepared.code_of(rid), "printed", email_key(address))
        for rid, row, address, variant in in_slices(reached, [ID, ROW, EMAIL, VARIANT])
        if row not in skipped
    )
    _record(prepared, out_dir, printed)


def bind_codes(prepared: Prepared, out_dir: Path, *, record: bool) -> None:
    """Short response codes for a campaign whose recipients have no customer number: each
    recipient gets the next number of the campaign's counter (CAMPAIGN-0042-C), bound in the
    manifest so that a reprint or the e-mails carry the same code. A recipient already printed
    or mailed keeps the code they were given. Without `record` (a look: --only, a test send, the
    preview), the numbers a run would bind are shown and nothing is written."""
    from publipost.templates.codes import short_code

    audience = prepared.audience
    if audience.keyed_by.startswith("column"):
        return  # the customer number is in the code: short and stable already
    path = out_dir / FILE
    numbers: dict[str, int] = {}
    given: dict[str, str] = {}
    if path.exists():
        with Manifest(path, create=False) as manifest:
            numbers, given = manifest.numbers(), manifest.recorded_codes()
    counter = max(numbers.values(), default=0)
    fresh = []
    for rid in audience.targeted[ID].tolist():
        if rid not in numbers and rid not in given:
            counter += 1
            numbers[rid] = counter
            fresh.append((rid, counter))
    if record and fresh:
        with Manifest(path) as manifest:
            manifest.bind_numbers(fresh)
    code = prepared.campaign.code
    prepared.with_codes({**{rid: short_code(code, n) for rid, n in numbers.items()}, **given})


def record_sends(prepared: Prepared, out_dir: Path, entries: Iterable[Entry], channel: str = "email") -> None:
    """The send journal's outcomes: the journal decides, the manifest copies (and the send is
    no longer running: see restore_outcomes)."""
    variant_of: dict[str, str] = {}
    if prepared.variants:
        targeted = prepared.audience.targeted
        variant_of = dict(zip(targeted[ID].tolist(), targeted[VARIANT].tolist(), strict=True))
    mailed = (
        Mailing(
            e.id,
            e.row,
            channel,
            variant_of.get(e.id) or MAIN,
            prepared.code_of(e.id),
            "uncertain" if e.status == IN_FLIGHT else e.status,
            email_key(e.address) if channel == "email" else None,  # an order is matched by e-mail
        )
        for e in entries
    )
    _record(prepared, out_dir, mailed)
    with Manifest(out_dir / FILE) as manifest:
        manifest.sending(False, channel)


# The manifest's outcomes a journal must never send again: it records them as mailed.
_FINAL = {"sent": SENT, "uncertain": IN_FLIGHT, "failed": FAILED}


def restore_outcomes(
    out_dir: Path, journal: Journal, *, created: bool, journal_lost: bool, channel: str = "email"
) -> int:
    """Make the journal agree with the manifest before a send: a recipient the manifest records as
    sent, uncertain or failed is never to send again, whatever became of the journal (deleted,
    restored from an older backup). Returns how many recipients that changed.

    A journal just created while the manifest says a send was running (it had not recorded its
    outcomes: it crashed, or still runs elsewhere) means whom that run mailed is known nowhere:
    refused, unless the operator says the journal is lost (`journal_lost`), and then those the
    manifest does not record may be mailed again.
    """
    with Manifest(out_dir / FILE) as manifest:
        if created and manifest.sending(channel=channel) and not journal_lost:
            raise PublipostError(
                "the send journal is missing, and the manifest says a send of this campaign was running "
                "and never recorded whom it mailed",
                Where(journal.path),
                f"restore {journal.path.name} from where it was; or, if it is lost, run with --journal-lost "
                "(recipients the manifest records are not mailed again; those that run mailed may be)",
            )
        outcomes = manifest.outcomes(channel)
        manifest.sending(True, channel)
    todo = {e.id for e in journal.entries(PENDING, DEFERRED)}  # a resume changes none: only those to send
    changes = [
        Change(rid, _FINAL[status], f"{status} on {at[:10]}, as the manifest records", claim=True)
        for rid, (status, at) in outcomes.items()
        if status in _FINAL and rid in todo
    ]
    return sum(journal.apply(changes)) if changes else 0


def suppress_hard_bounces(prepared: Prepared, entries: Iterable[Entry]) -> int:
    """Addresses a server refused for good at RCPT during the send (5.1.x: no such mailbox, bad
    domain; 5.2.1: disabled; 550, 551, 553 without an enhanced code) enter the suppression store
    as hard bounces at once. A refusal for the message's sake (5.7.x policy, spam), or of our
    sender, or by a relay that had accepted nobody, is not the address's fault: it suppresses
    no one (mailer/blame.py). Returns the addresses newly suppressed."""
    from publipost.mailer.blame import address_refused
    from publipost.store.db import Entry as Suppression
    from publipost.store.db import Store

    check = prepared.audience.store
    code = prepared.campaign.code
    found = [
        Suppression(key, "email", "hard bounce", f"{code} {e.id}, {e.reply[:120]}")
        for e in entries
        if e.status == "failed" and address_refused(e.reply) and (key := email_key(e.address))
    ]
    if not found or check is None or not check.real:
        return 0
    with Store(check.real) as store:
        new, _ = store.add(found)
    return new


def check_manifest(prepared: Prepared, out_dir: Path) -> None:
    """Before a print run or a send: the manifest is this campaign's, with the same code and
    control group, and the same suppression store (exit 2 before anything is printed or sent)."""
    _record(prepared, out_dir, [], held_out=False)
    check = prepared.audience.store
    if check is None or not check.consulted:  # store: false is said in the YAML, and in capitals
        return
    with Manifest(out_dir / FILE) as manifest:
        before = manifest.store()
        if before and before[0] and before[0] != check.id and manifest.mailed() and not check.accept_change:
            now = (
                f"{check.location} (id {check.id[:8]}, {check.total} entries)"
                if check.id
                else (f"{check.location}, which does not exist (nothing suppressed)")
            )
            raise PublipostError(
                f"this campaign was printed or sent consulting the store {before[1]} (id {before[0][:8]}); "
                f"the store now is {now}: people unsubscribed there would be targeted",
                Where(manifest.path),
                f"point PUBLIPOST_STORE (or the config file: {check.origin}) back at {before[1]}; "
                "--store-changed if the store really is another one now",
            )
        if check.id:
            manifest.store((check.id, check.location))


def _record(prepared: Prepared, out_dir: Path, mailings: Iterable[Mailing], held_out: bool = True) -> None:
    campaign = prepared.campaign
    with Manifest(out_dir / FILE) as manifest:
        manifest.bind(Identity.of(campaign), run=True)
        if held_out:
            manifest.record(itertools.chain(mailings, _held_out(prepared)))


def _held_out(prepared: Prepared) -> Iterator[Mailing]:
    frame = prepared.audience.frame
    held = frame.loc[frame["_outcome"] == Outcome.CONTROL, [ID, ROW, EMAIL]]
    return (
        Mailing(rid, row, "none", CONTROL, None, "held out", email_key(address))
        for rid, row, address in in_slices(held, [ID, ROW, EMAIL])
    )
