"""A refusal is blamed on a recipient only when it is about that recipient's address (issue 25,
2): a relay that refuses our sender, denies relaying, or says a bare 550 to everyone, and a
domain that rejects the content, suppress nobody; a run with too many addresses refused stops
and asks. Real SMTP servers on 127.0.0.1 (aiosmtpd) scripted per stage; the store read back."""

from __future__ import annotations

import csv
import io

import pytest

from publipost.store.db import Store
from publipost.store.keys import email_key
from tests.smtpkit import ScriptedRelay, SmtpServer
from tests.test_send import _campaign

ADDRESSES = [f"r{n:02d}@example.com" for n in range(20)]


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", "relay-test-key-" * 3)


def _send(run, tmp_path, handler, *more):
    with SmtpServer(handler) as server:
        return run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", server.url, *more)


def _store_keys(own_store, addresses):
    with Store(str(own_store)) as store:
        return store.find([email_key(a) for a in addresses], "email")


def _statuses(tmp_path):
    text = (tmp_path / "out" / "send-failures.csv").read_text(encoding="utf-8-sig")
    return {row["address"]: (row["status"], row["reply"]) for row in csv.DictReader(io.StringIO(text))}


@pytest.mark.parametrize(
    ("handler", "said"),
    [
        (
            ScriptedRelay(mail="550 5.7.1 Sender address rejected: not owned by user"),
            "the relay refused at MAIL",
        ),
        (ScriptedRelay(rcpt=lambda a: "554 5.7.1 <x>: Relay access denied"), "the relay refused at RCPT"),
        (ScriptedRelay(rcpt=lambda a: "550 Relaying denied"), "the relay refused at RCPT"),
        (
            ScriptedRelay(rcpt=lambda a: "550 Requested action not taken"),
            "the relay refused the first 3 recipients and accepted none",
        ),
    ],
    ids=["mail-from", "relay-access-denied", "relaying-denied", "bare-550-to-everyone"],
)
def test_a_misconfigured_relay_stops_the_run_and_suppresses_nobody(run, own_store, tmp_path, handler, said):
    _campaign(tmp_path, ADDRESSES)
    result = _send(run, tmp_path, handler)
    assert result.code == 1
    assert f"stopped: {said}" in result.err and "nobody was suppressed" in result.err
    assert _store_keys(own_store, ADDRESSES) == {}
    assert sum(handler.queued.values()) == 0
    statuses = _statuses(tmp_path)
    assert all(status == "deferred" for status, _ in statuses.values()), statuses  # none failed for good
    assert "  failed           0" in result.out
    # Once the relay is fixed, the same command sends everyone, once.
    fixed = ScriptedRelay()
    again = _send(run, tmp_path, fixed)
    assert again.code == 0, again.err
    assert sorted(fixed.queued) == ADDRESSES and set(fixed.queued.values()) == {1}


def test_a_domain_that_rejects_the_content_is_left_alone_and_the_others_are_mailed(run, own_store, tmp_path):
    addresses = [
        "ann@gmail.example",
        "bob@gmail.example",
        "cy@gmail.example",
        "dan@example.org",
        "eve@example.net",
    ]
    _campaign(tmp_path, addresses)
    handler = ScriptedRelay(
        content=lambda a: "554 5.7.1 Message rejected: spam content" if a.endswith("gmail.example") else None
    )
    result = _send(run, tmp_path, handler, "--concurrency", "1")
    assert result.code == 1
    assert (
        "gmail.example refused the campaign (content 554 5.7.1 Message rejected: spam content)" in result.err
    )
    assert sorted(handler.queued) == ["dan@example.org", "eve@example.net"]
    assert sum(handler.rcpt_seen[a] for a in addresses[:3]) == 1  # one tried, the others not this run
    assert _store_keys(own_store, addresses) == {}
    statuses = _statuses(tmp_path)
    assert {statuses[a][0] for a in addresses[:3]} == {"deferred"}
    assert "not tried: its domain refused this run" in statuses["bob@gmail.example"][1]


def test_refusals_of_the_addresses_themselves_still_suppress(run, own_store, tmp_path):
    addresses = [*ADDRESSES[:10], "gone@example.com", "bare@example.com"]
    _campaign(tmp_path, addresses)
    refusals = {"gone@example.com": "550 5.1.1 No such user", "bare@example.com": "550 Mailbox unavailable"}
    result = _send(run, tmp_path, ScriptedRelay(rcpt=refusals.get), "--concurrency", "1")
    assert result.code == 1  # two failed
    assert "2 addresses refused for good (5.1.x) are now in the suppression store" in result.out
    found = _store_keys(own_store, addresses)
    assert set(found) == {email_key("gone@example.com"), email_key("bare@example.com")}
    assert "RCPT 550 5.1.1 No such user" in found[email_key("gone@example.com")].source


def test_a_run_past_its_bounce_rate_stops_and_asks(run, own_store, tmp_path):
    addresses = [f"{'dead' if n % 3 == 0 else 'live'}{n:02d}@example.com" for n in range(60)]
    _campaign(tmp_path, addresses)
    handler = ScriptedRelay(rcpt=lambda a: "550 5.1.1 No such user" if a.startswith("dead") else None)
    result = _send(run, tmp_path, handler, "--concurrency", "1")
    assert result.code == 1
    assert "over --max-bounce-rate 10%): nobody suppressed" in result.err
    assert _store_keys(own_store, addresses) == {}
    assert sum(handler.queued.values()) < 40  # stopped early, not at the end
    assert {s for s, _ in _statuses(tmp_path).values()} <= {"deferred"}
    # The marketer looked: the list is old. A higher limit goes on, and suppresses the dead ones.
    again = _send(run, tmp_path, handler, "--concurrency", "1", "--max-bounce-rate", "50%")
    assert again.code == 1 and "stopped" not in again.err
    dead = [a for a in addresses if a.startswith("dead")]
    assert set(_store_keys(own_store, addresses)) == {email_key(a) for a in dead}
    assert sum(handler.queued.values()) == 40 and set(handler.queued.values()) == {1}


def test_max_bounce_rate_is_checked_as_usage(run, tmp_path, capsys):
    _campaign(tmp_path, ADDRESSES[:2])
    for bad in ("0", "150%", "ten"):
        with pytest.raises(SystemExit) as exc:
            run("send", tmp_path / "campaign.yaml", "--max-bounce-rate", bad)
        assert exc.value.code == 2
        assert "argument --max-bounce-rate" in capsys.readouterr().err


def test_a_relay_refusal_stops_every_sending_process(own_store, tmp_path):
    """A large send runs in two processes; each meets the relay's refusal, stops, and says why
    through the journal: the run reports it once, nothing delivered, nobody suppressed."""
    from publipost.channels.sending import send_campaign
    from publipost.mailer.smtp import Limits, parse_relay

    addresses = [f"r{n}@{('one', 'two', 'three')[n % 3]}.example" for n in range(420)]
    prepared = _campaign(tmp_path, addresses)
    handler = ScriptedRelay(mail="550 5.7.1 Sender address rejected: not owned by user")
    with SmtpServer(handler) as server:
        report = send_campaign(
            prepared,
            tmp_path / "out",
            relay=parse_relay(server.url),
            processes=2,
            limits=Limits(concurrency=4),
        )
    assert report.stopped == [
        "the relay refused at MAIL: MAIL 550 5.7.1 Sender address rejected: not owned by user"
    ]
    assert sum(handler.queued.values()) == 0 and report.counts["failed"] == 0
    assert report.counts["sent"] == 0 and report.counts["deferred"] + report.counts["pending"] == 420
    assert _store_keys(own_store, addresses) == {}


@pytest.mark.parametrize(
    ("wanted", "sent_again"),
    [
        ("policy", {"pol@blocked.example"}),
        ("all", {"pol@blocked.example", "full@other.example"}),
    ],
)
def test_retry_failed_sends_the_failures_of_a_class_again_and_nobody_delivered(
    run, own_store, tmp_path, wanted, sent_again
):
    """Issue 27: `send --retry-failed --class policy|transient|all` sends failed recipients of that
    class again; a delivered recipient is never sent a second copy, and an address refused for good
    (5.1.x) stays failed (and suppressed). A blocking domain's recipients are deferred, and fail
    once --max-retry-time has passed: those are the policy failures."""
    import time

    addresses = [
        "ok1@example.com",
        "ok2@example.com",
        "pol@blocked.example",
        "full@other.example",
        "gone@example.net",
    ]
    _campaign(tmp_path, addresses)
    refusals = {
        "pol@blocked.example": "554 5.7.1 Message rejected: blocked by policy",
        "full@other.example": "552 5.2.2 Mailbox full",
        "gone@example.net": "550 5.1.1 No such user",
    }
    first = ScriptedRelay(content=refusals.get)
    assert _send(run, tmp_path, first, "--concurrency", "1").code == 1
    assert sorted(first.queued) == ["ok1@example.com", "ok2@example.com"]
    time.sleep(1.2)
    still = ScriptedRelay(content=refusals.get)  # the block holds; the deferral is given up on
    _send(run, tmp_path, still, "--max-retry-time", "1s")
    assert not still.queued and _statuses(tmp_path)["pol@blocked.example"][0] == "failed"
    fixed = ScriptedRelay()
    again = _send(run, tmp_path, fixed, "--retry-failed", "--class", wanted)
    assert f"retried    {len(sent_again)} failed recipients ({wanted}) to send again" in again.out, again.out
    assert set(fixed.queued) == sent_again and set(fixed.queued.values()) == {1}  # nobody delivered twice
    assert _statuses(tmp_path)["gone@example.net"][0] == "failed"  # the refused address is never retried
    assert set(_store_keys(own_store, ["gone@example.net"])) == {email_key("gone@example.net")}
    twice = _send(run, tmp_path, ScriptedRelay(), "--retry-failed", "--resend")
    assert twice.code == 2 and "--retry-failed sends failed recipients again; --resend" in twice.err


def test_failures_are_classed_from_their_replies():
    from publipost.mailer.blame import failure_class

    assert failure_class("RCPT 550 5.1.1 No such user") == "address"
    assert failure_class("content 554 5.7.1 Message rejected: spam content") == "policy"
    assert failure_class("content 550 Blocked for abuse") == "policy"
    assert failure_class("gave up after 4 days deferred: content 554 5.7.1 blocked") == "policy"
    assert failure_class("gave up after 4 days deferred: RCPT 421 4.7.0 Try again later") == "transient"
    assert failure_class("connection lost after DATA") == "transient"
    assert failure_class("content 552 5.2.2 Mailbox full") == "other"
