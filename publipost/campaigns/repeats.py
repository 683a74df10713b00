"""Which rows repeat an earlier row's key (deduplication, ids that clash), found on 64-bit hashes.

The keys themselves, as text, cost 250 bytes a row at their peak (folded, joined, put in a
hash table: 146 MB for 577,000 keys, measured), the most of any step of a file read in
batches. So each key is made a slice of rows at a time, hashed (pandas' SipHash of each value)
and let go; only the hashes (8 bytes a row) are compared, sorted. Two different keys with the
same hash would make a false repeat: every repeat found is checked against its first row's
key, as text, and if one differs (for ten million distinct keys, about three chances in a
million) the keys are compared whole instead. So the result is always the one the keys' own
comparison gives. Rows that fit in one slice are compared on their keys at once: hashing them
saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

SLICE = 1 << 18  # rows whose keys are made, hashed and let go at a time

Keys = Callable[[np.ndarray], pd.Series]  # the key of the rows at these positions; "" for none


@dataclass(frozen=True)
class Repeats:
    """The rows that repeat an earlier row's key, in order, and each one's first row of that key
    (positions in the frame)."""

    rows: np.ndarray
    firsts: np.ndarray


def repeats(keys: Keys, positions: np.ndarray) -> Repeats:
    """The rows at these positions (in order) that repeat an earlier one's key."""
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) > SLICE:  # more than one slice: compared on hashes, each repeat checked
        hashes, keyed = _hashed(keys, positions)
        if not keyed.all():  # (no copy of ten million hashes and positions when all have a key)
            hashes, positions = hashes[keyed], positions[keyed]
        found = _repeats_of(hashes)
        del hashes
        if _same_keys(keys, positions[found.rows], positions[found.firsts]):
            return Repeats(positions[found.rows], positions[found.firsts])
    # one slice (its keys are made at once anyway), or two keys with one hash: compared whole
    whole = keys(positions)
    keyed = (whole != "").to_numpy(dtype=bool)
    found = _repeats_of(pd.factorize(whole[keyed])[0])
    rows = positions[keyed]
    return Repeats(rows[found.rows], rows[found.firsts])


def _repeats_of(values: np.ndarray) -> Repeats:
    """The places in `values` that repeat an earlier equal value, and that value's first place.
    Sorted, equal values side by side: 300 MB for ten million, where a hash table of them
    (pd.factorize) took 590 and no less time. Only the runs of two or more are looked into
    further: most values are alone, and a run's first place for every row was another 180 MB."""
    if not len(values):
        return Repeats(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    order = np.argsort(values)  # equal values side by side, in any order among themselves
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]  # each sorted place but the first: its value is the one before's
    del ordered
    if not same.any():  # no value twice: the usual ids, every e-mail address of a clean file
        return Repeats(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    in_runs = np.zeros(len(order), dtype=bool)  # the sorted places in a run of two or more
    in_runs[1:] = same
    in_runs[:-1] |= same
    members = np.flatnonzero(in_runs)
    del in_runs
    starts = np.ones(len(members), dtype=bool)  # where a run begins, among its members
    starts[1:] = ~same[members[1:] - 1]  # (the place before a run's next member is a member)
    del same
    runs = np.flatnonzero(starts)
    placed = order[members]
    del order
    # the first place of each run of equal values is the least place in it
    first = np.repeat(np.minimum.reduceat(placed, runs), np.diff(runs, append=len(placed)))
    repeat = placed != first
    rows, firsts = placed[repeat], first[repeat]
    by_place = np.argsort(rows)
    return Repeats(rows[by_place], firsts[by_place])


def _hashed(keys: Keys, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row's key's hash, whether it has a key), made a slice at a time."""
    hashes = np.empty(len(positions), dtype=np.uint64)
    keyed = np.empty(len(positions), dtype=bool)
    for start in range(0, len(positions), SLICE):
        part = keys(positions[start : start + SLICE]).to_numpy(dtype=object)
        hashes[start : start + len(part)] = hash_keys(part)
        keyed[start : start + len(part)] = part != ""
    return hashes, keyed


def hash_keys(values: np.ndarray) -> np.ndarray:
    """Each value's 64-bit hash, value by value (categorize=False: no table of the distinct
    values is built, which is what the hashing saves)."""
    return pd.util.hash_array(values, categorize=False)


def _same_keys(keys: Keys, these: np.ndarray, firsts: np.ndarray) -> bool:
    """Whether each row's key is its first row's, as text, a slice at a time."""
    for start in range(0, len(these), SLICE):
        own = keys(these[start : start + SLICE]).to_numpy(dtype=object)
        theirs = keys(firsts[start : start + SLICE]).to_numpy(dtype=object)
        if not (own == theirs).all():
            return False
    return True
