"""Bounces and complaints read back from a mailbox, into the suppression store.

Delivery status notifications (RFC 3464) and the many older shapes mail servers still send
(Exim's, qmail's, Microsoft's…) are read by flufl.bounce, Mailman's bounce detectors: they
tell permanent from temporary failures. Complaint feedback reports (ARF, RFC 5965) it does
not read; they are parsed here.

Anyone can write to a bounce mailbox, so a report acts only on proof: it must quote the
Message-ID publipost set, whose tag is an HMAC over the recipient and the address the message
went to (publipost/tokens.py), and it acts only for that address. A report that proves nothing,
names another address, or names many, goes to the review list with the reason, suppressing
nobody: a forged bounce must not take a customer off every later campaign.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from typing import Literal

from publipost.store.db import Entry, Review, Store
from publipost.store.keys import email_key, normal_email
from publipost.tokens import QUOTED_ID, check_tag

ADDRESS = re.compile(r"[^\s<>;:\"]+@[^\s<>;:\"]+")
MAX_ADDRESSES = 5  # per delivery report: a DSN of one message names one recipient, a relay's few more

Kind = Literal["hard bounce", "soft bounce", "complaint"]


@dataclass(frozen=True)
class Quoted:
    """A Message-ID of publipost's found in a report."""

    code: str
    recipient: str
    tag: str


@dataclass(frozen=True)
class Report:
    kind: Kind
    addresses: tuple[str, ...]  # as the report names them, normalised
    quoted: tuple[Quoted, ...]  # publipost's Message-IDs it quotes
    message: str  # the report's own Message-ID (or its mailbox key): each report counts once
    key: str = ""  # its key in the mailbox: where a person finds it


@dataclass(frozen=True)
class Verdict:
    act: tuple[tuple[str, Quoted], ...]  # (address, the message proven to have gone there)
    review: tuple[tuple[str, str], ...]  # (address, why not acted on)


@dataclass
class Imported:
    reports: Counter[str] = field(default_factory=Counter)  # kind → reports read
    suppressed: Counter[str] = field(default_factory=Counter)  # reason → addresses newly suppressed
    already: int = 0  # addresses already suppressed
    soft_counted: int = 0  # soft bounces counted (not yet over the limit)
    skipped: int = 0  # messages that are neither a bounce nor a complaint
    reviewed: int = 0  # addresses set aside for review, suppressing nobody
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (message key, why)


def read_report(message: EmailMessage, key: str) -> Report | None:
    """The bounce or complaint this message is, or None. May raise on a hostile message: the
    caller sets it aside as unreadable."""
    own_id = str(message.get("Message-ID") or f"<{key}>").strip()[:200] or f"<{key}>"
    text = _text(message)
    quoted = tuple(dict.fromkeys(Quoted(*m.groups()) for m in QUOTED_ID.finditer(text)))
    report_type = message.get_param("report-type")
    if message.get_content_type() == "multipart/report" and report_type == "feedback-report":
        addresses = _complainant(message)
        return Report("complaint", addresses, quoted, own_id, key) if addresses else None
    from flufl.bounce import all_failures

    temporary, permanent = all_failures(message)
    if permanent:
        return Report("hard bounce", _decoded(permanent), quoted, own_id, key)
    if temporary:
        return Report("soft bounce", _decoded(temporary), quoted, own_id, key)
    return None


def judge(report: Report, secret: bytes) -> Verdict:
    """Which addresses this report may act on: each one a quoted Message-ID proves publipost
    sent a message to. A complaint names one recipient (RFC 6650: one report per message); a
    delivery report at most MAX_ADDRESSES."""
    addresses = report.addresses
    if report.kind == "complaint" and len(addresses) > 1:
        why = f"a complaint naming {len(addresses)} recipients (a feedback report names one)"
        return Verdict((), tuple((a, why) for a in addresses))
    if len(addresses) > MAX_ADDRESSES:
        why = f"a report naming {len(addresses)} recipients (at most {MAX_ADDRESSES} are acted on)"
        return Verdict((), tuple((a, why) for a in addresses))
    if not report.quoted:
        why = "quotes no message publipost sent (or one sent before Message-IDs were signed)"
        return Verdict((), tuple((a, why) for a in addresses))
    act, review = [], []
    for address in addresses:
        key = email_key(address) or ""
        proof = next((q for q in report.quoted if check_tag(secret, q.code, q.recipient, q.tag, key)), None)
        if proof is None:
            review.append(
                (address, "the message it quotes was not sent to this address, or not with this key")
            )
        elif proof.recipient.endswith(".test"):
            review.append((address, f"a test send of {proof.code} (seed addresses are not suppressed)"))
        else:
            act.append((address, proof))
    return Verdict(tuple(act), tuple(review))


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
            rcpt = fields.get_all("Original-Rcpt-To") or fields.get_all("Removal-Recipient")
            if rcpt:
                return _decoded(a for value in rcpt for a in ADDRESS.findall(str(value)))
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


def masked(address: str) -> str:
    """An address as the review list shows it: enough to recognise, not a copy of the list."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def store_report(
    store: Store, report: Report | None, done: Imported, *, secret: bytes, soft_limit: int, source: str
) -> None:
    """One message's effect, written at once: hard bounces and complaints proven suppress;
    soft bounces proven are counted, once per report, and suppress at `soft_limit`; the rest
    goes to review."""
    if report is None:
        done.skipped += 1
        return
    done.reports[report.kind] += 1
    verdict = judge(report, secret)
    for address, proof in verdict.act:
        key = email_key(address)
        if key is None:
            continue
        origin = f"{proof.code} {proof.recipient}, {source}"
        if report.kind == "soft bounce":
            if store.soft_bounce(key, report.message, origin, soft_limit):
                done.suppressed["soft bounces"] += 1
            else:
                done.soft_counted += 1
            continue
        new, present = store.add([Entry(key, "email", report.kind, origin)])
        done.suppressed[report.kind] += new
        done.already += present
    if verdict.review:
        store.to_review(
            Review(f"{report.key} {report.message}", email_key(a) or a, report.kind, masked(a), why, source)
            for a, why in verdict.review
        )
        done.reviewed += len(verdict.review)
