"""A real SMTP server on 127.0.0.1 for tests, whose replies are scripted per recipient address."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class FaultyHandler:
    """Replies scripted by the recipient address's prefix:

    before the data's final dot (nothing can have been delivered, safe to retry):
      temp…@     451 to the data twice, then accepted
      perm…@     550 5.1.1 to RCPT (no such user)
      policy…@   554 5.7.1 to RCPT (refused for the message's sake, not the address's)
      cut…@      the connection dropped at RCPT, the first time
    after the final dot (the message is queued, the reply is lost: must not be sent again):
      late…@     queued, then 250 only after `delay` seconds (a slow before-queue filter)
      gone…@     queued, then the connection dropped without a reply
      hang…@     never answers (nothing queued)
      garbage…@  queued, then a reply that is no SMTP reply at all
      long…@     queued, then a reply line of 9,000 characters (aiosmtplib reads at most 8 KB)
      twoxx…@    queued, then 251 (any 2yz completes the transaction)
    slow…@       answers after `delay` seconds; anything else: accepted at once.

    `delivered` holds every message queued: a recipient found twice there was mailed twice.
    """

    def __init__(self, delay: float = 2.0):
        self.delay = delay
        self.attempts: Counter[str] = Counter()
        self.rcpts: Counter[str] = Counter()
        self.delivered: list = []
        self.envelopes: list[str] = []  # the RCPT address of each message queued
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self.lock:
            self.rcpts[address] += 1
            seen = self.rcpts[address]
        if address.startswith("perm"):
            return "550 5.1.1 No such user here"
        if address.startswith("policy"):
            return "554 5.7.1 Message rejected as spam"
        if address.startswith("cut") and seen == 1:
            server.transport.close()
            return "421 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        (address,) = envelope.rcpt_tos
        with self.lock:
            self.attempts[address] += 1
            attempt = self.attempts[address]
        if address.startswith("temp") and attempt <= 2:
            return "451 4.3.0 Try again later"
        if address.startswith("hang"):
            await asyncio.sleep(3600)
        self._queue(envelope)
        if address.startswith("gone"):
            server.transport.close()
            return "421 closing"
        if address.startswith("garbage"):
            return "hello? this is not SMTP"
        if address.startswith("long"):
            return "250 " + "x" * 9000
        if address.startswith("twoxx"):
            return "251 2.0.0 Queued"
        if address.startswith(("slow", "late")):
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Accepted"

    def _queue(self, envelope) -> None:
        with self.lock:
            self.raw.append(envelope.original_content)
            self.envelopes.append(envelope.rcpt_tos[0])
            self.delivered.append(message_from_bytes(envelope.original_content, policy=policy.default))

    def delivered_to(self, address: str) -> int:
        return sum(1 for m in self.delivered if m["To"].addresses[0].addr_spec == address)

    def per_recipient(self) -> Counter[str]:
        return Counter(m["To"].addresses[0].addr_spec for m in self.delivered)


class SlowSink:
    """Accepts every message after a short pause, so a run lasts long enough to be cut or overlapped."""

    def __init__(self, pause: float = 0.03):
        self.pause = pause
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.pause)
        self.received[envelope.rcpt_tos[0]] += 1
        return "250 2.0.0 Accepted"


class SmtpServer:
    def __init__(self, handler, **options):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.handler = handler
        self.controller = Controller(handler, hostname="127.0.0.1", port=port, **options)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class ScriptedRelay:
    """A relay whose refusals are set per stage: `mail` answers every MAIL FROM (None: 250),
    `rcpt(address)` and `content(address)` answer per recipient (None: accepted). Counts what it
    queued per recipient."""

    def __init__(self, mail=None, rcpt=lambda address: None, content=lambda address: None):
        self.mail, self.rcpt, self.content = mail, rcpt, content
        self.queued: Counter[str] = Counter()
        self.rcpt_seen: Counter[str] = Counter()
        self.rcpt_times: list[tuple[str, float]] = []  # (address, when the server saw its RCPT)

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.mail:
            return self.mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        import time

        self.rcpt_seen[address] += 1
        self.rcpt_times.append((address, time.monotonic()))
        refused = self.rcpt(address)
        if refused:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        (address,) = envelope.rcpt_tos
        refused = self.content(address)
        if refused:
            return refused
        self.queued[address] += 1
        return "250 2.0.0 Accepted"
