"""Sending against a real SMTP server on 127.0.0.1: delivered messages parsed back, faults, resume."""

from __future__ import annotations

import mailbox
import re
import textwrap
from collections import Counter
from email import message_from_bytes, policy
from itertools import pairwise

import pytest

from publipost.api import prepare
from publipost.channels.sending import send_campaign
from publipost.mailer.journal import IN_FLIGHT, Journal
from publipost.mailer.smtp import Limits, parse_relay
from tests.smtpkit import FaultyHandler, SmtpServer

CAMPAIGN = """\
name: Test e-mail
language: en
objective: launch
offer:
  product: Planora planner
  price: 34
  currency: USD
target:
  source: customers.csv
sender:
  name: Dana Brooks
  function: Founder
  company: Planora Inc.
  address: [400 Congress Ave, Austin TX 78701]
  email: dana@planora.example
email:
  subject: "Discover the new planner, {{ first_name }}"
  preheader: Undated pages for {{ offer.price | money }}
  body: |
    **Discover the new planner that plans your week with you**

    Your pages are **undated**. You start any week you like, {{ first_name }}.

    Dana Brooks
    Founder

    P.S. Order now: your gift ships free.
  unsubscribe:
    url: https://planora.example/unsubscribe
    mailto: unsubscribe@planora.example
"""


def _campaign(tmp_path, addresses, campaign=CAMPAIGN):
    rows = "".join(f"{i},Ms,Name{i},Smith,{a}\n" for i, a in enumerate(addresses, start=1))
    (tmp_path / "customers.csv").write_text("id,Title,First Name,Last Name,Email\n" + rows)
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    return prepare(tmp_path / "campaign.yaml")


def _bound_journal(tmp_path, prepared):
    """The campaign's journal, as a first run leaves it before any recipient is recorded."""
    from publipost.channels.resume import check_journal

    journal = Journal(tmp_path / "out" / "send-journal.sqlite")
    check_journal(journal, prepared, accept_changes=False)
    return journal


# Retries of a 4xx spaced by milliseconds, and waited for in the run: the engine's moves, quickly.
FAST = Limits(concurrency=3, attempts=4, backoff=0.01, timeout=5, retry_delays=(0.02,), wait=True)


@pytest.fixture(autouse=True)
def unsubscribe_key(monkeypatch):
    """A real relay needs the unsubscribe key from the environment, as in production."""
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", "test-key-" * 4)


def test_delivered_messages_parse_back(tmp_path):
    prepared = _campaign(tmp_path, ["ann@example.com", "bob@example.org"])
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        report = send_campaign(prepared, tmp_path / "out", relay=parse_relay(server.url), limits=FAST)
    assert report.counts["sent"] == 2 and not report.failures
    message = next(m for m in handler.delivered if m["To"].addresses[0].addr_spec == "ann@example.com")
    assert message["From"].addresses[0].addr_spec == "dana@planora.example"
    assert message["To"].addresses[0].display_name == "Ms Name1 Smith"
    assert message["Subject"] == "Discover the new planner, Name1"
    assert message["Date"] and message["X-Publipost-Campaign"]
    unsubscribe = message["List-Unsubscribe"]
    assert (
        "<https://planora.example/unsubscribe?c=" in unsubscribe
        and "<mailto:unsubscribe@planora.example" in unsubscribe
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    ids = {m["Message-ID"] for m in handler.delivered}
    assert len(ids) == 2 and all(i.endswith("@planora.example>") for i in ids)
    text, html = list(message.iter_parts())
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")  # text first
    assert "You start any week you like, Name1." in text.get_content()
    assert "You start any week you like, Name1." in html.get_content()
    assert "<strong>undated</strong>" in html.get_content()
    assert "Unsubscribe: https://planora.example/unsubscribe?c=" in text.get_content()
    assert "400 Congress Ave, Austin TX 78701" in text.get_content()  # the sender's postal address
    assert text.get_content().startswith("Undated pages for $34.00")  # the preheader, visible in both parts
    assert "Undated pages for $34.00" in html.get_content()
    assert "display:none" not in html.get_content().replace(" ", "")  # nothing hidden (Gmail guidelines)


def test_faults_retried_failed_and_the_others_go_on(tmp_path):
    addresses = [
        "temp@example.com",
        "perm@example.com",
        "cut@example.com",
        "ok1@example.com",
        "ok2@example.com",
    ]
    prepared = _campaign(tmp_path, addresses)
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        report = send_campaign(prepared, tmp_path / "out", relay=parse_relay(server.url), limits=FAST)
    assert report.counts["sent"] == 4 and report.counts["failed"] == 1
    for address in ("temp@example.com", "cut@example.com", "ok1@example.com", "ok2@example.com"):
        assert handler.delivered_to(address) == 1, address  # delivered exactly once
    assert handler.attempts["temp@example.com"] == 3  # two 451 replies, then accepted
    (failure,) = report.failures
    assert (
        failure[2] == "perm@example.com"
        and failure[3] == "failed"
        and failure[4].startswith("RCPT 550 5.1.1")
    )
    csv_text = (tmp_path / "out" / "send-failures.csv").read_text()
    assert "perm@example.com,failed,RCPT 550" in csv_text


def test_resume_sends_nobody_twice_and_resend_forces(tmp_path):
    prepared = _campaign(tmp_path, [f"r{i}@example.com" for i in range(6)])
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        relay = parse_relay(server.url)
        first = send_campaign(prepared, tmp_path / "out", relay=relay, limits=FAST)
        again = send_campaign(prepared, tmp_path / "out", relay=relay, limits=FAST)
        assert (first.attempted, again.attempted) == (6, 0)
        assert len(handler.delivered) == 6
        forced = send_campaign(prepared, tmp_path / "out", relay=relay, limits=FAST, resend=True)
        assert forced.attempted == 6 and len(handler.delivered) == 12


def test_uncertain_recipients_are_reported_not_resent(tmp_path):
    prepared = _campaign(tmp_path, ["a@example.com", "b@example.com"])
    journal = _bound_journal(tmp_path, prepared)
    journal.add([("1", 2, "a@example.com")])
    journal.set_many([("1", IN_FLIGHT, True, "")])  # as a crash would leave it
    journal.close()
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        relay = parse_relay(server.url)
        report = send_campaign(prepared, tmp_path / "out", relay=relay, limits=FAST)
        assert report.uncertain == ["1"] and handler.delivered_to("a@example.com") == 0
        assert report.counts["in flight"] == 1 and report.counts["sent"] == 1
        retried = send_campaign(prepared, tmp_path / "out", relay=relay, limits=FAST, retry_uncertain=True)
        assert retried.attempted == 1 and handler.delivered_to("a@example.com") == 1


def test_header_injection_is_impossible(tmp_path):
    campaign = CAMPAIGN.replace(
        'subject: "Discover the new planner, {{ first_name }}"', 'subject: "Hello {{ last_name }}"'
    )
    (tmp_path / "customers.csv").write_text(
        "id,First Name,Last Name,Email\n"
        '1,"Ann\nBcc: victim@example.net","Smith\r\nBcc: x@example.net",a@example.com\n'
    )
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        send_campaign(
            prepare(tmp_path / "campaign.yaml"), tmp_path / "out", relay=parse_relay(server.url), limits=FAST
        )
    (message,) = handler.delivered
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Smith Bcc: x@example.net"


def test_embedded_capture_server_cli(tmp_path, run):
    _campaign(tmp_path, ["ann@example.com", "bob@example.org"])
    result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out")
    assert result.code == 0, result.err
    assert "capture server" in result.out and "sent" in result.out
    box = mailbox.Maildir(tmp_path / "out" / "maildir", create=False)
    assert sorted(m["To"] for m in box) == [
        "Ms Name1 Smith <ann@example.com>",
        "Ms Name2 Smith <bob@example.org>",
    ]
    again = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out")
    assert again.code == 0 and len(list(box)) == 2  # resumed: nobody mailed twice


def test_lint_errors_stop_the_send_before_any_connection(tmp_path, run):
    campaign = CAMPAIGN.replace("**undated**", "**undated")  # bold never closed: printed as typed, an error
    _campaign(tmp_path, ["ann@example.com"], campaign)
    result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out")
    assert result.code == 1 and "lint error" in result.err and "markdown-literal" in result.err
    assert not (tmp_path / "out" / "maildir").exists()
    forced = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--no-lint")
    assert forced.code == 0 and "lint       skipped (--no-lint)" in forced.out


def test_dry_run_shows_messages_and_limit_sends_at_most_n(tmp_path, run):
    _campaign(tmp_path, [f"r{i}@example.com" for i in range(5)])
    dry = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--dry-run", "--show", "2")
    assert dry.code == 0 and "5 e-mails rendered, nothing sent" in dry.out
    shown = dry.out.split("─" * 72)[1:]
    assert len(shown) == 2
    assert (
        "To: Ms Name1 Smith <r0@example.com>" in shown[0]
        and "Subject: Discover the new planner, Name1" in shown[0]
    )
    assert "You start any week you like, Name1." in shown[0]  # the text part, merged
    assert (
        "To: Ms Name2 Smith <r1@example.com>" in shown[1] and "List-Unsubscribe: <https://planora" in shown[1]
    )
    assert not (tmp_path / "out" / "maildir").exists()
    assert run("send", tmp_path / "campaign.yaml", "--show", "2").code == 2  # --show belongs to a dry run
    limited = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "lim", "--limit", "2")
    assert limited.code == 0 and len(list(mailbox.Maildir(tmp_path / "lim" / "maildir", create=False))) == 2


def test_a_test_send_does_not_inherit_what_an_earlier_one_learnt(tmp_path, run):
    """The sending processes tell each other of a domain's pause through the journal; the test
    sends' journal is used again by each test send, so a pause an earlier test send was given
    must not hold back the next one (it did: 'not tried: its domain asked to slow down')."""
    _campaign(tmp_path, ["ann@example.com"])
    handler = FaultyHandler()
    with SmtpServer(handler) as server:

        def send_tests_to(seed: str):
            return run(
                "send",
                tmp_path / "campaign.yaml",
                "--out",
                tmp_path / "out",
                "--smtp",
                server.url,
                "--test-to",
                seed,
            )

        first = send_tests_to("temp@x.example")  # x.example answers 451: asked to wait (a minute)
        assert first.code != 0 and re.search(r"temp@x.example +deferred", first.out), first.out
        again = send_tests_to("qa@x.example")
    assert again.code == 0, again.out + again.err
    assert handler.envelopes == ["qa@x.example"]


def test_test_sends_are_marked_inert_and_never_count_as_the_recipients_send(tmp_path, run):
    from publipost.mailer.message import check_token

    addresses = ["ann@example.com", "bob@example.com", "cy@example.com"]
    _campaign(tmp_path, addresses)
    customers = tmp_path / "customers.csv"  # the second customer has the longest values
    customers.write_text(
        customers.read_text().replace("Name2,Smith", "Maximiliana-Josephine,Featherstonehaugh")
    )
    out = tmp_path / "out"
    seeds = run(
        "send", tmp_path / "campaign.yaml", "--out", out, "--test-to", "qa@example.com", "boss@example.com"
    )
    assert seeds.code == 0, seeds.err
    assert re.search(r"1 +→ qa@example.com +sent", seeds.out) and re.search(
        r"2 +→ boss@example.com +sent", seeds.out
    )
    box = [message_from_bytes(m.as_bytes(), policy=policy.default) for m in mailbox.Maildir(out / "maildir")]
    # the first recipient and the longest-values one, each to both seeds, To naming the seed alone
    assert sorted((m["To"], m["Subject"]) for m in box) == [
        ("boss@example.com", "[TEST] Discover the new planner, Maximiliana-Josephine"),
        ("boss@example.com", "[TEST] Discover the new planner, Name1"),
        ("qa@example.com", "[TEST] Discover the new planner, Maximiliana-Josephine"),
        ("qa@example.com", "[TEST] Discover the new planner, Name1"),
    ]
    secret = ("test-key-" * 4).encode()  # the unsubscribe_key fixture
    for message in box:
        assert message["X-Publipost-Test"] == "yes"
        url = re.search(r"<(https://[^>]+)>", message["List-Unsubscribe"]).group(1)
        key, token = re.search(r"a=(\w+)&t=([\w-]+)", url).groups()
        code = message["X-Publipost-Campaign"]
        assert check_token(secret, code, key, token) == "test"  # refused: nobody is unsubscribed
        assert url in message.get_body(("plain",)).get_content()  # the footer's link is the inert one too
    assert not (out / "send-journal.sqlite").exists()
    real = run("send", tmp_path / "campaign.yaml", "--out", out)
    assert real.code == 0 and re.search(r"sent +3", real.out)  # the tests did not count as anyone's send
    delivered = Counter(m["To"].split("<")[-1].rstrip(">") for m in mailbox.Maildir(out / "maildir"))
    assert [delivered[a] for a in addresses] == [1, 1, 1]
    chosen = run(
        "send", tmp_path / "campaign.yaml", "--out", out, "--test-to", "qa@x.com", "--test-recipient", "3"
    )
    assert (
        chosen.code == 0
        and re.search(r"3 +→ qa@x.com +sent", chosen.out)
        and not re.search(r"^ +1 +→", chosen.out, re.M)
    )
    unknown = run(
        "send", tmp_path / "campaign.yaml", "--out", out, "--test-to", "qa@x.com", "--test-recipient", "9"
    )
    assert unknown.code == 2 and "no customer has the id '9'" in unknown.err
    smuggled = run("send", tmp_path / "campaign.yaml", "--out", out, "--test-to", "qa@x.com NOTIFY=NEVER")
    assert smuggled.code == 2 and "--test-to: e-mail 'qa@x.com NOTIFY=NEVER' is invalid" in smuggled.err


def test_tokens_are_checked_in_constant_shape():
    from publipost.mailer.message import check_token, unsubscribe_for

    key = b"s" * 32
    real = unsubscribe_for("https://x.example/u", None, "CODE", "42", key)
    test = unsubscribe_for("https://x.example/u", None, "CODE", "42", key, test=True)
    assert check_token(key, "CODE", "42", real.token) == "valid"
    assert check_token(key, "CODE", "42", test.token) == "test"
    assert check_token(key, "CODE", "43", real.token) == "invalid"  # another recipient's token
    assert check_token(b"o" * 32, "CODE", "42", real.token) == "invalid"  # another key
    assert test.token.startswith("test-") and len(test.token) == len(real.token)


def test_render_eml_and_mbox(tmp_path, run):
    _campaign(tmp_path, ["ann@example.com", "bob@example.org"])
    assert run("render", tmp_path / "campaign.yaml", "--format", "eml", "--out", tmp_path / "out").code == 0
    assert sorted(p.name for p in (tmp_path / "out" / "emails").glob("*.eml")) == ["1.eml", "2.eml"]
    assert run("render", tmp_path / "campaign.yaml", "--format", "mbox", "--out", tmp_path / "box").code == 0
    assert len(mailbox.mbox(tmp_path / "box" / "emails" / "emails.mbox")) == 2
    only = run(
        "render", tmp_path / "campaign.yaml", "--format", "eml", "--out", tmp_path / "one", "--only", "2"
    )
    assert only.code == 0 and [p.name for p in (tmp_path / "one" / "emails").glob("*.eml")] == ["2.eml"]
    missing = run(
        "render", tmp_path / "campaign.yaml", "--format", "eml", "--out", tmp_path / "no", "--only", "7"
    )
    assert missing.code == 2 and "no customer has the id '7'" in missing.err and missing.out == ""


def test_relay_urls_and_secrets(monkeypatch):
    from publipost.errors import PublipostError

    assert parse_relay("smtp://127.0.0.1:2525").port == 2525
    with pytest.raises(PublipostError, match="holds a password"):
        parse_relay("smtps://dana:hunter2@127.0.0.1:465")
    monkeypatch.delenv("PUBLIPOST_SMTP_PASSWORD", raising=False)
    with pytest.raises(PublipostError, match="PUBLIPOST_SMTP_PASSWORD is not set"):
        parse_relay("smtps://dana@127.0.0.1")
    monkeypatch.setenv("PUBLIPOST_SMTP_PASSWORD", "s3cret")
    relay = parse_relay("smtps://dana@127.0.0.1")
    assert (relay.tls, relay.port, relay.password) == (True, 465, "s3cret")
    assert "s3cret" not in str(relay) and "s3cret" not in repr(relay)


def test_a_real_relay_needs_the_unsubscribe_key_from_the_environment(tmp_path, monkeypatch):
    from publipost.errors import PublipostError

    prepared = _campaign(tmp_path, ["ann@example.com"])
    monkeypatch.delenv("PUBLIPOST_UNSUBSCRIBE_SECRET")
    with pytest.raises(PublipostError, match="PUBLIPOST_UNSUBSCRIBE_SECRET is not set"):
        send_campaign(prepared, tmp_path / "out", relay=parse_relay("smtp://127.0.0.1:9"), limits=FAST)


def _rsa_key(path, bits):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public


def _signed_send(tmp_path, selector, record):
    """One message sent with the key in tmp_path/dkim.pem, and a DNS answering `record` for its
    selector (no network): (prepared, handler, the bytes received, the DNS function)."""
    campaign = CAMPAIGN + f"  dkim:\n    selector: {selector}\n    key_file: dkim.pem\n"
    prepared = _campaign(tmp_path, ["ann@example.com"], campaign)
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        send_campaign(prepared, tmp_path / "out", relay=parse_relay(server.url), limits=FAST)
    (raw,) = handler.raw

    def dns(name, timeout=5):
        assert name == f"{selector}._domainkey.planora.example.".encode()
        return record

    return prepared, handler, raw, dns


def test_dkim_signature_covers_the_unsubscribe_pair_and_verifies(tmp_path):
    import base64

    import dkim

    public = _rsa_key(tmp_path / "dkim.pem", 2048)
    prepared, handler, raw, dns = _signed_send(
        tmp_path, "s2026", b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    )
    assert dkim.verify(raw, dnsfunc=dns)
    signature = handler.delivered[0]["DKIM-Signature"]
    signed = {h.strip().lower() for h in signature.split("h=")[1].split(";")[0].split(":")}
    assert {"from", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"} <= signed
    # issue 27: what a relay must not change unseen, and the campaign's ids for the providers' tools
    assert {"to", "content-type", "mime-version", "list-id", "feedback-id"} <= signed
    message = handler.delivered[0]
    assert message["List-Id"] == "<plannew.planora.example>" or message["List-Id"].endswith(
        ".planora.example>"
    )
    assert message["Feedback-ID"] == f"{prepared.campaign.code}:email:marketing:planora.example"
    assert not dkim.verify(raw.replace(b"Discover the new planner", b"Discover the old planner"), dnsfunc=dns)
    assert not dkim.verify(raw.replace(b"List-Id: <", b"List-Id: <x"), dnsfunc=dns)


def test_bounces_go_to_the_bounce_address_and_unsigned_mail_to_a_real_relay_is_warned_of(tmp_path, run):
    """Issue 27: sender.bounce is the envelope sender (MAIL FROM, the Return-Path bounces come
    back to); a real relay without email.dkim gets a warning, the capture server none."""
    from tests.smtpkit import ScriptedRelay

    campaign = CAMPAIGN.replace(
        "  email: dana@planora.example\n",
        "  email: dana@planora.example\n  bounce: bounces@planora.example\n",
    )
    _campaign(tmp_path, ["ann@example.com", "bob@example.com"], campaign)
    handler = ScriptedRelay()
    senders = []
    original = handler.handle_MAIL

    async def handle_mail(server, session, envelope, address, options):
        senders.append(address)
        return await original(server, session, envelope, address, options)

    handler.handle_MAIL = handle_mail
    with SmtpServer(handler) as server:
        result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", server.url)
    assert result.code == 0, result.err
    assert set(senders) == {"bounces@planora.example"} and sorted(handler.queued) == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert "warning: these messages go to a real relay unsigned" in result.err
    rehearsal = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "rehearsal")
    assert "unsigned" not in rehearsal.err


def test_short_dkim_keys_are_refused(tmp_path, run):
    import subprocess

    # cryptography will not even generate such a key; openssl still does.
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(tmp_path / "dkim.pem"), "768"],
        check=True,
        capture_output=True,
    )
    _campaign(tmp_path, ["ann@example.com"], CAMPAIGN + "  dkim:\n    selector: s1\n    key_file: dkim.pem\n")
    result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out")
    assert (
        result.code == 2
        and "the DKIM key has 768 bits; mailbox providers require at least 1024" in result.err
    )


def test_each_recipient_is_durably_in_flight_before_its_transaction_starts(tmp_path):
    """Journal writes are committed in batches; still, when the server sees a recipient, another
    reader of the journal (a crash's restart) already finds it in flight."""
    import sqlite3

    seen: dict[str, str] = {}

    class Watching(FaultyHandler):
        async def handle_RCPT(self, server, session, envelope, address, options):
            journal = sqlite3.connect(tmp_path / "out" / "send-journal.sqlite")
            (status,) = journal.execute(
                "SELECT status FROM recipients WHERE address = ?", (address,)
            ).fetchone()
            journal.close()
            seen[address] = status
            return await super().handle_RCPT(server, session, envelope, address, options)

    addresses = [f"r{i}@example.com" for i in range(60)]
    prepared = _campaign(tmp_path, addresses)
    with SmtpServer(Watching()) as server:
        report = send_campaign(prepared, tmp_path / "out", relay=parse_relay(server.url), limits=FAST)
    assert report.counts["sent"] == 60
    assert seen == dict.fromkeys(addresses, "in flight")


def test_limit_reaches_its_recipients_behind_a_long_run_of_others_in_the_journal(tmp_path):
    """The journal is read a batch at a time: a batch holding none of the recipients --limit
    allows (here 600 left from an earlier audience) must not end the send."""
    prepared = _campaign(tmp_path, ["ann@example.com", "bob@example.com", "cy@example.com"])
    journal = _bound_journal(tmp_path, prepared)
    journal.add((f"old{i}", i, f"old{i}@example.com") for i in range(600))
    journal.close()
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        report = send_campaign(
            prepared, tmp_path / "out", relay=parse_relay(server.url), limits=FAST, limit=2
        )
    assert report.counts["sent"] == 2 and report.attempted == 2
    assert sorted(m["To"].addresses[0].addr_spec for m in handler.delivered) == [
        "ann@example.com",
        "bob@example.com",
    ]


@pytest.mark.slow  # several processes, or a timeout waited for: CI runs it
def test_two_processes_deliver_everyone_exactly_once(tmp_path):
    prepared = _campaign(tmp_path, [f"r{i}@example.com" for i in range(450)] + ["perm@example.com"])
    handler = FaultyHandler()
    told: Counter[str] = Counter()
    with SmtpServer(handler) as server:
        report = send_campaign(
            prepared,
            tmp_path / "out",
            relay=parse_relay(server.url),
            limits=FAST,
            processes=2,
            progress=lambda status, n: told.update({status: n}),
        )
    assert report.counts["sent"] == 450 and report.counts["failed"] == 1
    assert told == {"sent": 450, "failed": 1}  # the progress bar heard of every outcome
    assert len(handler.delivered) == 450
    assert max(Counter(m["To"].addresses[0].addr_spec for m in handler.delivered).values()) == 1


def test_customer_data_is_escaped_in_the_html_part(tmp_path, run):
    (tmp_path / "customers.csv").write_text(
        'id,First Name,Last Name,Email\n1,"<script>alert(1)</script>","{{ 7*7 }} & **Co**",a@example.com\n'
    )
    (tmp_path / "campaign.yaml").write_text(
        textwrap.dedent(CAMPAIGN).replace(
            "You start any week you like, {{ first_name }}.",
            "You start any week you like, {{ first_name }} {{ last_name }}.",
        )
    )
    assert run("render", tmp_path / "campaign.yaml", "--format", "eml", "--out", tmp_path / "out").code == 0
    from email import message_from_bytes, policy

    message = message_from_bytes((tmp_path / "out" / "emails" / "1.eml").read_bytes(), policy=policy.default)
    text, html = (part.get_content() for part in message.iter_parts())
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} &amp; **Co**." in html
    # The text part shows the data as typed (wrapped at 72 columns: compare the words).
    assert "you like, <script>alert(1)</script> {{ 7*7 }} & **Co**." in " ".join(text.split())


class _Watcher:
    """Records when each message arrives and how many are open at once per recipient domain."""

    def __init__(self):
        import time as clock

        self.clock = clock
        self.arrivals: list[float] = []
        self.open: Counter[str] = Counter()
        self.most: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        domain = envelope.rcpt_tos[0].rsplit("@", 1)[1]
        self.arrivals.append(self.clock.monotonic())
        self.open[domain] += 1
        self.most[domain] = max(self.most[domain], self.open[domain])
        await asyncio.sleep(0.05)
        self.open[domain] -= 1
        return "250 OK"


@pytest.mark.slow  # several processes, or a timeout waited for: CI runs it
def test_the_per_domain_limit_holds_across_sending_processes(tmp_path):
    """Issue 27, 4: --per-domain 2 allowed 4 connections to one domain with two processes (each
    process counted its own). Recipients are sharded by domain now: one process per domain."""
    domains = ["one.example", "two.example", "three.example"]
    watcher = _sent_by_two_processes(tmp_path, [f"r{i}@{domains[i % 3]}" for i in range(420)], per_domain=2)
    assert max(watcher.most.values()) <= 2, watcher.most


def _sent_by_two_processes(tmp_path, addresses: list[str], per_domain: int | None = None) -> _Watcher:
    """Each sent once, by two processes of 4 connections each (enough recipients to shard)."""
    prepared = _campaign(tmp_path, addresses)
    watcher = _Watcher()
    with SmtpServer(watcher) as server:
        report = send_campaign(
            prepared,
            tmp_path / "out",
            relay=parse_relay(server.url),
            processes=2,
            limits=Limits(concurrency=8, per_domain=per_domain, backoff=0.01, timeout=5),
        )
    assert report.counts["sent"] == len(addresses) == len(watcher.arrivals)
    return watcher


@pytest.mark.slow  # several processes: CI runs it
def test_a_list_of_one_domain_is_sent_by_every_process(tmp_path):
    """Issue 31: sharded by domain, a list that is all one domain (as a retailer's is mostly
    gmail.com) went to one process while the other idled: two processes sent slower than one.
    Without a per-domain limit, each process takes its share of the addresses."""
    watcher = _sent_by_two_processes(tmp_path, [f"r{i}@one.example" for i in range(420)])
    # each process has 4 connections: more than 4 messages at once means both were sending
    assert watcher.most["one.example"] > 4, watcher.most


def test_the_shards_of_one_domain_are_its_addresses_unless_a_domain_limit_holds():
    from publipost.mailer.journal import shard_of

    addresses = [f"r{i}@one.example" for i in range(200)]
    by_domain = {shard_of(a, 2) for a in addresses}
    by_address = Counter(shard_of(a, 2, by_domain=False) for a in addresses)
    assert len(by_domain) == 1
    assert set(by_address) == {0, 1} and min(by_address.values()) > 70, by_address
    assert shard_of("R1@One.Example", 2, by_domain=False) == shard_of("r1@one.example", 2, by_domain=False)


def test_a_pause_a_block_and_a_stop_reach_the_other_sending_processes(tmp_path):
    """Processes sharing a domain share what it said: one that is asked to slow down, or
    refused, or stopped, tells the others through the journal (each a Guard on its own
    connection to it, as each sending process has)."""
    import asyncio

    from publipost.mailer.smtp import Guard, Outgoing

    limits = Limits(retry_delays=(60.0,))
    one, other = Journal(tmp_path / "journal.sqlite"), Journal(tmp_path / "journal.sqlite")
    stopped = asyncio.Event()
    first, second = Guard(limits, one, asyncio.Event()), Guard(limits, other, stopped)

    def job(address: str) -> Outgoing:
        return Outgoing("1", "shop@example.com", address, lambda: b"")

    until = first.pause(job("a@slow.example"), "RCPT 451 4.7.1 slow down")
    assert second.waiting(job("b@slow.example")) == (until, "RCPT 451 4.7.1 slow down")
    assert second.waiting(job("c@fast.example")) is None
    refused = "RCPT 550 5.7.1 domain blocked"
    first.judge(job("d@shut.example"), "RCPT", refused, 550, "5.7.1 domain blocked")
    first.stop("the relay refused at MAIL: 530 5.7.0 authentication required")
    assert not stopped.is_set()
    second.read_shared()
    assert "shut.example" in second.blocked and stopped.is_set()
    assert second.stopped == "the relay refused at MAIL: 530 5.7.0 authentication required"


def test_per_domain_limit(tmp_path):
    addresses = [f"a{i}@one.example" for i in range(6)] + [f"b{i}@two.example" for i in range(6)]
    prepared = _campaign(tmp_path, addresses)
    watcher = _Watcher()
    with SmtpServer(watcher) as server:
        send_campaign(
            prepared,
            tmp_path / "out",
            relay=parse_relay(server.url),
            processes=1,
            limits=Limits(concurrency=6, per_domain=2, backoff=0.01, timeout=5),
        )
    assert len(watcher.arrivals) == 12
    # never more than 2 at once per domain, and the limit was reached (6 connections were free)
    assert watcher.most == Counter({"one.example": 2, "two.example": 2})


def test_rate_limit_spaces_messages_on_a_virtual_clock():
    """The limiter's schedule, read on a clock of its own: no timing bound on a loaded machine."""
    import asyncio

    from publipost.mailer.smtp import RateLimit

    now = [100.0]
    starts: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def send(limiter) -> None:
        await limiter.wait()
        starts.append(now[0])

    async def blast() -> None:
        limiter = RateLimit(40, clock=lambda: now[0], sleep=sleep)
        await asyncio.gather(*(send(limiter) for _ in range(12)))

    asyncio.run(blast())
    assert [round(b - a, 6) for a, b in pairwise(starts)] == [0.025] * 11  # 40 a second, all together


USER_TEMPLATE = """\
<mjml>
  <mj-head><mj-title>{{ subject }}</mj-title></mj-head>
  <mj-body>
    <mj-section background-color="{{ 'gold' if segment == 'vip' else '#ffffff' }}">
      <mj-column>
        <mj-image src="https://planora.example/img/{{ segment }}.png" alt="" width="200px" />
        <mj-text>Hello {{ first_name }}, {{ hook }}</mj-text>
        <mj-text>{{ body }}{{ ps }}</mj-text>
        <mj-button href="https://planora.example/order?r={{ id }}">Order</mj-button>
        <mj-text>{{ footer }}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""


def _user_template(tmp_path, template):
    (tmp_path / "mine.mjml").write_text(template)
    campaign = CAMPAIGN.replace("email:\n", "email:\n  template: mine.mjml\n")
    rows = "id,First Name,Last Name,Email,Segment\n1,<b>Ann</b>,Smith,a@example.com,vip\n"
    rows += "2,Bob,Lee,b@example.com,std\n"
    (tmp_path / "customers.csv").write_text(rows)
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    return tmp_path / "campaign.yaml"


def test_users_mjml_template_compiled_once_with_fields_in_text_links_colours_and_images(
    tmp_path, run, monkeypatch
):
    import mjml

    compiled = []
    original = mjml.mjml2html
    monkeypatch.setattr(mjml, "mjml2html", lambda *a, **k: compiled.append(1) or original(*a, **k))
    path = _user_template(tmp_path, USER_TEMPLATE)
    assert run("render", path, "--format", "eml", "--out", tmp_path / "out").code == 0
    assert len(compiled) == 1  # one compilation for the run (preflight included), not one per recipient
    from email import message_from_bytes, policy

    first, second = (
        message_from_bytes((tmp_path / "out" / "emails" / f"{i}.eml").read_bytes(), policy=policy.default)
        for i in (1, 2)
    )
    html = [list(m.iter_parts())[1].get_content() for m in (first, second)]
    assert "Hello &lt;b&gt;Ann&lt;/b&gt;," in html[0] and "Hello Bob," in html[1]
    assert "gold" in html[0] and "gold" not in html[1]
    assert "img/vip.png" in html[0] and "img/std.png" in html[1]
    assert 'href="https://planora.example/order?r=2"' in html[1]


def _png(path, size=(300, 100), colour=(20, 40, 160)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path.read_bytes()


def test_local_images_travel_in_the_message_as_multipart_related(tmp_path, run):
    """The signature and the template's local images are carried (cid:), remote ones stay links."""
    logo = _png(tmp_path / "img" / "logo.png", (120, 40))
    signature = _png(tmp_path / "signature.png", (600, 100), (0, 0, 0))
    template = USER_TEMPLATE.replace(
        "<mj-column>", '<mj-column>\n        <mj-image src="img/logo.png" alt="Planora" width="120px" />'
    ).replace("{{ body }}{{ ps }}", "{{ body }}{{ signature }}{{ ps }}")
    path = _user_template(tmp_path, template)
    path.write_text(path.read_text().replace("  email: dana@", "  signature: signature.png\n  email: dana@"))
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        assert run("send", path, "--out", tmp_path / "out", "--smtp", server.url).code == 0
    assert len(handler.delivered) == 2
    for message in handler.delivered:
        text, related = message.iter_parts()
        assert (text.get_content_type(), related.get_content_type()) == ("text/plain", "multipart/related")
        assert related.get_param("type") == "text/html"
        html, *images = related.iter_parts()
        carried = {image["Content-ID"].strip("<>"): image.get_content() for image in images}
        assert sorted(carried.values()) == sorted([logo, signature])  # each file once
        sources = re.findall(r'src="cid:([^"]+)"', html.get_content())
        assert sorted(sources) == sorted(carried)  # every cid: resolves, every image is shown
        assert all(cid.endswith("@planora.example") for cid in carried)
        assert 'width="180" height="30"' in html.get_content()  # the signature scaled into its box
        assert "https://planora.example/img/" in html.get_content()  # remote images left as links
        assert all(i.get_content_disposition() == "inline" for i in images)
    raw = handler.raw[0]
    long_lines = [line for line in raw.split(b"\r\n") if len(line) > 78]
    assert all(line.startswith((b"List-Unsubscribe: <", b" <mailto:")) for line in long_lines), long_lines


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("img/missing.png", "image not found"),
        ("img/logo.svg", "mail apps show PNG, JPEG and GIF"),
        ("img/broken.png", "cannot be read"),
        ("img/bomb.png", "could be decompression bomb"),  # 196 megapixels in 24 KB
    ],
)
def test_a_bad_local_image_is_an_error_before_anything(tmp_path, run, source, message):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "logo.svg").write_text("<svg/>")
    (tmp_path / "img" / "broken.png").write_text("not a png")
    if source.endswith("bomb.png"):
        from PIL import Image

        Image.new("1", (14000, 14000)).save(tmp_path / source)
    template = USER_TEMPLATE.replace(
        "<mj-column>", f'<mj-column>\n        <mj-image src="{source}" alt="" />'
    )
    path = _user_template(tmp_path, template)
    result = run("send", path, "--out", tmp_path / "out")
    assert result.code == 2 and message in result.err
    assert f"{tmp_path / 'mine.mjml'}:6:" in result.err  # the line that names the image
    assert not (tmp_path / "out" / "maildir").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('width="200px"', 'width="{{ size }}px"'), "changes the layout"),
        (("<mj-column>", "{% for x in [1, 2] %}<mj-column>"), "block around MJML elements"),
        (("Hello {{ first_name }}", "Hello {{ prenom }}"), "the e-mail template uses 'prenom'"),
    ],
)
def test_users_template_errors_exit_2_before_anything(tmp_path, run, change, message):
    template = USER_TEMPLATE.replace(*change)
    if "{% for" in template:
        template = template.replace("</mj-column>", "</mj-column>{% endfor %}")
    path = _user_template(tmp_path, template)
    result = run("send", path, "--out", tmp_path / "out")
    assert result.code == 2 and message in result.err and f"{tmp_path / 'mine.mjml'}:" in result.err
    assert not (tmp_path / "out" / "maildir").exists()


def test_a_recipient_whose_message_cannot_be_rendered_fails_alone(tmp_path, run):
    campaign = CAMPAIGN.replace(
        "You start any week you like, {{ first_name }}.",
        "You start any week you like, for {{ budget | money }}.",
    )
    (tmp_path / "customers.csv").write_text(
        "id,First Name,Last Name,Email,Budget\n1,Ann,Smith,a@example.com,30\n"
        "2,Bob,Lee,b@example.com,beaucoup\n3,Cy,Ray,c@example.com,45.5\n"
    )
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out")
    assert result.code == 1
    assert "sent             2" in result.out and "failed           1" in result.out
    failures = (tmp_path / "out" / "send-failures.csv").read_text()
    assert "b@example.com,failed,not rendered: email.body: 'beaucoup' is not an amount" in failures
    assert len(list(mailbox.Maildir(tmp_path / "out" / "maildir", create=False))) == 2


def test_a_recipient_the_users_template_cannot_render_fails_alone(tmp_path, run):
    """An error in the template's arithmetic on one row's data is that row's, and a customer
    column named like a part (language) neither breaks the run nor replaces the part."""
    template = USER_TEMPLATE.replace(
        "Hello {{ first_name }},", "Hello {{ first_name }}, {{ 60 // (visits | int) }} min,"
    ).replace("<mjml>", '<mjml lang="{{ language }}">')
    path = _user_template(tmp_path, template)
    (tmp_path / "customers.csv").write_text(
        "id,First Name,Last Name,Email,Segment,Visits,Language\n"
        "1,Ann,Smith,a@example.com,vip,3,de\n2,Bob,Lee,b@example.com,std,0,de\n"
    )
    result = run("send", path, "--out", tmp_path / "out")
    assert result.code == 1 and "sent             1" in result.out and "failed           1" in result.out
    failures = (tmp_path / "out" / "send-failures.csv").read_text()
    assert (
        "b@example.com,failed,not rendered: e-mail template: integer division or modulo by zero" in failures
    )
    (message,) = (m for m in mailbox.Maildir(tmp_path / "out" / "maildir", create=False))
    html = message_from_bytes(message.as_bytes(), policy=policy.default).get_body(("html",)).get_content()
    assert "Hello Ann, 20 min," in html and 'lang="en"' in html


def test_an_unreachable_relay_is_an_error_at_once_and_nobody_is_marked(tmp_path, run, monkeypatch):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    _campaign(tmp_path, ["a@example.com", "b@example.com"])
    result = run(
        "send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", f"smtp://127.0.0.1:{port}"
    )
    assert result.code == 2 and f"cannot connect to smtp://127.0.0.1:{port}" in result.err
    journal = Journal(tmp_path / "out" / "send-journal.sqlite")
    assert journal.counts()["pending"] == 2 and journal.counts()["deferred"] == 0  # a later run resumes
    journal.close()


def test_a_refused_login_names_the_password_variable(tmp_path, run, monkeypatch):
    from aiosmtpd.smtp import AuthResult

    monkeypatch.setenv("PUBLIPOST_SMTP_PASSWORD", "wrong")
    _campaign(tmp_path, ["a@example.com"])
    tried = []
    refusing = SmtpServer(
        FaultyHandler(),
        auth_require_tls=False,
        authenticator=lambda *args: tried.append(args) or AuthResult(success=False, handled=False),
    )
    with refusing as server:
        url = server.url.replace("smtp://", "smtp://dana@")
        clear = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", url)
        assert clear.code == 2 and "does not offer STARTTLS: the password would cross" in clear.err
        assert not tried  # the password never left: no AUTH without TLS
        result = run(
            "send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", url, "--allow-plain-auth"
        )
    assert (
        result.code == 2
        and "refused the login: 535" in result.err
        and "PUBLIPOST_SMTP_PASSWORD" in result.err
    )
    assert "wrong" not in result.err + result.out + clear.err + clear.out  # the password is never printed


def test_ed25519_dkim_keys_sign_and_other_keys_are_refused(tmp_path, run):
    """Ed25519 (RFC 8463) signs a message that verifies; a key DKIM cannot use (here an EC P-256
    key) is an error naming what to use, not a traceback."""
    import base64
    import warnings

    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    def pem(key):
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "dkim.pem").write_bytes(pem(key))
    campaign = CAMPAIGN + "  dkim:\n    selector: ed2026\n    key_file: dkim.pem\n"
    prepared = _campaign(tmp_path, ["ann@example.com"], campaign)
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        send_campaign(prepared, tmp_path / "out", relay=parse_relay(server.url), limits=FAST)
    (raw,) = handler.raw
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    record = b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public)
    assert b"a=ed25519-sha256" in raw.split(b"\r\n\r\n")[0].replace(b"\r\n ", b"")
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record)

    (tmp_path / "dkim.pem").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    with warnings.catch_warnings():  # nothing but the message: cryptography 51 warns of DSA as it is named
        warnings.simplefilter("error")
        result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out2")
    assert result.code == 2 and "the DKIM key is an ECDSA key: DKIM signs with RSA" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_dkim_keygen_and_the_record_it_prints_verify_a_real_send(tmp_path, run, kind):
    """Issue 27, 5: a sender makes a key and publishes its record; a message publipost signs
    with the key verifies against exactly that record (dkimpy, the record as the DNS answer)."""
    import os
    import re

    import dkim

    made = run(
        "dkim",
        "keygen",
        "--domain",
        "planora.example",
        "--selector",
        "s2027",
        "--type",
        kind,
        "--out",
        tmp_path / "dkim.pem",
    )
    assert made.code == 0, made.err
    assert oct(os.stat(tmp_path / "dkim.pem").st_mode & 0o777) == "0o600"
    assert "PRIVATE KEY" not in made.out  # the key itself is never printed
    name, value = re.search(r'^(\S+)\. IN TXT "([^"]+)"$', made.out, re.MULTILINE).groups()
    assert name == "s2027._domainkey.planora.example" and value.startswith(f"v=DKIM1; k={kind}; p=")
    again = run("dkim", "dns", tmp_path / "dkim.pem", "--domain", "planora.example", "--selector", "s2027")
    assert value in again.out
    assert (
        run("dkim", "keygen", "--domain", "d.example", "--selector", "s", "--out", tmp_path / "dkim.pem").code
        == 2
    )

    _, _, raw, dns = _signed_send(tmp_path, "s2027", value.encode())
    assert dkim.verify(raw, dnsfunc=dns)


def test_a_sending_process_tells_its_outcomes_in_batches():
    """One write per tenth of a second, not per message: the parent hears every outcome, late."""
    import asyncio

    from publipost.channels.sending import _Told

    written: list[bytes] = []

    async def main() -> None:
        told = _Told(written.append)
        for _ in range(1000):
            told("sent", 1)
        told("failed", 2)
        assert written == []  # nothing yet: the first write waits for its tenth of a second
        await asyncio.sleep(told.EVERY * 1.5)
        told("deferred", 1)
        told.flush()

    asyncio.run(main())
    assert written == [b"s" * 1000 + b"ff", b"d"]
