"""Bounces and complaints as real mail servers and mailbox providers send them: RFC 3464
delivery status notifications (Postfix, Gmail, Microsoft), Exim's classic text bounce, and ARF
complaint reports (RFC 5965, the shape Yahoo and Microsoft's JMRP send), each quoting the
original message's headers."""

from __future__ import annotations

import mailbox
from pathlib import Path

SECRET = "unsubscribe-test-key-" * 2  # the key the tests send with (PUBLIPOST_UNSUBSCRIBE_SECRET)


def signed_id(
    code: str, recipient: str, address: str, secret: str = SECRET, campaign: str = "Planora launch"
) -> str:
    """The Message-ID publipost gives the message of this recipient sent to this address."""
    from publipost.mailer.message import message_id
    from publipost.store.keys import email_key
    from publipost.tokens import campaign_salt

    key = email_key(address) or ""
    return message_id(campaign_salt(campaign), code, recipient, key, secret.encode(), "planora.example")


ORIGINAL = """\
From: Dana Brooks <dana@planora.example>
To: {to}
Subject: Discover the new planner
Message-ID: {message_id}
Date: Sun, 29 Nov 2026 09:00:00 +0000
"""


def postfix_dsn(to: str, message_id: str, status: str = "5.1.1", n: int = 1) -> str:
    action = "failed" if status.startswith("5") else "delayed"
    return f"""\
From: MAILER-DAEMON@mx.planora.example (Mail Delivery System)
To: dana@planora.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <postfix-{n}@mx.planora.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.planora.example.
I'm sorry to have to inform you that your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.planora.example
Arrival-Date: Sun, 29 Nov 2026 09:00:01 +0000

Final-Recipient: rfc822; {to}
Original-Recipient: rfc822;{to}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {status[0]}50 {status} <{to}>: Recipient address rejected

--B1
Content-Type: text/rfc822-headers

{ORIGINAL.format(to=to, message_id=message_id)}
--B1--
"""


def gmail_dsn(to: str, message_id: str) -> str:
    return f"""\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: dana@planora.example
Subject: Delivery Status Notification (Failure)
Message-ID: <gmail-dsn-1@mail.gmail.com>
MIME-Version: 1.0
Content-Type: multipart/report; boundary="G1"; report-type=delivery-status

--G1
Content-Type: text/plain; charset="UTF-8"

** Address not found **
Your message wasn't delivered to {to} because the address couldn't be found.

--G1
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; dana@planora.example

Final-Recipient: rfc822; {to}
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com.
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.

--G1
Content-Type: message/rfc822

{ORIGINAL.format(to=to, message_id=message_id)}
Hello.

--G1--
"""


def microsoft_dsn(to: str, message_id: str) -> str:
    return f"""\
From: postmaster@outlook.example
To: dana@planora.example
Subject: Undeliverable: Discover the new planner
Message-ID: <ms-ndr-1@outlook.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="M1"

--M1
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:
{to}
The e-mail address you entered couldn't be found.

--M1
Content-Type: message/delivery-status

Reporting-MTA: dns;BN8NAM12HT123.mail.protection.outlook.com
Received-From-MTA: dns;mx.planora.example
Arrival-Date: Sun, 29 Nov 2026 09:00:02 +0000

Final-Recipient: rfc822;{to}
Action: failed
Status: 5.5.0
Diagnostic-Code: smtp;550 5.5.0 Requested action not taken: mailbox unavailable

--M1
Content-Type: message/rfc822

{ORIGINAL.format(to=to, message_id=message_id)}
Hello.

--M1--
"""


def exim_bounce(to: str, message_id: str) -> str:
    return f"""\
From: Mail Delivery System <Mailer-Daemon@mx.exim.example>
To: dana@planora.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1exim-0001@mx.exim.example>
X-Failed-Recipients: {to}
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {to}
    host mx.example.net [192.0.2.1]
    SMTP error from remote mail server after RCPT TO:<{to}>:
    550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

{ORIGINAL.format(to=to, message_id=message_id)}
Hello.
"""


def arf_complaint(to: str, message_id: str, n: int = 1) -> str:
    return f"""\
From: feedback@yahoo.example
To: fbl@planora.example
Subject: FW: Discover the new planner
Message-ID: <arf-{n}@yahoo.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="A1"

--A1
Content-Type: text/plain; charset="US-ASCII"

This is an email abuse report for an email message received from IP 192.0.2.7.

--A1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Yahoo!-Mail-Feedback/2.0
Version: 1
Original-Mail-From: <dana@planora.example>
Original-Rcpt-To: <{to}>
Arrival-Date: Sun, 29 Nov 2026 09:00:03 +0000
Source-IP: 192.0.2.7

--A1
Content-Type: message/rfc822

{ORIGINAL.format(to=to, message_id=message_id)}
Hello.

--A1--
"""


def not_a_report() -> str:
    return """\
From: Léa <lea@exemple.fr>
To: dana@planora.example
Subject: Re: Discover the new planner
Message-ID: <reply-1@exemple.fr>

Thank you, I will order next week.
"""


def maildir(folder: Path, messages: list[str]) -> Path:
    box = mailbox.Maildir(folder, create=True)
    for text in messages:
        box.add(text.encode())
    box.close()
    return folder


def dsn_naming(
    addresses: list[str], message_id: str, sender: str = "MAILER-DAEMON@mx.attacker.example"
) -> str:
    """One delivery report with a Final-Recipient block per address (a forger's, or a relay's)."""
    blocks = "\n".join(
        f"Final-Recipient: rfc822; {a}\nAction: failed\nStatus: 5.1.1\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{a}>: User unknown\n"
        for a in addresses
    )
    return f"""\
From: {sender}
To: dana@planora.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <forged-{len(addresses)}@mx.attacker.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="F1"

--F1
Content-Type: text/plain

Delivery failed.

--F1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.attacker.example

{blocks}
--F1
Content-Type: text/rfc822-headers

{ORIGINAL.format(to=addresses[0], message_id=message_id)}
--F1--
"""


def arf_naming(addresses: list[str], message_id: str) -> str:
    """One complaint report with an Original-Rcpt-To per address."""
    one = arf_complaint(addresses[0], message_id)
    more = "".join(f"Original-Rcpt-To: <{a}>\n" for a in addresses[1:])
    return one.replace(f"Original-Rcpt-To: <{addresses[0]}>\n", f"Original-Rcpt-To: <{addresses[0]}>\n{more}")


def nested_multipart(depth: int) -> str:
    """A message of `depth` multiparts, each inside the last: Python's parser recurses once a level."""
    head = "From: x@attacker.example\nTo: dana@planora.example\nSubject: nest\nMIME-Version: 1.0\n"
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(depth))
    closing = "".join(f"\n--b{i}--\n" for i in reversed(range(depth)))
    return head + opening + "Content-Type: text/plain\n\nhi\n" + closing


def broken_message_id() -> str:
    return bouncing_header("Message-ID: <<<<>>>")


def bouncing_header(header: str) -> str:
    """A delivery report whose own header the email package cannot parse."""
    return postfix_dsn("zed@example.org", "<x@y>").replace(
        "Message-ID: <postfix-1@mx.planora.example>", header
    )
