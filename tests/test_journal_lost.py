"""A lost send journal never means "everyone again" (issue 25, 5): the manifest beside it records
who was mailed; a journal deleted after a send, or restored from an older backup, is set back
from it; a journal lost after a run that crashed before recording is refused until the operator
says so. The example campaign, sent through the embedded capture server (the real SMTP path)."""

from __future__ import annotations

import mailbox
import shutil

import pytest

pytestmark = pytest.mark.usefixtures("send_key")


def _delivered(out):
    return len(mailbox.Maildir(out / "maildir"))


def _forget_journal(out):
    for name in ("send-journal.sqlite", "send-journal.sqlite-wal", "send-journal.sqlite-shm"):
        (out / name).unlink(missing_ok=True)


def test_a_journal_deleted_after_a_complete_send_mails_nobody_again(couette, run):
    out = couette.parent / "out"
    assert run("send", couette).code == 0
    mailed = _delivered(out)
    assert mailed == 127
    _forget_journal(out)
    again = run("send", couette)
    assert again.code == 0, again.err
    assert _delivered(out) == mailed
    assert "journal    127 recipients the manifest records as mailed" in again.out
    assert "this run: nothing new to send" in again.out


def test_an_older_journal_restored_from_a_backup_mails_nobody_again(couette, run, tmp_path):
    out = couette.parent / "out"
    assert run("send", couette, "--limit", "20").code == 0
    shutil.copy(out / "send-journal.sqlite", tmp_path / "backup.sqlite")  # the run was recorded: no WAL left
    assert run("send", couette).code == 0
    assert _delivered(out) == 127
    _forget_journal(out)
    shutil.copy(tmp_path / "backup.sqlite", out / "send-journal.sqlite")  # 107 of them "pending" in it
    again = run("send", couette)
    assert again.code == 0, again.err
    assert _delivered(out) == 127
    assert "journal    107 recipients the manifest records as mailed" in again.out


def test_a_journal_lost_after_a_crash_is_refused_until_the_operator_says_so(couette, run, monkeypatch):
    import publipost.channels.sending as sending

    out = couette.parent / "out"
    assert run("send", couette, "--limit", "30").code == 0  # 30 recorded in the manifest

    def crash(*args, **kwargs):  # the process dies after sending, before recording its outcomes
        raise SystemExit(137)

    record_sends = sending.record_sends
    monkeypatch.setattr(sending, "record_sends", crash)
    with pytest.raises(SystemExit):
        run("send", couette, "--limit", "20")
    monkeypatch.setattr(sending, "record_sends", record_sends)
    assert _delivered(out) == 50
    _forget_journal(out)
    refused = run("send", couette)
    assert refused.code == 2
    assert (
        "the send journal is missing, and the manifest says a send of this campaign was running"
        in refused.err
    )
    assert "--journal-lost" in refused.err and _delivered(out) == 50
    accepted = run("send", couette, "--journal-lost")
    assert accepted.code == 0, accepted.err
    # the 30 recorded are not mailed again; the crashed run's 20 are known nowhere: mailed again
    assert _delivered(out) == 50 + 127 - 30
