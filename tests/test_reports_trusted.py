"""Bounce and complaint mailboxes are open to anyone: what a report must prove before it
suppresses somebody (issue 25, 1 and 3). Real Maildir, mbox and IMAP-over-TLS mailboxes written
by the test, read by `publipost bounces import` and `publipost unsubscribe import`; the store
read back."""

from __future__ import annotations

import mailbox
import re
import shutil
from email import message_from_bytes, policy

import pytest

from publipost.store.db import Store
from publipost.store.keys import email_key
from tests import bouncekit
from tests.bouncekit import SECRET, signed_id
from tests.conftest import EXAMPLES


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", SECRET)


def _suppressed(store_path, addresses):
    with Store(str(store_path)) as store:
        return store.find([email_key(a) for a in addresses], "email")


def _reviews(store_path):
    with Store(str(store_path)) as store:
        return store.reviews()


def test_a_forged_dsn_naming_a_hundred_addresses_suppresses_nobody(run, own_store, tmp_path):
    victims = [f"customer{n}@example.com" for n in range(100)]
    unsigned = bouncekit.dsn_naming(victims, "<PLAN27.R1.0123456789abcdef@planora.example>")
    signed_for_one = bouncekit.dsn_naming(victims, signed_id("PLAN27", "R1", victims[0]))
    box = bouncekit.maildir(tmp_path / "bounces", [unsigned, signed_for_one])
    result = run("bounces", "import", box)
    assert result.code == 0, result.err
    assert "2 hard bounces" in result.out and "suppressed now: none" in result.out
    assert "200 addresses set aside, suppressing nobody" in result.out
    assert _suppressed(own_store, victims) == {}
    reasons = {r.reason for r in _reviews(own_store)}
    assert reasons == {"a report naming 100 recipients (at most 5 are acted on)"}
    listed = run("bounces", "review")
    assert "200 set aside for review" in listed.out and "c***@example.com" in listed.out
    assert "customer0@example.com" not in listed.out  # the list shows no address whole


def test_a_forged_arf_naming_a_hundred_addresses_suppresses_nobody(run, own_store, tmp_path):
    victims = [f"customer{n}@example.com" for n in range(100)]
    box = bouncekit.maildir(
        tmp_path / "fbl", [bouncekit.arf_naming(victims, signed_id("PLAN27", "R1", victims[0]))]
    )
    result = run("bounces", "import", box)
    assert "1 complaints" in result.out and "suppressed now: none" in result.out
    assert _suppressed(own_store, victims) == {}
    assert {r.reason for r in _reviews(own_store)} == {
        "a complaint naming 100 recipients (a feedback report names one)"
    }


def test_a_real_message_id_cannot_suppress_another_address(run, own_store, tmp_path):
    """The DSN quotes a Message-ID publipost really sent (to ann), but names the CEO."""
    real = signed_id("PLAN27", "R1", "ann@example.org")
    box = bouncekit.maildir(tmp_path / "bounces", [bouncekit.postfix_dsn("ceo@example.com", real)])
    result = run("bounces", "import", box)
    assert "suppressed now: none" in result.out and "1 addresses set aside" in result.out
    assert _suppressed(own_store, ["ceo@example.com", "ann@example.org"]) == {}
    (review,) = _reviews(own_store)
    assert review.reason.startswith("the message it quotes was not sent to this address")
    assert review.key == email_key("ceo@example.com") and review.kind == "hard bounce"


def test_a_message_id_signed_with_another_key_proves_nothing(run, own_store, tmp_path):
    other = signed_id("PLAN27", "R1", "ann@example.org", secret="another-key-of-32-bytes-at-least!!")
    box = bouncekit.maildir(tmp_path / "bounces", [bouncekit.postfix_dsn("ann@example.org", other)])
    assert "suppressed now: none" in run("bounces", "import", box).out
    assert _suppressed(own_store, ["ann@example.org"]) == {}


def test_bounces_of_a_real_send_act_and_nothing_else(run, own_store, tmp_path):
    """The whole way: publipost sends (capture server), the DSN quotes the headers it received."""
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    assert run("send", folder / "campaign.yaml").code == 0
    sent = [
        message_from_bytes(m.as_bytes(), policy=policy.default)
        for m in mailbox.Maildir(folder / "out" / "maildir")
    ]
    first, second = sent[0], sent[1]
    address = first["To"].addresses[0].addr_spec.lower()
    other = second["To"].addresses[0].addr_spec.lower()
    assert re.fullmatch(
        r"<COUDOU\w*\.[\w.-]+\.[0-9a-f]{32}@literie-martin\.example>", first["Message-ID"].strip()
    )
    reports = [
        bouncekit.postfix_dsn(address, first["Message-ID"]),  # proven: acts
        bouncekit.arf_complaint(address, second["Message-ID"]),  # the message went to another: review
    ]
    result = run("bounces", "import", bouncekit.maildir(tmp_path / "bounces", reports))
    assert "suppressed now: 1 by hard bounce" in result.out
    found = _suppressed(own_store, [address, other])
    assert list(found) == [email_key(address)] and found[email_key(address)].reason == "hard bounce"


def test_a_test_sends_bounce_suppresses_no_seed(run, own_store, tmp_path):
    tagged = signed_id("PLAN27", "R1.test", "seed@example.com")
    box = bouncekit.maildir(tmp_path / "bounces", [bouncekit.postfix_dsn("seed@example.com", tagged)])
    assert "suppressed now: none" in run("bounces", "import", box).out
    assert "a test send of PLAN27" in _reviews(own_store)[0].reason


def test_bounces_import_needs_the_key(run, monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIPOST_UNSUBSCRIBE_SECRET")
    box = bouncekit.maildir(tmp_path / "bounces", [bouncekit.not_a_report()])
    result = run("bounces", "import", box)
    assert result.code == 2 and "PUBLIPOST_UNSUBSCRIBE_SECRET" in result.err


def test_poison_messages_are_set_aside_and_the_rest_is_read(run, own_store, tmp_path):
    """A 2,000-deep multipart, a Message-ID the parser chokes on and a message of 150,000 parts
    stand before and between real reports: every real one acts, each poison one is listed."""
    good = [
        bouncekit.postfix_dsn(a, signed_id("PLAN27", f"R{n}", a), n=n)
        for n, a in enumerate(["ann@example.org", "bob@example.org"])
    ]
    many_parts = "From: x@attacker.example\nMIME-Version: 1.0\n" + "Content-Type: text/plain\n" * 150_000
    box = bouncekit.maildir(
        tmp_path / "bounces",
        [bouncekit.nested_multipart(2000), good[0], bouncekit.broken_message_id(), many_parts, good[1]],
    )
    result = run("bounces", "import", box)
    assert result.code == 0, result.err
    assert "suppressed now: 2 by hard bounce" in result.out
    assert "3 messages could not be read" in result.out
    assert "150,000 MIME parts, over the limit of 100" in result.out
    assert "cannot be read (IndexError)" in result.out or "cannot be read (HeaderParseError)" in result.out
    kinds = [r.kind for r in _reviews(own_store)]
    assert kinds.count("unreadable") == 3
    again = run("bounces", "import", box)  # every message remembered: nothing read twice
    assert "no reports; 0 other messages skipped" in again.out and "could not be read" not in again.out


def test_an_unsubscribe_import_keeps_what_came_before_a_poison_message(run, own_store, tmp_path):
    from publipost.mailer.message import unsubscribe_for

    key = email_key("ann@example.org")
    found = unsubscribe_for(None, "u@planora.example", "PLAN27", key, SECRET.encode())
    subject = found.mailto.split("subject=")[1].replace("%20", " ")
    request = (
        f"From: ann@example.org\nTo: u@planora.example\nSubject: {subject}\nMessage-ID: <u1@x.example>\n\n"
    )
    box = bouncekit.maildir(tmp_path / "unsub", [request, bouncekit.nested_multipart(2000)])
    result = run("unsubscribe", "import", box)
    assert result.code == 0, result.err
    assert "1 unsubscribed" in result.out and "1 messages could not be read" in result.out
    assert list(_suppressed(own_store, ["ann@example.org"])) == [key]


def test_an_mbox_is_remembered_by_each_messages_digest(run, own_store, tmp_path):
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(path)
    box.add(bouncekit.postfix_dsn("ann@example.org", signed_id("PLAN27", "R1", "ann@example.org")).encode())
    box.close()
    assert "1 hard bounces" in run("bounces", "import", path).out
    box = mailbox.mbox(path)
    box.add(
        bouncekit.postfix_dsn("bob@example.org", signed_id("PLAN27", "R2", "bob@example.org"), n=2).encode()
    )
    box.close()
    second = run("bounces", "import", path)
    assert (
        "1 hard bounces" in second.out
        and "suppressed now: 1 by hard bounce; already suppressed: 0" in second.out
    )


def test_imap_sizes_are_asked_first_and_a_huge_message_is_never_fetched(
    run, own_store, tmp_path, monkeypatch
):
    from tests.imapkit import ImapServer

    messages = [
        bouncekit.postfix_dsn("ann@example.org", signed_id("PLAN27", "R1", "ann@example.org")).encode(),
        b"From: x@attacker.example\r\nSubject: huge\r\n\r\nsmall body, 3 GB claimed\r\n",
    ]
    with ImapServer(tmp_path, messages, sizes={2: 3 * 1024**3}) as server:
        url = f"imaps://bounces@127.0.0.1:{server.port}/INBOX"
        monkeypatch.setenv("PUBLIPOST_IMAP_PASSWORD", "s3cret")
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        result = run("bounces", "import", url)
        assert result.code == 0, result.err
        assert "suppressed now: 1 by hard bounce" in result.out
        assert "3,221,225,472 bytes, over the limit of 10,485,760: not fetched" in result.out
        assert server.bodies_fetched == [1]
        again = run("bounces", "import", url)  # UIDs remembered: no message asked for again
        assert "no reports" in again.out and server.bodies_fetched == [1]
    assert server.writes == []
