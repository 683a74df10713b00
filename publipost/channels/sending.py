"""A send, whatever the channel: lint gate, lock, journal, reconciliation, the report.

The channel's Delivery (channels/base.py) says where each recipient's message goes, composes
it, and opens its transport; everything that keeps a send exactly-once is here, the same for
every channel. The e-mail's delivery goes through the relay, or without one through the
embedded capture server into a Maildir under the output folder: the real SMTP path, and no
real person mailed.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publipost.campaigns.audience import ID, VARIANT, Recipient
from publipost.channels.base import Channel, Delivery, Transport
from publipost.channels.recording import bind_codes, check_manifest, record_sends, restore_outcomes
from publipost.channels.resume import check_journal
from publipost.csvout import separator_for, write_csv
from publipost.errors import PublipostError
from publipost.mailer.blame import retried
from publipost.mailer.journal import DEFERRED, FAILED, IN_FLIGHT, PENDING, SENT, STATUSES, Journal, Reconciled
from publipost.mailer.lock import SendLock
from publipost.mailer.smtp import SKIPPED, UNCERTAIN, Limits, NotComposed, Outgoing, Relay, run_stops
from publipost.prepared import Prepared
from publipost.run.executor import LocalProcesses, worker_count
from publipost.templates.merge import RecipientError, each_rendered

if TYPE_CHECKING:
    from publipost.linter.engine import Finding


@dataclass
class SendReport:
    counts: dict[str, int] = field(default_factory=dict)  # every recipient of the journal, by status
    this_run: Counter[str] = field(default_factory=Counter)  # what this run did: sent, failed, uncertain…
    uncertain: list[str] = field(default_factory=list)  # ids in flight: their message may have been accepted
    failures: list[tuple[int, str, str, str, str]] = field(
        default_factory=list
    )  # row, id, address, status, reply
    not_rendered: list[tuple[int, str]] = field(default_factory=list)
    attempted: int = 0
    seconds: float = 0.0
    relay: str = ""  # the transport, as the report names it
    maildir: Path | None = None  # where what was delivered can be looked at (the capture Maildir)
    channel: str = "email"
    interrupted: bool = False
    lint_skipped: bool = False
    journal: Path | None = None
    changes_accepted: list[str] = field(default_factory=list)
    reconciled: Reconciled | None = None
    tests: list[tuple[str, str, str]] = field(default_factory=list)  # a test send: id, seed, status
    shown: list[bytes] = field(default_factory=list)  # a dry run's first messages (--show)
    suppressed: int = 0  # addresses refused for good, newly in the suppression store
    restored: int = 0  # recipients the journal had lost, set back from the manifest's outcomes
    stopped: list[str] = field(default_factory=list)  # why the run stopped: the relay refused, bounce rate
    blocked: dict[str, str] = field(default_factory=dict)  # domains that refused the campaign this run
    paused: dict[str, str] = field(default_factory=dict)  # domains that asked to slow down (4xx)
    next_due: float | None = None  # when the first recipient deferred by a domain's pause may go
    expired: int = 0  # deferred longer than --max-retry-time: failed now
    retried: tuple[str, int] | None = None  # --retry-failed: the class, and how many failed are pending again
    held: list[Finding] = field(default_factory=list)  # replies the lint gate held back (their merged text)

    @property
    def rate(self) -> float:
        return self.attempted / self.seconds if self.seconds else 0.0


def send_campaign(
    prepared: Prepared,
    out_dir: Path,
    *,
    relay: Relay | None = None,
    limits: Limits | None = None,
    lint: bool = True,
    strict: bool = False,  # a recipient's merged copy with a lint error stops the send (else: held back)
    dry_run: bool = False,
    show: int = 0,  # a dry run keeps this many messages for the caller to print
    test_to: list[str] | None = None,
    test_recipients: list[str] | None = None,
    limit: int | None = None,
    resend: bool = False,
    retry_uncertain: bool = False,
    retry_failed: str | None = None,  # policy | transient | all: failed recipients sent again
    accept_changes: bool = False,
    journal_lost: bool = False,
    progress: Callable[[str, int], None] | None = None,  # an outcome, how many recipients
    processes: int | None = None,
    ready: Callable[[], None] | None = None,
    channel: str = "email",
) -> SendReport:
    """Send the campaign's messages of a channel (the e-mails by default). Every check comes
    first (lint, the journal, the transport); `ready` is called once they all passed, before
    the first message: a caller prints there."""
    from publipost.channels import channel as channel_named

    campaign = prepared.campaign
    unit = channel_named(channel)
    if not unit.enabled(campaign):
        what = "an e-mail" if channel == "email" else f"a {channel}"
        raise PublipostError(
            f"this campaign has no {what} to send",
            campaign.where(()),
            "add an 'email:' section with subject and body"
            if channel == "email"
            else f"add a '{channel}:' section",
        )
    report = SendReport(lint_skipped=not lint, channel=channel)
    # Bad input first (exit 2: the key, the DKIM key), then the copy's faults (exit 1).
    delivery = unit.delivery(prepared, out_dir, real=relay is not None and not dry_run)
    if lint:
        prepared = _lint_gate(unit, prepared, report, strict)
    bind_codes(prepared, out_dir, record=False)  # a look (dry run, test send): the codes a run binds
    recipients = islice(prepared.audience.recipients_of(channel), limit)  # streamed: never a list
    started = time.perf_counter()
    if dry_run:
        rendered = 0
        for _, message in each_rendered(recipients, delivery.message, report.not_rendered):
            rendered += 1
            if len(report.shown) < show:
                report.shown.append(message)
        report.counts = {"rendered": rendered}
        report.seconds = time.perf_counter() - started
        return report
    limits = limits or Limits()
    processes = worker_count(processes)  # one where there is no fork (Windows)
    if test_to:
        chosen = test_choice(prepared, test_recipients, delivery)
        return _send_to_seeds(delivery, unit, chosen, test_to, relay, out_dir, limits, report, started)

    check_manifest(prepared, out_dir)
    bind_codes(prepared, out_dir, record=True)
    assert unit.journal_file is not None  # a channel that sends names its journal
    journal_path = out_dir / unit.journal_file
    with SendLock(journal_path):
        created = not journal_path.exists()
        journal = Journal(journal_path)
        report.journal = journal.path
        try:
            _deliver_journal(
                prepared,
                delivery,
                journal,
                relay,
                limits,
                report,
                out_dir,
                progress,
                processes,
                ready,
                limit=limit,
                resend=resend,
                retry_uncertain=retry_uncertain,
                retry_failed=retry_failed,
                accept_changes=accept_changes,
                created=created,
                journal_lost=journal_lost,
            )
            record_sends(prepared, out_dir, journal.entries(*STATUSES), channel)
            report.suppressed = delivery.after(prepared, journal.entries("failed"))
        finally:
            journal.close()
    report.seconds = time.perf_counter() - started
    source = prepared.audience.source
    failures = "send-failures.csv" if channel == "email" else f"send-failures-{channel}.csv"
    _write_failures(out_dir / failures, report, separator_for(source.separator, campaign.language))
    return report


def _deliver_journal(
    prepared: Prepared,
    delivery: Delivery,
    journal: Journal,
    relay: Relay | None,
    limits: Limits,
    report: SendReport,
    out_dir: Path,
    progress: Callable[[str, int], None] | None,
    processes: int,
    ready: Callable[[], None] | None,
    *,
    limit: int | None,
    resend: bool,
    retry_uncertain: bool,
    retry_failed: str | None,
    accept_changes: bool,
    created: bool,
    journal_lost: bool,
) -> None:
    """Bind the journal to the campaign, bring it up to date with the audience and with the
    manifest (nobody it records as mailed is mailed again), send what is to send."""
    audience = prepared.audience
    report.changes_accepted = check_journal(
        journal, prepared, accept_changes=accept_changes, parts=delivery.fingerprints(prepared)
    )
    report.reconciled = journal.reconcile(delivery.mailing_list(audience))
    report.restored = restore_outcomes(
        out_dir, journal, created=created, journal_lost=journal_lost, channel=delivery.channel
    )
    if resend:
        journal.reset((SENT, FAILED, IN_FLIGHT))
    elif retry_uncertain:
        journal.reset((IN_FLIGHT,))
    if retry_failed and not resend:
        again = [e.id for e in journal.entries(FAILED) if retried(e.reply, retry_failed)]
        report.retried = (retry_failed, journal.retry(again))
    report.expired = journal.expire(limits.max_retry_time)
    allowed = {e.id for e in islice(journal.todo(), limit)} if limit is not None else None
    report.attempted = journal.due() if allowed is None else len(allowed)
    sender = delivery.sender

    def outgoing(own: Journal, shard: int = 0, shards: int = 1) -> Iterator[Outgoing]:
        """The work, read from the journal a batch at a time, with those recipients' data."""
        # A per-domain limit is held by one process per domain; otherwise each process takes
        # its share of every domain, and they tell each other of pauses (mailer/smtp.py Guard).
        shares = own.todo(shard, shards, by_domain=limits.per_domain is not None)
        entries = (e for e in shares if allowed is None or e.id in allowed)
        while batch := list(islice(entries, 500)):
            found = {r.id: r for r in audience.by_ids([e.id for e in batch])}
            for entry in batch:
                recipient = found.get(entry.id)
                # The journal was reconciled with this audience: the envelope address and the
                # message's own always name the same person. Anything else is left as it is.
                if recipient is not None and delivery.address(recipient) == entry.address:
                    yield Outgoing(entry.id, sender, entry.address, partial(delivery.compose, recipient))

    told = report.this_run

    def heard(status: str, n: int) -> None:
        told[status] += n
        if progress:
            progress(status, n)

    run_stops(journal, clear=True)  # what an earlier run learnt was reported then
    with delivery.transport(relay, out_dir) as target:
        report.relay, report.maildir = str(target), target.folder
        if report.attempted:
            asyncio.run(target.probe(limits.timeout))
        if ready:
            ready()

        def one_pass() -> bool:
            due = journal.due() if allowed is None else report.attempted
            if delivery.parallel and processes > 1 and due >= 200 * processes:
                return _deliver_in_processes(outgoing, target, journal, limits, heard, processes)
            return _run(deliver_all(outgoing(journal), target, journal, limits, heard)) if due else False

        report.interrupted = one_pass() if report.attempted else False
        # --wait: the deferred recipients' domains asked to slow down; wait for them here
        while limits.wait and not report.interrupted and not run_stops(journal).stopped:
            report.expired += journal.expire(limits.max_retry_time)  # --wait gives up in time too
            due = journal.paused(allowed)  # recipients whose domain asked to slow down
            if due is None:
                break
            try:
                time.sleep(max(0.0, due - time.time()))
            except KeyboardInterrupt:
                report.interrupted = True
                break
            told["deferred"] -= journal.paused_due(allowed)  # their outcome is this pass's now
            report.interrupted = one_pass()
    stops = run_stops(journal)
    report.stopped, report.blocked, report.paused = stops.stopped, stops.blocked, stops.paused
    report.next_due = journal.next_due()
    report.counts = journal.counts()
    report.uncertain = [e.id for e in journal.entries(IN_FLIGHT)]
    report.failures = [
        (e.row, e.id, e.address, "uncertain" if e.status == IN_FLIGHT else e.status, e.reply)
        for e in journal.entries(FAILED, DEFERRED, IN_FLIGHT)
    ]


async def deliver_all(
    outgoing: Iterable[Outgoing],
    transport: Transport,
    journal: Journal,
    limits: Limits,
    progress: Callable[[str, int], None] | None,
) -> bool:
    """Deliver, stopping cleanly on Ctrl-C: messages in flight finish, no new one starts.
    Returns whether a signal interrupted it (a run the relay stopped is not interrupted)."""
    stop = asyncio.Event()
    signalled: list[int] = []

    def interrupt(sig: int) -> None:
        signalled.append(sig)
        stop.set()

    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, interrupt, signal.SIGINT)
        loop.add_signal_handler(signal.SIGTERM, interrupt, signal.SIGTERM)
    except (NotImplementedError, RuntimeError):  # not the main thread: no signal handling
        pass
    try:
        await transport.deliver(outgoing, journal, limits, stop=stop, progress=progress)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return bool(signalled)


def _deliver_in_processes(
    outgoing: Callable[[Journal, int, int], Iterator[Outgoing]],
    relay: Transport,
    journal: Journal,
    limits: Limits,
    progress: Callable[[str, int], None] | None,
    processes: int,
) -> bool:
    """One process per core, each with its share of the messages, its connections and its own
    connection to the journal (SQLite in WAL mode takes their writes in turn).

    Each child reads its shard of the work from the journal (journal.shard_of): composition
    and the SMTP exchange cost CPU, so one event loop cannot keep the sink busy. Shards are
    whole domains under a per-domain limit, so that one process holds it; otherwise addresses,
    so that a list that is mostly one domain is sent on every core, and the processes share
    each domain's pauses through the journal. Outcomes come back a byte each: asking
    the journal would cost a scan of every row several times a second (24 ms each at 100,000
    recipients). Ctrl-C reaches every process; each lets its messages in flight finish.
    """
    share = replace(  # every other limit as given (a field added to Limits is never forgotten here)
        limits,
        concurrency=max(1, limits.concurrency // processes),
        rate=limits.rate / processes if limits.rate else None,
    )

    def deliver_shard(_: None, shard: int, emit: Callable[[bytes], None]) -> int:
        own = Journal(journal.path)
        told = _Told(emit) if progress else None
        try:
            interrupted = _run(deliver_all(outgoing(own, shard, processes), relay, own, share, told))
        finally:
            if told:
                told.flush()
        own.close()
        return 3 if interrupted else 0

    def heard(data: bytes) -> None:
        if progress:
            for status, code in _OUTCOME_BYTES.items():
                if count := data.count(code):
                    progress(status, count)

    codes = LocalProcesses(processes).run_shards(deliver_shard, None, processes, heard)
    failures = [code for code in codes if code not in (0, 3)]
    if failures:
        raise PublipostError(
            f"{len(failures)} sending process(es) stopped with an error",
            hint="run the same command again: the journal resumes where they stopped",
        )
    return 3 in codes


_OUTCOME_BYTES = {SENT: b"s", DEFERRED: b"d", FAILED: b"f", UNCERTAIN: b"u", SKIPPED: b"k"}


class _Told:
    """A sending process's outcomes for the parent, written at most every tenth of a second:
    a write per message, and the parent waking up for each, cost 26 µs a message in the child
    alone (issue 31: a tenth of what sending it costs)."""

    EVERY = 0.1  # seconds: a progress bar is redrawn no more often anyway

    def __init__(self, emit: Callable[[bytes], None]):
        self.emit = emit
        self.buffer = bytearray()
        self.timer: asyncio.TimerHandle | None = None

    def __call__(self, status: str, n: int) -> None:
        self.buffer += _OUTCOME_BYTES[status] * n
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.EVERY, self.flush)

    def flush(self) -> None:
        self.timer = None
        if self.buffer:
            self.emit(bytes(self.buffer))
            self.buffer.clear()


def _run(coroutine: Coroutine[Any, Any, bool]) -> bool:
    """uvloop's event loop where it exists (libuv, in C): the event loop and socket code are
    a good part of what a message costs; uvloop cut the CPU per message by 8 % (measured)."""
    try:
        import uvloop
    except ImportError:  # Windows: the standard loop
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _send_to_seeds(
    delivery: Delivery,
    unit: Channel,
    recipients: list[Recipient],
    seeds: list[str],
    relay: Relay | None,
    out_dir: Path,
    limits: Limits,
    report: SendReport,
    started: float,
) -> SendReport:
    """Each chosen recipient's message to every seed address, marked as a test, in a journal of
    their own (test-sends.sqlite): the send's journal never hears of them."""
    seeds = list(dict.fromkeys(delivery.seed(seed) for seed in seeds))
    pairs = [(recipient, seed) for recipient in recipients for seed in seeds]

    def compose(recipient: Recipient, seed: str) -> bytes:
        try:
            return delivery.message(recipient, test_to=seed)
        except RecipientError as exc:
            raise NotComposed(str(exc)) from None

    outgoing = [
        Outgoing(f"{r.id}->{seed}", delivery.sender, seed, partial(compose, r, seed)) for r, seed in pairs
    ]
    path = out_dir / ("test-sends.sqlite" if unit.name == "email" else f"test-sends-{unit.name}.sqlite")
    with SendLock(path):
        journal = Journal(path)
        try:
            journal.reset((SENT, FAILED, IN_FLIGHT, DEFERRED, PENDING))  # test sends may be repeated…
            run_stops(journal, clear=True)  # …and a pause or stop an earlier one met holds no more
            journal.add([(f"{r.id}->{seed}", r.row, seed) for r, seed in pairs])
            with delivery.transport(relay, out_dir) as target:
                report.relay, report.maildir = str(target), target.folder
                _run(
                    deliver_all(
                        outgoing,
                        target,
                        journal,
                        limits,
                        lambda status, n: report.this_run.update({status: n}),
                    )
                )
            report.counts = journal.counts()
            report.attempted = len(pairs)
            statuses = {e.id: e.status for e in journal.entries(*journal.counts())}
            report.tests = [
                (f"{r.id} ({r.variant})" if r.variant else r.id, seed, statuses.get(f"{r.id}->{seed}", ""))
                for r, seed in pairs
            ]
            report.failures = [
                (e.row, e.id, e.address, e.status, e.reply) for e in journal.entries(FAILED, DEFERRED)
            ]
        finally:
            journal.close()
    report.seconds = time.perf_counter() - started
    return report


def test_choice(prepared: Prepared, ids: list[str] | None, delivery: Delivery) -> list[Recipient]:
    """The recipients a test send shows: those named, or the first and the one with the longest
    values (where layouts break), and the first of each variant neither of them gets. An id that
    is not an e-mail recipient is an error, with why."""
    audience, channel = prepared.audience, delivery.channel
    if not ids:
        first = next(iter(delivery.mailing_list(audience)), None)
        ids = list(dict.fromkeys(i for i in (first and first[0], audience.longest_id(channel)) if i))
        if prepared.variants:
            mailed = audience.reached(channel)
            shown = set(mailed.loc[mailed[ID].isin(ids), VARIANT])
            firsts = mailed.groupby(VARIANT, sort=False)[ID].first()
            ids += [str(rid) for name, rid in firsts.items() if name not in shown]
    targeted = {r.id: r for r in audience.by_ids(ids)}
    found = {i: r for i, r in targeted.items() if delivery.address(r)}
    missing = [i for i in ids if i not in found]
    if missing:
        no = "e-mail address" if channel == "email" else f"{channel} address"
        reasons = [f"'{i}' has no {no}" if i in targeted else audience.why_not(i) for i in missing]
        raise PublipostError(
            f"--test-recipient: {'; '.join(reasons)}", hint="ids are in validate's rejects.csv"
        )
    return [found[i] for i in ids]


def _lint_gate(unit: Channel, prepared: Prepared, report: SendReport, strict: bool) -> Prepared:
    """The channel's own findings at error severity stop the send (the prepared campaign and
    audience, nothing read again; the law's rules whatever a configuration says); a reply whose
    merged text has one is held back alone (report.held)."""
    prepared, report.held = unit.check_gate(
        prepared, "nothing was sent", "send with --no-lint", strict=strict
    )
    return prepared


def _write_failures(path: Path, report: SendReport, separator: str) -> None:
    write_csv(path, ["row", "id", "address", "status", "reply"], report.failures, separator)
