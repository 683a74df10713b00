"""Deliver messages over SMTP: a pool of reused connections, retries, limits, the journal kept.

Each worker holds one connection (aiosmtplib) and sends one message at a time on it.
4xx replies and dropped connections are retried with exponential backoff and jitter;
5xx replies fail the recipient at once, and the others go on. The journal marks a
recipient in flight before its data is sent and sent once the server accepted it.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import aiosmtplib

from publipost.errors import PublipostError
from publipost.mailer.journal import DEFERRED, FAILED, IN_FLIGHT, SENT, Journal
from publipost.templates.merge import RecipientError

PASSWORD_VARIABLE = "PUBLIPOST_SMTP_PASSWORD"


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    tls: bool = False  # implicit TLS (smtps)
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # from the environment only; never printed

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'smtps' if self.tls else 'smtp'}://{user}{self.host}:{self.port}"


def parse_relay(url: str) -> Relay:
    """`smtp://host:port` or `smtps://user@host:465`; the password comes from PUBLIPOST_SMTP_PASSWORD."""
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise PublipostError(
            f"'{url}' is not an SMTP URL", hint="write smtp://host:port or smtps://user@host:465"
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
    return Relay(parsed.hostname, parsed.port or (465 if tls else 25), tls, username, password)


@dataclass(frozen=True)
class Limits:
    concurrency: int = 8  # connections in the pool
    rate: float | None = None  # messages per second, all connections together
    per_domain: int | None = None  # messages at once to one recipient domain
    attempts: int = 4  # per message, for 4xx replies and dropped connections
    timeout: float = 30.0  # seconds, per message
    backoff: float = 0.5  # seconds, doubled at each retry, with jitter


@dataclass(frozen=True)
class Outgoing:
    id: str
    sender: str
    recipient: str
    data: Callable[[], bytes]  # composed when a connection is ready for it


class _RateLimit:
    def __init__(self, rate: float | None):
        self.interval = 1 / rate if rate else 0.0
        self.next = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            if self.next > now:
                await asyncio.sleep(self.next - now)
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
            await client.login(relay.username, relay.password)
    except BaseException:
        client.close()
        raise
    return client


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
    """Send every message; returns when all are sent, failed, deferred, or `stop` was set."""
    jobs = iter(outgoing)  # shared: a connection takes the next job when it is free
    rate = _RateLimit(limits.rate)
    marks = Marks(journal)
    domains: dict[str, asyncio.Semaphore] = {}
    stop = stop or asyncio.Event()

    def domain_gate(address: str) -> asyncio.Semaphore | None:
        if not limits.per_domain:
            return None
        domain = address.rsplit("@", 1)[-1].lower()
        return domains.setdefault(domain, asyncio.Semaphore(limits.per_domain))

    async def worker() -> None:
        client: aiosmtplib.SMTP | None = None
        try:
            while not stop.is_set() and (job := next(jobs, None)) is not None:
                gate = domain_gate(job.recipient)
                if gate:
                    async with gate:
                        client, status = await _send_one(job, client, relay, marks, limits, rate)
                else:
                    client, status = await _send_one(job, client, relay, marks, limits, rate)
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


class Marks:
    """The journal writes of all the connections of a process, committed together.

    A transaction per write would cost more than composing the message. Writes made
    during one turn of the event loop are committed in one transaction at its end. A
    connection waits for the commit that marks its recipient in flight before it starts the
    transaction; that commit also carries the outcome of the connection's previous message.
    So at any moment at most one recipient per connection is recorded in flight without
    its outcome: what a crash can leave uncertain.
    """

    def __init__(self, journal: Journal):
        self.journal = journal
        self.pending: list[tuple[str, str, bool, str]] = []
        self.committed: asyncio.Future[None] | None = None
        self.error: Exception | None = None

    def note(self, rid: str, status: str, reply: str = "", *, attempt: bool = False) -> asyncio.Future[None]:
        """Record a change with the next commit; the future is done once it is committed."""
        if self.error:
            raise self.error
        self.pending.append((rid, status, attempt, reply))
        if self.committed is None:
            loop = asyncio.get_running_loop()
            self.committed = loop.create_future()
            loop.call_soon(self._commit)
        return self.committed

    async def durable(self, rid: str, status: str, *, attempt: bool = False) -> None:
        """Record a change and wait until it is committed."""
        # shielded: a writer cancelled (its timeout) does not cancel the commit the others wait for
        await asyncio.shield(self.note(rid, status, attempt=attempt))
        if self.error:
            raise self.error

    def _commit(self) -> None:
        batch, self.pending = self.pending, []
        committed, self.committed = self.committed, None
        try:
            if batch:
                self.journal.set_many(batch)
        except Exception as exc:  # a journal that cannot be written stops the send
            self.error = exc
        if committed is not None and not committed.done():
            committed.set_result(None)

    def close(self) -> None:
        """Commit what is left; raise if the journal could not be written."""
        self._commit()
        if self.error:
            raise self.error


async def _send_one(
    job: Outgoing, client, relay: Relay, marks: Marks, limits: Limits, rate: _RateLimit
) -> tuple[aiosmtplib.SMTP | None, str]:
    """One message, retried on 4xx and dropped connections; returns the connection to reuse
    and where the recipient stands."""
    try:
        data = job.data()
    except RecipientError as exc:  # this recipient's data cannot be merged: it fails alone
        marks.note(job.id, FAILED, f"not rendered: {exc}")
        return client, FAILED
    last = ""
    for attempt in range(limits.attempts):
        if attempt:
            delay = limits.backoff * 2 ** (attempt - 1)
            await asyncio.sleep(delay * (0.5 + random.random()))  # jitter: retries do not arrive in step
        try:
            if client is None or not client.is_connected:
                client = await _connect(relay, limits.timeout)
            if rate.interval:
                await rate.wait()
            await marks.durable(job.id, IN_FLIGHT, attempt=True)
            async with asyncio.timeout(limits.timeout):
                reply = await _transaction(client, job, data)
            marks.note(job.id, SENT, reply)
            return client, SENT
        except aiosmtplib.SMTPResponseException as exc:  # refused sender, recipient or data
            last = f"{exc.code} {exc.message}"
            if exc.code >= 500:
                marks.note(job.id, FAILED, last)
                await _reset(client)
                return client, FAILED
            marks.note(job.id, DEFERRED, last)
            if exc.code == 421:  # the server closes this connection: open another
                client = _drop(client)
            else:
                await _reset(client)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            last = f"connection: {exc.__class__.__name__}: {exc}".strip()
            marks.note(job.id, DEFERRED, last)
            client = _drop(client)
    marks.note(job.id, DEFERRED, f"gave up after {limits.attempts} attempts: {last}")
    return client, DEFERRED


async def _transaction(client: aiosmtplib.SMTP, job: Outgoing, data: bytes) -> str:
    """MAIL, RCPT, DATA for one recipient; the server's reply to the data.

    aiosmtplib's `sendmail` parses both addresses twice more and scans the whole message
    once more for its SIZE: 9 % more CPU per message (measured). The addresses were
    validated (ASCII, no spaces or brackets) when the audience or the seed list was read,
    and messages are composed with CRLF line ends, so their length is their size.
    """
    size = [f"SIZE={len(data)}".encode()] if client.supports_extension("size") else []
    reply = await client.execute_command(b"MAIL", b"FROM:<%s>" % job.sender.encode(), *size)
    if reply.code != 250:
        raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, job.sender)
    reply = await client.execute_command(b"RCPT", b"TO:<%s>" % job.recipient.encode())
    if reply.code not in (250, 251):
        raise aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, job.recipient)
    return (await client.data(data)).message


async def _reset(client) -> None:
    try:
        await asyncio.wait_for(client.rset(), 5)
    except Exception:  # it will be dropped at the next message
        _drop(client)


def _drop(client):
    if client is not None:
        client.close()
    return None
