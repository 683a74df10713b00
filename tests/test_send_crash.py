"""A send killed mid-run (SIGKILL) or interrupted (Ctrl-C), then run again: nobody mailed twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest

from publipost.mailer.journal import IN_FLIGHT, SENT, Journal
from tests.smtpkit import SlowSink, SmtpServer
from tests.test_send import CAMPAIGN

RECIPIENTS = 500  # enough for the send to shard itself over two processes
CONCURRENCY = 4


@pytest.fixture
def campaign(tmp_path):
    rows = "".join(f"{i},Ms,Name{i},Smith,r{i}@example.com\n" for i in range(RECIPIENTS))
    (tmp_path / "customers.csv").write_text("id,Title,First Name,Last Name,Email\n" + rows)
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(CAMPAIGN))
    return tmp_path / "campaign.yaml"


def _start(campaign, url, out):
    env = {**os.environ, "PUBLIPOST_UNSUBSCRIBE_SECRET": "test-key-" * 4}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publipost",
            "send",
            str(campaign),
            "--smtp",
            url,
            "--out",
            str(out),
            "--concurrency",
            str(CONCURRENCY),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )


def _wait_for(sink, count, process, seconds=20):
    deadline = time.monotonic() + seconds
    while sum(sink.received.values()) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the send did not progress"
        time.sleep(0.01)


def test_sigkill_then_restart_never_mails_anyone_twice(campaign, tmp_path):
    sink = SlowSink()
    with SmtpServer(sink) as server:
        process = _start(campaign, server.url, tmp_path / "out")
        _wait_for(sink, 100, process)
        process.send_signal(signal.SIGKILL)
        time.sleep(0.5)  # the children die with the parent (PR_SET_PDEATHSIG)
        process.wait()
        journal = Journal(tmp_path / "out" / "send-journal.sqlite")
        uncertain = {e.address for e in journal.entries(IN_FLIGHT)}
        journal.close()
        assert len(uncertain) <= CONCURRENCY
        restarted = _start(campaign, server.url, tmp_path / "out")
        out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err
    assert max(sink.received.values()) == 1  # nobody received two messages
    everyone = {f"r{i}@example.com" for i in range(RECIPIENTS)}
    assert set(sink.received) | uncertain == everyone  # delivered, or reported uncertain
    if uncertain:
        assert f"{len(uncertain)} recipients are uncertain" in out


def test_ctrl_c_stops_cleanly_and_resume_delivers_everyone_once(campaign, tmp_path):
    sink = SlowSink()
    with SmtpServer(sink) as server:
        process = _start(campaign, server.url, tmp_path / "out")
        _wait_for(sink, 100, process)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 1 and "interrupted" in out and "run the same command again" in out
        journal = Journal(tmp_path / "out" / "send-journal.sqlite")
        assert journal.count(IN_FLIGHT) == 0  # messages in flight finished before it stopped
        assert journal.count(SENT) == sum(sink.received.values()) < RECIPIENTS
        journal.close()
        resumed = _start(campaign, server.url, tmp_path / "out")
        resumed.communicate(timeout=60)
    assert resumed.returncode == 0
    assert sink.received == Counter({f"r{i}@example.com": 1 for i in range(RECIPIENTS)})


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_parent_alone_stops_every_sending_process(campaign, tmp_path, sig):
    """Issue 25, 14: `kill -INT PID` (not the group) was ignored: the children went on sending."""
    sink = SlowSink()
    with SmtpServer(sink) as server:
        process = _start(campaign, server.url, tmp_path / "out")
        _wait_for(sink, 100, process)
        os.kill(process.pid, sig)  # the parent only, as a supervisor or `kill PID` does
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 1 and "interrupted" in out
        journal = Journal(tmp_path / "out" / "send-journal.sqlite")
        assert journal.count(IN_FLIGHT) == 0
        assert journal.count(SENT) == sum(sink.received.values()) < RECIPIENTS
        journal.close()
