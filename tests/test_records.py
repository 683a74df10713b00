"""Records held as columns (campaigns/records.py) behave as the list of objects they stand for."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from publipost.campaigns.audience import Correction, RowNote
from publipost.campaigns.records import Records, tally

TEXTS = ["", "filtered out", "rejected", "é\u0301", "a;b\r\nc", "😀"]


kept: list[object] = []


def _step(draw: random.Random, records: Records, oracle: list[RowNote]) -> None:
    """One thing a command or a notebook does with notes, done to both."""
    what = draw.randrange(7)
    if what in (0, 1):  # added a column at a time, a field shared or not
        count = draw.randrange(4)
        rows = [draw.randrange(50) for _ in range(count)]
        outcome = draw.choice(TEXTS) if what == 0 else [draw.choice(TEXTS) for _ in rows]
        reason = [draw.choice(TEXTS) for _ in rows] if what == 0 else draw.choice(TEXTS)
        given = np.array(rows, dtype=np.int64) if draw.random() < 0.5 else rows  # as a step gives them
        records.add(row=given, outcome=outcome, reason=reason)
        outcomes = outcome if isinstance(outcome, list) else [outcome] * count
        reasons = reason if isinstance(reason, list) else [reason] * count
        oracle += map(RowNote, rows, outcomes, reasons)
    elif what == 2:  # as a list is
        note = RowNote(draw.randrange(50), draw.choice(TEXTS), draw.choice(TEXTS))
        records.append(note)
        oracle.append(note)
    elif what == 3:  # counted by the module's function, as write_rejects counts
        field = draw.choice(["row", "outcome", "reason"])
        assert tally(records, field) == Counter(getattr(n, field) for n in oracle)
    elif what == 4:
        value = draw.choice(TEXTS)
        assert records.select("outcome", value.__ne__) == [n for n in oracle if n.outcome != value]
    elif what == 5:  # kept as Arrow and read back
        kept.append(records.table())  # (kept, as accounted.py keeps it, while notes are added after)
        back = Records(RowNote, kept[-1])
        assert len(back) == len(oracle) and back.tally("reason") == Counter(n.reason for n in oracle)
        assert back == oracle
    else:
        assert records[-1:] == oracle[-1:]


def test_records_held_as_columns_are_the_list_of_objects_they_stand_for():
    """Whatever a command does with notes (added by column, one at a time, counted, chosen,
    kept as Arrow and read back, copied), in any order: they are, and count as, the same
    notes in the same order as a plain list of RowNotes."""
    draw = random.Random(3)
    for _ in range(300):
        records, oracle = Records(RowNote), []
        if draw.random() < 0.3:  # recalled, as a later command starts
            oracle = [RowNote(draw.randrange(50), draw.choice(TEXTS), draw.choice(TEXTS)) for _ in range(5)]
            seed = Records(RowNote)
            seed.add(
                row=[n.row for n in oracle],
                outcome=[n.outcome for n in oracle],
                reason=[n.reason for n in oracle],
            )
            records = Records(RowNote, seed.table())
        for _ in range(draw.randrange(12)):
            _step(draw, records, oracle)
            for field in ("row", "outcome", "reason"):
                assert records.tally(field) == Counter(getattr(n, field) for n in oracle)
            assert len(records) == len(oracle)
            if draw.random() < 0.2:
                copied, before = records.copy(), list(oracle)
                copied.add(row=[1], outcome="x", reason="y")
                assert records == before and copied == [*before, RowNote(1, "x", "y")]
        assert list(records) == oracle
        assert all(type(note.row) is int for note in records)  # (a numpy integer is not JSON's)


def test_records_of_one_shared_value_are_not_made_objects_until_asked():
    """400,000 rows filtered out by one condition: added, counted, chosen and kept as Arrow
    without one object made; a list's question (iterating) makes them."""
    records = Records(RowNote)
    records.add(row=list(range(400_000)), outcome="filtered out", reason="does not match target.where (x)")
    records.add(row=[5, 2], outcome="rejected", reason=["no street", "no town"])
    assert records.tally("outcome") == Counter({"filtered out": 400_000, "rejected": 2})
    assert records.select("outcome", "rejected".__eq__) == [
        RowNote(5, "rejected", "no street"),
        RowNote(2, "rejected", "no town"),
    ]
    assert records.table().num_rows == 400_002
    assert records._made is None
    assert next(iter(records)) == RowNote(0, "filtered out", "does not match target.where (x)")
    assert records._made is not None


def test_fields_of_unequal_lengths_are_refused():
    with pytest.raises(ValueError, match="unequal lengths"):
        Records(RowNote).add(row=[1, 2], outcome=["a"], reason="b")


def test_numbers_are_kept_as_numbers_and_text_dictionary_encoded():
    import pyarrow as pa

    records = Records(Correction)
    records.add(row=[3, 4], field="city", before=["Lyon ", "Paris"], after=["Lyon", "Paris"], reason="space")
    table = records.table()
    assert table.schema.field("row").type == pa.int64()
    assert pa.types.is_dictionary(table.schema.field("reason").type)
    assert Records(Correction, table) == [
        Correction(3, "city", "Lyon ", "Lyon", "space"),
        Correction(4, "city", "Paris", "Paris", "space"),
    ]


def test_a_million_notes_hold_their_rows_in_eight_bytes_each():
    """Row numbers held as 8-byte integers, not a Python int each in a list (36 bytes: the 4
    million rows a date filter sets aside in ten million were 140 MB), made, kept as Arrow
    and read back alike."""
    import tracemalloc

    rows = range(1_000_000, 2_000_000)
    tracemalloc.start()
    try:
        records = Records(RowNote)
        records.add(row=rows, outcome="filtered out", reason="does not match target.where (x)")
        held, _ = tracemalloc.get_traced_memory()
        back = Records(RowNote, records.table())
        assert back.tally("outcome") == Counter({"filtered out": 1_000_000})  # read back into columns
        assert back.select("row", (1_999_999).__eq__) == [
            RowNote(1_999_999, "filtered out", "does not match target.where (x)")
        ]
    finally:
        tracemalloc.stop()
    # the rows (8 MB) and two lists of references (8 MB each) to one shared text
    assert held < 30_000_000, held
