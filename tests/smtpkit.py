"""A real SMTP server on 127.0.0.1 for tests, whose replies are scripted per recipient address."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class FaultyHandler:
    """temp…@: 451 twice, then accepted; perm…@: 550; drop…@: connection closed in DATA once;
    slow…@: answers after `delay` seconds; anything else: accepted."""

    def __init__(self, delay: float = 2.0):
        self.delay = delay
        self.attempts: Counter[str] = Counter()
        self.delivered: list = []
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("perm"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        (address,) = envelope.rcpt_tos
        with self.lock:
            self.attempts[address] += 1
            attempt = self.attempts[address]
        if address.startswith("temp") and attempt <= 2:
            return "451 4.3.0 Try again later"
        if address.startswith("drop") and attempt == 1:
            server.transport.close()
            return "421 closing"
        if address.startswith("slow"):
            await asyncio.sleep(self.delay)
        with self.lock:
            self.raw.append(envelope.original_content)
            self.delivered.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 Accepted"

    def delivered_to(self, address: str) -> int:
        return sum(1 for m in self.delivered if m["To"].addresses[0].addr_spec == address)


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
