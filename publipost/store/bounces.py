"""Bounces and complaints read back from a mailbox, into the suppression store.

Delivery status notifications (RFC 3464) and the many older shapes mail servers still send
(Exim's, qmail's, Microsoft's…) are read by flufl.bounce, Mailman's bounce detectors: they
tell permanent from temporary failures. Complaint feedback reports (ARF, RFC 5965) it does
not read; they are parsed here. A report is tied to its campaign and recipient by the
Message-ID publipost set (`<CODE.RECIPIENT.HASH@domain>`), quoted in the report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from typing import Literal

from publipost.store.db import Entry, Store
from publipost.store.keys import email_key, normal_email

OURS = re.compile(r"<([A-Z0-9]{2,12})\.([A-Za-z0-9._-]+)\.([0-9a-f]{16})@[^>\s]+>")
ADDRESS = re.compile(r"[^\s<>;:\"]+@[^\s<>;:\"]+")

Kind = Literal["hard bounce", "soft bounce", "complaint"]


@dataclass(frozen=True)
class Report:
    kind: Kind
    addresses: tuple[str, ...]
    campaign: str | None  # the campaign code, from the quoted Message-ID
    recipient: str | None  # the recipient id, from the same
    message: str  # the report's own Message-ID (or its mailbox key): each report counts once


@dataclass
class Imported:
    reports: Counter[str] = field(default_factory=Counter)  # kind → reports read
    suppressed: Counter[str] = field(default_factory=Counter)  # reason → addresses newly suppressed
    already: int = 0  # addresses already suppressed
    soft_counted: int = 0  # soft bounces counted (not yet over the limit)
    skipped: int = 0  # messages that are neither a bounce nor a complaint
    unmatched: int = 0  # reports quoting no message of publipost's


def read_report(message: EmailMessage, key: str) -> Report | None:
    """The bounce or complaint this message is, or None."""
    own_id = str(message.get("Message-ID") or f"<{key}>").strip()
    quoted = OURS.search(_text(message))
    campaign, recipient = (quoted.group(1), quoted.group(2)) if quoted else (None, None)
    report_type = message.get_param("report-type")
    if message.get_content_type() == "multipart/report" and report_type == "feedback-report":
        addresses = _complainant(message)
        return Report("complaint", addresses, campaign, recipient, own_id) if addresses else None
    from flufl.bounce import all_failures

    temporary, permanent = all_failures(message)
    if permanent:
        return Report("hard bounce", _decoded(permanent), campaign, recipient, own_id)
    if temporary:
        return Report("soft bounce", _decoded(temporary), campaign, recipient, own_id)
    return None


def _decoded(addresses: Iterable[bytes | str]) -> tuple[str, ...]:
    found = []
    for address in addresses:
        text = address.decode("utf-8", "replace") if isinstance(address, bytes) else address
        normal = normal_email(text.strip("<>"))
        if normal:
            found.append(normal)
    return tuple(sorted(set(found)))


def _complainant(message: EmailMessage) -> tuple[str, ...]:
    """The complaining recipient: the report's Original-Rcpt-To, else the quoted message's To."""
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            fields = _fields(part)
            rcpt = fields.get("Original-Rcpt-To") or fields.get("Removal-Recipient")
            if rcpt:
                return _decoded(ADDRESS.findall(str(rcpt)))
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            fields = _fields(part)
            if fields.get("To"):
                return _decoded(ADDRESS.findall(str(fields["To"])))
    return ()


def _fields(part: Message) -> Message:
    """The header fields a message/* or text/rfc822-headers part holds, however it was parsed."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        first = payload[0]
        if len(payload) > 1:  # message/feedback-report parsed as header blocks: merge them
            for block in payload[1:]:
                if isinstance(block, Message):
                    for name, value in block.items():
                        first[name] = value
        return first
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    return HeaderParser().parsestr(text)


def _text(message: Message) -> str:
    """Everything the message says, headers of quoted messages included, to find our Message-ID."""
    try:
        return message.as_string()
    except (LookupError, UnicodeError, ValueError):
        return str(message.get_payload())


def store_reports(
    store: Store, reports: Iterable[Report | None], *, soft_limit: int, source: str
) -> Imported:
    """Hard bounces and complaints suppress at once; soft bounces are counted, once per report,
    and suppress at `soft_limit`."""
    done = Imported()
    for report in reports:
        if report is None:
            done.skipped += 1
            continue
        done.reports[report.kind] += 1
        if report.campaign is None:
            done.unmatched += 1
        origin = f"{report.campaign or 'unknown campaign'} {report.recipient or ''}".strip()
        for address in report.addresses:
            key = email_key(address)
            if key is None:
                continue
            if report.kind == "soft bounce":
                if store.soft_bounce(key, report.message, f"{origin}, {source}", soft_limit):
                    done.suppressed["soft bounces"] += 1
                else:
                    done.soft_counted += 1
                continue
            new, present = store.add([Entry(key, "email", report.kind, f"{origin}, {source}")])
            done.suppressed[report.kind] += new
            done.already += present
    return done
