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


PASSWORD_VARIABLE = "PUBLIPOST_IMAP_PASSWORD"


def read_mailbox(path: Path | str) -> Iterator[tuple[str, EmailMessage | None]]:
    """(message key, the message parsed, or None when too large to be a report), from a Maildir,
    an mbox, or an IMAP folder (imaps://user@host[:port]/FOLDER)."""
    if str(path).startswith("imaps://"):
        yield from _imap(str(path))
        return
    path = Path(path)
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


def _parsed(data: bytes) -> EmailMessage | None:
    if len(data) > MAX_MESSAGE:
        return None
    message = message_from_bytes(data, policy=policy.default)
    return message if isinstance(message, EmailMessage) else None


def _imap(url: str) -> Iterator[tuple[str, EmailMessage | None]]:
    """The messages of an IMAP folder, over TLS (certificates verified), read-only: nothing is
    marked read or moved. The password comes from PUBLIPOST_IMAP_PASSWORD, never the URL."""
    import contextlib
    import imaplib
    import os
    import ssl
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    host, folder = parts.hostname or "", unquote(parts.path.lstrip("/")) or "INBOX"
    shown = f"imaps://{parts.username + '@' if parts.username else ''}{host}:{parts.port or 993}/{folder}"
    if parts.password:
        raise PublipostError(
            "the IMAP URL holds a password", hint=f"remove it from the URL and set {PASSWORD_VARIABLE}"
        )
    password = os.environ.get(PASSWORD_VARIABLE, "")
    if not parts.username or not password:
        raise PublipostError(
            f"{shown}: IMAP needs a user in the URL and the password in {PASSWORD_VARIABLE}",
            hint="e.g. imaps://bounces@mail.example.com/INBOX",
        )
    try:
        client = imaplib.IMAP4_SSL(
            host, parts.port or 993, ssl_context=ssl.create_default_context(), timeout=30
        )
    except (OSError, ssl.SSLError) as exc:
        raise PublipostError(
            f"cannot connect to {shown}: {exc}", hint="check the host, the port and TLS"
        ) from None
    try:
        try:
            client.login(unquote(parts.username), password)
        except imaplib.IMAP4.error:
            raise PublipostError(
                f"{shown}: the server refused the login", hint=f"check the user and {PASSWORD_VARIABLE}"
            ) from None
        status, _ = client.select(f'"{folder}"', readonly=True)
        if status != "OK":
            raise PublipostError(f"{shown}: no such folder", hint="name the folder after the host: /INBOX")
        _, found = client.search(None, "ALL")
        for number in found[0].split() if found and found[0] else []:
            status, data = client.fetch(number, "(BODY.PEEK[])")
            chunk = data[0] if data else None
            raw = chunk[1] if isinstance(chunk, tuple) else None
            yield f"imap:{number.decode()}", _parsed(raw) if isinstance(raw, bytes) else None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
