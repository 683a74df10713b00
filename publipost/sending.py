"""An e-mail blast: lint gate, journal, the SMTP path, the report.

Without a relay, messages go through the embedded capture server into a Maildir under
the output folder: the real SMTP path, and no real person mailed.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import os
import select
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path

from publipost.campaigns.audience import Recipient
from publipost.campaigns.emails import check_email
from publipost.campaigns.postal import recipient_name
from publipost.errors import PublipostError
from publipost.mailer.dkim import load_key, sign
from publipost.mailer.journal import DEFERRED, FAILED, IN_FLIGHT, PENDING, SENT, Journal
from publipost.mailer.message import MessageTemplate, unsubscribe_for, unsubscribe_secret
from publipost.mailer.smtp import Limits, Outgoing, Relay, deliver, probe
from publipost.pipeline import Prepared
from publipost.templates.merge import each_rendered


class LintBlocked(PublipostError):
    """The copy has findings at error severity: nothing was sent."""


@dataclass
class SendReport:
    counts: dict[str, int] = field(default_factory=dict)
    uncertain: list[str] = field(default_factory=list)  # in flight when an earlier run stopped
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

    @property
    def rate(self) -> float:
        return self.attempted / self.seconds if self.seconds else 0.0


class Composer:
    """Recipient → message bytes, with everything per campaign done once."""

    def __init__(self, prepared: Prepared, secret: bytes):
        self.prepared = prepared
        self.renderer = prepared.email
        self.secret = secret
        self.template = MessageTemplate(prepared.campaign, dt.datetime.now(dt.UTC), self.renderer.images)
        self.dkim = load_key(prepared.campaign)

    def message(self, recipient: Recipient, to_address: str | None = None) -> bytes:
        campaign = self.prepared.campaign
        email = self.prepared.merge.email(recipient)
        unsubscribe = unsubscribe_for(campaign, recipient.id, self.secret)
        link = (unsubscribe.url or unsubscribe.mailto) if unsubscribe else None
        body = self.renderer.render(email, link, self.prepared.merge.context(recipient))
        data = self.template.build(
            to_name=recipient_name(recipient.fields, campaign.language),
            to_address=to_address or recipient.email,
            subject=email.subject,
            text=body.text,
            html=body.pieces,
            recipient_id=recipient.id,
            unsubscribe=unsubscribe,
        )
        return sign(data, self.dkim) if self.dkim else data


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
    progress: Callable[[str, int], None] | None = None,  # an outcome, how many recipients
    processes: int | None = None,
) -> SendReport:
    campaign = prepared.campaign
    if campaign.email is None:
        raise PublipostError(
            "this campaign has no e-mail to send",
            campaign.where(()),
            "add an 'email:' section with subject and body",
        )
    report = SendReport(lint_skipped=not lint)
    if lint:
        _lint_gate(campaign.path)
    composer = Composer(prepared, unsubscribe_secret(out_dir, real_relay=relay is not None and not dry_run))
    audience = prepared.audience
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

    journal = Journal(out_dir / "send-journal.sqlite")
    report.journal = journal.path
    try:
        report.uncertain = [e.id for e in journal.entries(IN_FLIGHT)]
        mailing = list(islice(audience.mailing_list(), limit)) if limit is not None else None
        allowed = {rid for rid, _, _ in mailing} if mailing is not None else None
        journal.add(mailing if mailing is not None else audience.mailing_list())
        if resend:
            journal.reset((SENT, FAILED, IN_FLIGHT))
            report.uncertain = []
        elif retry_uncertain:
            journal.reset((IN_FLIGHT,))
            report.uncertain = []
        report.attempted = (
            journal.count(PENDING) + journal.count(DEFERRED)
            if allowed is None
            else sum(1 for e in journal.todo() if e.id in allowed)
        )

        sender = campaign.sender.email

        def outgoing(own: Journal, shard: int = 0, shards: int = 1) -> Iterator[Outgoing]:
            """The work, read from the journal a batch at a time, with those recipients' data."""
            entries = own.todo(shard, shards)
            while batch := list(islice(entries, 500)):
                found = {r.id: r for r in audience.recipients([e.id for e in batch])}
                for entry in batch:
                    recipient = found.get(entry.id)
                    # not in this audience any more, or beyond --limit: left as it was
                    if recipient is not None and (allowed is None or entry.id in allowed):
                        yield Outgoing(entry.id, sender, entry.address, partial(composer.message, recipient))

        with _server(relay, out_dir) as (target, maildir):
            report.relay, report.maildir = str(target), maildir
            if report.attempted:
                asyncio.run(probe(target, limits.timeout))
            if processes > 1 and report.attempted >= 200 * processes:
                report.interrupted = _deliver_in_processes(
                    outgoing, target, journal, limits, progress, processes
                )
            else:
                report.interrupted = _run(
                    deliver_all(outgoing(journal), target, journal, limits, progress, report)
                )
        report.counts = journal.counts()
        report.failures = [
            (e.row, e.id, e.address, e.status, e.reply) for e in journal.entries(FAILED, DEFERRED)
        ]
    finally:
        journal.close()
    report.seconds = time.perf_counter() - started
    _write_failures(out_dir / "send-failures.csv", report)
    return report


async def deliver_all(outgoing, relay, journal, limits, progress, report) -> bool:
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
                code = 3 if _run(deliver_all(jobs, relay, own, share_limits, told, None)) else 0
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


_OUTCOME_BYTES = {SENT: b"s", DEFERRED: b"d", FAILED: b"f"}


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
    """The first recipients' messages, each to one address of the seed list; no journal."""
    from publipost.mailer.journal import Journal as SeedJournal

    checked = [check_email(seed) for seed in seeds]
    for _, problem in checked:
        if problem:
            raise PublipostError(f"--test-to: {problem}", hint="e.g. --test-to me@example.com")
    seeds = [address for address, _ in checked]  # in ASCII, as SMTP carries them
    journal = SeedJournal(out_dir / "test-sends.sqlite")
    pairs = list(zip(recipients, seeds, strict=False))
    journal.reset((SENT, FAILED, IN_FLIGHT, DEFERRED, PENDING))
    journal.add([(f"{r.id}->{seed}", r.row, seed) for r, seed in pairs])
    outgoing = [
        Outgoing(
            f"{r.id}->{seed}",
            composer.prepared.campaign.sender.email,
            seed,
            lambda r=r, seed=seed: composer.message(r, seed),
        )
        for r, seed in pairs
    ]
    try:
        with _server(relay, out_dir) as (target, maildir):
            report.relay, report.maildir = str(target), maildir
            _run(deliver_all(outgoing, target, journal, limits, None, report))
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

    errors = [f for f in lint_paths([path]).active if f.severity == "error"]
    if errors:
        listed = "\n".join(
            f"  {f.path}:{f.line}:{f.column}: {f.rule} {f.name} {f.message}" for f in errors[:10]
        )
        raise LintBlocked(
            f"the copy has {len(errors)} lint error(s); nothing was sent:\n{listed}",
            hint="fix them (publipost lint shows them all), or send with --no-lint",
        )


def _write_failures(path: Path, report: SendReport) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "id", "address", "status", "reply"])
        writer.writerows(report.failures)
