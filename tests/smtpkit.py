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
    With `pipelining`, it offers PIPELINING (RFC 2920): the client sends MAIL, RCPT and DATA
    at once, and each fault meets the pipelined path.
    """

    def __init__(self, delay: float = 2.0, pipelining: bool = False):
        self.delay = delay
        self.pipelining = pipelining
        self.attempts: Counter[str] = Counter()
        self.rcpts: Counter[str] = Counter()
        self.delivered: list = []
        self.envelopes: list[str] = []  # the RCPT address of each message queued
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # what aiosmtpd does itself when no handler answers EHLO
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

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


class GroupingRelay:
    """A relay that offers PIPELINING (RFC 2920) and answers MAIL, RCPT and DATA only once it
    holds all three: a client that waits for each reply before the next command never gets
    one (its run times out). Scripted per recipient: `rcpt(address)` answers RCPT (None: 250),
    and after a refused RCPT it answers DATA with `data_after_refusal` ("354" is what a careless
    server does, and what RFC 2920 §3.1 asks clients to answer with a lone dot).

    Counts connections, the messages queued per recipient and the lone dots; a plain asyncio
    server on 127.0.0.1, in a thread of its own."""

    def __init__(self, rcpt=lambda address: None, data_after_refusal: str = "554 5.5.1 No valid recipients"):
        import socket

        self.rcpt, self.data_after_refusal = rcpt, data_after_refusal
        self.queued: Counter[str] = Counter()
        self.lone_dots = 0
        self.connections = 0
        self.groups = 0  # envelopes that came whole before any of their replies
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"220 grouping relay\r\n")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-grouping relay\r\n250-PIPELINING\r\n250 SIZE 10000000\r\n")
                elif verb == b"MAIL":
                    await self._envelope(reader, writer, line)
                elif verb == b"QUIT":
                    writer.write(b"221 Bye\r\n")
                    break
                else:  # RSET, NOOP
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        finally:
            writer.close()

    async def _envelope(self, reader, writer, mail: bytes) -> None:
        rcpt = await reader.readline()
        data = await reader.readline()
        assert rcpt.upper().startswith(b"RCPT TO:<") and data.upper() == b"DATA\r\n", (rcpt, data)
        self.groups += 1
        address = rcpt.split(b"<", 1)[1].split(b">", 1)[0].decode()
        refused = self.rcpt(address)
        if refused:
            writer.write(f"250 OK\r\n{refused}\r\n{self.data_after_refusal}\r\n".encode())
            if not self.data_after_refusal.startswith("354"):
                return
            await writer.drain()
            if await reader.readline() == b".\r\n":
                self.lone_dots += 1
            else:  # the message itself, for a refused recipient: the client's fault
                await reader.readuntil(b"\r\n.\r\n")
                self.queued[address] += 1
            writer.write(b"554 5.5.1 No valid recipients\r\n")
            return
        writer.write(b"250 OK\r\n250 OK\r\n354 Go ahead\r\n")
        await writer.drain()
        await reader.readuntil(b"\r\n.\r\n")
        self.queued[address] += 1
        writer.write(b"250 2.0.0 Queued\r\n")

    def __enter__(self):
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def serve() -> None:
            self.server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
            started.set()

        self.thread = threading.Thread(target=self._run, args=(serve,), daemon=True)
        self.thread.start()
        started.wait(5)
        return self

    def _run(self, serve) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(serve())
        self.loop.run_forever()

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
