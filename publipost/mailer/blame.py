"""Whose fault a permanent SMTP refusal is: the recipient's address, the recipient's domain, or
the relay (our own server, or how it is set up). Only the first may suppress anyone.

A refusal names its stage: MAIL (our sender), RCPT (one recipient), DATA (the DATA command) or
content (the reply after the final dot). The rules, from RFC 5321 §4.2 and RFC 3463's enhanced
codes (X.1.x addressing, X.2.x mailbox, X.4.x routing, X.6.x content, X.7.x policy):

- MAIL refused: the relay will not take our sender; no address is at fault. The run stops.
- Words of relaying or authentication ("relay access denied", "authentication required",
  5.7.0 and 530) at any stage: the relay is set up wrong. The run stops.
- RCPT refused with 5.1.x (but 5.1.7 and 5.1.8, which are about the sender), 5.2.1 (disabled),
  or 550, 551, 553 without an enhanced code: this address does not take mail. The recipient
  fails, and is suppressed (address_refused).
- Other mailbox states (5.2.x: full, message too large for it) and an address's syntax (5.5.x
  at RCPT): the recipient fails, and is not suppressed.
- Everything else permanent, policy (5.7.x), content (5.6.x), routing (5.4.x), a refused DATA:
  the recipient's domain refuses this campaign or this sender, not the address. That domain
  gets nothing more this run; nobody is suppressed.
"""

from __future__ import annotations

import re
from typing import Literal

Stage = Literal["MAIL", "RCPT", "DATA", "content"]
Blame = Literal["recipient", "domain", "relay"]

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# The texts the common MTAs send when they will not relay or want a login: Postfix "Relay access
# denied", Sendmail "Relaying denied", Exim "relay not permitted", Microsoft "Unable to relay",
# and RFC 4954 §6's 530 5.7.0 "Authentication required".
_RELAY_WORDS = re.compile(
    r"relay(ing)?\s+(access\s+)?(denied|not\s+permitted|prohibited|refused|not\s+allowed)"
    r"|(not\s+(allowed|permitted)|unable)\s+to\s+relay|authenticat(ion|e)\s+(is\s+)?required"
    r"|must\s+(authenticate|be\s+authenticated)|sender\s+(address\s+)?(rejected|refused|denied)",
    re.IGNORECASE,
)


def blame(stage: Stage, code: int, message: str) -> Blame:
    """Whose fault a 5xx reply is (see the module's rules)."""
    enhanced = _ENHANCED.search(message)
    subject, detail = (int(enhanced[2]), int(enhanced[3])) if enhanced else (None, None)
    if stage == "MAIL" or code == 530 or _RELAY_WORDS.search(message) or (subject, detail) == (7, 0):
        return "relay"
    if subject == 1 and detail in (7, 8):  # the sender's address is bad: ours
        return "relay"
    if stage == "RCPT" and (_about_the_address(code, subject, detail) or subject in (2, 5)):
        return "recipient"
    if stage == "content" and subject in (1, 2):
        return "recipient"  # some servers check the mailbox only after the data
    return "domain"


def _about_the_address(code: int, subject: int | None, detail: int | None) -> bool:
    if subject is None:
        return code in (550, 551, 553)
    return subject == 1 or (subject == 2 and detail == 1)


RETRY_CLASSES = ("policy", "transient", "all")


def failure_class(reply: str) -> str:
    """What a failed recipient's journal reply says, for `send --retry-failed --class`:
    `address` (the address refused itself, 5.1.x: final, and suppressed), `policy` (5.7.x: the
    domain or the relay refused this sender or campaign), `transient` (a 4xx or no reply that
    outlived the retries, a lost connection), `other` (a full mailbox, a content or routing
    refusal: 5.2.x, 5.6.x, 5.4.x)."""
    if address_refused(reply):
        return "address"
    # "gave up after 4 days deferred: content 554 5.7.1 …": a domain that refused the campaign
    # (deferred, not failed, at the time) is a policy failure once given up on; a 4xx, transient.
    reply = reply.split("deferred: ", 1)[1] if reply.startswith("gave up after") else reply
    code = next((w for w in reply.split() if len(w) == 3 and w.isdigit() and w[0] in "245"), "")
    enhanced = _ENHANCED.search(reply)
    if not code or code.startswith("4"):
        return "transient"
    # 5.7.x is policy (RFC 3463 §3.8); without an enhanced code, the words receivers' blocks use
    # ("blocked", "spam", "policy", "poor reputation", "listed at …").
    if (enhanced and enhanced[2] == "7") or re.search(r"block|spam|policy|reputation|listed", reply, re.I):
        return "policy"
    return "other"


def retried(reply: str, wanted: str) -> bool:
    """Whether `--retry-failed --class wanted` sends this failed recipient again; a refused address
    never (it is in the suppression store, and would bounce again)."""
    found = failure_class(reply)
    return found != "address" and (wanted == "all" or found == wanted)


def address_refused(reply: str) -> bool:
    """Whether a journal's reply ("RCPT 550 5.1.1 …", as the mailer writes it) is a refusal of
    the address itself: what may suppress it. Replies of other stages never are."""
    stage, _, rest = reply.partition(" ")
    code = rest[:3]
    if stage not in ("RCPT", "content") or not code.isdigit():
        return False
    if blame(stage, int(code), rest[4:]) != "recipient":  # type: ignore[arg-type]
        return False
    enhanced = _ENHANCED.search(rest)
    return _about_the_address(
        int(code), *((int(enhanced[2]), int(enhanced[3])) if enhanced else (None, None))
    )
