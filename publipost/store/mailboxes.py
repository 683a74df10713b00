"""Messages from a Maildir (a folder), an mbox (a file) or an IMAP folder: what the bounce and
unsubscribe mailboxes are exported as, or where the mail server delivers them.

Anyone can write to these mailboxes, so every message is hostile until read: each is parsed
alone, within a size and a part count, and one that cannot be read is handed on with the reason
(the caller lists it) instead of stopping the import. That message would otherwise stop every
later import too, since nothing is ever removed from the mailbox.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from publipost.errors import PublipostError, Where

MAX_MESSAGE = 10 * 1024 * 1024  # bytes: a bounce quotes one message; larger is not a report
MAX_PARTS = 100  # MIME parts: a report has three or four, one quoting a message with images a dozen
PASSWORD_VARIABLE = "PUBLIPOST_IMAP_PASSWORD"
_CONTENT_TYPE = re.compile(rb"^content-type:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Mail:
    key: str  # stable from one import to the next: Maildir key, IMAP UIDVALIDITY:UID, mbox digest
    message: EmailMessage | None
    problem: str = ""  # why it could not be read; "" when `message` is there


def mailbox_name(path: Path | str) -> str:
    """The mailbox as the store remembers which of its messages were read."""
    if str(path).startswith("imaps://"):
        return _imap_shown(str(path))
    return str(Path(path).resolve())


def parse(data: bytes) -> Mail:
    """The message, or why not: within MAX_MESSAGE bytes and MAX_PARTS parts (a 5 MB message of
    150,000 parts takes the email package 45 s; 2,000 nested parts exhaust its recursion)."""
    key = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_MESSAGE:
        return Mail(key, None, f"{len(data):,} bytes, over the limit of {MAX_MESSAGE:,}")
    parts = len(_CONTENT_TYPE.findall(data))
    if parts > MAX_PARTS:
        return Mail(key, None, f"{parts:,} MIME parts, over the limit of {MAX_PARTS}")
    try:
        message = message_from_bytes(data, policy=policy.default)
    except Exception as exc:  # RecursionError, a defect the parser raises on: this message alone
        return Mail(key, None, f"cannot be parsed ({type(exc).__name__})")
    if not isinstance(message, EmailMessage):
        return Mail(key, None, "cannot be parsed")
    return Mail(key, message)


def read_mailbox(path: Path | str, seen: Callable[[str], bool] = lambda key: False) -> Iterator[Mail]:
    """Each message not `seen` before. Maildir and IMAP messages already seen are not even read;
    an mbox is one file, read through, its messages known by their digest."""
    if str(path).startswith("imaps://"):
        yield from _imap(str(path), seen)
        return
    path = Path(path)
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise PublipostError(
                "this folder is not a Maildir (it has no cur/ or new/)",
                Where(path),
                "give a Maildir folder, or an mbox file",
            )
        yield from _maildir(mailbox.Maildir(path, factory=None, create=False), seen)
    elif path.is_file():
        with path.open("rb") as head:
            if not head.read(5) == b"From ":
                raise PublipostError(
                    "this file is not an mbox (it does not start with 'From ')",
                    Where(path),
                    "export the mailbox as mbox, or give a Maildir folder",
                )
        yield from _mbox(mailbox.mbox(path, create=False), seen)
    else:
        raise PublipostError("mailbox not found", Where(path), "give a Maildir folder or an mbox file")


def _maildir(box: mailbox.Maildir, seen: Callable[[str], bool]) -> Iterator[Mail]:
    try:
        for key in box.iterkeys():
            if seen(key):
                continue
            path = Path(box._path) / box._lookup(key)  # type: ignore[attr-defined]
            try:
                size = path.stat().st_size
            except OSError:  # delivered or moved away meanwhile
                continue
            if size > MAX_MESSAGE:
                yield Mail(key, None, f"{size:,} bytes, over the limit of {MAX_MESSAGE:,}")
                continue
            mail = parse(box.get_bytes(key))
            yield Mail(key, mail.message, mail.problem)
    finally:
        box.close()


def _mbox(box: mailbox.mbox, seen: Callable[[str], bool]) -> Iterator[Mail]:
    try:
        for key in box.iterkeys():
            start, stop = box._toc[key]  # type: ignore[attr-defined]
            if stop - start > MAX_MESSAGE:
                yield Mail(
                    f"mbox:{start}", None, f"{stop - start:,} bytes, over the limit of {MAX_MESSAGE:,}"
                )
                continue
            mail = parse(box.get_bytes(key))
            if not seen(mail.key):
                yield mail
    finally:
        box.close()


def _imap_shown(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    host, folder = parts.hostname or "", unquote(parts.path.lstrip("/")) or "INBOX"
    return f"imaps://{parts.username + '@' if parts.username else ''}{host}:{parts.port or 993}/{folder}"


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _imap(url: str, seen: Callable[[str], bool]) -> Iterator[Mail]:
    """The messages of an IMAP folder, over TLS (certificates verified), read-only: nothing is
    marked read or moved. Known by UIDVALIDITY:UID; each one's size asked before its body, so a
    message over the limit is never fetched. The password comes from PUBLIPOST_IMAP_PASSWORD."""
    import contextlib
    import imaplib
    import os
    import ssl
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    host, folder = parts.hostname or "", unquote(parts.path.lstrip("/")) or "INBOX"
    shown = _imap_shown(url)
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
        _, said = client.response("UIDVALIDITY")
        validity = said[0].decode() if said and isinstance(said[0], bytes) else "0"
        _, found = client.uid("SEARCH", "ALL")
        for uid in found[0].split() if found and found[0] else []:
            key = f"{validity}:{uid.decode()}"
            if seen(key):
                continue
            _, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
            head = data[0] if data else None
            size = _SIZE.search(head if isinstance(head, bytes) else b"")
            if size is None or int(size.group(1)) > MAX_MESSAGE:
                told = f"{int(size.group(1)):,} bytes" if size else "a size the server did not give"
                yield Mail(key, None, f"{told}, over the limit of {MAX_MESSAGE:,}: not fetched")
                continue
            # at most one byte over the limit, whatever the size said
            _, data = client.uid("FETCH", uid, f"(BODY.PEEK[]<0.{MAX_MESSAGE + 1}>)")
            chunk = data[0] if data else None
            raw = chunk[1] if isinstance(chunk, tuple) else None
            if not isinstance(raw, bytes):
                yield Mail(key, None, "the server sent no message")
                continue
            mail = parse(raw)
            yield Mail(key, mail.message, mail.problem)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
