"""The mail transactions of one SMTP connection, once aiosmtplib has opened it.

aiosmtplib connects, greets, starts TLS and logs in: the parts of SMTP where a library's care
matters most. For each message after that it costs about 230 µs of CPU (a lock, a `wait_for`
with its timer and a new future per command), five times what the exchange itself needs
(bench/send_bench.py, issue 31), and it reads one reply per command written, so it cannot
pipeline. Here the ready connection's transport is handed to a protocol of our own, which
matches replies to commands in order, however many are written at once: with the server's
PIPELINING (RFC 2920), MAIL, RCPT and DATA go in one write and their replies come back
together, two round trips per message instead of four.

The outcome rules stay in mailer/smtp.py: this module raises aiosmtplib's own exceptions
(refused sender, recipient or data; a reply that is no SMTP reply; the connection lost), so
a failure is judged the same whoever read the reply. Timeouts are the caller's: a connection
whose reply did not come in time is closed, never reused, so a late reply is never taken for
the next command's.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import aiosmtplib

from publipost.mailer.blame import Stage

MAX_LINE = 8192  # a reply line longer than this is no SMTP reply (as aiosmtplib reads them)
MAX_REPLY = MAX_LINE * 4
_STAGES: tuple[Stage, Stage, Stage] = ("MAIL", "RCPT", "DATA")


class Reply(NamedTuple):
    code: int
    message: str


class ReplyReader(asyncio.Protocol):
    """Replies, in the order of the commands they answer: each command written adds a future
    to `waiting` (before it is written), and each complete reply read settles the oldest.

    Bytes with no command waiting end the connection: kept, they would be taken for the next
    command's reply, and a stray "250" for the message's acceptance (a recipient recorded as
    sent who was not). A server that says 421 before it closes loses only the wording: the
    recipient is deferred and tried on a new connection."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiting: deque[asyncio.Future[Reply]] = deque()
        self.transport: asyncio.WriteTransport | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # pragma: no cover - handed over
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.waiting:
            try:
                reply = self._next_reply()
            except aiosmtplib.SMTPResponseException as exc:  # garbage: every command waiting fails
                self._fail(exc)
                return
            if reply is None:
                return
            self.waiting.popleft().set_result(reply)
        if self.buffer:  # more than was asked for
            said = bytes(self.buffer[:200]).decode("utf-8", "replace").strip()
            self.buffer.clear()
            self._fail(aiosmtplib.SMTPServerDisconnected(f"the server said, unasked: {said}"))
            if self.transport is not None:
                self.transport.close()

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False  # the transport closes

    def connection_lost(self, exc: Exception | None) -> None:
        lost = aiosmtplib.SMTPServerDisconnected("Connection lost")
        lost.__cause__ = exc
        self._fail(lost)

    def _fail(self, exc: Exception) -> None:
        self.lost = self.lost or exc
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(exc)
                waiter.exception()  # retrieved: a caller gone (timed out) leaves no warning behind

    def _next_reply(self) -> Reply | None:
        """The first complete reply in the buffer, taken out of it; None while it is incomplete."""
        lines: list[bytes] = []
        offset = 0
        while (end := self.buffer.find(b"\n", offset)) != -1:
            line = bytes(self.buffer[offset : end + 1])
            if len(line) > MAX_LINE:
                raise aiosmtplib.SMTPResponseException(-1, "Response too long")
            if not line[:3].isdigit():
                shown = line.decode("utf-8", "replace").strip()
                raise aiosmtplib.SMTPResponseException(-1, f"Malformed SMTP response line: {shown}")
            offset = end + 1
            lines.append(line)
            if line[3:4] != b"-":  # the last line of the reply
                del self.buffer[:offset]
                text = b"\n".join(part[4:].strip(b" \t\r\n") for part in lines)
                return Reply(int(line[:3]), text.decode("utf-8", "surrogateescape"))
        if len(self.buffer) > MAX_REPLY or len(self.buffer) - offset > MAX_LINE:
            raise aiosmtplib.SMTPResponseException(-1, "Response too long")
        return None


@dataclass
class Progress:
    """How far a transaction went: what a failure means depends on it (mailer/smtp.py)."""

    data_sent: bool = False  # the final dot was handed to the connection: the server may have the message
    stage: Stage = "MAIL"  # the command whose reply is awaited
    accepted: bool = False  # the relay took the recipient (RCPT): the Guard counts it


class Session:
    """One ready connection: its mail transactions, RSET and QUIT."""

    def __init__(self, transport: asyncio.BaseTransport, extensions: dict[str, str]):
        self.reader = ReplyReader()
        self.reader.transport = transport  # type: ignore[assignment]
        transport.set_protocol(self.reader)
        self.transport = transport
        self.pipelining = "pipelining" in extensions
        self.size = "size" in extensions

    @classmethod
    def of(cls, client: aiosmtplib.SMTP) -> Session:
        """The connection aiosmtplib opened (greeted, TLS, logged in), taken over from it."""
        if client.transport is None or client.protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        return cls(client.transport, client.esmtp_extensions)

    @property
    def is_connected(self) -> bool:
        return self.reader.lost is None and not self.transport.is_closing()

    def _send(self, *commands: bytes) -> list[asyncio.Future[Reply]]:
        """Write the commands at once; a future for each one's reply."""
        if not self.is_connected:
            raise self.reader.lost or aiosmtplib.SMTPServerDisconnected("Connection lost")
        loop = asyncio.get_running_loop()
        waiters = [loop.create_future() for _ in commands]
        self.reader.waiting.extend(waiters)
        self.transport.write(b"".join(commands))  # type: ignore[attr-defined]
        return waiters

    async def command(self, line: bytes) -> Reply:
        (waiter,) = self._send(line + b"\r\n")
        return await waiter

    async def transaction(self, sender: str, recipient: str, data: bytes, progress: Progress) -> str:
        """MAIL, RCPT, DATA, the message; the server's reply to the message. Raises aiosmtplib's
        exception for the first command refused, with `progress.stage` naming it.

        The addresses were validated when the audience or the seed list was read (ASCII, no
        spaces, brackets or line breaks), and messages are composed with CRLF line ends, so
        their length is their SIZE and dot-stuffing is one replace.
        """
        size = b" SIZE=%d" % len(data) if self.size else b""
        commands = (
            b"MAIL FROM:<%s>%s\r\n" % (sender.encode(), size),
            b"RCPT TO:<%s>\r\n" % recipient.encode(),
            b"DATA\r\n",
        )
        if self.pipelining:  # RFC 2920 §3.1: DATA last in the group, then every reply checked
            await self._envelope_pipelined(commands, sender, recipient, progress)
        else:
            await self._envelope(commands, sender, recipient, progress)
        progress.stage = "content"
        payload = data if data.endswith(b"\r\n") else data + b"\r\n"
        payload = payload.replace(b"\r\n.", b"\r\n..")
        if payload.startswith(b"."):
            payload = b"." + payload
        (waiter,) = self._send(payload + b".\r\n")
        progress.data_sent = True
        reply = await waiter
        if not 200 <= reply.code < 300:  # any 2yz completes the transaction (RFC 5321 §4.2.1)
            raise aiosmtplib.SMTPDataError(reply.code, reply.message)
        return reply.message

    async def _envelope(
        self, commands: tuple[bytes, bytes, bytes], sender: str, recipient: str, progress: Progress
    ) -> None:
        mail, rcpt, data = commands
        reply = await self._send(mail)[0]
        if reply.code != 250:
            raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)
        progress.stage = "RCPT"
        reply = await self._send(rcpt)[0]
        if reply.code not in (250, 251):
            raise aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient)
        progress.accepted = True
        progress.stage = "DATA"
        reply = await self._send(data)[0]
        if reply.code != 354:
            raise aiosmtplib.SMTPDataError(reply.code, reply.message)

    async def _envelope_pipelined(
        self, commands: tuple[bytes, bytes, bytes], sender: str, recipient: str, progress: Progress
    ) -> None:
        """RFC 2920 §3.1: every reply of the group is read, so that the next one is the next
        command's. A DATA accepted after a refused MAIL or RCPT gets a lone dot (an empty
        message the server must refuse, having no recipient), never the message."""
        replies = []
        for stage, waiter in zip(_STAGES, self._send(*commands), strict=True):
            progress.stage = stage  # a reply that is no reply, or none, is this command's
            replies.append(await waiter)
        mail, rcpt, data = replies
        refused: aiosmtplib.SMTPResponseException | None = None
        if mail.code != 250:
            progress.stage = "MAIL"
            refused = aiosmtplib.SMTPSenderRefused(mail.code, mail.message, sender)
        elif rcpt.code not in (250, 251):
            progress.stage = "RCPT"
            refused = aiosmtplib.SMTPRecipientRefused(rcpt.code, rcpt.message, recipient)
        else:
            progress.accepted = True
            progress.stage = "DATA"
            if data.code != 354:
                refused = aiosmtplib.SMTPDataError(data.code, data.message)
        if refused is None:
            return
        if data.code == 354:
            await self._send(b".\r\n")[0]
        raise refused

    async def rset(self) -> None:
        await self.command(b"RSET")

    async def quit(self) -> None:
        try:
            await self.command(b"QUIT")
        finally:
            self.close()

    def close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()
