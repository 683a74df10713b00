"""One recipient's e-mail as the bytes an SMTP server receives.

Headers follow RFC 5322 and the bulk-sender rules (norms.md §4): one From address, a
Date, a unique Message-ID per campaign and recipient, the recipient's name encoded
(RFC 2047), `List-Unsubscribe` with an https URL carrying a per-recipient HMAC token
and a mailto, `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), and the
campaign id. text/plain comes first in multipart/alternative and HTML last (RFC 2046).
Header values come from data only through the email package's header objects, so a
newline in a name or a subject can never add a header.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol, cast
from urllib.parse import quote

from publipost.errors import PublipostError
from publipost.tokens import campaign_salt, message_tag

SECRET_VARIABLE = "PUBLIPOST_UNSUBSCRIBE_SECRET"
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Sender:
    """Who a campaign's messages are from."""

    name: str  # the From display name: the company, or the signatory
    address: str
    reply_to: str | None = None

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]


class InlinePart(Protocol):
    """An image carried in the message (multipart/related), shown by its Content-ID."""

    @property
    def cid(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def mime(self) -> str: ...
    @property
    def data(self) -> bytes: ...


@dataclass(frozen=True)
class Unsubscribe:
    url: str | None
    mailto: str | None
    token: str


def unsubscribe_secret(out_dir: Path, *, real_relay: bool) -> bytes:
    """The key of the unsubscribe tokens: from the environment, never from YAML or logs.

    Rehearsals (capture server, .eml files) may use a key kept beside the output; a real send
    needs the stable key your unsubscribe endpoint verifies with.
    """
    value = os.environ.get(SECRET_VARIABLE)
    if value:
        if len(value.encode()) < MIN_SECRET_BYTES:  # an HMAC key shorter than its hash's output is guessable
            raise PublipostError(
                f"{SECRET_VARIABLE} holds {len(value.encode())} bytes; an unsubscribe key needs at least "
                f"{MIN_SECRET_BYTES}",
                hint="make one with: python -c 'import secrets; print(secrets.token_hex(32))'",
            )
        return value.encode()
    if real_relay:
        raise PublipostError(
            f"{SECRET_VARIABLE} is not set",
            hint="set it to the key your unsubscribe page checks tokens with, then send again",
        )
    key_file = out_dir / ".unsubscribe-key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip().encode()


def unsubscribe_for(
    url: str | None,
    mailto: str | None,
    code: str,
    address_key: str,
    secret: bytes,
    *,
    test: bool = False,
    language: str = "en",
) -> Unsubscribe | None:
    """The recipient's unsubscribe link and mailto, with an HMAC token over the campaign code and
    the address key (the SHA-256 the suppression store keys addresses by): the endpoint learns
    which address to suppress without the link carrying the address itself.

    A test send carries an inert token instead: a colleague who clicks the link in a seed
    message must not unsubscribe the customer whose message it was (check_token refuses it).
    """
    if not url and not mailto:
        return None
    token = _token(secret, code, address_key, test)
    key = quote(address_key, safe="")  # the code is letters and digits, the key and token hexadecimal
    query = f"c={code}&a={key}&t={token}&l={language}"
    link = f"{url}{'&' if '?' in url else '?'}{query}" if url else None
    address = f"mailto:{mailto}?subject=unsubscribe%20{code}%20{key}%20{token}" if mailto else None
    return Unsubscribe(link, address, token)


TokenCheck = Literal["valid", "test", "invalid"]


def _token(secret: bytes, code: str, address_key: str, test: bool) -> str:
    if test:  # "test-" is not hexadecimal: no real token can take this shape
        return (
            "test-" + hmac.new(secret, f"test:{code}:{address_key}".encode(), hashlib.sha256).hexdigest()[:27]
        )
    return hmac.new(secret, f"{code}:{address_key}".encode(), hashlib.sha256).hexdigest()[:32]


def check_token(secret: bytes, code: str, address_key: str, token: str) -> TokenCheck:
    """What an unsubscribe request's token is: the recipient's own ("valid"), a test send's
    ("test": nobody is unsubscribed), or neither. Compared in constant time."""
    for test, verdict in ((False, "valid"), (True, "test")):
        if hmac.compare_digest(_token(secret, code, address_key, test).encode(), token.encode()):
            return cast(TokenCheck, verdict)
    return "invalid"


def message_id(salt: str, code: str, recipient_id: str, address_key: str, secret: bytes, domain: str) -> str:
    """Unique per campaign and recipient, the same on every run (a resend is the same message),
    and signed: the proof a bounce or complaint must quote to act (publipost/tokens.py). `salt`
    is the campaign's (tokens.campaign_salt), computed once per campaign."""
    return f"<{code}.{recipient_id}.{message_tag(secret, salt, code, recipient_id, address_key)}@{domain}>"


# RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">", printable ASCII without brackets or space.
_MSG_ID = re.compile(r"<?([!-;=?-~]+@[!-;=?-~]+)>?")


def thread_id(value: str) -> str:
    """A customer's Message-ID as a header may carry it ("<id@domain>", brackets added when a
    spreadsheet lost them); ValueError for anything else: a cell is data, never a header line."""
    found = _MSG_ID.fullmatch(value.strip())
    if not found or len(found.group(1)) > 900:
        raise ValueError(f"'{value[:60]}' is not a Message-ID (write it as <id@domain>)")
    return f"<{found.group(1)}>"


class MessageTemplate:
    """Messages of one campaign as bytes, from a template prepared once.

    The email package composes about 1,000 messages a second and would cap a blast; here
    the headers every message shares (From, Reply-To, Date, the campaign id, the MIME
    structure) are encoded once, each recipient adds To, Subject, Message-ID and the
    unsubscribe pair, and the bodies go through binascii's quoted-printable encoder.
    Tests parse the bytes back with the email package and compare every field.
    """

    def __init__(
        self,
        sender: Sender,
        campaign: str,
        code: str,
        when: dt.datetime,
        images: Sequence[InlinePart] = (),
        secret: bytes = b"",
        service: bool = False,
    ):
        self.campaign, self.code, self.secret = campaign, code, secret
        self.salt = campaign_salt(campaign)  # the Message-ID tag's, once per campaign
        self.domain = sender.domain
        self.boundary = f"=_publipost_{secrets.token_hex(12)}"
        shared = [_header("From", _address(sender.name, sender.address))]
        if sender.reply_to:
            shared.append(_header("Reply-To", sender.reply_to))
        label = re.sub(r"[^a-z0-9-]", "", code.lower()) or "campaign"
        shared += [_header("Date", format_datetime(when)), _header("X-Publipost-Campaign", code)]
        if not service:
            # RFC 2919: one id per campaign, so that a reader's filters and the providers' tools
            # can tell campaigns apart. A service message (a reply to one customer's complaint)
            # is no list's: no List-Id.
            shared.append(_header("List-Id", f"<{label}.{self.domain}>"))
        # Gmail's feedback loop groups complaints by Feedback-ID: marketing apart from service.
        kind = "service" if service else "marketing"
        shared += [_header("Feedback-ID", f"{code}:email:{kind}:{self.domain}"), "MIME-Version: 1.0"]
        self.shared = "\r\n".join(shared)
        self.structure = f'Content-Type: multipart/alternative;\r\n boundary="{self.boundary}"'
        self.related = _related(images, f"=_publipost_{secrets.token_hex(12)}") if images else None

    def build(
        self,
        *,
        to_name: str,
        to_address: str,
        subject: str,
        text: str,
        html: str | tuple[str, ...],
        recipient_id: str,
        unsubscribe: Unsubscribe | None,
        test: bool = False,
        address_key: str = "",
        variant: str = "",
        in_reply_to: str = "",
    ) -> bytes:
        """`html` may come in pieces (a template's fixed parts and merged values): see quoted_printable.

        A test message says so in its subject and a header, and has a Message-ID of its own
        (threading never mixes it with the recipient's real message). `address_key` is the
        store's key of `to_address`, bound into the Message-ID (see message_id); a test of a
        variant says which in its subject ([TEST B]). `in_reply_to`, the Message-ID of the
        customer's own e-mail (a reply to their complaint), threads the reply under it in their
        mail client (RFC 5322 §3.6.4: In-Reply-To and References); checked by `thread_id`."""
        rid = recipient_id + (".test" if test else "")
        mid = message_id(self.salt, self.code, rid, address_key, self.secret, self.domain)
        headers = [
            self.shared,
            _header("To", _address(to_name, to_address)),
            _subject((f"[TEST {variant}] " if variant else "[TEST] ") + subject if test else subject),
            _header("Message-ID", mid),
        ]
        if in_reply_to and not test:
            headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
        if test:
            headers.append("X-Publipost-Test: yes")
        if unsubscribe:
            targets = [f"<{t}>" for t in (unsubscribe.url, unsubscribe.mailto) if t]
            headers.append("List-Unsubscribe: " + ",\r\n ".join(targets))
            if unsubscribe.url:
                headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        headers.append(self.structure)
        html_part = _part("html", html)
        if self.related:  # the HTML and the images it shows, as one alternative (RFC 2387)
            head, tail = self.related
            html_part = f"{head}{html_part}{tail}"
        # A boundary starts with "=_", which quoted-printable and base64 never write: no part can hold it.
        parts = [_part("plain", text), html_part]
        delimiter = f"--{self.boundary}"
        body = f"\r\n{delimiter}\r\n" + f"\r\n{delimiter}\r\n".join(parts) + f"\r\n{delimiter}--\r\n"
        return ("\r\n".join(headers) + "\r\n" + body).encode("ascii")


def _related(images: Sequence[InlinePart], boundary: str) -> tuple[str, str]:
    """What goes before and after the HTML part in multipart/related: the images, encoded once."""
    head = f'Content-Type: multipart/related; type="text/html";\r\n boundary="{boundary}"\r\n'
    head += f"\r\n--{boundary}\r\n"
    tail = []
    for image in images:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", image.filename)
        data = base64.encodebytes(image.data).decode("ascii").strip().replace("\n", "\r\n")
        tail.append(
            f'\r\n--{boundary}\r\nContent-Type: {image.mime}; name="{name}"\r\n'
            f"Content-Transfer-Encoding: base64\r\nContent-ID: <{image.cid}>\r\n"
            f'Content-Disposition: inline; filename="{name}"\r\n\r\n{data}'
        )
    return head, "".join(tail) + f"\r\n--{boundary}--"


def _part(subtype: str, content: str | tuple[str, ...]) -> str:
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable'
    return f"{head}\r\n\r\n{quoted_printable((content,) if isinstance(content, str) else content)}"


def quoted_printable(pieces: tuple[str, ...]) -> str:
    """The pieces' concatenation in quoted-printable (RFC 2045), lines within 76 columns.

    Quoted-printable works line by line and a soft line break ("=" at the end of a line)
    may stand anywhere, so pieces are encoded on their own, and cached: a template's fixed
    pieces and the copy's fixed paragraphs (each on its own line) are encoded once per
    campaign; per recipient, only the merged values. A piece that continues a line goes on
    it while the line stays within 76 columns, after a soft break otherwise. One piece gives
    the same bytes as encoding the whole text at once (tested).
    """
    out: list[str] = []
    column = 0
    for piece in pieces:
        encoded, first, last, breaks = _encoded_piece(piece if type(piece) is str else str(piece))
        if column and column + first > 75:  # room is kept for a soft break after the row
            out.append("=\r\n")
            column = 0
        out.append(encoded)
        column = last if breaks else column + last
    return "".join(out)


@lru_cache(maxsize=1024)  # the template's fixed pieces stay; merged values pass through
def _encoded_piece(piece: str) -> tuple[str, int, int, bool]:
    """(encoded, its first row's length, its last row's length, whether it has line breaks)."""
    *lines, tail = piece.replace("\r\n", "\n").split("\n")
    rows = [_encoded_line(line) for line in lines]
    if tail:
        rows.append(_encoded_fragment(tail))
    elif rows:
        rows.append("")  # the piece ends with a line break
    encoded = "\r\n".join(rows)
    breaks = "\r\n" in encoded
    first = encoded.find("\r\n") if breaks else len(encoded)
    last = len(encoded) - encoded.rfind("\r\n") - 2 if breaks else len(encoded)
    return encoded, first, last, breaks


@lru_cache(maxsize=4096)
def _encoded_line(line: str) -> str:
    """A line followed by a line break: trailing spaces encoded, as the RFC requires there."""
    return _within_76(binascii.b2a_qp(f"{line}\n".encode(), istext=True).decode("ascii")[:-1])


@lru_cache(maxsize=4096)
def _encoded_fragment(text: str) -> str:
    """Part of a line: encoded alone (a trailing space is encoded too, so nothing is lost),
    its last row at most 75 columns so that a soft break can follow it."""
    encoded = _within_76(binascii.b2a_qp(text.encode(), istext=True).decode("ascii"))
    head, separator, last = encoded.rpartition("\r\n")
    if len(last) <= 75:
        return encoded
    cut = 73 if last[-3] == "=" else 75  # never inside an "=XX" escape
    return f"{head}{separator}{last[:cut]}=\r\n{last[cut:]}"


def _within_76(encoded: str) -> str:
    """binascii lets a line ending in encoded whitespace ("=20") reach 78 columns: break before it."""
    rows = encoded.split("\n")
    return "\r\n".join(row if len(row) <= 76 else f"{row[:-3]}=\r\n{row[-3:]}" for row in rows)


@lru_cache(maxsize=4096)
def _subject(subject: str) -> str:
    subject = " ".join(subject.split())  # a newline in a subject can never start a header
    if subject.isascii():
        return _header("Subject", subject)
    return "Subject: " + _encoded(subject, "Subject")


def _encoded(text: str, header: str) -> str:
    """RFC 2047 encoded-words of at most 75 characters, folded with CRLF."""
    return Header(text, _UTF8, header_name=header).encode(linesep="\r\n")


def _header(name: str, value: str) -> str:
    """`Name: value`, folded at spaces (never inside a token) to stay within 78 columns where possible."""
    if "\r\n" in value or len(name) + len(value) < 77:  # already folded (encoded-words), or short
        return f"{name}: {value}"
    line, out = f"{name}:", []
    for word in value.split(" "):
        if len(line) + 1 + len(word) > 78 and line != f"{name}:":
            out.append(line)
            line = " " + word
        else:
            line = f"{line} {word}"
    out.append(line)
    return "\r\n".join(out)


_UTF8 = Charset("utf-8")
_UTF8.header_encoding = QP


def _address(name: str, address: str) -> str:
    name = " ".join(name.split())  # a newline in a name can never start a header
    if not name:
        return address
    return formataddr((_encoded(name, "To") if not name.isascii() else name, address))
