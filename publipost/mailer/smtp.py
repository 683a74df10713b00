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
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            if self.next > now:
                await asyncio.sleep(self.next - now)
            self.next = max(now, self.next) + self.interval


async def probe(relay: Relay, timeout: float) -> None:
    """Connect (and log in) once before the first message: a relay that cannot be reached is a
    clear error at once, not every recipient deferred after minutes of retries."""
    client = _client(relay, timeout)
    try:
        await client.connect()
        if relay.username:
            await client.login(relay.username, relay.password)
        await client.quit()
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
    finally:
        client.close()


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
    progress: Callable[[str], None] | None = None,
) -> None:
    """Send every message; returns when all are sent, failed, deferred, or `stop` was set."""
    queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=limits.concurrency * 4)
    rate = _RateLimit(limits.rate)
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
            while (job := await queue.get()) is not None:
                gate = domain_gate(job.recipient)
                if gate:
                    async with gate:
                        client = await _send_one(job, client, relay, journal, limits, rate)
                else:
                    client = await _send_one(job, client, relay, journal, limits, rate)
                if progress:
                    progress(journal.status(job.id) or "")
        finally:
            if client is not None and client.is_connected:
                try:
                    await asyncio.wait_for(client.quit(), 5)
                except Exception:  # closing a connection that is going anyway
                    client.close()

    workers = [asyncio.create_task(worker()) for _ in range(limits.concurrency)]
    for job in outgoing:
        if stop.is_set():
            break
        await queue.put(job)
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)


async def _send_one(job: Outgoing, client, relay: Relay, journal: Journal, limits: Limits, rate: _RateLimit):
    """One message, retried on 4xx and dropped connections; returns the connection to reuse."""
    try:
        data = job.data()
    except RecipientError as exc:  # this recipient's data cannot be merged: it fails alone
        journal.set(job.id, FAILED, f"not rendered: {exc}")
        return client
    last = ""
    for attempt in range(limits.attempts):
        if attempt:
            delay = limits.backoff * 2 ** (attempt - 1)
            await asyncio.sleep(delay * (0.5 + random.random()))  # jitter: retries do not arrive in step
        try:
            if client is None or not client.is_connected:
                client = _client(relay, limits.timeout)
                await client.connect()
                if relay.username:
                    await client.login(relay.username, relay.password)
            await rate.wait()
            journal.set(job.id, IN_FLIGHT, attempt=True)
            refused, reply = await asyncio.wait_for(
                client.sendmail(job.sender, [job.recipient], data), limits.timeout
            )
            if refused:  # the one recipient was refused with a non-fatal code
                code, text = next(iter(refused.values()))
                last = f"{code} {text}"
                journal.set(job.id, DEFERRED, last)
                continue
            journal.set(job.id, SENT, reply)
            return client
        except aiosmtplib.SMTPRecipientsRefused as exc:
            error = exc.recipients[0]
            last = f"{error.code} {error.message}"
            if error.code >= 500:
                journal.set(job.id, FAILED, last)
                return client
            journal.set(job.id, DEFERRED, last)
        except aiosmtplib.SMTPResponseException as exc:
            last = f"{exc.code} {exc.message}"
            if exc.code >= 500:
                journal.set(job.id, FAILED, last)
                await _reset(client)
                return client
            journal.set(job.id, DEFERRED, last)
            if exc.code == 421:  # the server closes this connection: open another
                client = _drop(client)
            else:
                await _reset(client)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            last = f"connection: {exc.__class__.__name__}: {exc}".strip()
            journal.set(job.id, DEFERRED, last)
            client = _drop(client)
    journal.set(job.id, DEFERRED, f"gave up after {limits.attempts} attempts: {last}")
    return client


async def _reset(client) -> None:
    try:
        await asyncio.wait_for(client.rset(), 5)
    except Exception:  # it will be dropped at the next message
        _drop(client)


def _drop(client):
    if client is not None:
        client.close()
    return None
