"""Repeated keys found on hashes (campaigns/repeats.py): always the answer the keys' own text
gives, slice by slice, and when two keys share a hash."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pandas as pd
import pytest

from publipost.campaigns import repeats as repeats_module
from publipost.campaigns.repeats import repeats
from tests.conftest import EXAMPLES


def _expected(keys: list[str], positions: list[int]) -> tuple[list[int], list[int]]:
    """The rows whose key came before among those asked about, and each one's first row of
    that key: counted with a dict, row by row ("" is no key)."""
    first: dict[str, int] = {}
    rows, firsts = [], []
    for row in positions:
        if keys[row] != "" and first.setdefault(keys[row], row) != row:
            rows.append(row)
            firsts.append(first[keys[row]])
    return rows, firsts


def _draws():
    draw = random.Random(18)
    for _ in range(200):
        size = draw.randrange(0, 80)
        kinds = draw.randrange(1, size + 2)
        keys = [
            draw.choice(["", f"k{draw.randrange(kinds)}", f"k{draw.randrange(kinds)}|x"]) for _ in range(size)
        ]
        positions = sorted(draw.sample(range(size), draw.randrange(size + 1)))
        yield keys, positions


def _found(keys: list[str], positions: list[int]):
    column = pd.Series(keys, dtype=object)
    found = repeats(lambda at: column.iloc[at], np.array(positions, dtype=np.int64))
    return found.rows.tolist(), found.firsts.tolist()


def test_repeats_are_the_rows_whose_key_came_before_a_slice_at_a_time(monkeypatch):
    monkeypatch.setattr(repeats_module, "SLICE", 7)  # many slices for a few dozen rows
    for keys, positions in _draws():
        assert _found(keys, positions) == _expected(keys, positions), (keys, positions)


def test_two_keys_with_one_hash_are_told_apart_by_their_text(monkeypatch):
    """Every key hashed alike, the worst case: each repeat is checked against its first row's
    key, and the keys are then compared whole. Without the check, every keyed row after the
    first would be called a repeat."""
    monkeypatch.setattr(repeats_module, "SLICE", 5)
    monkeypatch.setattr(repeats_module, "hash_keys", lambda values: np.zeros(len(values), dtype=np.uint64))
    for keys, positions in _draws():
        assert _found(keys, positions) == _expected(keys, positions), (keys, positions)


def test_a_campaign_s_duplicates_and_clashing_ids_are_the_same_when_every_hash_collides(
    tmp_path, monkeypatch
):
    """The English example with a customer twice (deduplicated by e-mail) and an id used twice:
    the same rows are set aside, for the same reasons, whether the keys are compared at once,
    on their hashes, or on hashes that all collide."""
    from publipost.api import prepare

    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    customers = folder / "data" / "customers.csv"
    lines = customers.read_text(encoding="utf-8").splitlines()
    twice = lines[1].replace("PL-0001", "PL-9001")  # the same e-mail address, another id
    clash = lines[2].replace("ava.taylor2@", "ava.taylor.new@")  # another address, the same id
    customers.write_text("\n".join([*lines, twice, clash]) + "\n", encoding="utf-8")

    def rejects() -> list[list[object]]:
        return prepare(folder / "campaign.yaml").audience.rejects().values.tolist()

    told = rejects()  # 215 rows: one slice, the keys compared at once
    said = {row[0]: row[2] for row in told}  # row (the file's line) → reason
    assert said[214] == "same email as row 2" and said[215] == "id 'PL-0002' is already used by row 3", said
    monkeypatch.setattr(repeats_module, "SLICE", 16)  # hashed, as a file of millions of rows is
    assert rejects() == told
    monkeypatch.setattr(repeats_module, "hash_keys", lambda values: np.zeros(len(values), dtype=np.uint64))
    assert rejects() == told


@pytest.mark.parametrize("rows", [0, 1])
def test_no_row_or_one_has_no_repeat(rows):
    assert _found(["a"] * rows, list(range(rows))) == _expected(["a"] * rows, list(range(rows)))
