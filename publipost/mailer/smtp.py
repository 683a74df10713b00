"""Deliver messages over SMTP: a pool of reused connections, retries, limits, the journal kept.

Each worker holds one connection (opened by aiosmtplib, driven by mailer/session.py) and
sends one message at a time on it.

What is safe to retry depends on how far the transaction went (RFC 5321 §4.5.4, RFC 1047):

- a failure before the data's final dot (connect, EHLO, MAIL, RCPT, the DATA command, a
  4xx reply) cannot have delivered anything: the recipient is retried with exponential
  backoff and jitter, and deferred when the attempts run out;
- a 5xx reply is judged by whose fault it is (blame.py): the recipient's fails that recipient
  at once; the relay's (our sender refused, relaying denied) stops the run; the recipient's
  domain's (policy, content) stops that domain for the run; the last two suppress nobody and
  leave the recipients deferred. Refusals before the relay ever accepted a recipient are not
  blamed on the addresses, and a run whose share of addresses refused for good passes
  `max_bounce_rate` stops, those recipients deferred (the Guard);
- a timeout or a dropped connection after the final dot leaves the outcome unknown: the
  server may have queued the message. The recipient stays in flight and is reported as
  uncertain, never sent again unless the operator asks (--retry-uncertain).

Each recipient is claimed in the journal (pending or deferred → in flight, atomically)
and the claim committed before its transaction starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import aiosmtplib

from publipost.errors import PublipostError
from publipost.mailer.blame import Stage, address_refused, blame
from publipost.mailer.journal import DEFERRED, FAILED, IN_FLIGHT, SENT, Change, Journal
from publipost.mailer.session import Progress, Session

PASSWORD_VARIABLE = "PUBLIPOST_SMTP_PASSWORD"
UNCERTAIN, SKIPPED = "uncertain", "skipped"  # outcomes of a run; the journal keeps the first in flight


class NotComposed(Exception):
    """This recipient's message could not be composed; the others go on."""


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    tls: bool = False  # implicit TLS (smtps)
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # from the environment only; never printed
    allow_plain_auth: bool = False  # log in without TLS (a trusted network only)

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'smtps' if self.tls else 'smtp'}://{user}{self.host}:{self.port}"


def parse_relay(url: str, *, allow_plain_auth: bool = False) -> Relay:
    """`smtp://host:port` or `smtps://user@host:465`; the password comes from PUBLIPOST_SMTP_PASSWORD."""
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError:  # a port that is not a number
        parsed, port = None, None
    if parsed is None or parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise PublipostError(
            f"'{_redacted(url)}' is not an SMTP URL", hint="write smtp://host:port or smtps://user@host:465"
        )
    if parsed.password:
        raise PublipostError(
            "the SMTP URL holds a password", hint=f"remove it and set {PASSWORD_VARIABLE} instead"
        )
    username = unquote(parsed.username) if parsed.username else None
    password = os.environ.get(PASSWORD_VARIABLE) if username else None
    if username and not password:
        raise PublipostError(
            f"{PASSWORD_VARIABLE} is not set", hint=f"export {PASSWORD_VARIABLE}=… for {username}"
        )
    tls = parsed.scheme == "smtps"
    return Relay(parsed.hostname, port or (465 if tls else 25), tls, username, password, allow_plain_auth)


def _redacted(url: str) -> str:
    """A URL as it may be printed: whatever stands between the scheme and the last '@' could hold
    a password, with or without the '//' (smtp:/user:PASS@host)."""
    if "@" not in url:
        return url
    scheme, colon, rest = url.partition(":")
    head = f"{scheme}:{'//' if rest.startswith('//') else ''}" if colon else ""
    return f"{head}***@{url.rsplit('@', 1)[1]}"


@dataclass(frozen=True)
class Limits:
    concurrency: int = 8  # connections in the pool
    rate: float | None = None  # messages per second, all connections together
    per_domain: int | None = None  # messages at once to one recipient domain
    attempts: int = 4  # per message, for 4xx replies and failures before the data
    timeout: float = 30.0  # seconds, per message
    backoff: float = 0.5  # seconds, doubled at each retry, with jitter
    # Addresses refused for good, of those tried: past it, the run stops and asks. Not a norm: our
    # choice, ten times the 1 % hard-bounce level deliverability guides treat as a list problem,
    # so that an old list is flagged and a relay refusing everyone is stopped early.
    max_bounce_rate: float = 0.10
    # A 4xx reply ("slow down", greylisting, a full queue) pauses its domain: the n-th pause of a
    # run lasts retry_delays[n] seconds (the last repeats). RFC 5321 §4.5.4.1: retries spaced by
    # at least 30 minutes; providers throttle a sender that hammers them.
    retry_delays: tuple[float, ...] = (60.0, 300.0, 900.0, 1800.0)
    max_retry_time: float = 4 * 86400.0  # deferred longer: failed (RFC 5321 §4.5.4.1: give up after 4-5 days)
    wait: bool = False  # wait for the deferred recipients' time within the run, instead of the next send


MIN_SAMPLE = 20  # recipients tried before the bounce rate is judged (our choice: 2 refusals are not a rate)
REFUSED_BEFORE_ANY = 3  # refusals with no recipient ever accepted: the relay, not the addresses
STOPS = "stops:"  # journal meta keys: why a run (a process of it) stopped, which domains refused


class Guard:
    """What one run has learnt of its relay and of the recipients' domains, shared by its
    connections: whether to stop, which domains to leave alone, whom not to blame.

    The run's other sending processes write the same journal: what one Guard learns is written
    there at once, and what the others learnt read back every SHARED_EVERY seconds, so that a
    domain that asks one process to slow down is left alone by all of them, and a run one
    process stops (the relay refused, too many bounces) stops in every process."""

    # Seconds between two readings of the other processes' findings: our choice, a query of the
    # journal's few meta rows four times a second, against at most that long of extra 4xx replies.
    SHARED_EVERY = 0.25

    def __init__(self, limits: Limits, journal: Journal, stop: asyncio.Event):
        self.journal, self.stop_event = journal, stop
        self.read_at = 0.0
        self.key = f"{STOPS}{os.getpid()}.{id(self):x}"  # where this one writes its findings
        self.max_rate = limits.max_bounce_rate
        self.before = journal.count(SENT)  # recipients sent by earlier runs of this journal
        self.accepted = 0  # recipients the relay accepted this run
        self.refused: list[str] = []  # ids refused for good this run
        self.early = 0  # refusals at RCPT while no recipient had been accepted
        self.blocked: dict[str, str] = {}  # domain → the reply that refused it
        self.paused: dict[str, tuple[float, str]] = {}  # domain → (until, the reply that asked)
        self.pauses: dict[str, int] = {}  # domain → how many times it asked this run
        self.delays = limits.retry_delays or (60.0,)
        self.stopped = ""  # why the run stopped

    def stop(self, why: str) -> None:
        self.stopped = self.stopped or why
        self.stop_event.set()
        self.publish()

    def pause(self, job: Outgoing, reply: str) -> float:
        """A 4xx reply: the recipient's domain is left alone for the next delay; until when."""
        domain = _domain(job.recipient)
        count = self.pauses.get(domain, 0)
        until = time.time() + self.delays[min(count, len(self.delays) - 1)]
        self.pauses[domain] = count + 1
        if until > self.paused.get(domain, (0.0, ""))[0]:
            self.paused[domain] = (until, reply)
        self.publish()
        return until

    def waiting(self, job: Outgoing) -> tuple[float, str] | None:
        """(until, why) when the recipient's domain is paused now."""
        now = time.time()
        if now - self.read_at >= self.SHARED_EVERY:
            self.read_shared(now)
        found = self.paused.get(_domain(job.recipient))
        return found if found and found[0] > now else None

    def read_shared(self, now: float | None = None) -> None:
        """Take up what the run's other processes learnt: their pauses, blocked domains, a stop."""
        self.read_at = time.time() if now is None else now
        for key, said in _published(self.journal):
            if key == self.key:
                continue
            for domain, until in said.get("until", {}).items():
                if until > self.paused.get(domain, (0.0, ""))[0]:
                    self.paused[domain] = (until, said["paused"][domain])
            for domain, reply in said.get("blocked", {}).items():
                self.blocked.setdefault(domain, reply)
            if said.get("stopped") and not self.stopped:
                self.stopped = said["stopped"]
                self.stop_event.set()

    def judge(self, job: Outgoing, stage: Stage, reply: str, code: int, message: str) -> str:
        """The journal status of a 5xx refusal, and the run's reaction to it."""
        who = blame(stage, code, message)
        if who == "relay":
            self.stop(f"the relay refused at {stage}: {reply}")
            return DEFERRED
        if who == "domain":
            self.blocked.setdefault(_domain(job.recipient), reply)
            self.publish()
            return DEFERRED
        if self.before + self.accepted == 0 and stage == "RCPT":
            self.early += 1
            if self.early >= REFUSED_BEFORE_ANY:
                self.stop(
                    f"the relay refused the first {self.early} recipients and accepted none ({reply}): "
                    "the relay, not the addresses"
                )
        if address_refused(reply) or stage == "RCPT":
            self.refused.append(job.id)
            tried = self.before + self.accepted + len(self.refused)  # the whole send, resumed or not
            rate = len(self.refused) / tried
            if tried >= MIN_SAMPLE and rate > self.max_rate:
                self.stop(
                    f"{len(self.refused)} of {tried} recipients tried were refused for good ({rate:.0%}, "
                    f"over --max-bounce-rate {self.max_rate:.0%}): nobody suppressed, those deferred"
                )
        return FAILED

    def record(self) -> None:
        """Leave what the run learnt in the journal (read by the report, and by the parent of
        processes). The refused are given back, deferred and not blamed, when the relay accepted
        nobody at all (a bare 550 to everyone is the relay's) or the bounce rate stopped the run."""
        nobody = self.before + self.accepted == 0
        if self.refused and (nobody or "--max-bounce-rate" in self.stopped):
            why = "the relay accepted no recipient" if nobody else "the run stopped at its bounce rate"
            self.journal.apply([Change(rid, DEFERRED, f"not blamed: {why}") for rid in self.refused])
        self.publish()

    def publish(self) -> None:
        """This process's findings, for the others and for the report (run_stops)."""
        if self.stopped or self.blocked or self.paused:
            paused = {domain: reply for domain, (_, reply) in self.paused.items()}
            until = {domain: until for domain, (until, _) in self.paused.items()}
            said = {"stopped": self.stopped, "blocked": self.blocked, "paused": paused, "until": until}
            self.journal.set_meta(self.key, json.dumps(said))


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


@dataclass
class Stops:
    """What the last run learnt of the relay and the domains (each process's, together)."""

    stopped: list[str] = field(default_factory=list)  # why it stopped
    blocked: dict[str, str] = field(default_factory=dict)  # domain → the refusal
    paused: dict[str, str] = field(default_factory=dict)  # domain → the 4xx that asked to slow down


def run_stops(journal: Journal, *, clear: bool = False) -> Stops:
    found = Stops()
    for key, said in _published(journal):
        if said.get("stopped") and said["stopped"] not in found.stopped:
            found.stopped.append(said["stopped"])
        found.blocked.update(said.get("blocked", {}))
        found.paused.update(said.get("paused", {}))
        if clear:
            journal.db.execute("DELETE FROM meta WHERE key = ?", (key,))
    return found


def _published(journal: Journal) -> Iterator[tuple[str, dict[str, Any]]]:
    """What each sending process of the run published (Guard.publish), by its key."""
    for key, value in journal.meta().items():
        if key.startswith(STOPS):
            yield key, json.loads(value)


@dataclass(frozen=True)
class Outgoing:
    id: str
    sender: str
    recipient: str
    data: Callable[[], bytes]  # composed when a connection is ready for it; may raise NotComposed


class RateLimit:
    """Messages spaced by 1/rate seconds, all connections of a process together."""

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.interval = 1 / rate if rate else 0.0
        self.next = 0.0
        self.clock, self.sleep = clock, sleep
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = self.clock()
            if self.next > now:
                await self.sleep(self.next - now)
            self.next = max(now, self.next) + self.interval


async def _connect(relay: Relay, timeout: float) -> aiosmtplib.SMTP:
    """A connection ready for mail: greeted (EHLO, HELO for old servers), TLS, logged in."""
    client = _client(relay, timeout)
    try:
        await client.connect()
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        if relay.username:
            if (
                not relay.tls
                and client.get_transport_info("sslcontext") is None
                and not relay.allow_plain_auth
            ):
                raise PlainAuthRefused(relay)
            await client.login(relay.username, relay.password or "")
    except BaseException:
        client.close()
        raise
    return client


class PlainAuthRefused(PublipostError):
    def __init__(self, relay: Relay):
        super().__init__(
            f"{relay} does not offer STARTTLS: the password would cross the network in clear",
            hint="use smtps:// (port 465) or a relay that offers STARTTLS; "
            "--allow-plain-auth only on a network you trust",
        )


async def probe(relay: Relay, timeout: float) -> None:
    """Connect (and log in) once before the first message: a relay that cannot be reached is a
    clear error at once, not every recipient deferred after minutes of retries."""
    try:
        client = await _connect(relay, timeout)
        try:
            await client.quit()
        finally:
            client.close()
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise PublipostError(
            f"{relay} refused the login: {exc.code} {exc.message}",
            hint=f"check the user in the URL and {PASSWORD_VARIABLE}",
        ) from None
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
        raise PublipostError(
            f"cannot connect to {relay}: {exc}",
            hint="check the host and port (and that the relay accepts this machine)",
        ) from None


def _client(relay: Relay, timeout: float) -> aiosmtplib.SMTP:
    # STARTTLS when the server offers it on a plain connection; implicit TLS for smtps.
    return aiosmtplib.SMTP(
        hostname=relay.host,
        port=relay.port,
        use_tls=relay.tls,
        timeout=timeout,
        start_tls=None if not relay.tls else False,
    )


async def deliver(
    outgoing: Iterable[Outgoing],
    relay: Relay,
    journal: Journal,
    limits: Limits,
    *,
    stop: asyncio.Event | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> None:
    """Send every message; returns when each is sent, failed, deferred, uncertain, or the run
    stopped (`stop` set: Ctrl-C, or the Guard)."""
    jobs = iter(outgoing)  # shared: a connection takes the next job when it is free
    rate = RateLimit(limits.rate)
    marks = Marks(journal)
    domains: dict[str, asyncio.Semaphore] = {}
    stop = stop or asyncio.Event()
    guard = Guard(limits, journal, stop)

    def domain_gate(address: str) -> asyncio.Semaphore | None:
        if not limits.per_domain:
            return None
        domain = address.rsplit("@", 1)[-1].lower()
        return domains.setdefault(domain, asyncio.Semaphore(limits.per_domain))

    async def worker() -> None:
        client: Session | None = None
        try:
            while not stop.is_set() and (job := next(jobs, None)) is not None:
                gate = domain_gate(job.recipient)
                paused = guard.waiting(job)
                if paused is not None:  # its domain asked to slow down: not even a connection
                    until, said = paused
                    why = f"not tried: its domain asked to slow down ({said})"
                    marks.note(Change(job.id, DEFERRED, why, claim=True, not_before=until))
                    status = DEFERRED
                elif _domain(job.recipient) in guard.blocked:
                    said = guard.blocked[_domain(job.recipient)]
                    marks.note(
                        Change(
                            job.id, DEFERRED, f"not tried: its domain refused this run ({said})", claim=True
                        )
                    )
                    status = DEFERRED
                elif gate:
                    async with gate:
                        client, status = await _send_one(job, client, relay, marks, limits, rate, guard, stop)
                else:
                    client, status = await _send_one(job, client, relay, marks, limits, rate, guard, stop)
                if progress:
                    progress(status, 1)
        finally:
            if client is not None and client.is_connected:
                try:
                    await asyncio.wait_for(client.quit(), 5)
                except Exception:  # closing a connection that is going anyway
                    client.close()

    try:
        await asyncio.gather(*(worker() for _ in range(limits.concurrency)))
    finally:
        marks.close()
    guard.record()


@dataclass(frozen=True)
class SmtpTransport:
    """The e-mail's transport (channels/base.py `Transport`): a relay over SMTP."""

    relay: Relay
    folder: Path | None = None  # the capture server's Maildir, when the relay is that server

    def __str__(self) -> str:
        return str(self.relay)

    async def probe(self, timeout: float) -> None:
        await probe(self.relay, timeout)

    async def deliver(
        self,
        outgoing: Iterable[Outgoing],
        journal: Journal,
        limits: Limits,
        *,
        stop: asyncio.Event | None = None,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        await deliver(outgoing, self.relay, journal, limits, stop=stop, progress=progress)


class Marks:
    """The journal writes of all the connections of a process, committed together.

    A transaction per write would cost more than composing the message. Writes made
    during one turn of the event loop are committed in one transaction at its end. A
    connection waits for the commit of its claim (the recipient in flight) before it starts
    the transaction; that commit also carries the outcome of the connection's previous message.
    So at any moment at most one recipient per connection is recorded in flight without
    its outcome: what a crash can leave uncertain.
    """

    def __init__(self, journal: Journal):
        self.journal = journal
        self.pending: list[tuple[Change, asyncio.Future[bool] | None]] = []
        self.scheduled = False
        self.error: Exception | None = None

    def note(self, change: Change) -> None:
        """Record a change with the next commit."""
        if self.error:
            raise self.error
        self.pending.append((change, None))
        self._schedule()

    async def claim(self, rid: str, *, attempt: bool = True) -> bool:
        """Claim a recipient (pending or deferred → in flight) and wait until that is committed;
        False if it is no longer to be sent (another run took it, or it is done)."""
        if self.error:
            raise self.error
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending.append((Change(rid, IN_FLIGHT, "", attempt, claim=True), done))
        self._schedule()
        # shielded: a writer cancelled does not cancel the commit the others wait for
        return await asyncio.shield(done)

    def _schedule(self) -> None:
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self._commit)

    def _commit(self) -> None:
        batch, self.pending, self.scheduled = self.pending, [], False
        if not batch:
            return
        try:
            results = self.journal.apply([change for change, _ in batch])
        except Exception as exc:  # a journal that cannot be written stops the send
            self.error = exc
            for _, done in batch:
                if done is not None and not done.done():
                    done.set_exception(exc)
            return
        for (_, done), applied in zip(batch, results, strict=True):
            if done is not None and not done.done():
                done.set_result(applied)

    def close(self) -> None:
        """Commit what is left; raise if the journal could not be written."""
        self._commit()
        if self.error:
            raise self.error


async def _send_one(
    job: Outgoing,
    client: Session | None,
    relay: Relay,
    marks: Marks,
    limits: Limits,
    rate: RateLimit,
    guard: Guard,
    stop: asyncio.Event,
) -> tuple[Session | None, str]:
    """One message, retried while nothing can have been delivered; returns the connection to
    reuse and the outcome."""
    try:
        data = job.data()
    except NotComposed as exc:  # this recipient's data cannot be merged: it fails alone
        marks.note(Change(job.id, FAILED, f"not rendered: {exc}", claim=True))
        return client, FAILED
    last = ""
    for attempt in range(limits.attempts):
        if attempt:
            delay = limits.backoff * 2 ** (attempt - 1)
            await asyncio.sleep(delay * (0.5 + random.random()))  # jitter: retries do not arrive in step
        if rate.interval:
            await rate.wait()
        if not await marks.claim(job.id):
            return client, SKIPPED  # no longer to be sent: done, or taken by another run
        # From here on the recipient is ours until an outcome is noted.
        progress = Progress()
        try:
            if client is None or not client.is_connected:
                client = Session.of(await _connect(relay, limits.timeout))
            async with asyncio.timeout(limits.timeout):
                reply = await _transaction(client, job, data, progress, guard)
            marks.note(Change(job.id, SENT, reply))
            return client, SENT
        except aiosmtplib.SMTPResponseException as exc:  # a reply: refused sender, recipient or data
            last = f"{progress.stage} {exc.code} {exc.message}"
            if not 400 <= exc.code < 600:  # not an SMTP reply: garbage, a line over 8 KB (code -1)
                if progress.data_sent:  # the server may have queued it: an unknown outcome, not a 4xx
                    reply = f"no valid reply after the data was sent ({exc.message[:200]})"
                    marks.note(Change(job.id, IN_FLIGHT, reply))
                    return _drop(client), UNCERTAIN
                marks.note(
                    Change(job.id, DEFERRED, f"{progress.stage}: not an SMTP reply ({exc.message[:200]})")
                )
                client = _drop(client)  # what follows on this connection cannot be trusted either
                continue
            if exc.code >= 500:
                status = guard.judge(job, progress.stage, last, exc.code, exc.message)
                marks.note(Change(job.id, status, last))
                await _reset(client)
                return client, status
            # A 4xx: the domain asked to wait. No retry seconds later (four tries in four seconds
            # is hammering): the recipient waits with its domain, for this run (--wait) or the next.
            until = guard.pause(job, last)
            marks.note(Change(job.id, DEFERRED, last, not_before=until))
            if exc.code == 421:  # the server closes this connection: open another
                client = _drop(client)
            else:
                await _reset(client)
            return client, DEFERRED
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            cause = f"{exc.__class__.__name__}: {exc}".strip(": ")
            if progress.data_sent:  # RFC 1047: the message may be queued; sending it again could duplicate it
                marks.note(Change(job.id, IN_FLIGHT, f"no reply after the data was sent ({cause})"))
                return _drop(client), UNCERTAIN
            last = f"connection: {cause}"
            marks.note(Change(job.id, DEFERRED, last))
            client = _drop(client)
        except BaseException:  # cancelled, or a journal that cannot be written: give the recipient back
            if not progress.data_sent:
                with contextlib.suppress(Exception):
                    marks.note(Change(job.id, DEFERRED, "interrupted before the data"))
            raise
    marks.note(Change(job.id, DEFERRED, f"gave up after {limits.attempts} attempts: {last}"))
    return client, DEFERRED


async def _transaction(session: Session, job: Outgoing, data: bytes, progress: Progress, guard: Guard) -> str:
    """MAIL, RCPT, DATA and the message for one recipient (mailer/session.py); the server's
    reply to the message. A recipient the relay took counts for the Guard, whatever follows."""
    try:
        return await session.transaction(job.sender, job.recipient, data, progress)
    finally:
        if progress.accepted:
            guard.accepted += 1


async def _reset(client: Session | None) -> None:
    if client is None:
        return
    try:
        await asyncio.wait_for(client.rset(), 5)
    except Exception:  # it will be dropped at the next message
        _drop(client)


def _drop(client: Session | None) -> Session | None:
    """Close the connection; None, the connection to use next (a new one)."""
    if client is not None:
        client.close()
    return None
