"""Issue 31: a customer file too big to account in memory is read a batch of rows at a time into
the kept audience (campaigns/streamed.py), and accounted exactly as the file read whole: every
field of the audience, the recipients, the reports byte for byte. A file the batches cannot
read exactly is refused with why, and nothing half-kept is left behind.

"Too big" is made so by the room the machine says it has (room.available_memory)."""

from __future__ import annotations

import contextlib
import csv
import io
import random
from pathlib import Path

import pytest

from publipost.api import prepare
from publipost.campaigns import room, streamed, table
from publipost.campaigns.accounted import FOLDER
from tests.conftest import copy_example
from tests.test_audience_kept import _everything, _same

# bytes: the customer files here (23-27 KB) are too big to account whole (4 times their size)
# and may be read a batch at a time (96 bytes a row: streamed.need, see `tiny`); the suppression
# lists fit
ROOM = 80_000
SLICE_BYTES = streamed.SLICE_BYTES


@pytest.fixture(autouse=True)
def tiny(monkeypatch):
    """The work on a step's slice of rows is calibrated on a million rows (streamed.SLICE_BYTES):
    these files of a few hundred rows, taken as too big, are read in batches with it left out."""
    monkeypatch.setattr(streamed, "SLICE_BYTES", 0)


@pytest.fixture
def batches(monkeypatch):
    """The customer file taken as too big, read in blocks of 2 KB (a dozen batches); the
    batches read are counted, and the whole-file reader must not be called for it."""
    monkeypatch.setattr(room, "available_memory", lambda: ROOM)
    monkeypatch.setattr(streamed, "BLOCK", 2048)
    read = []
    batched, read_whole = streamed.batches, table._read_delimited

    def counted(*args, **kwargs):
        for batch in batched(*args, **kwargs):
            read.append(len(batch.frame))
            yield batch

    def whole(path, *args, **kwargs):
        assert path.name != "clients.csv", "the whole file was read"
        return read_whole(path, *args, **kwargs)  # a suppression list

    monkeypatch.setattr(streamed, "batches", counted)
    monkeypatch.setattr(table, "_read_delimited", whole)
    return read


def _couette(folder: Path) -> Path:
    """The French example as a big export would be: cp1252, its two malformed rows mended,
    a quoted address over two lines, a blank row, a duplicate and a row with no address."""
    campaign = copy_example("vente-couette", folder)
    clients = campaign.parent / "data" / "clients.csv"
    lines = clients.read_bytes().decode("cp1252").split("\r\n")
    lines = [line for line in lines if line.count(";") <= 11]
    header, *rows = lines
    fields = rows[3].split(";")
    fields[4] = '"Résidence des Tilleuls\nBâtiment B"'
    rows[3] = ";".join(fields)
    rows.insert(10, ";" * 11)  # a blank row
    rows.append(rows[5])  # a duplicate, at the end: in another batch
    empty = rows[7].split(";")
    empty[4] = ""
    rows.append(";".join(empty))
    clients.write_bytes("\r\n".join([header, *rows]).encode("cp1252"))
    return campaign


def _unquoted(folder: Path) -> Path:
    """The French example with no quote at all, empty lines (an export's, and its end's), and
    rows of another width: first, in the middle, in a row of separators only, and last."""
    campaign = _couette(folder)
    clients = campaign.parent / "data" / "clients.csv"
    header, *rows = clients.read_bytes().decode("cp1252").split("\r\n")
    rows = [row.replace('"', "").replace("\n", " ") for row in rows]
    short = ";".join(rows[20].split(";")[:9])  # its last three fields missing: padded
    rows = [WIDER, *rows[:40], "", short, *rows[40:90], "", ";" * 14, "", *rows[90:], "", WIDER, "  "]
    clients.write_bytes("\r\n".join([header, *rows]).encode("cp1252"))
    return campaign


def _parquet(folder: Path) -> Path:
    """The English example's customers exported to Parquet, with a number and a missing value."""
    import pandas as pd

    campaign = copy_example("launch-planner", folder)
    data = campaign.parent / "data"
    frame = pd.read_csv(data / "customers.csv", dtype=str, keep_default_na=False)
    frame["Visits"] = range(len(frame))
    frame.loc[3, "City"] = None
    frame.to_parquet(data / "customers.parquet", row_group_size=50)
    text = campaign.read_text(encoding="utf-8").replace("data/customers.csv", "data/customers.parquet")
    campaign.write_text(text, encoding="utf-8")
    return campaign


def _corrections(audience) -> list:
    return sorted(audience.corrections, key=lambda c: c.row)  # rejects.csv and corrections.csv's order


def _notes(audience) -> list:
    return sorted(audience.notes, key=lambda n: n.row)


def test_a_file_read_a_batch_at_a_time_is_accounted_as_the_whole_file(tmp_path, own_store, monkeypatch):
    planner, _ = _everything(tmp_path, own_store)
    campaigns = [
        planner,
        _couette(tmp_path / "cp1252"),
        _parquet(tmp_path / "parquet"),
        _unquoted(tmp_path / "u"),
    ]
    wholes = [prepare(campaign, keep=tmp_path / f"whole{n}").audience for n, campaign in enumerate(campaigns)]
    monkeypatch.setattr(streamed, "BLOCK", 2048)
    monkeypatch.setattr(streamed, "BATCH_ROWS", 16)
    for n, (campaign, whole) in enumerate(zip(campaigns, wholes, strict=True)):
        source = ["customers.csv", "clients.csv", "customers.parquet", "clients.csv"][n]
        held = room.data_size(campaign.parent / "data" / source)
        monkeypatch.setattr(room, "available_memory", lambda held=held: 3 * held)  # 4 times: whole
        batched = prepare(campaign, keep=tmp_path / f"batched{n}").audience
        assert batched.batched and not whole.batched
        assert _notes(batched) == _notes(whole) and _corrections(batched) == _corrections(whole)
        batched.notes, batched.corrections = whole.notes, whole.corrections  # compared above
        # kept under the same keys, in each one's output folder
        kept = batched.kept.relative_to(tmp_path / f"batched{n}")
        assert kept == whole.kept.relative_to(tmp_path / f"whole{n}")
        batched.kept = whole.kept
        _same(whole, batched)
        assert list(batched) == list(whole)  # recipients, households, variants
        for name in ("rejects", "corrections"):
            written = [tmp_path / f"{name}-{kind}.csv" for kind in ("whole", "batched")]
            getattr(whole, f"write_{name}")(written[0])
            getattr(batched, f"write_{name}")(written[1])
            assert written[0].read_bytes() == written[1].read_bytes(), name
    assert wholes[0].counts["control group"] and wholes[0].counts["suppressed (store)"]
    assert wholes[1].counts["duplicate"] and wholes[1].corrections
    assert any(r.household for r in wholes[0])
    assert any("Tilleuls\nB" in c.before for c in wholes[1].corrections)  # the value over two lines


def test_the_batches_are_read_and_the_whole_file_never_is(tmp_path, batches, run):
    campaign = _couette(tmp_path)
    done = run("validate", campaign)
    assert done.code == 0, done.err
    assert len(batches) >= 8 and sum(batches) > 190  # every row, in many batches
    assert "read a batch of rows at a time: too big to account whole" in done.out  # said why
    out = campaign.parent / "out"
    assert not list((out / FOLDER).glob("*/.new-*")) and not list((out / FOLDER).glob(".new-*"))
    assert not list(out.rglob("recoded.csv"))  # the recoding is not kept once read
    again = run("validate", campaign)  # the next command takes it as kept: no batch read again
    assert again.code == 0 and len(batches) < 2 * 8, again.out
    assert "as accounted at" in again.out and "a batch of rows" not in again.out


WIDER = "C9;M.;Luc;Perrin;5 rue Haute;bis;;69004;Lyon;l@exemple.fr;fidèle;01/10/2026;oui"  # 13 fields


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda rows: [*rows, WIDER], "a row has another number of fields than the header"),
        (lambda rows: [row.replace("Lyon", "Lyon\x0c") for row in rows], "it holds line breaks other than"),
    ],
    ids=["wider row", "form feed"],
)
def test_a_file_the_batches_cannot_read_exactly_is_refused_with_why(tmp_path, batches, run, change, why):
    """The careful reader would read these (and list the odd row): it holds the file whole,
    which this file is too big for. Refused, exit 2, at the campaign's line, nothing kept."""
    campaign = _couette(tmp_path)
    clients = campaign.parent / "data" / "clients.csv"
    header, *rows = clients.read_bytes().decode("cp1252").split("\r\n")
    clients.write_bytes("\r\n".join([header, *change(rows)]).encode("cp1252"))
    done = run("validate", campaign)
    assert done.code == 2 and "Traceback" not in done.err
    assert "cannot be read a batch at a time instead: " + why in done.err, done.err
    assert "campaign.yaml:17:" in done.err
    out = campaign.parent / "out"
    assert not (out / FOLDER).exists() or not any((out / FOLDER).rglob("*.arrow"))


CUT_SHORT = b"\r\nC9;M.;Luc;Perrin\xc3"  # a row whose last character is cut short


@pytest.mark.parametrize("end", [b"", CUT_SHORT], ids=["an accent", "a character cut short"])
def test_a_wrong_encoding_is_said_at_its_line_as_the_whole_reader_says_it(tmp_path, monkeypatch, run, end):
    """A cp1252 file said to be UTF-8: its first accent, or, at its very end, the first byte of
    a character the file ends before (the decoder holds it back until the end)."""
    campaign = _couette(tmp_path)
    text = campaign.read_text(encoding="utf-8").replace("  where:", "  encoding: utf-8\n  where:", 1)
    campaign.write_text(text, encoding="utf-8")
    clients = campaign.parent / "data" / "clients.csv"
    if end:  # the file in UTF-8 but its last byte
        clients.write_bytes(clients.read_bytes().decode("cp1252").encode() + end)
    whole = run("validate", campaign)
    monkeypatch.setattr(room, "available_memory", lambda: ROOM)
    monkeypatch.setattr(streamed, "BLOCK", 2048)
    batched = run("validate", campaign)
    assert whole.code == batched.code == 2
    said = [line for line in whole.err.splitlines() if "cannot be read as utf-8" in line]
    assert said and said[0] in batched.err, (whole.err, batched.err)


def test_without_room_on_disk_for_it_the_file_is_refused_before_a_batch(tmp_path, batches, run, monkeypatch):
    campaign = _couette(tmp_path)
    monkeypatch.setattr(streamed, "DISK", 10**15)
    done = run("validate", campaign)
    assert done.code == 2 and "on disk, and the output folder has" in done.err, done.err
    assert not batches


def test_too_big_even_a_batch_at_a_time_is_refused_before_it_is_read(tmp_path, batches, run, monkeypatch):
    """A batch at a time, a file takes what the accounting holds of each row and the work on a
    step's slice of rows (streamed.need), for the rows its first megabyte says it has."""
    monkeypatch.setattr(streamed, "SLICE_BYTES", SLICE_BYTES)
    campaign = _couette(tmp_path)
    rows = streamed.estimated_rows(campaign.parent / "data" / "clients.csv")
    assert rows == len((campaign.parent / "data" / "clients.csv").read_bytes().splitlines())
    monkeypatch.setattr(room, "available_memory", lambda: streamed.need(rows) - 1)
    done = run("validate", campaign)
    assert done.code == 2 and "read a batch at a time instead, it would still take" in done.err, done.err
    assert not batches and not (campaign.parent / "out").exists()
    monkeypatch.setattr(room, "available_memory", lambda: streamed.need(rows))
    assert run("validate", campaign).code == 0 and batches
    # ten million rows: 96 bytes each, and 320 each of a step's million
    assert streamed.need(10_000_000) == 10_000_000 * 96 + (1 << 20) * 320


def test_a_file_s_rows_are_estimated_from_its_first_megabyte(tmp_path):
    """The room check comes before the file is read: its rows are estimated from the mean
    line of its first megabyte (within a few per cent on a file whose lines vary), a small
    file's counted, a Parquet file's read from its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    draw = random.Random(11)
    lines = [";".join("x" * draw.randrange(5, 40) for _ in range(6)) for _ in range(60_000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 2 * streamed.SAMPLE
    assert abs(streamed.estimated_rows(path) - 60_000) < 60_000 * 0.03
    (tmp_path / "small.csv").write_text("a;b\n1;2\n3;4", encoding="utf-8")  # no last line break
    assert streamed.estimated_rows(tmp_path / "small.csv") == 3
    pq.write_table(pa.table({"a": list(range(5000))}), tmp_path / "c.parquet", row_group_size=700)
    assert streamed.estimated_rows(tmp_path / "c.parquet") == 5000


def test_a_parquet_file_is_measured_by_what_it_holds_not_its_compressed_size(tmp_path, monkeypatch):
    """A column of notes repeated on every row: the Parquet file is a few kilobytes, its data
    half a megabyte. Measured by its size on disk, it would be read whole: the room check
    would let through a file whose reading kills the process."""
    campaign = _parquet(tmp_path)
    data = campaign.parent / "data" / "customers.parquet"
    import pandas as pd

    frame = pd.read_parquet(data)
    frame["Notes"] = "client fidèle, préfère le courrier au téléphone, " * 40
    frame.to_parquet(data, row_group_size=50)
    held = room.data_size(data)
    assert held > 5 * data.stat().st_size
    monkeypatch.setattr(room, "available_memory", lambda: 3 * held)  # whole: 4 times; batches: 2
    assert prepare(campaign, keep=tmp_path / "out").audience.batched


def test_without_an_output_folder_the_library_says_to_give_one(tmp_path, monkeypatch):
    from publipost.errors import AudienceError

    monkeypatch.setattr(room, "available_memory", lambda: ROOM)
    with pytest.raises(AudienceError) as refused:
        prepare(_couette(tmp_path))
    assert "keep='out'" in str(refused.value) and "a batch at a time" in str(refused.value)


def test_rows_of_another_width_are_found_a_chunk_at_a_time_as_line_by_line():
    """streamed.Widths against each line's fields counted in Python, over random files with no
    quote cut into random chunks: \r\n cut in two, empty lines, a last line with no break."""
    draw = random.Random(7)
    for _ in range(500):
        lines = [
            "a;b;c",
            *(
                ";".join("x" * draw.randrange(3) for _ in range(draw.choice([1, 2, 3, 3, 3, 4])))
                for _ in range(draw.randrange(12))
            ),
        ]
        ending = draw.choice(["\n", "\r\n"])
        data = ending.join(lines).encode() + draw.choice([b"", ending.encode()])
        widths = streamed.Widths(None)
        at = 0
        while at < len(data):
            step = draw.randrange(1, 9)
            widths.add(data[at : at + step])
            at += step
        widths.add(b"", final=True)
        expected = [
            (number, line)
            for number, line in enumerate(data.decode().replace("\r\n", "\n").split("\n"), start=1)
            if number > 1 and line and line.count(";") != 2
        ]
        assert widths.odd == expected, data


def test_a_line_without_end_is_refused_before_it_fills_memory(monkeypatch):
    monkeypatch.setattr(streamed, "LONGEST", 1000)
    widths = streamed.Widths(";")
    widths.add(b"a;b\n1;2\n" + b"x" * 600)
    with pytest.raises(streamed.CannotStream, match="a line of over"):
        widths.add(b"x" * 600)


def test_lines_counted_a_chunk_at_a_time_are_the_whole_file_s():
    """A \r\n cut between two chunks is one line end: the count is table._lines' of the whole."""
    draw = random.Random(31)
    for _ in range(2000):
        data = bytes(draw.choice(b"ab\r\n\n") for _ in range(draw.randrange(0, 30)))
        counted = streamed.Lines()
        at = 0
        while at < len(data):
            step = draw.randrange(1, 5)
            counted.add(data[at : at + step])
            at += step
        for mixed in (False, True):
            assert counted.lines(mixed) == table._lines(data, mixed), (data, mixed)


def test_progress_is_told_batch_by_batch_up_to_every_record(tmp_path, batches):
    campaign = _couette(tmp_path)
    told: list[tuple[int, int]] = []
    prepare(campaign, keep=tmp_path / "out", progress=lambda *a: told.append(a))
    text = (campaign.parent / "data" / "clients.csv").read_text(encoding="cp1252")
    records = len(list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))) - 1  # blank rows too
    assert len(told) == len(batches) + 1 and told[-1] == (records, records)
    reads = [read for read, _ in told]
    assert reads == sorted(reads) and reads[0] > 0 and all(read <= total for read, total in told)
    lines = table._lines((campaign.parent / "data" / "clients.csv").read_bytes(), mixed=True)
    # told of a record a line while reading: the address on two lines is one record, said at the end
    assert {total for _, total in told[:-1]} == {lines - 1} and lines - 1 > records


def test_progress_is_told_in_the_campaign_s_language(tmp_path, batches, monkeypatch):
    """The bar's label is said at the first batch: in French for the French campaign, on an
    English machine, as the summary after it."""
    from publipost.i18n import _

    monkeypatch.delenv("PUBLIPOST_LANG", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.setenv(name, "en_US.UTF-8")
    labels: set[str] = set()
    prepare(
        _couette(tmp_path), keep=tmp_path / "out", progress=lambda *_a: labels.add(_("reading in batches"))
    )
    assert labels == {"lecture par lots"}


def test_a_file_read_whole_tells_no_progress(tmp_path):
    told: list[tuple[int, int]] = []
    prepare(_couette(tmp_path), keep=tmp_path / "out", progress=lambda *a: told.append(a))
    assert not told


def test_the_reading_bar_starts_at_the_first_batch_and_advances_by_what_was_read(monkeypatch):
    from publipost.cli import common

    bars: list[tuple[int, str]] = []
    steps: list[int] = []

    @contextlib.contextmanager
    def bar(total, label):
        bars.append((total, label))
        yield steps.append

    monkeypatch.setattr(common, "progress_bar", bar)
    with common.reading_bar() as told:
        assert not bars  # a file read whole shows no bar
        for read in (100, 250, 400, 400):
            told(read, 500)
    assert bars == [(500, "reading in batches")] and steps == [100, 150, 150, 0]


def test_a_sorted_copy_is_written_and_mapped_a_column_at_a_time(tmp_path):
    """target.sort on an audience read in batches: the sorted text is not held in memory (ten
    million rows: 2.7 GB), and nothing is left on disk once mapped."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    rows = 20_000
    frame = pd.DataFrame(
        {
            "last_name": [f"Mercier-{n:08d}" for n in range(rows)],
            "postcode": [f"{(n * 7919) % 95000:05d}" for n in range(rows)],
            "_row": range(2, rows + 2),
            "_reach_letter": [n % 3 > 0 for n in range(rows)],
            "_household": [None] * rows,
        },
        index=pd.RangeIndex(rows) * 3,
    ).astype({"last_name": "str", "postcode": "str"})
    positions = np.random.default_rng(31).permutation(rows)
    before = pa.total_allocated_bytes()
    sorted_ = streamed.taken(frame, positions, tmp_path / "out")
    assert pa.total_allocated_bytes() - before < 100_000  # the text is in the files' pages
    pd.testing.assert_frame_equal(sorted_, frame.take(positions))
    assert not any((tmp_path / "out").iterdir())  # removed once mapped
    maps = Path("/proc/self/maps")
    if maps.exists():  # Linux: the text's bytes lie in the (removed) files' pages
        mapped = [
            [int(end, 16) for end in line.split()[0].split("-")]
            for line in maps.read_text().splitlines()
            if ".sorted-" in line
        ]
        for name in ("last_name", "postcode"):
            for chunk in sorted_[name].array.__arrow_array__().chunks:
                assert any(start <= chunk.buffers()[2].address < end for start, end in mapped), name


def test_letters_and_e_mails_rendered_from_batches_are_the_whole_file_s(tmp_path, monkeypatch, run):
    campaign = _unquoted(tmp_path)
    clients = campaign.parent / "data" / "clients.csv"
    formats = ("text", "email.text")
    wholes = [
        run("render", campaign, "--format", f, "--no-lint", "--out", tmp_path / f"w{f}") for f in formats
    ]
    held = room.data_size(clients)
    monkeypatch.setattr(room, "available_memory", lambda: 3 * held)
    monkeypatch.setattr(streamed, "BLOCK", 2048)
    batched = [
        run("render", campaign, "--format", f, "--no-lint", "--out", tmp_path / f"b{f}") for f in formats
    ]
    assert all(done.code == 0 for done in [*wholes, *batched]), [d.err for d in [*wholes, *batched]]
    assert "read a batch of rows at a time" in batched[0].out
    for f in formats:
        written = {
            p.relative_to(tmp_path / f"w{f}"): p.read_bytes() for p in (tmp_path / f"w{f}").rglob("*.txt")
        }
        again = {
            p.relative_to(tmp_path / f"b{f}"): p.read_bytes() for p in (tmp_path / f"b{f}").rglob("*.txt")
        }
        assert len(written) > 100 and written == again, f


@pytest.mark.parametrize("fault", ["disk full", "interrupted"])
def test_a_fault_mid_file_leaves_nothing_kept_and_the_next_run_reads_all(
    tmp_path, batches, run, monkeypatch, fault
):
    """The output folder fills up at the third batch, or the run is stopped (Ctrl-C) there:
    said (exit 2 and what to do, or 130), nothing half-kept stays, and the next run reads
    every batch again."""
    import errno

    from publipost.campaigns import accounted

    campaign = _couette(tmp_path)
    add = accounted.Keeping.add
    seen = []

    def failing(self, table):
        seen.append(1)
        if len(seen) == 3:
            if fault == "disk full":
                raise OSError(errno.ENOSPC, "No space left on device")
            raise KeyboardInterrupt
        return add(self, table)

    monkeypatch.setattr(accounted.Keeping, "add", failing)
    out = campaign.parent / "out"
    done = run("validate", campaign)
    if fault == "disk full":  # said as any output folder that cannot be written
        assert done.code == 2 and "Traceback" not in done.err, done.err
        assert "No space left on device" in done.err and "with --out" in done.err
    else:
        assert done.code == 130 and "interrupted" in done.err, done.err
    assert not [p for p in (out / FOLDER).rglob("*") if p.is_file()]  # nothing half-kept
    monkeypatch.setattr(accounted.Keeping, "add", add)
    batches.clear()
    again = run("validate", campaign)
    assert again.code == 0 and len(batches) >= 8 and "as accounted at" not in again.out, again.err


LET_GO = """
import ctypes
import numpy as np
from publipost.campaigns.audience import _let_go
def own():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("RssAnon"))
libc = ctypes.CDLL("libc.so.6")
# where a step's arrays go once big ones were freed (glibc raises its mmap threshold then, up to
# 32 MB): on the heap, which gives back only its top by itself (M_MMAP_THRESHOLD -3, M_TRIM_THRESHOLD -1)
assert libc.mallopt(-3, 32 << 20) and libc.mallopt(-1, 1 << 30)
arrays, kept = [], []
for _ in range(100):  # 200 MB on the heap, a small array kept after each: holes once they are freed
    arrays.append(np.ones((2 << 20) // 8))
    kept.append(np.ones(1000))
del arrays
before = own()
_let_go()
print(before, own())
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="RssAnon is Linux's")
def test_memory_a_step_freed_is_given_back_to_the_system():
    """_let_go, after each step, gives the heap's free pages back (glibc's malloc_trim): a
    step's arrays freed in between arrays still held stayed the process's, 200 MB here."""
    import platform
    import subprocess
    import sys

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    said = subprocess.run([sys.executable, "-c", LET_GO], capture_output=True, text=True, check=True)
    before, after = map(int, said.stdout.split())
    assert before > 200 and after < before - 150, (before, after)


def _long_file(folder: Path, rows: int = 4000) -> Path:
    path = folder / "clients.csv"
    lines = ["id;Nom;Adresse;Code postal;Ville"]
    lines += [f"C{n:05d};Nom{n};{n} rue des Lilas;69001;Lyon" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def paced(monkeypatch):
    """The Paced files opened, kept to be looked at."""
    opened = []

    class Kept(streamed.Paced):
        def __init__(self, *args):
            super().__init__(*args)
            opened.append(self)

    monkeypatch.setattr(streamed, "Paced", Kept)
    return opened


def test_arrow_reads_no_more_than_a_few_blocks_ahead_of_the_batches_taken(tmp_path, monkeypatch, paced):
    """Arrow's reader read up to 32 blocks ahead of the batch being accounted (512 MB of a big
    file, a small one whole): it now reads LEAD at most, and every row still comes."""
    import time

    monkeypatch.setattr(streamed, "BLOCK", 4096)  # some forty blocks
    path = _long_file(tmp_path)
    found = streamed.survey(path, None, tmp_path)
    ids = []
    for batch in streamed.batches(found, path, None):
        time.sleep(0.01)  # the accounting at work: the reader's own thread reads on meanwhile
        ids += batch.frame["id"].tolist()
    assert ids == [f"C{n:05d}" for n in range(4000)]
    (file,) = paced
    assert file.most <= streamed.LEAD and file.closed


def test_batches_stopped_early_let_the_file_go_and_a_starved_reader_goes_on(tmp_path, monkeypatch, paced):
    """A run stopped at the second batch (an error, Ctrl-C) closes the file, and Arrow's reading
    thread is let go. Should the reader ever need more blocks than LEAD before a batch, it goes
    on after STALL seconds instead of waiting for ever."""
    monkeypatch.setattr(streamed, "BLOCK", 4096)
    path = _long_file(tmp_path)
    found = streamed.survey(path, None, tmp_path)
    read = streamed.batches(found, path, None)
    next(read), next(read)
    read.close()
    assert paced[0].closed and paced[0]._file.closed
    monkeypatch.setattr(streamed, "LEAD", 0)  # never a block ahead: each read starves
    monkeypatch.setattr(streamed.Paced, "STALL", 0.005)
    rows = sum(len(batch.frame) for batch in streamed.batches(found, path, None))
    assert rows == 4000


def test_a_file_of_short_lines_is_read_in_batches_of_at_most_batch_rows(tmp_path, monkeypatch, paced):
    """A batch's work is per row: 16 MB of short lines were twice the rows of the bench's. The
    block Arrow reads is BATCH_ROWS lines of the file's mean length."""
    monkeypatch.setattr(streamed, "BATCH_ROWS", 2000)  # (blocks of 64 KB at least)
    path = _long_file(tmp_path, 40_000)
    found = streamed.survey(path, None, tmp_path)
    sizes = [len(batch.frame) for batch in streamed.batches(found, path, None)]
    assert sum(sizes) == 40_000 and len(sizes) >= 18 and max(sizes) <= 2000 * 1.2, sizes


@pytest.mark.parametrize("damage", ["footer", "data"])
@pytest.mark.parametrize("batched", [False, True])
def test_a_damaged_parquet_file_is_said_as_the_file_s_fault(tmp_path, monkeypatch, run, damage, batched):
    """A Parquet export cut short or damaged (its footer, or a data page the footer points to)
    is bad input: exit 2, naming the file and what to do. pyarrow's error is an OSError, which
    was printed with the hint for an output folder that cannot be written."""
    campaign = _parquet(tmp_path)
    path = campaign.parent / "data" / "customers.parquet"
    data = bytearray(path.read_bytes())
    if damage == "footer":
        data[-12:-8] = b"\xff\xff\xff\x7f"  # (the footer's length, before the closing magic)
    else:  # a run of bytes in the middle of the first row group's pages
        middle = len(data) // 4
        data[middle : middle + 200] = b"Z" * 200
    path.write_bytes(bytes(data))
    if batched:
        monkeypatch.setattr(room, "available_memory", lambda: 3 * path.stat().st_size)
    done = run("validate", campaign)
    assert done.code == 2 and done.out == "", done.err
    assert f"{path}: cannot read the Parquet file: " in done.err, done.err
    assert "export it again from its source (or as CSV)" in done.err and "output folder" not in done.err
