"""The unsubscribe endpoint on a real uvicorn, hit with the tokens of delivered messages; the
mailto unsubscribes and the bounces read from mailboxes; and the whole loop: send, unsubscribe,
bounce, then the next campaign to the same customers leaves both out, saying why."""

from __future__ import annotations

import csv
import io
import mailbox
import re
import shutil
import socket
import threading
import time
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn

from publipost.store.db import Store
from publipost.store.keys import email_key
from tests import bouncekit
from tests.conftest import EXAMPLES

SECRET = "unsubscribe-test-key-" * 2


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", SECRET)


@pytest.fixture
def couette(tmp_path):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


class Endpoint:
    """`publipost unsubscribe serve`'s app on a real uvicorn, on a free loopback port."""

    def __init__(self, location: str, spool=None, **options):
        import tempfile
        from pathlib import Path

        from publipost.unsubscribe.app import create_app

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # a spool of its own, removed with the server, unless the test keeps one across servers
        self._folder = tempfile.TemporaryDirectory(prefix="publipost-spool-")
        self.spool = spool or Path(self._folder.name) / "spool.jsonl"
        self.app = create_app(SECRET.encode(), location, self.spool, **options)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Endpoint:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the endpoint did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self._folder.cleanup()

    def url(self, link: str) -> str:
        """The message's link, pointed at this server (the reverse proxy's job in production)."""
        parts = urlsplit(link)
        return f"http://127.0.0.1:{self.port}{parts.path}?{parts.query}"


def _messages(folder):
    return [message_from_bytes(m.as_bytes(), policy=policy.default) for m in mailbox.Maildir(folder)]


def _link(message) -> str:
    return re.search(r"<(https://[^>]+)>", message["List-Unsubscribe"]).group(1)


def _address(message) -> str:
    return message["To"].addresses[0].addr_spec.lower()


def test_one_click_page_forged_test_and_replayed_tokens(couette, run, own_store):
    assert run("send", couette).code == 0
    sent = _messages(couette.parent / "out" / "maildir")
    first, second, third = sent[:3]
    assert (
        run("send", couette, "--test-to", "qa@literie-martin.example", "--out", couette.parent / "t").code
        == 0
    )
    seed = _messages(couette.parent / "t" / "maildir")[0]
    with Endpoint(str(own_store)) as endpoint, httpx.Client(timeout=10) as client:
        # RFC 8058: the mail client's one-click POST unsubscribes at once
        one_click = client.post(endpoint.url(_link(first)), data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200 and one_click.text == "unsubscribed"
        again = client.post(endpoint.url(_link(first)), data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200  # a replay is harmless
        # a GET (what scanners and prefetchers do) never unsubscribes: it asks, in French here
        page = client.get(endpoint.url(_link(second)))
        assert page.status_code == 200 and 'lang="fr"' in page.text and "Me désinscrire" in page.text
        assert '<form method="post">' in page.text
        with Store(str(own_store)) as store:
            assert set(store.find([email_key(_address(second))], "email")) == set()
        confirmed = client.post(endpoint.url(_link(second)), data={"confirm": "yes"})
        assert confirmed.status_code == 200 and "Vous êtes désinscrit" in confirmed.text
        assert "déjà désinscrit" in client.post(endpoint.url(_link(second)), data={"confirm": "yes"}).text
        assert "déjà désinscrit" in client.get(endpoint.url(_link(second))).text
        # forged: the second recipient's token on the third's address
        query = parse_qs(urlsplit(_link(third)).query)
        token = parse_qs(urlsplit(_link(second)).query)["t"][0]
        forged = endpoint.url(_link(third)).replace(f"t={query['t'][0]}", f"t={token}")
        refused = client.post(forged, data={"List-Unsubscribe": "One-Click"})
        assert refused.status_code == 400 and refused.text == "invalid"
        assert client.get(forged).status_code == 400
        # a test message's link: inert
        inert = client.post(endpoint.url(_link(seed)), data={"List-Unsubscribe": "One-Click"})
        assert inert.status_code == 400 and inert.text == "test"
        assert "e-mail de test" in client.get(endpoint.url(_link(seed))).text
        # malformed, oversized, or a POST without the one-click body
        bad = client.post(
            f"http://127.0.0.1:{endpoint.port}/desabonnement?c=X&a=1&t=2",
            data={"List-Unsubscribe": "One-Click"},
        )
        assert bad.status_code == 400
        assert client.post(endpoint.url(_link(third)), content=b"x" * 20_000).status_code == 413
        assert client.post(endpoint.url(_link(third)), data={"other": "1"}).status_code == 400
    with Store(str(own_store)) as store:
        entries = list(store.entries())
    assert sorted(e.key for e in entries) == sorted(email_key(_address(m)) for m in (first, second))
    assert all(e.reason == "unsubscribed" and e.source.startswith("COUDOU") for e in entries)
    assert {e.source.split(", ")[1] for e in entries} == {"one-click", "unsubscribe page"}


def test_the_serve_command_refuses_a_missing_key(run, monkeypatch):
    monkeypatch.delenv("PUBLIPOST_UNSUBSCRIBE_SECRET")
    refused = run("unsubscribe", "serve", "--port", "9")
    assert refused.code == 2 and "PUBLIPOST_UNSUBSCRIBE_SECRET must hold the key" in refused.err


def test_mailto_unsubscribes_are_read_from_a_mailbox(couette, run, own_store, tmp_path):
    assert run("send", couette).code == 0
    sent = _messages(couette.parent / "out" / "maildir")
    requests = []
    for n, message in enumerate(sent[:2]):
        mailto = re.search(r"<mailto:([^>]+)>", message["List-Unsubscribe"]).group(1)
        subject = parse_qs(urlsplit("mailto://x/?" + mailto.split("?", 1)[1]).query)["subject"][0]
        requests.append(
            f"From: {_address(message)}\nTo: desabonnement@literie-martin.example\n"
            f"Subject: {subject}\nMessage-ID: <u{n}@client.example>\n\n"
        )
    forged = requests[0].replace(requests[0].split("Subject: ")[1].split()[3], "0" * 32)
    box = bouncekit.maildir(tmp_path / "unsubscribes", [*requests, forged, bouncekit.not_a_report()])
    result = run("unsubscribe", "import", box)
    assert result.code == 0, result.err
    assert (
        "2 unsubscribed, 0 already, 1 with an invalid or test token, 1 other messages skipped" in result.out
    )
    again = run("unsubscribe", "import", box).out  # each message read once: nothing new to read
    assert "0 unsubscribed, 0 already, 0 with an invalid or test token, 0 other messages skipped" in again


def _mid(n: int, address: str) -> str:
    return bouncekit.signed_id("PLAN27", f"R{n}", address)


def test_bounces_and_complaints_from_a_mailbox(run, own_store, tmp_path):
    messages = [
        bouncekit.postfix_dsn("ann@example.org", _mid(1, "ann@example.org")),
        bouncekit.gmail_dsn("bob@gmail.example", _mid(2, "bob@gmail.example")),
        bouncekit.microsoft_dsn("carl@outlook.example", _mid(3, "carl@outlook.example")),
        bouncekit.exim_bounce("dan@example.net", _mid(4, "dan@example.net")),
        bouncekit.arf_complaint("eve@yahoo.example", _mid(5, "eve@yahoo.example")),
        bouncekit.postfix_dsn("fay@example.org", _mid(6, "fay@example.org"), status="4.2.2", n=2),
        bouncekit.postfix_dsn("fay@example.org", _mid(6, "fay@example.org"), status="4.2.2", n=3),
        bouncekit.not_a_report(),
    ]
    box = bouncekit.maildir(tmp_path / "bounces", messages)
    result = run("bounces", "import", box, "--soft-limit", "3")
    assert result.code == 0, result.err
    assert "1 complaints, 4 hard bounces, 2 soft bounces; 1 other messages skipped" in result.out
    assert "suppressed now: 1 by complaint, 4 by hard bounce" in result.out
    assert "soft bounces counted, under the limit of 3: 2" in result.out
    with Store(str(own_store)) as store:
        found = store.find(
            [email_key(a) for a in ("ann@example.org", "eve@yahoo.example", "fay@example.org")], "email"
        )
    assert found[email_key("ann@example.org")].source.startswith("PLAN27 R1, bounces")
    assert found[email_key("eve@yahoo.example")].reason == "complaint"
    assert email_key("fay@example.org") not in found  # two soft bounces: counted, not yet suppressed
    again = run("bounces", "import", box, "--soft-limit", "3")
    assert "no reports; 0 other messages skipped" in again.out  # each message read once
    with Store(str(own_store)) as store:  # and were it read again, each report counts once
        store.db.execute("DELETE FROM seen_messages")
    again = run("bounces", "import", box, "--soft-limit", "3")
    assert "already suppressed: 5" in again.out and "suppressed now: none" in again.out
    mbox = tmp_path / "more.mbox"
    box = mailbox.mbox(mbox)
    box.add(
        bouncekit.postfix_dsn("fay@example.org", _mid(6, "fay@example.org"), status="4.2.2", n=4).encode()
    )
    box.close()
    third = run("bounces", "import", mbox, "--soft-limit", "3")
    assert "suppressed now: 1 by soft bounces" in third.out
    assert run("bounces", "import", tmp_path / "nothing").code == 2
    (tmp_path / "plain.txt").write_text("not a mailbox")
    assert "not an mbox" in run("bounces", "import", tmp_path / "plain.txt").err


def test_5xx_refusals_during_a_send_enter_the_store(tmp_path, run, own_store):
    from tests.smtpkit import FaultyHandler, SmtpServer
    from tests.test_send import _campaign

    _campaign(tmp_path, ["ann@example.com", "perm@example.com", "policy@example.com"])
    with SmtpServer(FaultyHandler()) as server:
        result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", server.url)
    assert "1 addresses refused for good (5.1.x) are now in the suppression store" in result.out
    with Store(str(own_store)) as store:
        found = store.find([email_key(a) for a in ("perm@example.com", "policy@example.com")], "email")
    assert list(found) == [email_key("perm@example.com")]  # a policy refusal (5.7.1) suppresses no one
    assert found[email_key("perm@example.com")].reason == "hard bounce"
    assert "550 5.1.1" in found[email_key("perm@example.com")].source


def test_the_whole_loop_send_unsubscribe_bounce_then_the_next_campaign(couette, run, own_store, tmp_path):
    assert run("send", couette).code == 0
    sent = _messages(couette.parent / "out" / "maildir")
    leaving, bouncing = sent[0], sent[1]
    with Endpoint(str(own_store)) as endpoint, httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url(_link(leaving)), data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200
    dsn = bouncekit.postfix_dsn(_address(bouncing), bouncing["Message-ID"])
    assert run("bounces", "import", bouncekit.maildir(tmp_path / "bounces", [dsn])).code == 0
    # the next campaign, to the same customer file: another name, another code
    nxt = couette.read_text(encoding="utf-8").replace("offre d'hiver 2026", "soldes de janvier 2027")
    couette.write_text(nxt.replace("  envelope: dl\n", ""), encoding="utf-8")
    result = run("validate", couette, "--out", couette.parent / "next")
    assert result.code == 0, result.err
    text = (couette.parent / "next" / "rejects.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    said = {r["E-mail"].lower(): r for r in rows if "suppressed (store)" in r["reason"]}
    assert "unsubscribed on 20" in said[_address(leaving)]["reason"]
    assert "hard bounce on 20" in said[_address(bouncing)]["reason"]
    assert "COUDOU" in said[_address(leaving)]["reason"]  # the campaign it came from


def test_an_unsubscribe_between_two_runs_of_a_send_is_honoured(tmp_path, run):
    from tests.test_send import _campaign

    addresses = ["ann@example.com", "bob@example.com", "cy@example.com"]
    _campaign(tmp_path, addresses)
    out = tmp_path / "out"
    assert run("send", tmp_path / "campaign.yaml", "--out", out, "--limit", "1").code == 0
    assert run("suppress", "add", "BOB@example.com", "--reason", "unsubscribed").code == 0
    resumed = run("send", tmp_path / "campaign.yaml", "--out", out)
    assert resumed.code == 0, resumed.err
    delivered = [_address(m) for m in _messages(out / "maildir")]
    assert sorted(delivered) == ["ann@example.com", "cy@example.com"]  # bob, pending, was withdrawn


def test_bounces_from_an_imap_folder_over_tls(run, own_store, tmp_path, monkeypatch):
    from tests.imapkit import ImapServer

    messages = [
        bouncekit.postfix_dsn("ann@example.org", _mid(1, "ann@example.org")).encode(),
        bouncekit.arf_complaint("eve@yahoo.example", _mid(5, "eve@yahoo.example")).encode(),
        bouncekit.not_a_report().encode(),
    ]
    with ImapServer(tmp_path, messages) as server:
        url = f"imaps://bounces@127.0.0.1:{server.port}/INBOX"
        monkeypatch.delenv("PUBLIPOST_IMAP_PASSWORD", raising=False)
        missing = run("bounces", "import", url)
        assert missing.code == 2 and "the password in PUBLIPOST_IMAP_PASSWORD" in missing.err
        monkeypatch.setenv("PUBLIPOST_IMAP_PASSWORD", "s3cret")
        untrusted = run("bounces", "import", url)  # a self-signed certificate is not trusted by default
        assert untrusted.code == 2 and "cannot connect to imaps://bounces@127.0.0.1" in untrusted.err
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        result = run("bounces", "import", url)
        assert result.code == 0, result.err
        assert "1 complaints, 1 hard bounces; 1 other messages skipped" in result.out
        assert "suppressed now: 1 by complaint, 1 by hard bounce" in result.out
        monkeypatch.setenv("PUBLIPOST_IMAP_PASSWORD", "wrong")
        refused = run("bounces", "import", url)
        assert refused.code == 2 and "refused the login" in refused.err and "wrong" not in refused.err
        monkeypatch.setenv("PUBLIPOST_IMAP_PASSWORD", "s3cret")
        assert "no such folder" in run("bounces", "import", url.replace("INBOX", "Spam")).err
        with_password = run("bounces", "import", f"imaps://bounces:s3cret@127.0.0.1:{server.port}/INBOX")
        assert with_password.code == 2 and "s3cret" not in with_password.err
    assert server.writes == []  # read-only: nothing flagged, moved or deleted
    with Store(str(own_store)) as store:
        assert email_key("ann@example.org") in store.find([email_key("ann@example.org")], "email")
