"""Messages from a Maildir (a folder) or an mbox (a file): what the bounce and unsubscribe
mailboxes are exported as, or where the mail server delivers them."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from publipost.errors import PublipostError, Where

MAX_MESSAGE = 10 * 1024 * 1024  # bytes: a bounce quotes a message; larger is not a report


def read_mailbox(path: Path) -> Iterator[tuple[str, EmailMessage | None]]:
    """(message key, the message parsed, or None when too large to be a report)."""
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise PublipostError(
                "this folder is not a Maildir (it has no cur/ or new/)",
                Where(path),
                "give a Maildir folder, or an mbox file",
            )
        box: mailbox.Mailbox = mailbox.Maildir(path, factory=None, create=False)
    elif path.is_file():
        with path.open("rb") as head:
            if not head.read(5) == b"From ":
                raise PublipostError(
                    "this file is not an mbox (it does not start with 'From ')",
                    Where(path),
                    "export the mailbox as mbox, or give a Maildir folder",
                )
        box = mailbox.mbox(path, create=False)
    else:
        raise PublipostError("mailbox not found", Where(path), "give a Maildir folder or an mbox file")
    try:
        for key in box.iterkeys():
            data = box.get_bytes(key)
            if len(data) > MAX_MESSAGE:
                yield str(key), None
                continue
            message = message_from_bytes(data, policy=policy.default)
            yield str(key), message if isinstance(message, EmailMessage) else None
    finally:
        box.close()
