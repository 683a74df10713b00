"""A domain that asks to slow down is left alone, not hammered (issue 27, 2-3): a 4xx reply
pauses its domain with growing delays, its recipients deferred with the time they may go again
(the journal's not_before); the other domains go on at once; the next send takes only those
whose time has come; --wait waits for them in the run; --max-retry-time gives up, in a send or
while waiting. A real SMTP server on 127.0.0.1 answering 421 for one domain, with server-side
timestamps."""

from __future__ import annotations

import itertools

import pytest

from publipost.mailer.journal import DEFERRED, FAILED, Journal
from tests.smtpkit import ScriptedRelay, SmtpServer
from tests.test_send import _campaign

pytestmark = pytest.mark.usefixtures("send_key")

SLOW = [f"s{n}@throttle.example" for n in range(6)]
FINE = [f"f{n}@fine.example" for n in range(6)] + [f"o{n}@other.example" for n in range(6)]


def _send(run, tmp_path, server, *more):
    return run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", server.url, *more)


def _throttled(handler):
    return [(a, t) for a, t in handler.rcpt_times if a.endswith("throttle.example")]


def test_a_throttling_domain_is_paused_and_the_others_go_on(run, tmp_path):
    _campaign(tmp_path, [*SLOW, *FINE])
    handler = ScriptedRelay(
        rcpt=lambda a: "421 4.7.0 Try again later" if a.endswith("throttle.example") else None
    )
    with SmtpServer(handler) as server:
        first = _send(run, tmp_path, server, "--retry-delays", "0.4s", "--concurrency", "2")
        assert first.code == 1  # recipients deferred
        assert sorted(handler.queued) == sorted(FINE)  # the other domains: every one, in this run
        assert len(_throttled(handler)) <= 2  # not four tries in four seconds each: the domain paused
        assert "throttle.example asked to slow down (RCPT 421 4.7.0 Try again later)" in first.out
        assert "6 recipients deferred: the next send from" in first.out
        journal = Journal(tmp_path / "out" / "send-journal.sqlite")
        assert {e.address for e in journal.entries(DEFERRED)} == set(SLOW)
        journal.close()
        tried = len(_throttled(handler))
        again = _send(run, tmp_path, server, "--retry-delays", "0.4s")  # at once: their time has not come
        assert len(_throttled(handler)) == tried and "nothing new to send" in again.out
        # --wait, the domain throttling still: retries spaced by the delay, then given up in time
        waited = _send(run, tmp_path, server, "--retry-delays", "0.4s", "--wait", "--max-retry-time", "2s")
    assert waited.code == 1
    times = [t for _, t in _throttled(handler)[tried:]]
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a > 0.05]  # pauses, not one pass's RCPTs
    assert gaps and all(gap >= 0.35 for gap in gaps), gaps  # spaced as configured, seen by the server
    assert len(times) < 6 * 8  # a few tries a pause, never one per recipient per second
    assert "6 recipients deferred for too long (--max-retry-time) now failed" in waited.out
    journal = Journal(tmp_path / "out" / "send-journal.sqlite")
    assert {e.address for e in journal.entries(FAILED)} == set(SLOW)
    assert all(e.reply.startswith("gave up after") for e in journal.entries(FAILED))
    journal.close()


def test_wait_delivers_once_the_domain_takes_mail_again(run, tmp_path):
    _campaign(tmp_path, [*SLOW, *FINE])
    refusals = itertools.count()
    handler = ScriptedRelay(
        rcpt=lambda a: (
            "451 4.7.1 Greylisted, come back later"
            if a.endswith("throttle.example") and next(refusals) < 2
            else None
        )
    )
    with SmtpServer(handler) as server:
        result = _send(run, tmp_path, server, "--retry-delays", "0.2s,0.3s", "--wait")
    assert result.code == 0, result.out + result.err
    assert sorted(handler.queued) == sorted([*SLOW, *FINE]) and set(handler.queued.values()) == {1}
    assert "this run: 18 sent" in result.out


@pytest.mark.parametrize("bad", ["soon", "-5m"])
def test_durations_are_checked_as_usage(run, tmp_path, capsys, bad):
    _campaign(tmp_path, ["a@example.com"])
    with pytest.raises(SystemExit) as exc:
        run("send", tmp_path / "campaign.yaml", "--max-retry-time", bad)
    assert exc.value.code == 2 and "--max-retry-time" in capsys.readouterr().err
