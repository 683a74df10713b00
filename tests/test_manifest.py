"""The control group and the mailing manifest: who got what, recorded by every print run and send."""

from __future__ import annotations

import csv
import io
import json
import mailbox
import shutil

import pandas as pd
import pytest

from publipost.campaigns.audience import buckets
from tests.conftest import EXAMPLES


def test_the_control_group_is_a_stable_share_whatever_the_order():
    ids = pd.Series([f"C{i:06d}" for i in range(20_000)])
    held = buckets("HIVER26", ids) < 0.10
    assert 0.09 < held.mean() < 0.11
    shuffled = ids.sample(frac=1, random_state=7)
    again = buckets("HIVER26", shuffled) < 0.10
    assert set(shuffled[again]) == set(ids[held])  # the same people, whatever the file's order
    other = buckets("SOLDES27", ids) < 0.10
    assert (held & other).mean() < 0.02  # another campaign holds out other people


@pytest.fixture
def controlled(tmp_path):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    campaign.write_text(
        campaign.read_text().replace("objective: vente\n", "objective: vente\ncontrol: 10%\n")
    )
    return campaign


def _manifest(run, campaign, fmt="csv"):
    result = run("manifest", campaign, "--format", fmt)
    assert result.code == 0, result.err
    return json.loads(result.out) if fmt == "json" else list(csv.DictReader(io.StringIO(result.out)))


def test_print_and_send_record_who_got_what_and_the_control_group_gets_nothing(controlled, run):
    checked = run("validate", controlled)
    held = int(checked.out.split("control group")[1].split()[0])
    assert held > 0 and "10% held out" in checked.out
    assert run("manifest", controlled).code == 2  # nothing printed or sent yet: said so
    assert run("render", controlled, "--format", "pdf").code == 0
    sent = run("send", controlled)
    assert sent.code == 0
    rows = _manifest(run, controlled)
    assert list(rows[0]) == ["id", "row", "channel", "variant", "response_code", "status", "at"]
    by = {}
    for row in rows:
        by.setdefault((row["channel"], row["variant"], row["status"]), []).append(row)
    control = {r["id"] for r in by[("none", "control", "held out")]}
    letters = {r["id"] for r in by[("letter", "main", "printed")]}
    emails = {r["id"] for r in by[("email", "main", "sent")]}
    assert len(control) == held and not control & (letters | emails)
    assert len(letters) == 119 and len(emails) == 119
    box = mailbox.Maildir(controlled.parent / "out" / "maildir", create=False)
    mailed = {m["Message-ID"].split(".")[1] for m in box}
    assert mailed == emails  # the journal's truth, copied
    from publipost.api import load_campaign
    from publipost.templates.codes import response_code

    code = load_campaign(controlled).code  # derived from the name: COUDOU and three hash characters
    assert code.startswith("COUDOU") and len(code) == 9
    printed = by[("letter", "main", "printed")]
    assert [r["response_code"] for r in printed] == [response_code(code, r["id"]) for r in printed]
    assert len({r["response_code"] for r in printed}) == 119
    again = run("send", controlled)  # a resume records nothing twice
    assert again.code == 0 and len(_manifest(run, controlled, "json")) == len(rows)


def test_a_control_group_cannot_be_added_after_a_send(controlled, run):
    without = controlled.read_text().replace("control: 10%\n", "")
    controlled.write_text(without)
    assert run("send", controlled).code == 0
    controlled.write_text(without.replace("objective: vente\n", "objective: vente\ncontrol: 10%\n"))
    for extra in ((), ("--accept-changes",)):
        refused = run("send", controlled, *extra)
        assert refused.code == 2 and "already printed or sent with no control group" in refused.err


def test_bad_control_shares_are_refused(controlled, run):
    for bad, said in (("control: 60%", "between 0 and 50"), ("control: beaucoup", "as a percentage")):
        controlled.write_text(
            controlled.read_text().replace("control: 10%", bad).replace("control: 60%", bad)
        )
        refused = run("validate", controlled)
        assert refused.code == 2 and said in refused.err and "campaign.yaml:" in refused.err


def test_a_control_group_cannot_be_changed_after_a_print_run(controlled, run):
    assert run("render", controlled, "--format", "pdf").code == 0
    controlled.write_text(controlled.read_text().replace("control: 10%", "control: 20%"))
    pdf = controlled.parent / "out" / "letters" / "letters.pdf"
    printed = pdf.stat().st_mtime_ns
    refused = run("render", controlled, "--format", "pdf")
    assert (
        refused.code == 2
        and "already printed or sent with a control group of 10%; a control group of 20%" in refused.err
    )
    assert pdf.stat().st_mtime_ns == printed  # refused before anything was printed


def test_a_look_at_a_few_letters_is_not_a_print_run(controlled, run):
    assert run("render", controlled, "--format", "pdf", "--only", "C00002").code == 0
    assert run("manifest", controlled).code == 2  # nothing recorded: no print run yet


def test_mailings_recorded_as_they_are_made_are_all_or_nothing(tmp_path):
    """Manifest.record hands its rows to SQLite as the mailings are made (a print run's 100,000
    are never held at once): one that fails to be made midway leaves none recorded, not the
    first half; made in full, each is recorded once, and a later outcome replaces the earlier."""
    from publipost.results.manifest import Mailing, Manifest

    def mailings(count: int, fail_at: int | None = None, status: str = "printed"):
        for n in range(count):
            if n == fail_at:
                raise RuntimeError("the run stopped while its letters were listed")
            yield Mailing(f"C{n:05d}", n + 2, "letter", "main", f"CODE-{n}", status)

    path = tmp_path / "manifest.sqlite"
    with Manifest(path) as manifest:
        with pytest.raises(RuntimeError):
            manifest.record(mailings(10, fail_at=6))
        assert manifest.outcomes("letter") == {}
        assert manifest.record(mailings(10)) == 10
        assert manifest.record(mailings(4, status="uncertain")) == 4
        outcomes = manifest.outcomes("letter")
    assert len(outcomes) == 10
    assert sorted(status for status, _ in outcomes.values()) == ["printed"] * 6 + ["uncertain"] * 4
