"""The embedded capture server: a real SMTP server on 127.0.0.1 that delivers into a Maildir.

`publipost send` without a relay uses it, so the whole real path (SMTP dialogue included)
runs and no real person is mailed.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


class MaildirHandler:
    def __init__(self, folder: Path):
        folder.parent.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(folder, create=True)  # creates tmp/, new/ and cur/

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        self.maildir.add(envelope.original_content or envelope.content or b"")
        return "250 2.0.0 Message accepted for delivery"


class CaptureServer:
    """Start with `with CaptureServer(folder) as server:`; `server.port` is where it listens."""

    def __init__(self, folder: Path, port: int = 0):
        self.folder = folder
        self.controller = Controller(MaildirHandler(folder), hostname="127.0.0.1", port=port or _free_port())

    @property
    def port(self) -> int:
        return self.controller.port

    def __enter__(self) -> CaptureServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
