"""Issue 31: the customer file as read, cleaned and checked by the channels is kept in the output
folder by the first command and reused by the next while nothing it depends on changed; what
may change between two commands (the store, suppression lists, filters) is done again every
time. The reused run says so, and its reports are byte for byte the cold run's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from publipost.api import prepare
from publipost.campaigns.accounted import FOLDER
from publipost.campaigns.records import tally
from publipost.store.db import Entry, Store
from publipost.store.keys import email_key
from tests.conftest import copy_example

REUSED = "as read and checked at"  # the file as read reused; the rest accounted again
SETTLED = "as accounted at"  # the audience accounted whole reused


def _reused(out: str) -> bool:
    return REUSED in out or SETTLED in out


def _reports(campaign):
    out = campaign.parent / "out"
    return {name: (out / name).read_bytes() for name in ("rejects.csv", "corrections.csv")}


def test_the_second_command_reuses_the_first_s_reading_and_reports_the_same(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    cold = run("validate", campaign, "--lang", "en")
    assert cold.code == 0 and not _reused(cold.out)
    first = _reports(campaign)
    assert (campaign.parent / "out" / FOLDER).is_dir()
    warm = run("validate", campaign, "--lang", "en")
    assert warm.code == 0 and SETTLED in warm.out
    assert [line for line in warm.out.splitlines() if not _reused(line)] == cold.out.splitlines()
    assert _reports(campaign) == first
    # the reports written from the audience accounted whole are kept with it, and copied by the
    # next command that recalls it rather than written again
    for name, kept_name in (("rejects.csv", "rejects-59.csv"), ("corrections.csv", "corrections-59.csv")):
        (kept,) = (campaign.parent / "out" / FOLDER).glob(f"*/whole-*/{kept_name}")
        assert kept.read_bytes() == first[name]
        kept.write_bytes(first[name] + b"copied\r\n")
    rendered = run("render", campaign, "--format", "text", "--lang", "en")
    assert rendered.code == 0 and SETTLED in rendered.out
    assert all(report.endswith(b"copied\r\n") for report in _reports(campaign).values())


def test_a_changed_customer_file_or_campaign_is_read_again(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    assert run("validate", campaign).code == 0
    data = campaign.parent / "data" / "clients.csv"
    text = data.read_text(encoding="cp1252")
    data.write_text(text.replace("C00003;Mme;Inès;Rousseau", "C00003;Mme;Inès;ROUSSEAU"), encoding="cp1252")
    changed = run("validate", campaign, "--lang", "en")
    assert changed.code == 0 and not _reused(changed.out)
    assert "ROUSSEAU" in _reports(campaign)["corrections.csv"].decode("cp1252")  # the new cell, cased
    assert _reused(run("validate", campaign, "--lang", "en").out)
    campaign.write_text(campaign.read_text(encoding="utf-8").replace("envelope: dl\n", "envelope: dl-left\n"))
    assert not _reused(run("validate", campaign, "--lang", "en").out)


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
    for name in ("frame.arrow", "notes.arrow", "corrections.arrow"):  # cut short, or gone
        for kept in (campaign.parent / "out" / FOLDER).rglob(name):
            if name == "notes.arrow":
                kept.unlink()
            else:
                kept.write_bytes(kept.read_bytes()[:200])
        again = run("validate", campaign, "--lang", "en")
        assert again.code == 0 and not _reused(again.out), name
        assert _reports(campaign) == first
    assert _reused(run("validate", campaign, "--lang", "en").out)  # kept anew


def test_kept_facts_that_do_not_hold_together_are_read_again(tmp_path, run):
    """A meta.json that parses, names the right key, and lacks what the audience needs (edited
    by hand, or from a publipost that kept less) is no traceback: the file is read again."""
    import json

    campaign = copy_example("vente-couette", tmp_path)
    assert run("validate", campaign).code == 0
    first = _reports(campaign)
    for damage in ("headers", "source", "kept", "lists", "store", "keyed_by", "conditions"):
        metas = list((campaign.parent / "out" / FOLDER).rglob("meta.json"))
        assert len(metas) == 2  # the file as read, and the audience accounted whole (kept anew)
        for meta in metas:
            facts = json.loads(meta.read_text(encoding="utf-8"))
            facts.pop(damage, None)
            meta.write_text(json.dumps(facts), encoding="utf-8")
        again = run("validate", campaign, "--lang", "en")
        assert again.code == 0 and SETTLED not in again.out, damage
        assert _reports(campaign) == first


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
    """The kept file is written by a thread of the run's own: a process forked after its parent
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
    assert list((tmp_path / "child" / FOLDER).glob("*/frame.arrow"))


def test_what_is_kept_is_the_file_as_read_not_the_run_s_later_outcomes(tmp_path, monkeypatch):
    """The file as read is kept while filters, suppression and dedupe go on changing the audience:
    what is kept must not take on their outcomes (a later run must filter afresh). Here the
    writer waits until they are done, the worst case."""
    import threading

    import pandas as pd

    from publipost.campaigns import accounted, audience

    done, keep, sort = threading.Event(), accounted.keep, audience._sort

    def late_keep(*args, **kwargs):
        assert done.wait(30)
        keep(*args, **kwargs)

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
    (kept,) = (tmp_path / "out" / FOLDER).glob("*/frame.arrow")
    assert set(pd.read_feather(kept)["_outcome"]) <= {"targeted", "rejected"}


# --- the audience accounted whole ----------------------------------------------------------------
HOUSEHOLD_ROWS = (
    "PL-9001,Ms,Jo,Fielding,,12 Elm St,,Austin,TX,78701,jo.fielding@example.com,customer,yes\n"
    "PL-9002,Mr,Sam,Fielding,,12 Elm St,,Austin,TX,78701,sam.fielding@example.com,customer,yes\n"
)


def _everything(tmp_path, own_store):
    """Two campaigns that use every step of the accounting between them: filters, a suppression
    list, the store (an e-mail and a postal address in it), deduplication, a household, ids by
    column, the control group, variants by weight, a sort, malformed rows."""
    planner = copy_example("launch-planner", tmp_path / "en")
    text = planner.read_text(encoding="utf-8")
    household = "  household: [last_name, address1, postcode]\n"
    text = text.replace("  dedupe: email\n", "  dedupe: email\n" + household)
    planner.write_text(text.replace("  dedupe: email\n", "  dedupe: email\n  sort: [postcode]\n"), "utf-8")
    with (planner.parent / "data" / "customers.csv").open("a", encoding="utf-8") as data:
        data.write(HOUSEHOLD_ROWS)
    couette = copy_example("vente-couette", tmp_path / "fr")
    from publipost.store.keys import postal_key

    with Store(str(own_store)) as store:
        store.add(
            [
                Entry(email_key("mathis.dupont2@exemple.fr"), "email", "unsubscribed", "one-click"),
                Entry(email_key("ava.taylor2@example.com"), "email", "hard bounce", "bounces"),
                Entry(postal_key(("Taylor", "4070 Oak St", "60601")), "postal", "manual", "by hand"),
            ]
        )
    return planner, couette


def _same(cold, warm) -> None:
    """Every field of the audience, whatever fields it comes to have: one the kept audience
    does not restore fails here."""
    import dataclasses

    import pandas as pd

    for field in dataclasses.fields(cold):
        a, b = getattr(cold, field.name), getattr(warm, field.name)
        if field.name in ("recalled", "settled") or not field.compare:  # (caches compare=False)
            continue
        if field.name == "frame":
            pd.testing.assert_frame_equal(a, b)
        elif field.name == "source":  # the file's cells are in the frame: its facts here
            assert [str(c) for c in a.frame.columns] == list(b.frame.columns)
            assert {k: v for k, v in vars(a).items() if k != "frame"} == {
                k: v for k, v in vars(b).items() if k != "frame"
            }
        else:
            assert a == b, field.name


def test_the_audience_accounted_whole_is_kept_and_is_the_cold_one(tmp_path, own_store):
    import pandas as pd

    for campaign in _everything(tmp_path, own_store):
        out = campaign.parent / "out"
        cold = prepare(campaign, keep=out).audience
        warm = prepare(campaign, keep=out).audience
        assert warm.settled and warm.recalled is not None and not cold.settled
        _same(cold, warm)
        assert list(warm) == list(cold)  # the recipients, households and variants included
        # an audience changed after it was accounted has no kept reports to copy
        assert warm.kept is not None and cold.kept == warm.kept
        first = next(iter(warm))
        assert warm.only([first.id]).kept is None and warm.held_back({first.row: "held"}).kept is None
        assert warm.rows_of("letter").kept is None
        pd.testing.assert_frame_equal(warm.rejects(), cold.rejects())
    planner_cold = prepare(tmp_path / "en" / "launch-planner" / "campaign.yaml").audience
    assert planner_cold.counts["control group"] and set(planner_cold.variant_counts()) == {"A", "B"}
    assert any(r.household for r in planner_cold) and planner_cold.counts["suppressed"]
    assert planner_cold.counts["suppressed (store)"]
    couette_cold = prepare(tmp_path / "fr" / "vente-couette" / "campaign.yaml").audience
    assert couette_cold.source.malformed and couette_cold.counts["duplicate"]
    assert any(n.outcome == "letter only" and "store" in n.reason for n in couette_cold.notes)


def test_the_whole_audience_is_accounted_again_when_anything_it_depends_on_changed(
    tmp_path, run, own_store, monkeypatch
):
    import datetime as dt
    import shutil
    import sqlite3

    from publipost.campaigns import accounted

    campaign = copy_example("vente-couette", tmp_path)
    listing = campaign.parent / "data" / "desabonnes.csv"

    def settled(*extra: str) -> bool:
        result = run("validate", campaign, "--lang", "en", *extra)
        assert result.code == 0, result.err
        return SETTLED in result.out or "tel que compté le" in result.out

    def rejects() -> str:
        return _reports(campaign)["rejects.csv"].decode("cp1252")

    with Store(str(own_store)) as store:
        store.add([Entry(email_key("someone@example.com"), "email", "manual", "by hand")])
    assert not settled() and settled()
    before = rejects()
    backup = tmp_path / "backup.sqlite"
    shutil.copy(own_store, backup)
    with Store(str(own_store)) as store:  # an unsubscribe
        store.add([Entry(email_key("mathis.dupont2@exemple.fr"), "email", "unsubscribed", "one-click")])
    assert not settled() and "C00002" in rejects() and settled()
    with Store(str(own_store)) as store:  # lifted again
        store.remove([email_key("mathis.dupont2@exemple.fr")], "email")
    assert not settled() and rejects() == before and settled()
    db = sqlite3.connect(own_store)  # written by hand, not by publipost
    with db:
        db.execute(
            "INSERT INTO suppressions VALUES (?, 'email', 'manual', 'sql', '2026-12-05')",
            [email_key("mathis.dupont2@exemple.fr")],
        )
    db.close()
    assert not settled() and "C00002" in rejects() and settled()
    assert not Path(f"{own_store}-wal").exists()  # every connection closed: the file is the store
    shutil.copy(backup, own_store)  # a backup restored: its entries, under its own token
    assert not settled() and rejects() == before and settled()
    listing.write_text(listing.read_text(encoding="cp1252") + "lucas.bernard@exemple.fr\n", encoding="cp1252")
    assert not settled() and settled()
    assert not settled("--lang", "fr") and settled("--lang", "fr")  # reasons in another language
    assert not settled() and settled()
    monkeypatch.setattr(accounted, "today", lambda: dt.date.today() + dt.timedelta(days=1))
    assert not settled() and settled()
    monkeypatch.setenv("PUBLIPOST_STORE", str(tmp_path / "other.sqlite"))  # another store
    assert not settled() and settled()
    run("suppress", "add", "x@example.com")  # which now exists
    assert not settled() and settled()
    (kept,) = (campaign.parent / "out" / FOLDER).iterdir()  # one of each, however many runs
    assert len([p for p in kept.iterdir() if p.is_dir()]) == 1
    # A trigger dropped by hand, an unsubscribe meanwhile that no version records: the next
    # opening adds the trigger back with a new version, and the audience is accounted again.
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    with db:
        db.execute("DROP TRIGGER suppressions_insert")
        db.execute(
            "INSERT INTO suppressions VALUES (?, 'email', 'manual', 'sql', '2026-12-05')",
            [email_key("mathis.dupont2@exemple.fr")],
        )
    db.close()
    assert not settled() and "C00002" in rejects() and settled()


def test_notes_and_corrections_come_back_from_arrow_as_they_were(tmp_path):
    """A million rows' notes were JSON (1.26 s to read back); they are Arrow tables now, text
    dictionary-encoded: every note and correction comes back equal, in order, whatever its text."""
    import random

    import pandas as pd

    from publipost.campaigns import accounted
    from publipost.campaigns.audience import RECORDS, Correction, RowNote

    draw = random.Random(8)
    texts = ["", " ", "filtered out", "é\u0301", "中文", "\x00", "a;b\r\nc", "😀" * 3, "x" * 500]
    notes = [RowNote(draw.randrange(2**40), draw.choice(texts), draw.choice(texts)) for _ in range(50_000)]
    corrections = [
        Correction(n, *(draw.choice(texts) + str(draw.randrange(9)) for _ in range(4))) for n in range(3_000)
    ]
    for chosen in ({"notes": notes, "corrections": corrections}, {"notes": [], "corrections": []}):
        tables = {name: accounted.records(chosen[name], kind) for name, kind in RECORDS.items()}
        accounted.keep(tmp_path, "k", pd.DataFrame({"a": [1]}), {}, tables)
        back = accounted.recall(tmp_path, "k", makers=RECORDS)
        assert back is not None
        # counted and measured as they lie in Arrow, before any object is made
        for name, field in (("notes", "outcome"), ("notes", "reason"), ("corrections", "field")):
            recalled = back.records[name]
            assert len(recalled) == len(chosen[name])
            assert tally(recalled, field) == Counter(getattr(o, field) for o in chosen[name])
        assert all(r._made is None for r in back.records.values())  # (what the above used)
        assert back.records == chosen
        made = back.records["notes"]
        chosen_notes, extra = chosen["notes"], [RowNote(0, "a", "b")]  # a notebook's ways with a list
        assert made[:3] == chosen_notes[:3] and made[-1:] == chosen_notes[-1:] and made.copy() == chosen_notes
        assert made + extra == [*chosen_notes, *extra] and extra + made == [*extra, *chosen_notes]
        assert made * 2 == chosen_notes * 2 == 2 * made
        made_anew = (made[:3], made + extra, extra + made, made * 2, 2 * made)
        assert all(type(x) is list for x in made_anew)
        copied = made.copy()  # another Records, added to on its own
        copied.add(row=[7], outcome="x", reason="y")
        assert copied[-1] == RowNote(7, "x", "y") and len(copied) == len(made) + 1
        made.append(RowNote(1, "x", "y"))  # made now: counted from the objects, with what was added
        assert tally(made, "outcome") == Counter(n.outcome for n in [*chosen["notes"], made[-1]])
        assert len(made) == len(chosen["notes"]) + 1


def test_kept_records_of_another_shape_are_read_again(tmp_path):
    """Notes kept by another publipost (a field renamed) are found wrong when recalled, where
    the file is then read again, not when first used, which would be a traceback."""
    import pandas as pd
    import pyarrow as pa

    from publipost.campaigns import accounted
    from publipost.campaigns.audience import RECORDS

    tables = {name: accounted.records([], kind) for name, kind in RECORDS.items()}
    tables["notes"] = pa.table({"row": [1], "outcome": ["rejected"], "why": ["no address"]})
    accounted.keep(tmp_path, "k", pd.DataFrame({"a": [1]}), {}, tables)
    assert accounted.recall(tmp_path, "k", makers=RECORDS) is None
    tables["notes"] = accounted.records([], RECORDS["notes"])
    accounted.keep(tmp_path, "k", pd.DataFrame({"a": [1]}), {}, tables)
    assert accounted.recall(tmp_path, "k", makers=RECORDS) is not None


def test_a_report_copy_cut_short_is_never_reused_and_the_count_is_the_file_s(tmp_path, run, monkeypatch):
    """Keeping a report beside the audience fails halfway (a full disk): nothing half-written is
    copied by a later command, which writes the report whole again. The count validate prints
    is the number of rows in the file it names, read back as CSV."""
    import csv
    import io
    import re
    import shutil

    from publipost.campaigns import accounted

    campaign = copy_example("vente-couette", tmp_path)
    assert run("validate", campaign, "--lang", "en").code == 0
    first = _reports(campaign)
    (whole,) = (campaign.parent / "out" / FOLDER).glob("*/whole-*")
    for kept in whole.glob("*.csv"):
        kept.unlink()
    copy = shutil.copyfile

    def disk_full(source, target):
        if str(target).endswith(".new"):  # the copy into the kept folder
            Path(target).write_bytes(Path(source).read_bytes()[:100])
            raise OSError(28, "No space left on device")
        return copy(source, target)

    monkeypatch.setattr(accounted.shutil, "copyfile", disk_full)
    assert SETTLED in run("validate", campaign, "--lang", "en").out
    assert not list(whole.glob("*.csv")) and not list(whole.glob(".*")) and _reports(campaign) == first
    monkeypatch.setattr(accounted.shutil, "copyfile", copy)
    again = run("validate", campaign, "--lang", "en")
    assert SETTLED in again.out and _reports(campaign) == first
    rows = list(csv.reader(io.StringIO(first["rejects.csv"].decode("utf-8-sig")), delimiter=";"))[1:]
    said = re.search(r"(\d+) rows not \(fully\) targeted", again.out)
    assert said and int(said.group(1)) == len(rows) > 0


def test_a_later_command_maps_the_kept_frame_rather_than_reading_it_into_memory(tmp_path):
    """Read back compressed, 200,000 rows took 0.06-0.19 s of a 0.7 s `render --only`; mapped,
    a later command's frame points into the file and copies only its few number columns. Kept
    again over it (the next `validate`), the frame in use stays whole: the file is replaced by
    a rename, never rewritten in place."""
    import pandas as pd
    import pyarrow as pa

    from publipost.campaigns import accounted

    rows = 20_000
    frame = pd.DataFrame(
        {
            "last_name": [f"Mercier-{n:08d}" for n in range(rows)],
            "address1": [f"{n} rue de la République, Bâtiment B" for n in range(rows)],
            "email": [f"client{n}@exemple.fr" for n in range(rows)],
            "_row": range(2, rows + 2),
            "_reach_letter": [n % 3 > 0 for n in range(rows)],
        },
        index=pd.RangeIndex(rows) * 2,
    ).astype({"last_name": "str", "address1": "str", "email": "str"})
    accounted.keep(tmp_path, "k", frame, {}, {})
    (kept,) = tmp_path.rglob(accounted.FRAME)
    before = pa.total_allocated_bytes()
    back = accounted.recall(tmp_path, "k")
    assert back is not None
    assert pa.total_allocated_bytes() - before < kept.stat().st_size / 10  # nothing decompressed
    maps = Path("/proc/self/maps")
    if maps.exists():  # Linux: the text's bytes lie in the file's pages, not in a copy
        mapped = [
            [int(end, 16) for end in line.split()[0].split("-")]
            for line in maps.read_text().splitlines()
            if line.endswith(str(kept.resolve()))
        ]
        for name in ("last_name", "address1", "email"):
            for chunk in back.frame[name].array.__arrow_array__().chunks:
                data = chunk.buffers()[2].address
                assert any(start <= data < end for start, end in mapped), name
    pd.testing.assert_frame_equal(back.frame, frame, check_index_type=False)
    accounted.keep(tmp_path, "k", frame.iloc[:5], {}, {})  # kept anew while this one is in use
    assert back.frame["address1"].iloc[-1] == f"{rows - 1} rue de la République, Bâtiment B"
    assert len(accounted.recall(tmp_path, "k").frame) == 5
