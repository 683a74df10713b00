"""Nobody mailed twice, nobody mailed another's message, nobody lost: against a real SMTP server
on 127.0.0.1 that loses replies, drops connections and hangs, with concurrent runs and files that
change between an interrupted send and its resume. Deliveries are counted per recipient."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

from publipost.api import prepare
from publipost.channels.sending import send_campaign
from publipost.mailer.journal import IN_FLIGHT, PENDING, SENT, Change, Journal
from publipost.mailer.smtp import Limits, Outgoing, deliver, parse_relay
from tests.smtpkit import FaultyHandler, SlowSink, SmtpServer
from tests.test_send import CAMPAIGN

TIGHT = Limits(concurrency=4, attempts=3, backoff=0.01, timeout=1.0, retry_delays=(0.02,), wait=True)


@pytest.fixture(autouse=True)
def unsubscribe_key(monkeypatch):
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", "k" * 32)


def _write(tmp_path, rows, header="id,First Name,Last Name,Email", campaign=CAMPAIGN):
    (tmp_path / "customers.csv").write_text(header + "\n" + "".join(r + "\n" for r in rows))
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    return tmp_path / "campaign.yaml"


def _names_match_envelopes(handler) -> None:
    """Every message queued went to the address its To: names, greeting its owner."""
    for envelope, message in zip(handler.envelopes, handler.delivered, strict=True):
        assert message["To"].addresses[0].addr_spec == envelope
        local = envelope.split("@")[0]
        text = message.get_body(("plain",)).get_content()
        assert f"you like, {local.capitalize()}." in " ".join(text.split()), (envelope, text[:300])


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_lost_reply_after_the_data_is_uncertain_never_resent(tmp_path, run, pipelining):
    """late: queued, 250 after the timeout; gone: queued, connection dropped; hang: no reply.
    Failures before the data (cut at RCPT, 451) are retried and delivered once. The same with
    the envelope pipelined (RFC 2920)."""
    addresses = ["late@example.com", "gone@example.com", "hang@example.com", "cut@example.com"]
    addresses += ["temp@example.com", "ok@example.com"]
    rows = [f"{i},{a.split('@')[0].capitalize()},Smith,{a}" for i, a in enumerate(addresses, start=1)]
    path = _write(tmp_path, rows)
    handler = FaultyHandler(delay=3, pipelining=pipelining)
    with SmtpServer(handler) as server:
        report = send_campaign(prepare(path), tmp_path / "out", relay=parse_relay(server.url), limits=TIGHT)
        assert report.counts[SENT] == 3 and report.counts[IN_FLIGHT] == 3
        assert sorted(report.uncertain) == ["1", "2", "3"]
        assert report.this_run == Counter({"sent": 3, "uncertain": 3})
        delivered = handler.per_recipient()
        assert delivered == Counter({a: 1 for a in addresses if not a.startswith("hang")})
        assert handler.attempts["late@example.com"] == 1 and handler.attempts["gone@example.com"] == 1
        failures = (tmp_path / "out" / "send-failures.csv").read_text()
        assert "late@example.com,uncertain,no reply after the data was sent" in failures

        again = run("send", path, "--out", tmp_path / "out", "--smtp", server.url, "--timeout", "1")
        assert again.code == 0, again.err  # uncertain ones of an earlier run are reported, not an error
        assert "3 recipients are uncertain" in again.out and "nothing new to send" in again.out
        assert handler.per_recipient() == delivered  # nobody mailed again

        handler.delay = 0  # the relay is quick again; the operator checked its log and decides
        retried = run(
            "send",
            path,
            "--out",
            tmp_path / "out",
            "--smtp",
            server.url,
            "--retry-uncertain",
            "--timeout",
            "1",
        )
    # late@ is accepted now; gone@ and hang@ lose their replies again
    assert "this run: 1 sent, 2 uncertain" in retried.out and retried.code == 1
    assert handler.delivered_to("late@example.com") == 2  # sent again only when asked
    _names_match_envelopes(handler)


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_reply_after_the_data_that_is_not_smtp_is_uncertain_never_resent(tmp_path, run, pipelining):
    """Garbage, or a line over 8 KB, after the final dot: the server may have the message. It is
    an unknown outcome, never a 4xx to retry (which queued four copies per run). The same with
    the envelope pipelined (RFC 2920)."""
    addresses = ["garbage@example.com", "long@example.com", "twoxx@example.com", "ok@example.com"]
    rows = [f"{i},{a.split('@')[0].capitalize()},Smith,{a}" for i, a in enumerate(addresses, start=1)]
    path = _write(tmp_path, rows)
    handler = FaultyHandler(pipelining=pipelining)
    with SmtpServer(handler) as server:
        first = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
        again = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
    assert first.code == 1 and "this run: 2 sent, 2 uncertain" in first.out
    assert "nothing new to send" in again.out
    assert handler.per_recipient() == Counter({a: 1 for a in addresses})  # each queued once, ever
    failures = (tmp_path / "out" / "send-failures.csv").read_text()
    assert (
        "garbage@example.com,uncertain,no valid reply after the data was sent "
        "(Malformed SMTP response line: hello? this is not SMTP)\n" in failures  # the line, on one row
    )
    assert "long@example.com,uncertain,no valid reply after the data was sent (Response too long)" in failures


def test_a_new_uncertain_recipient_fails_the_run(tmp_path, run):
    path = _write(tmp_path, ["1,Gone,Smith,gone@example.com", "2,Ok,Smith,ok@example.com"])
    with SmtpServer(FaultyHandler()) as server:
        result = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
    assert result.code == 1 and "1 recipients are uncertain" in result.out
    assert "this run: 1 sent, 1 uncertain" in result.out


@pytest.mark.slow  # several processes, or a timeout waited for: CI runs it
def test_a_second_send_of_the_same_campaign_is_refused_while_the_first_runs(tmp_path, run):
    path = _write(tmp_path, [f"{i},R{i},Smith,r{i}@example.com" for i in range(300)])
    sink = SlowSink()
    with SmtpServer(sink) as server:
        env = {**os.environ, "PUBLIPOST_UNSUBSCRIBE_SECRET": "k" * 32}
        command = [sys.executable, "-m", "publipost", "send", str(path), "--smtp", server.url]
        first = subprocess.Popen(
            [*command, "--out", str(tmp_path / "out"), "--concurrency", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not sink.received:
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.01)
        second = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
        _, err = first.communicate(timeout=60)
    assert second.code == 2 and f"a send of this campaign is already running (pid {first.pid})" in second.err
    assert first.returncode == 0, err
    assert sink.received == Counter({f"r{i}@example.com": 1 for i in range(300)})


def test_an_output_folder_whose_filesystem_enforces_no_lock_is_refused(tmp_path, run, monkeypatch):
    """Issue 25, 12: on a share where flock is accepted and enforced by nobody, two sends both
    ran (21 duplicates). The lock proves itself with a second process first. The filesystem is
    simulated: flock that succeeds for everyone, as such a mount behaves."""
    import fcntl

    path = _write(tmp_path, ["1,Ann,Smith,ann@example.com"])
    monkeypatch.setattr(fcntl, "flock", lambda fd, operation: None)
    with SmtpServer(SlowSink()) as server:
        refused = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
    assert refused.code == 2
    assert "the output folder's filesystem does not enforce file locks" in refused.err
    assert "--out" in refused.err
    assert server.handler.received == Counter()  # nothing sent


def test_claims_are_atomic_even_without_the_lock(tmp_path):
    """Two deliveries over one journal at once (as if the lock could not be taken, on a network
    file system): each recipient is claimed by one of them only."""
    journal = Journal(tmp_path / "journal.sqlite")
    journal.add((f"{i}", i, f"r{i}@example.com") for i in range(200))
    assert journal.apply([Change("0", IN_FLIGHT, claim=True)]) == [True]
    assert Journal(journal.path).apply([Change("0", IN_FLIGHT, claim=True)]) == [False]
    journal.apply([Change("0", PENDING)])
    jobs = [
        Outgoing(f"{i}", "dana@planora.example", f"r{i}@example.com", lambda: b"Subject: x\r\n\r\nx\r\n")
        for i in range(200)
    ]
    sink = SlowSink()
    with SmtpServer(sink) as server:
        relay = parse_relay(server.url)

        def one_run() -> None:
            own = Journal(journal.path)
            asyncio.run(deliver(jobs, relay, own, Limits(concurrency=4, timeout=10)))
            own.close()

        runs = [threading.Thread(target=one_run) for _ in range(2)]
        for thread in runs:
            thread.start()
        for thread in runs:
            thread.join()
    assert sink.received == Counter({f"r{i}@example.com": 1 for i in range(200)})
    assert journal.counts()[SENT] == 200


NO_ID = "First Name,Last Name,Email"


def test_a_customer_inserted_before_a_resume_never_gets_anothers_message(tmp_path, run):
    """No id column: a row number moves when a customer is inserted above. Recipients are known by
    their e-mail address, the resume is refused until the change is accepted, and then everyone
    gets their own message once."""
    rows = [f"Name{i},Smith,name{i}@example.com" for i in range(1, 11)]
    path = _write(tmp_path, rows, header=NO_ID)
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        first = run("send", path, "--out", tmp_path / "out", "--smtp", server.url, "--limit", "4")
        assert first.code == 0 and "recipients are known by their e-mail address" in first.out
        _write(tmp_path, ["Newcomer,Jones,newcomer@example.com", *rows], header=NO_ID)
        refused = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
        assert refused.code == 2 and "since this send began, the customer file changed" in refused.err
        assert "--accept-changes" in refused.err
        assert len(handler.delivered) == 4  # nothing went out
        accepted = run("send", path, "--out", tmp_path / "out", "--smtp", server.url, "--accept-changes")
    assert accepted.code == 0, accepted.err
    assert "changes    accepted (--accept-changes): customer file" in accepted.out
    assert handler.per_recipient() == Counter(
        {f"name{i}@example.com": 1 for i in range(1, 11)} | {"newcomer@example.com": 1}
    )
    _names_match_envelopes(handler)


def test_a_corrected_address_is_mailed_at_the_new_address_only(tmp_path, run):
    rows = [f"{i},Name{i},Smith,name{i}@example.com" for i in range(1, 4)]
    path = _write(tmp_path, rows)
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        assert run("send", path, "--out", tmp_path / "out", "--smtp", server.url, "--limit", "1").code == 0
        rows[1] = "2,Name2,Smith,name2@corrected.example"
        _write(tmp_path, rows)
        assert run("send", path, "--out", tmp_path / "out", "--smtp", server.url).code == 2
        result = run("send", path, "--out", tmp_path / "out", "--smtp", server.url, "--accept-changes")
    assert result.code == 0 and "1 not yet mailed recipients have a new address" in result.out
    assert sorted(handler.envelopes) == ["name1@example.com", "name2@corrected.example", "name3@example.com"]
    assert [m["To"].addresses[0].addr_spec for m in handler.delivered] == handler.envelopes  # pairwise


def test_changed_copy_is_named_and_refused(tmp_path, run):
    path = _write(tmp_path, [f"{i},Name{i},Smith,name{i}@example.com" for i in range(1, 4)])
    with SmtpServer(FaultyHandler()) as server:
        assert run("send", path, "--out", tmp_path / "out", "--smtp", server.url, "--limit", "1").code == 0
        path.write_text(path.read_text().replace("Discover the new planner", "Meet the new planner"))
        result = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
    assert result.code == 2 and "since this send began, email.body and email.subject changed" in result.err
    assert not result.out  # a refusal prints nothing else


def test_two_campaigns_sharing_an_output_folder(tmp_path, run):
    path = _write(tmp_path, [f"{i},Name{i},Smith,name{i}@example.com" for i in range(1, 4)])
    other = tmp_path / "relance.yaml"
    other.write_text(path.read_text().replace("name: Test e-mail", "name: Relance de printemps"))
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        assert run("send", path, "--smtp", server.url).code == 0
        result = run("send", other, "--smtp", server.url)
    assert result.code == 2
    assert "belongs to the campaign 'Test e-mail', not to 'Relance de printemps'" in result.err
    assert "--out out/relance" in result.err
    assert len(handler.delivered) == 3


def test_recipients_no_longer_in_the_audience_are_withdrawn_then_restored(tmp_path, run):
    rows = [f"{i},Name{i},Smith,name{i}@example.com" for i in range(1, 5)]
    campaign = CAMPAIGN.replace("  source: customers.csv\n", "  source: customers.csv\n  exclude: stop.txt\n")
    path = _write(tmp_path, rows, campaign=campaign)
    (tmp_path / "stop.txt").write_text("nobody@example.com\n")
    handler = FaultyHandler()
    with SmtpServer(handler) as server:
        assert run("send", path, "--out", tmp_path / "out", "--smtp", server.url, "--limit", "1").code == 0
        (tmp_path / "stop.txt").write_text("name3@example.com\n")  # unsubscribed meanwhile: always safe
        result = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
        assert result.code == 0 and "withdrawn  1 recipients are no longer in the audience" in result.out
        assert "name3@example.com" not in handler.per_recipient()
        (tmp_path / "stop.txt").write_text("nobody@example.com\n")
        back = run("send", path, "--out", tmp_path / "out", "--smtp", server.url)
    assert back.code == 0 and "this run: 1 sent" in back.out
    assert handler.per_recipient() == Counter({f"name{i}@example.com": 1 for i in range(1, 5)})


def test_a_journal_that_is_not_one_is_never_overwritten(tmp_path, run):
    path = _write(tmp_path, ["1,Ann,Smith,ann@example.com"])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "send-journal.sqlite").write_text("my notes, not a database")
    result = run("send", path, "--out", tmp_path / "out")
    assert result.code == 2 and "not a publipost send journal" in result.err
    assert (tmp_path / "out" / "send-journal.sqlite").read_text() == "my notes, not a database"
