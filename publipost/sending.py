"""An e-mail blast: lint gate, journal, the SMTP path, the report.

Without a relay, messages go through the embedded capture server into a Maildir under
the output folder: the real SMTP path, and no real person mailed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import select
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path

from publipost.campaigns.audience import Recipient
from publipost.campaigns.emails import check_email
from publipost.campaigns.model import Campaign
from publipost.campaigns.postal import recipient_name
from publipost.csvout import separator_for, write_csv
from publipost.errors import PublipostError
from publipost.mailer.dkim import KEY_VARIABLE, DkimKey, read_key, sign
from publipost.mailer.journal import DEFERRED, FAILED, IN_FLIGHT, PENDING, SENT, Journal, Reconciled
from publipost.mailer.lock import SendLock
from publipost.mailer.message import MessageTemplate, Sender, unsubscribe_for, unsubscribe_secret
from publipost.mailer.smtp import (
    SKIPPED,
    UNCERTAIN,
    Limits,
    NotComposed,
    Outgoing,
    Relay,
    deliver,
    probe,
)
from publipost.pipeline import Prepared
from publipost.resume import check_journal
from publipost.templates.codes import campaign_code
from publipost.templates.merge import RecipientError, each_rendered


class LintBlocked(PublipostError):
    """The copy has findings at error severity: nothing was sent."""


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
    relay: str = ""
    maildir: Path | None = None
    interrupted: bool = False
    lint_skipped: bool = False
    journal: Path | None = None
    changes_accepted: list[str] = field(default_factory=list)
    reconciled: Reconciled | None = None

    @property
    def rate(self) -> float:
        return self.attempted / self.seconds if self.seconds else 0.0


class Composer:
    """Recipient → message bytes, with everything per campaign done once."""

    def __init__(self, prepared: Prepared, secret: bytes):
        campaign = prepared.campaign
        if prepared.email is None or campaign.email is None or not campaign.sender.email:
            raise PublipostError("this campaign has no e-mail", campaign.where(()), "add an 'email:' section")
        self.prepared = prepared
        self.renderer = prepared.email
        self.secret = secret
        self.code = campaign_code(campaign.name)
        sender = campaign.sender
        self.template = MessageTemplate(
            Sender(sender.company or sender.name, sender.email, sender.reply_to),
            campaign.name,
            self.code,
            dt.datetime.now(dt.UTC),
            self.renderer.images,
        )
        self.unsubscribe = campaign.email.unsubscribe
        self.dkim = campaign_dkim_key(campaign)

    def message(self, recipient: Recipient, to_address: str | None = None) -> bytes:
        campaign = self.prepared.campaign
        email = self.prepared.merge.email(recipient)
        config, unsubscribe = self.unsubscribe, None
        if config:
            unsubscribe = unsubscribe_for(config.url, config.mailto, self.code, recipient.id, self.secret)
        link = (unsubscribe.url or unsubscribe.mailto) if unsubscribe else None
        body = self.renderer.render(email, link, self.prepared.merge.context(recipient))
        data = self.template.build(
            to_name=recipient_name(recipient.fields, campaign.language),
            to_address=to_address or recipient.email or "",
            subject=email.subject,
            text=body.text,
            html=body.pieces,
            recipient_id=recipient.id,
            unsubscribe=unsubscribe,
        )
        return sign(data, self.dkim) if self.dkim else data

    def compose(self, recipient: Recipient) -> bytes:
        """The message, for the mailer: a recipient whose copy cannot be rendered fails alone."""
        try:
            return self.message(recipient)
        except RecipientError as exc:
            raise NotComposed(str(exc)) from None


def campaign_dkim_key(campaign: Campaign) -> DkimKey | None:
    """The campaign's DKIM key: from PUBLIPOST_DKIM_KEY, or the file email.dkim.key_file names
    (never from the YAML itself)."""
    config = campaign.email.dkim if campaign.email else None
    if config is None:
        return None
    where = campaign.where(("email", "dkim"))
    pem = os.environ.get(KEY_VARIABLE, "").encode()
    if not pem:
        if not config.key_file:
            raise PublipostError(f"email.dkim has no key: set {KEY_VARIABLE} or email.dkim.key_file", where)
        pem = campaign.resolve(config.key_file).read_bytes()
    domain = config.domain or (campaign.sender.email or "").rsplit("@", 1)[-1]
    return read_key(pem, config.selector, domain, where)


def email_recipients(prepared: Prepared) -> Iterator[Recipient]:
    return (r for r in prepared.audience if r.email)


def send_campaign(
    prepared: Prepared,
    out_dir: Path,
    *,
    relay: Relay | None = None,
    limits: Limits | None = None,
    lint: bool = True,
    dry_run: bool = False,
    test_to: list[str] | None = None,
    limit: int | None = None,
    resend: bool = False,
    retry_uncertain: bool = False,
    accept_changes: bool = False,
    progress: Callable[[str, int], None] | None = None,  # an outcome, how many recipients
    processes: int | None = None,
    ready: Callable[[], None] | None = None,
) -> SendReport:
    """Send the campaign's e-mails. Every check comes first (lint, the journal, the relay);
    `ready` is called once they all passed, before the first message: a caller prints there."""
    campaign = prepared.campaign
    if campaign.email is None:
        raise PublipostError(
            "this campaign has no e-mail to send",
            campaign.where(()),
            "add an 'email:' section with subject and body",
        )
    report = SendReport(lint_skipped=not lint)
    # Bad input first (exit 2: the key, the DKIM key), then the copy's faults (exit 1).
    composer = Composer(prepared, unsubscribe_secret(out_dir, real_relay=relay is not None and not dry_run))
    if lint:
        _lint_gate(campaign.path)
    recipients = islice(email_recipients(prepared), limit)  # streamed: never a list of everyone
    started = time.perf_counter()
    if dry_run:
        rendered = sum(1 for _ in each_rendered(recipients, composer.message, report.not_rendered))
        report.counts = {"rendered": rendered}
        report.seconds = time.perf_counter() - started
        return report
    limits = limits or Limits()
    processes = (processes or os.cpu_count() or 1) if hasattr(os, "fork") else 1  # Windows: one process
    if test_to:
        return _send_to_seeds(
            composer, list(islice(recipients, len(test_to))), test_to, relay, out_dir, limits, report, started
        )

    journal_path = out_dir / "send-journal.sqlite"
    with SendLock(journal_path):
        journal = Journal(journal_path)
        report.journal = journal.path
        try:
            _deliver_journal(
                prepared,
                composer,
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
                accept_changes=accept_changes,
            )
        finally:
            journal.close()
    report.seconds = time.perf_counter() - started
    source = prepared.audience.source
    _write_failures(out_dir / "send-failures.csv", report, separator_for(source.separator, campaign.language))
    return report


def _deliver_journal(
    prepared: Prepared,
    composer: Composer,
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
    accept_changes: bool,
) -> None:
    """Bind the journal to the campaign, bring it up to date with the audience, send what is to send."""
    audience = prepared.audience
    report.changes_accepted = check_journal(journal, prepared, accept_changes=accept_changes)
    report.reconciled = journal.reconcile(audience.mailing_list())
    if resend:
        journal.reset((SENT, FAILED, IN_FLIGHT))
    elif retry_uncertain:
        journal.reset((IN_FLIGHT,))
    allowed = {e.id for e in islice(journal.todo(), limit)} if limit is not None else None
    report.attempted = journal.count(PENDING) + journal.count(DEFERRED) if allowed is None else len(allowed)
    sender = prepared.campaign.sender.email or ""

    def outgoing(own: Journal, shard: int = 0, shards: int = 1) -> Iterator[Outgoing]:
        """The work, read from the journal a batch at a time, with those recipients' data."""
        entries = (e for e in own.todo(shard, shards) if allowed is None or e.id in allowed)
        while batch := list(islice(entries, 500)):
            found = {r.id: r for r in audience.recipients([e.id for e in batch])}
            for entry in batch:
                recipient = found.get(entry.id)
                # The journal was reconciled with this audience: the envelope address and the
                # message's own always name the same person. Anything else is left as it is.
                if recipient is not None and recipient.email == entry.address:
                    yield Outgoing(entry.id, sender, entry.address, partial(composer.compose, recipient))

    told = report.this_run

    def heard(status: str, n: int) -> None:
        told[status] += n
        if progress:
            progress(status, n)

    with _server(relay, out_dir) as (target, maildir):
        report.relay, report.maildir = str(target), maildir
        if report.attempted:
            asyncio.run(probe(target, limits.timeout))
        if ready:
            ready()
        if processes > 1 and report.attempted >= 200 * processes:
            report.interrupted = _deliver_in_processes(outgoing, target, journal, limits, heard, processes)
        elif report.attempted:
            report.interrupted = _run(deliver_all(outgoing(journal), target, journal, limits, heard))
    report.counts = journal.counts()
    report.uncertain = [e.id for e in journal.entries(IN_FLIGHT)]
    report.failures = [
        (e.row, e.id, e.address, "uncertain" if e.status == IN_FLIGHT else e.status, e.reply)
        for e in journal.entries(FAILED, DEFERRED, IN_FLIGHT)
    ]


async def deliver_all(outgoing, relay, journal, limits, progress) -> bool:
    """Deliver, stopping cleanly on Ctrl-C: messages in flight finish, no new one starts."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    except (NotImplementedError, RuntimeError):  # not the main thread: no signal handling
        pass
    try:
        await deliver(outgoing, relay, journal, limits, stop=stop, progress=progress)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return stop.is_set()


def _deliver_in_processes(outgoing, relay, journal: Journal, limits, progress, processes: int) -> bool:
    """One process per core, each with its share of the messages, its connections and its own
    connection to the journal (SQLite in WAL mode takes their writes in turn).

    Each child reads its shard of the work from the journal. Composition costs more than
    sending, so one event loop cannot keep the sink busy. The
    children die with the parent (PR_SET_PDEATHSIG): a killed send never leaves orphans
    mailing on. Ctrl-C reaches every process; each lets its messages in flight finish.
    """
    share_limits = Limits(
        concurrency=max(1, limits.concurrency // processes),
        rate=limits.rate / processes if limits.rate else None,
        per_domain=limits.per_domain,
        attempts=limits.attempts,
        timeout=limits.timeout,
        backoff=limits.backoff,
    )
    # Outcomes come back through a pipe, a byte each: asking the journal would cost the parent a
    # scan of every row several times a second (24 ms each at 100,000 recipients).
    reader, writer = os.pipe() if progress else (None, None)
    children = []
    for shard in range(processes):
        pid = os.fork()
        if pid == 0:  # the child: deliver its share, then leave without running the parent's cleanup
            code = 0
            try:
                _die_with_parent()
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                own = Journal(journal.path)
                jobs = outgoing(own, shard, processes)
                told = (lambda status, n: os.write(writer, _OUTCOME_BYTES[status] * n)) if writer else None
                code = 3 if _run(deliver_all(jobs, relay, own, share_limits, told)) else 0
                own.close()
            except BaseException:  # a child reports through its exit code only
                code = 1
            os._exit(code)
        children.append(pid)
    if writer is not None:
        os.close(writer)
    interrupted = False
    failures: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda *_: None)  # children stop themselves; wait for them
    try:
        while children:
            reader = _relay_outcomes(reader, progress)
            for pid in list(children):
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished:
                    children.remove(pid)
                    code = os.waitstatus_to_exitcode(status)
                    interrupted |= code == 3
                    if code not in (0, 3):
                        failures.append(code)
        while reader is not None:  # what the last children said before they left
            reader = _relay_outcomes(reader, progress)
    finally:
        signal.signal(signal.SIGINT, previous)
        if reader is not None:
            os.close(reader)
    if failures:
        raise PublipostError(
            f"{len(failures)} sending process(es) stopped with an error",
            hint="run the same command again: the journal resumes where they stopped",
        )
    return interrupted


_OUTCOME_BYTES = {SENT: b"s", DEFERRED: b"d", FAILED: b"f", UNCERTAIN: b"u", SKIPPED: b"k"}


def _relay_outcomes(reader: int | None, progress) -> int | None:
    """Wait up to 50 ms for the children's outcomes and pass them on; None once the pipe is closed."""
    if reader is None:
        time.sleep(0.05)
        return None
    if select.select([reader], [], [], 0.05)[0]:
        data = os.read(reader, 65536)
        if not data:  # every child has closed its end
            os.close(reader)
            return None
        for status, code in _OUTCOME_BYTES.items():
            if count := data.count(code):
                progress(status, count)
    return reader


def _die_with_parent() -> None:
    """Linux: the kernel sends this process SIGKILL when its parent dies."""
    import ctypes

    with suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _run(coroutine) -> bool:
    """uvloop's event loop where it exists (libuv, in C): the event loop and socket code are
    a good part of what a message costs; uvloop cut the CPU per message by 8 % (measured)."""
    try:
        import uvloop
    except ImportError:  # Windows: the standard loop
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


@contextmanager
def _server(relay: Relay | None, out_dir: Path) -> Iterator[tuple[Relay, Path | None]]:
    """The relay named, or the embedded capture server delivering into out/maildir."""
    if relay is not None:
        yield relay, None
        return
    from publipost.mailer.capture import CaptureServer

    with CaptureServer(out_dir / "maildir") as capture:
        yield Relay("127.0.0.1", capture.port), capture.folder


def _send_to_seeds(composer, recipients, seeds, relay, out_dir, limits, report, started) -> SendReport:
    """The first recipients' messages, each to one address of the seed list, in a journal of their own."""
    checked = [check_email(seed) for seed in seeds]
    for _, problem in checked:
        if problem:
            raise PublipostError(f"--test-to: {problem}", hint="e.g. --test-to me@example.com")
    seeds = [address for address, _ in checked]  # in ASCII, as SMTP carries them
    pairs = list(zip(recipients, seeds, strict=False))

    def compose(recipient: Recipient, seed: str) -> bytes:
        try:
            return composer.message(recipient, seed)
        except RecipientError as exc:
            raise NotComposed(str(exc)) from None

    outgoing = [
        Outgoing(f"{r.id}->{seed}", composer.prepared.campaign.sender.email, seed, partial(compose, r, seed))
        for r, seed in pairs
    ]
    path = out_dir / "test-sends.sqlite"
    with SendLock(path):
        journal = Journal(path)
        try:
            journal.reset((SENT, FAILED, IN_FLIGHT, DEFERRED, PENDING))  # test sends may be repeated
            journal.add([(f"{r.id}->{seed}", r.row, seed) for r, seed in pairs])
            with _server(relay, out_dir) as (target, maildir):
                report.relay, report.maildir = str(target), maildir
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
            report.failures = [
                (e.row, e.id, e.address, e.status, e.reply) for e in journal.entries(FAILED, DEFERRED)
            ]
        finally:
            journal.close()
    report.seconds = time.perf_counter() - started
    return report


def _lint_gate(path: Path) -> None:
    from publipost.linter.engine import lint_paths

    # The operator runs send: the campaign may keep its customer file outside the repository.
    # The rules that guard the law apply whatever a configuration says.
    result = lint_paths([path], allow_outside=True, enforce_law=True)
    errors = [f for f in result.active if f.severity == "error"]
    if errors:
        listed = "\n".join(
            f"  {f.path}:{f.line}:{f.column}: {f.rule} {f.name} {f.message}" for f in errors[:10]
        )
        raise LintBlocked(
            f"the copy has {len(errors)} lint error(s); nothing was sent:\n{listed}",
            hint="fix them (publipost lint shows them all), or send with --no-lint",
        )


def _write_failures(path: Path, report: SendReport, separator: str) -> None:
    write_csv(path, ["row", "id", "address", "status", "reply"], report.failures, separator)
