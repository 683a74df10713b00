"""Issue 31: the customer file as read, cleaned and checked by the channels is kept in the output
folder by the first command and reused by the next while nothing it depends on changed; what
may change between two commands (the store, suppression lists, filters) is done again every
time. The reused run says so, and its reports are byte for byte the cold run's."""

from __future__ import annotations

from publipost.api import prepare
from publipost.campaigns.accounted import FOLDER
from publipost.store.db import Entry, Store
from publipost.store.keys import email_key
from tests.conftest import copy_example

REUSED = "as read and checked at"


def _reports(campaign):
    out = campaign.parent / "out"
    return {name: (out / name).read_bytes() for name in ("rejects.csv", "corrections.csv")}


def test_the_second_command_reuses_the_first_s_reading_and_reports_the_same(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    cold = run("validate", campaign, "--lang", "en")
    assert cold.code == 0 and REUSED not in cold.out
    first = _reports(campaign)
    assert (campaign.parent / "out" / FOLDER).is_dir()
    warm = run("validate", campaign, "--lang", "en")
    assert warm.code == 0 and REUSED in warm.out
    assert [line for line in warm.out.splitlines() if REUSED not in line] == cold.out.splitlines()
    assert _reports(campaign) == first
    rendered = run("render", campaign, "--format", "text", "--lang", "en")
    assert rendered.code == 0 and REUSED in rendered.out


def test_a_changed_customer_file_or_campaign_is_read_again(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    assert run("validate", campaign).code == 0
    data = campaign.parent / "data" / "clients.csv"
    text = data.read_text(encoding="cp1252")
    data.write_text(text.replace("C00003;Mme;Inès;Rousseau", "C00003;Mme;Inès;ROUSSEAU"), encoding="cp1252")
    changed = run("validate", campaign, "--lang", "en")
    assert changed.code == 0 and REUSED not in changed.out
    assert "ROUSSEAU" in _reports(campaign)["corrections.csv"].decode("cp1252")  # the new cell, cased
    assert REUSED in run("validate", campaign, "--lang", "en").out
    campaign.write_text(campaign.read_text(encoding="utf-8").replace("envelope: dl\n", "envelope: dl-left\n"))
    assert REUSED not in run("validate", campaign, "--lang", "en").out


def test_an_unsubscribe_after_validate_is_honoured_by_the_reused_run(tmp_path, run, own_store):
    campaign = copy_example("vente-couette", tmp_path)
    assert run("validate", campaign).code == 0
    with Store(str(own_store)) as store:
        store.add([Entry(email_key("mathis.dupont2@exemple.fr"), "email", "unsubscribed", "one-click")])
    warm = run("validate", campaign, "--lang", "en")
    assert REUSED in warm.out
    rejects = _reports(campaign)["rejects.csv"].decode("cp1252")
    assert "C00002" in rejects and "letter only" in rejects  # its e-mail withdrawn, its letter kept


def test_a_damaged_kept_audience_costs_only_time(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    assert run("validate", campaign).code == 0
    first = _reports(campaign)
    for kept in (campaign.parent / "out" / FOLDER).rglob("frame.parquet"):
        kept.write_bytes(kept.read_bytes()[:200])
    again = run("validate", campaign, "--lang", "en")
    assert again.code == 0 and REUSED not in again.out
    assert _reports(campaign) == first
    assert REUSED in run("validate", campaign, "--lang", "en").out  # kept anew


def test_kept_facts_that_do_not_hold_together_are_read_again(tmp_path, run):
    """A meta.json that parses, names the right key, and lacks what the audience needs (edited
    by hand, or from a publipost that kept less) is no traceback: the file is read again."""
    import json

    campaign = copy_example("vente-couette", tmp_path)
    assert run("validate", campaign).code == 0
    first = _reports(campaign)
    (meta,) = (campaign.parent / "out" / FOLDER).rglob("meta.json")
    for damage in ("notes", "source", "kept"):
        facts = json.loads(meta.read_text(encoding="utf-8"))
        facts.pop(damage, None)
        meta.write_text(json.dumps(facts), encoding="utf-8")
        again = run("validate", campaign, "--lang", "en")
        assert again.code == 0 and REUSED not in again.out, damage
        assert _reports(campaign) == first
        (meta,) = (campaign.parent / "out" / FOLDER).rglob("meta.json")  # kept anew, whole


def test_the_library_keeps_it_when_asked_and_says_when(tmp_path):
    campaign = copy_example("launch-planner", tmp_path)
    out = tmp_path / "elsewhere"
    assert prepare(campaign).audience.recalled is None  # not asked: nothing kept
    assert not out.exists()
    first = prepare(campaign, keep=out)
    second = prepare(campaign, keep=out)
    assert first.audience.recalled is None and second.audience.recalled is not None
    assert first.audience.recipients().equals(second.audience.recipients())


def test_without_pyarrow_nothing_is_kept_and_nothing_breaks(tmp_path):
    """The base install has no pyarrow (the `parquet` extra brings it): every command reads the
    file, as before."""
    import subprocess
    import sys

    campaign = copy_example("vente-couette", tmp_path)
    code = (
        "import sys, contextlib, io\n"
        "sys.modules['pyarrow'] = None  # as if it were not installed\n"
        "from publipost.cli import main\n"
        "for _ in range(2):\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "        print(main(['validate', sys.argv[1]]), file=sys.stderr)\n"
        "    print('as read and checked' in out.getvalue())\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(campaign)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False"] and done.stderr.split() == ["0", "0"]
    assert not (campaign.parent / "out" / FOLDER).exists()


def _prepare_and_keep(campaign, out) -> None:
    prepare(campaign, keep=out)


def test_a_forked_process_keeps_its_audience_too(tmp_path):
    """The kept Parquet is written by a thread of the run's own: a process forked after its parent
    kept an audience (a pool of workers, a notebook's multiprocessing) keeps its own, never
    waiting forever for a writer thread that stayed in the parent."""
    import multiprocessing

    campaign = copy_example("vente-couette", tmp_path)
    prepare(campaign, keep=tmp_path / "parent")
    child = multiprocessing.get_context("fork").Process(
        target=_prepare_and_keep, args=(campaign, tmp_path / "child")
    )
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0
    assert list((tmp_path / "child" / FOLDER).glob("*/frame.parquet"))


def test_what_is_kept_is_the_file_as_read_not_the_run_s_later_outcomes(tmp_path, monkeypatch):
    """The Parquet is written while filters, suppression and dedupe go on changing the audience:
    what is kept must not take on their outcomes (a later run must filter afresh). Here the
    writer waits until they are done, the worst case."""
    import threading

    import pandas as pd

    from publipost.campaigns import accounted, audience

    done, keep, sort = threading.Event(), accounted.keep, audience._sort

    def late_keep(*args):
        assert done.wait(30)
        keep(*args)

    def sort_then_let_write(*args):
        sort(*args)
        done.set()

    monkeypatch.setattr(accounted, "keep", late_keep)
    monkeypatch.setattr(audience, "_sort", sort_then_let_write)
    campaign = copy_example("vente-couette", tmp_path)
    # its well-formed rows only: a malformed row makes the audience a new frame, hiding the case
    data = campaign.parent / "data" / "clients.csv"
    lines = data.read_text(encoding="cp1252").splitlines()
    width = lines[0].count(";")
    data.write_text(
        "\r\n".join(line for line in lines if line.count(";") == width and '"' not in line) + "\r\n",
        encoding="cp1252",
    )
    prepared = prepare(campaign, keep=tmp_path / "out")
    assert not prepared.audience.source.malformed
    outcomes = set(prepared.audience.frame["_outcome"])
    assert {"filtered", "suppressed"} & outcomes  # this run did filter and suppress rows
    (kept,) = (tmp_path / "out" / FOLDER).glob("*/frame.parquet")
    assert set(pd.read_parquet(kept)["_outcome"]) <= {"targeted", "rejected"}
