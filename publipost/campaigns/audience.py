"""Customer file → the recipients of a campaign, with every row accounted for.

Each source row ends in exactly one place: targeted, filtered out, duplicate,
suppressed, or rejected with a reason. Values are cleaned on the way in
(stray newlines, control characters, mojibake, ALL-CAPS names) and every change
is recorded, so nothing is lost or altered silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, MutableSequence, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from publipost.campaigns.emails import NO_EMAIL, check_column
from publipost.i18n import N_, chosen, speaking

if TYPE_CHECKING:
    from publipost.campaigns.accounted import Keeping, Kept
    from publipost.campaigns.complaints import Complaints
from publipost.campaigns.fields import map_headers, suggest_field
from publipost.campaigns.model import Campaign
from publipost.campaigns.names import needs_casing, proper_case
from publipost.campaigns.parts import read_source
from publipost.campaigns.reach import Reach, default_reach
from publipost.campaigns.records import Records, tally
from publipost.campaigns.repeats import Keys, repeats
from publipost.campaigns.room import STEP_ROWS
from publipost.campaigns.suppression import POSTAL_FIELDS, SuppressionList, read_suppression
from publipost.campaigns.table import (
    ROW,
    WHITESPACE,
    Table,
    blank_rows,
    casefolded,
    distinct_codes,
    folded_words,
    in_arrow,
    on_every_core,
    per_value,
    rows_at,
    table_from_frame,
)
from publipost.campaigns.where import Reading, where_mask
from publipost.collector import collector_paused
from publipost.cores import cores
from publipost.csvout import write_csv
from publipost.errors import AudienceError
from publipost.folding import fold_words
from publipost.store.keys import postal_hash

ID, EMAIL, VARIANT = "_id", "_email", "_variant"
HOUSEHOLD = "_household"  # a household's letter: the name it carries (civility, first, last), or None
REACH = "_reach_"  # + a channel's name: whether that channel reaches the row
NAME_FIELDS = ("first_name", "last_name")
# Patterns are written with literal characters (not \\u escapes) so that pandas can hand them to
# Arrow's regex engine (RE2), ten times faster than a Python call per value; Python's re reads
# them the same way.
CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029]")
MOJIBAKE = re.compile(
    "Ã[\\x80-\\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
    "|â€|Â[\\xa0-\\xbf]"
)
# Embedding, override and isolate controls: they can make a name read backwards ("moc.knab"),
# in a greeting, a subject or a To: header.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
MARKUP = re.compile(r"\{\{|\{%|\{#|<" + WHITESPACE + r"*[A-Za-z/!]")
SUSPECT = re.compile(f"{CONTROL.pattern}|{MOJIBAKE.pattern}|{BIDI.pattern}")
# What any of the cleaning would change or note, but a space at the end (a `$` would send pandas
# to Python's re for the column: untidy() asks Arrow's RE2 itself, or looks at the last character)
UNTIDY = f"{SUSPECT.pattern}|^{WHITESPACE}|{WHITESPACE}{{2}}|{MARKUP.pattern}"


def untidy(column: pd.Series) -> pd.Series:
    """The values any of the cleaning would change or note: a column with none is left as read."""
    if in_arrow(column):  # one pass of RE2, which reads `$` itself
        import pyarrow.compute as pc

        found = pc.match_substring_regex(column.array.__arrow_array__(), f"{UNTIDY}|{WHITESPACE}$")
        return pd.Series(found.to_numpy(zero_copy_only=False), index=column.index, dtype=bool)
    return column.str.contains(UNTIDY, regex=True) | column.str[-1:].isin(list(WHITESPACE[1:-1]))


FOUR_DIGITS = re.compile(r"^\d{4}$")


SLICE = 10_000  # rows made into Python values at a time by in_slices


def most(measure: np.ndarray, count: int) -> np.ndarray:
    """The places of the `count` greatest values, the greatest first, ties in order, blanks
    (NaN) last: what a stable argsort of -measure begins with, found without sorting every row
    (ten million rows' sort took a second and 80 MB; a partition finds the count-th value)."""
    key = -measure
    key[np.isnan(key)] = np.inf
    if count >= len(key):
        return np.argsort(key, kind="stable")
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    edge = np.partition(key, count - 1)[count - 1]  # the count-th least key
    below = np.flatnonzero(key < edge)
    chosen = np.concatenate([below, np.flatnonzero(key == edge)[: count - len(below)]])
    return chosen[np.argsort(key[chosen], kind="stable")]


def in_slices(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple]:
    """These columns of every row, as Python values made a slice of rows at a time (a column the
    frame lacks reads as ""): as Python objects, four columns of 100,000 rows are 24 MB at once,
    for a job index or a manifest that writes them a row at a time."""
    for start in range(0, len(frame), SLICE):
        part = frame.iloc[start : start + SLICE]
        blanks = [""] * len(part)
        yield from zip(*(part[c].tolist() if c in part else blanks for c in columns), strict=True)


class Outcome(StrEnum):
    TARGETED = "targeted"
    CONTROL = "control group"  # held out on purpose: mailed nothing, their purchases are the baseline
    FILTERED = "filtered out"
    DUPLICATE = "duplicate"
    SUPPRESSED = "suppressed"  # by the campaign's exclude: files
    STORE = "suppressed (store)"  # by the sender's suppression store (unsubscribes, bounces, complaints)
    REJECTED = "rejected"


def outcomes(count: int, outcome: Outcome = Outcome.TARGETED) -> pd.Categorical:
    """`count` rows' outcome column: a category, every outcome among its categories. A byte a
    row, where text was 16 (160 MB of ten million rows, rebuilt whole by every step that set
    some rows' outcome); comparing it to an outcome compares the bytes."""
    codes = np.full(count, list(Outcome).index(outcome), dtype=np.int8)
    return pd.Categorical.from_codes(codes, categories=[o.value for o in Outcome])


# The outcomes as summaries show them (the values above are the CSV's and the JSON's).
OUTCOME_LABELS = {
    Outcome.TARGETED: N_("targeted"),
    Outcome.CONTROL: N_("control group"),
    Outcome.FILTERED: N_("filtered out"),
    Outcome.DUPLICATE: N_("duplicate"),
    Outcome.SUPPRESSED: N_("suppressed"),
    Outcome.STORE: N_("suppressed (store)"),
    Outcome.REJECTED: N_("rejected"),
}


@dataclass(frozen=True)
class Recipient:
    row: int
    id: str
    fields: dict[str, str]
    email: str | None  # validated and normalised, or None when unusable
    channels: frozenset[str] = frozenset()  # the channels that can reach this recipient
    variant: str = ""  # the variant of the copy this recipient gets ("" without variants)
    household: dict[str, str] | None = None  # target.household: how their letter names everyone

    @property
    def postal(self) -> bool:
        """Whether a printed letter can reach this recipient."""
        return "letter" in self.channels

    @property
    def letter_fields(self) -> dict[str, str]:
        """The fields their letter is merged with: a household's names over their own."""
        return {**self.fields, **self.household} if self.household else self.fields


@dataclass(frozen=True, slots=True)  # slots: a million-row file may hold 400,000 of them
class RowNote:
    """Why a row was not (fully) targeted."""

    row: int
    outcome: str
    reason: str


@dataclass(frozen=True, slots=True)
class Correction:
    """A value changed, or kept but flagged, on the way in."""

    row: int
    field: str
    before: str
    after: str
    reason: str


@dataclass
class StoreCheck:
    """What the suppression store said of this audience."""

    location: str  # shown without a password
    origin: str  # where the location was set: PUBLIPOST_STORE, a config file, or "default"
    consulted: bool = True  # False: the campaign opted out (store: false)
    emails: int = 0  # e-mail addresses suppressed
    postal: int = 0  # postal addresses suppressed
    entries: bool = True  # False: the store does not exist yet (nothing suppressed)
    real: str = field(default="", repr=False)  # the location itself (a URL may hold a password)
    id: str = ""  # the store's own id ("" when it does not exist yet)
    total: int = 0  # entries it holds
    accept_change: bool = False  # another store than the one this campaign ran with is fine (--store-changed)


@dataclass
class Audience:
    source: Table
    headers: dict[str, str]  # field → header in the file
    frame: pd.DataFrame  # every row read, cleaned, with its outcome
    # held as columns, made objects when first used (campaigns/records.py): 400,000 rows filtered
    # out are 400,000 notes
    notes: Records = field(default_factory=lambda: Records(RowNote))
    corrections: MutableSequence[Correction] = field(default_factory=list)
    suppression: list[SuppressionList] = field(default_factory=list)  # the exclude lists, as read
    keyed_by: str = "row"  # what recipient ids come from: a column, the e-mail address, or the row
    store: StoreCheck | None = None
    conditions: list[str] = field(default_factory=list)  # target.where, each condition as it was read
    complaints: Complaints | None = None  # a complaints file (kind: complaint-reply), checked
    recalled: dt.datetime | None = (
        None  # read, cleaned and checked by an earlier command, then (accounted.py)
    )
    settled: bool = False  # and accounted whole then: nothing it depends on changed since
    # read a batch of rows at a time, too big to account whole in memory (streamed.py): the
    # folder where its columns are written to be mapped into memory (its output folder's kept)
    batched: Path | None = field(default=None, compare=False)
    # where its whole accounting is kept (accounted.py): the reports written from it are kept
    # there too; an audience changed afterwards (only, held_back, rows_of) has none
    kept: Path | None = field(default=None, repr=False)
    # each channel and its problem per row, kept until outcomes are final (_note_partial)
    _partial: dict[str, tuple[Reach, pd.Series]] = field(default_factory=dict, repr=False)
    _lookup: tuple | None = field(default=None, repr=False, compare=False)  # a cache
    # where each channel's rows are in `frame` (_positions_reached); not copied into an audience
    # made from this one (replace), which a Dask chunk is: it would carry this whole frame along
    _reached: tuple[pd.DataFrame, dict[str, np.ndarray]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def fields(self) -> list[str]:
        return list(self.headers)

    @property
    def field_kinds(self) -> dict[str, str]:
        """The fields a DataFrame gave as dates or numbers with decimals (see table._kind)."""
        kinds = self.source.kinds
        return {name: kinds[header] for name, header in self.headers.items() if header in kinds}

    @property
    def rows_read(self) -> int:
        return len(self.frame)

    @property
    def counts(self) -> Counter[str]:
        found = self.frame["_outcome"].value_counts()  # counted in C, not row by row
        return +Counter({str(k): int(found.get(k, 0)) for k in [*(o.value for o in Outcome), *found.index]})

    @property
    def targeted(self) -> pd.DataFrame:
        return self.frame[self.frame["_outcome"] == Outcome.TARGETED]

    def variant_counts(self) -> dict[str, int]:
        """Targeted recipients per variant (empty without variants)."""
        if VARIANT not in self.frame:
            return {}
        column = self.frame.loc[self.frame["_outcome"] == Outcome.TARGETED, VARIANT]
        if not (column != "").any():
            return {}
        return {str(k): int(v) for k, v in sorted(column.value_counts().items()) if v}

    def suggest(self, name: str) -> str:
        return suggest_field(name, self.headers)

    @property
    def channels(self) -> list[str]:
        """The channels this audience was accounted for."""
        return [c.removeprefix(REACH) for c in self.frame.columns if c.startswith(REACH)]

    def channel_count(self, channel: str) -> int:
        return len(self._positions_reached(channel))  # found once, for the chunks that follow

    def __len__(self) -> int:
        return int((self.frame["_outcome"] == Outcome.TARGETED).sum())

    def __iter__(self) -> Iterator[Recipient]:
        return self._recipients(self.targeted)

    def recipients(self) -> pd.DataFrame:
        """The targeted recipients as a DataFrame (a notebook's view): id, row, variant, one
        `by_<channel>` column per channel saying whether it reaches them, the e-mail address as
        checked, then their fields as the copy names them."""
        targeted = self.targeted
        columns = {"id": targeted[ID], "row": targeted[ROW].astype(int)}
        if VARIANT in targeted and targeted[VARIANT].astype(str).ne("").any():
            columns["variant"] = targeted[VARIANT].astype(str)
        for channel in self.channels:
            columns[f"by_{channel}"] = targeted[REACH + channel].astype(bool)
        columns["email_checked"] = targeted[EMAIL].fillna("")
        frame = pd.DataFrame(columns)
        for name in self.fields:
            frame[name] = targeted[name]
        return frame.reset_index(drop=True)

    def by_ids(self, ids: list[str]) -> Iterator[Recipient]:
        """The targeted recipients of these ids (unknown ones left out). A send reads its work
        from the journal a batch at a time: only that batch's data becomes Python objects."""
        if self._lookup is None:
            targeted = self.targeted
            self._lookup = ({rid: i for i, rid in enumerate(targeted[ID].tolist())}, targeted)
        positions, targeted = self._lookup
        found = np.array([positions[rid] for rid in ids if rid in positions], dtype=np.int64)
        return self._recipients(rows_at(targeted, found))

    def longest(self, channel: str, fields: list[str], count: int) -> Iterator[Recipient]:
        """The targeted recipients a channel reaches with the most characters in these fields,
        and those with the most of them filled: `count` of each (the window check's extremes),
        read from those columns only, never a copy of every row."""
        frame = self.frame
        column = REACH + channel
        if column not in frame or not fields:
            return iter(())
        reached = self._positions_reached(channel)
        # (4-byte floats: a row's characters are counted exactly up to 16 million)
        lengths, filled = np.zeros(len(reached), np.float32), np.zeros(len(reached), np.float32)
        # each column measured a slice of rows at a time (its stripped text, ten million rows at
        # once, was the most memory validate took), then the reached rows' figures picked: taking
        # those rows out first read the whole column anyway, and copied most of it
        for start in range(0, len(frame), STEP_ROWS):
            first, last = np.searchsorted(reached, [start, start + STEP_ROWS])
            picked = reached[first:last] - start
            for name in fields:
                cells = frame[name].iloc[start : start + STEP_ROWS].astype(str)
                lengths[first:last] += cells.str.len().to_numpy(dtype=np.float32, na_value=np.nan)[picked]
                filled[first:last] += cells.str.strip().ne("").to_numpy(dtype=np.float32)[picked]
        chosen: set[int] = set()
        for measure in (lengths, filled):
            chosen.update(most(measure, count).tolist())
        # those rows alone, in the file's order (a copy of every reached row cost 0.08 s at a million)
        return self._recipients(rows_at(frame, reached[sorted(chosen)]))

    def longest_value(self, channel: str, field: str) -> tuple[str, int] | None:
        """(value, row) of the targeted row a channel reaches whose `field` is longest, the first
        in the file's order of those: `longest` for one field, without the fullest rows, from
        the column's lengths alone (2 ms instead of 11 for 200,000 rows: asked by every render)."""
        column = REACH + channel
        if column not in self.frame:
            return None
        reached = self._positions_reached(channel)
        if not len(reached):
            return None
        cells = self.frame[field].astype(str)
        lengths = cells.str.len().to_numpy(dtype=float, na_value=-1.0)[reached]
        at = int(reached[int(lengths.argmax())])
        return str(cells.iloc[at]), int(self.frame[ROW].iloc[at])

    def mailing_list(self) -> Iterator[tuple[str, int, str]]:
        """(id, row, e-mail) of the targeted recipients the e-mail reaches, in file order: what a
        send's journal records, read from the columns (no Recipient built for each)."""
        return in_slices(self.reached("email", [ID, ROW, EMAIL]), [ID, ROW, EMAIL])

    def reached(self, channel: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The targeted rows a channel reaches; with `columns`, those columns only: a copy of
        them alone (every column of 100,000 rows is 28 MB, for a job index that lists four)."""
        frame = self.frame
        mask = self._reaches(channel)
        return frame[mask] if columns is None else frame.loc[mask, columns]

    def _reaches(self, channel: str) -> pd.Series:
        frame = self.frame
        column = REACH + channel
        if column not in frame:
            return pd.Series(False, index=frame.index)
        return (frame["_outcome"] == Outcome.TARGETED) & frame[column]

    def recipients_of(self, channel: str, start: int = 0, end: int | None = None) -> Iterator[Recipient]:
        """Targeted recipients a channel reaches, from the start-th to the end-th (a print
        chunk): a copy of those rows only, not of every row reached (28 MB at 100,000)."""
        return self._recipients(self._rows_reached(channel, start, end))

    def _rows_reached(self, channel: str, start: int, end: int | None) -> pd.DataFrame:
        return rows_at(self.frame, self._positions_reached(channel)[start:end])

    def _positions_reached(self, channel: str) -> np.ndarray:
        """Where the rows a channel reaches are, found once for this frame: a print run asks
        chunk after chunk (the mask of a million rows took 10 ms each time). Kept with the frame
        it was found in, so an audience made anew (only, held_back, rows_of, the sort) finds its
        own; a frame is changed in place only while it is accounted, before any is asked."""
        if self._reached is None or self._reached[0] is not self.frame:
            self._reached = (self.frame, {})
        found = self._reached[1]
        if channel not in found:
            found[channel] = np.flatnonzero(self._reaches(channel).to_numpy())
        return found[channel]

    def letter_recipients(self, start: int = 0, end: int | None = None) -> Iterator[Recipient]:
        return self.recipients_of("letter", start, end)

    def longest_id(self, channel: str | None = None) -> str | None:
        """The recipient whose fields are longest together (of those a channel reaches): the
        one to look at or test-send, since that is where layouts break."""
        rows = self.reached(channel) if channel else self.targeted
        if rows.empty:
            return None
        if not self.fields:
            return str(rows[ID].iloc[0])
        lengths = sum(rows[name].astype(str).str.len() for name in self.fields)
        return str(rows[ID].iloc[int(lengths.to_numpy().argmax())])

    def only(self, ids: Sequence[str]) -> Audience:
        """The same audience reduced to these targeted recipients, in the order given (render
        --only). An id that is not targeted is an error naming it and why."""
        wanted = list(dict.fromkeys(ids))
        asked = (self.frame["_outcome"] == Outcome.TARGETED) & self.frame[ID].isin(wanted)
        targeted = rows_at(self.frame, np.flatnonzero(asked.to_numpy()))
        # only the asked rows leave Arrow: a set of every id cost 0.2 s at 200,000 rows
        known = set(targeted[ID].tolist())
        missing = [i for i in wanted if i not in known]
        if missing:
            raise AudienceError(
                "; ".join(self.why_not(i) for i in missing), hint="ids are listed by validate"
            )
        frame = targeted.set_index(ID, drop=False).loc[wanted].reset_index(drop=True)
        return replace(self, frame=frame, _lookup=None, kept=None)

    def rows_of(self, channel: str, start: int = 0, end: int | None = None) -> Audience:
        """The targeted rows a channel reaches, the start-th to the end-th, as an audience of their
        own: what a chunk carries to a worker that does not share this process's memory (a Dask
        worker), so that each worker holds a chunk of the customer file, not all of it."""
        rows = self._rows_reached(channel, start, end)
        source = replace(
            self.source, frame=self.source.frame.iloc[0:0], malformed=[], rejected_values={}, parts=[]
        )
        return replace(
            self,
            source=source,
            frame=rows,
            notes=Records(RowNote),
            corrections=[],
            suppression=[],
            complaints=None,
            _partial={},
            _lookup=None,
            kept=None,
        )

    def held_back(self, reasons: dict[int, str]) -> Audience:
        """The same audience with these rows (spreadsheet row → why) held back: reached by no
        channel, listed with their reason (rejects.csv), the others untouched."""
        frame = self.frame.copy()
        held = replace(self, frame=frame, notes=self.notes.copy(), _lookup=None, kept=None)
        mask = frame[ROW].astype(int).isin(list(reasons))
        _set_outcome(held, mask, Outcome.REJECTED, frame[ROW].astype(int).map(reasons).fillna(""))
        return held

    def why_not(self, recipient_id: str) -> str:
        """Why no targeted recipient has this id: its row's outcome, or no such id."""
        rows = self.frame[self.frame[ID] == recipient_id]
        if rows.empty:
            return f"no customer has the id '{recipient_id}'"
        row = int(rows[ROW].iloc[0])
        note = next(iter(self.notes.select("row", row.__eq__)), None)
        reason = f"{note.outcome}: {note.reason}" if note else rows["_outcome"].iloc[0]
        return f"'{recipient_id}' (row {row}) is not targeted ({reason})"

    def longest_values(self) -> dict[str, str] | None:
        """The longest value of every field among the targeted recipients: what decides how many
        lines a paragraph takes once merged (the linter measures with them)."""
        targeted = self.targeted
        if targeted.empty:
            return None
        longest = {}
        for name in self.fields:
            column = targeted[name].astype(str)
            longest[name] = column.loc[column.str.len().idxmax()]
        return longest

    def _recipients(self, targeted: pd.DataFrame) -> Iterator[Recipient]:
        names = self.fields
        channels = self.channels
        reach = [targeted[REACH + c] for c in channels]
        sets: dict[tuple[bool, ...], frozenset[str]] = {}
        variants = targeted[VARIANT] if VARIANT in targeted else ("",) * len(targeted)
        households = targeted[HOUSEHOLD] if HOUSEHOLD in targeted else (None,) * len(targeted)
        for values in zip(
            targeted[ROW],
            targeted[ID],
            targeted[EMAIL],
            zip(*reach, strict=True) if reach else ((),) * len(targeted),
            variants,
            households,
            *(targeted[n] for n in names),
            strict=True,
        ):
            row, rid, email, flags, variant, household, *cells = values
            key = tuple(bool(f) for f in flags)
            reached = sets.get(key)
            if reached is None:
                reached = sets[key] = frozenset(c for c, f in zip(channels, key, strict=True) if f)
            fields = dict(zip(names, cells, strict=True))
            yield Recipient(
                int(row),
                rid,
                fields,
                email or None,
                reached,
                variant,
                household if isinstance(household, dict) else None,
            )

    def why_unreached(self, channel: str, most: int = 2) -> list[tuple[str, int]]:
        """The main reasons the rows that were read do not get this channel (for the message
        when it reaches nobody): the reasons of rows reached by another channel only, and of
        rejected rows, most frequent first."""
        from collections import Counter

        own = {"letter": "letter only", "email": "e-mail only"}.get(channel, f"{channel} only")
        counted = Counter(
            part
            for n in self.notes
            if n.outcome == Outcome.REJECTED.value
            or (n.outcome.endswith(" only") and n.outcome != own)
            or (n.outcome.startswith("not by") and channel in n.outcome)
            for part in n.reason.split(" (the row is")[0].split("; ")
        )
        return counted.most_common(most)

    def not_targeted(self) -> list[RowNote]:
        """The rows not (fully) targeted, as rejects.csv and the preview list them (one count,
        everywhere): rows filtered out by target.where are the filter doing its job, not listed."""
        return sorted(self.notes.select("outcome", _listed_outcome), key=lambda n: n.row)

    def _reject_rows(self) -> tuple[list[str], Iterator[list[object]]]:
        """rejects.csv's header and rows: row number (and for a file in parts its part and row
        there), outcome, reason, then the row as it was read. Filtered rows are left out. The
        rows are made a slice at a time, as they are written: 236,000 listed rows of ten
        million, made at once, were 330 MB of Python text."""
        notes = self.not_targeted()
        fields = list(self.headers)
        parted = bool(self.source.parts)
        # each listed row's place in the frame, found in one pass (the first place of a row
        # twice); -1 for a row the frame lacks (one too wide to read: its cells are blank)
        numbers = np.array([n.row for n in notes], dtype=np.int64)
        at = np.flatnonzero(self.frame[ROW].isin(numbers).to_numpy())  # (a table of the few asked)
        listed = self.frame[ROW].iloc[at].to_numpy(dtype=np.int64)
        order = np.argsort(listed, kind="stable")
        known, places = listed[order], at[order]
        where = np.full(len(numbers), -1, dtype=np.int64)
        if len(known):
            found = np.minimum(np.searchsorted(known, numbers), len(known) - 1)
            hit = known[found] == numbers
            where[hit] = places[found[hit]]
        blank = [""] * len(fields)
        columns = self.frame[fields]  # (those columns, not a copy)

        def where_in_parts(row: int) -> list[object]:
            found = self.source.part_of(row) if parted else None
            return list(found) if found else []

        def rows() -> Iterator[list[object]]:
            for start in range(0, len(notes), SLICE):
                here = where[start : start + SLICE]
                # the listed rows only (a copy of every row cost 0.3 s at a million), their cells
                # in one lookup (a cell at a time cost 1.6 s for 3,700 rows)
                taken = rows_at(columns, here[here >= 0]).fillna("").to_numpy().tolist()
                cells = iter(taken)
                for note, place in zip(notes[start : start + SLICE], here.tolist(), strict=True):
                    values = next(cells) if place >= 0 else blank
                    yield [note.row, *where_in_parts(note.row), note.outcome, note.reason, *values]

        places_header = ["part", "part row"] if parted else []
        return ["row", *places_header, "outcome", "reason", *self.headers.values()], rows()

    def rejects(self) -> pd.DataFrame:
        """The rows not (fully) targeted and why, as a DataFrame (a notebook's rejects.csv)."""
        header, rows = self._reject_rows()
        return pd.DataFrame(list(rows), columns=header)

    def write_rejects(self, path: Path, separator: str = ",") -> int:
        """Rows not (fully) targeted, with row number, outcome and reason (see _reject_rows)."""
        self._report(path, "rejects", separator, self._reject_rows)
        # the rows not_targeted lists, counted without sorting them (or making recalled notes)
        return sum(n for outcome, n in tally(self.notes, "outcome").items() if _listed_outcome(outcome))

    def write_corrections(self, path: Path, separator: str = ",") -> int:
        def table() -> tuple[list[str], Iterator[list[object]]]:
            corrections = sorted(self.corrections, key=lambda c: c.row)
            return ["row", "field", "before", "after", "reason"], (
                [c.row, c.field, c.before, c.after, c.reason] for c in corrections
            )

        self._report(path, "corrections", separator, table)
        return len(self.corrections)

    def _report(
        self, path: Path, name: str, separator: str, table: Callable[[], tuple[list[str], Iterable[Any]]]
    ) -> None:
        """Write a report, or copy the one kept with this audience accounted whole (accounted.py),
        and keep it there for the next command."""
        from publipost.campaigns import accounted

        kept_name = f"{name}-{ord(separator)}.csv"
        if not accounted.reuse(self.kept, kept_name, path):
            header, rows = table()
            write_csv(path, header, rows, separator)
            accounted.remember(self.kept, kept_name, path)


# Whether rejects.csv and the preview list a note of this outcome: rows filtered out by
# target.where are the filter doing its job, not listed. (str's own test, in C: asked of
# 400,000 notes, a function that looks the Enum member up at each call took 0.12 s, this 0.04.)
_listed_outcome: Callable[[str], bool] = Outcome.FILTERED.value.__ne__


@collector_paused()
def load_audience(
    campaign: Campaign,
    reach: Sequence[Reach] | None = None,
    *,
    frame: pd.DataFrame | None = None,
    rows: int | None = None,
    store: str | None = None,
    keep: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Audience:
    """The campaign's audience, every row accounted for.

    `reach` lists the channels to account for (default: the campaign's letter and e-mail, see
    campaigns/reach.py); `frame` is the customer data itself (a notebook's DataFrame) instead of
    the file `target.source` names; `rows`, the file's first rows only (a first look); `store`,
    the suppression store to consult (default: the configured one, see store/config.py);
    `keep`, an output folder where the file as read, cleaned and checked is kept for the next
    command, and taken from while nothing it depends on changed (campaigns/accounted.py);
    `progress`, told (records read, records in all) as a file too big for memory is read a
    batch at a time (streamed.py), the one read long enough to show."""
    from publipost.campaigns import accounted

    reach = default_reach(campaign) if reach is None else reach
    big = None  # why the file cannot be accounted in memory: then read a batch at a time
    if rows is None:  # before a byte is read
        big = _check_room(campaign, None if frame is not None else campaign.target.source, keep)
    location = _store_location(campaign, store)
    kept = whole = None
    if keep is not None and frame is None and rows is None:
        kept = accounted.key(campaign, [channel.name for channel in reach])
        whole = accounted.whole_key(kept, campaign, location) if kept else None
    if big is not None and (keep is None or not kept):
        raise big
    if keep is not None and kept and whole:
        settled = accounted.recall(keep, kept, whole, RECORDS)
        if settled is not None:
            try:
                found = _settled(settled, reach, location)
            except (KeyError, TypeError, ValueError):  # kept facts incomplete or of another shape
                pass
            else:
                found.kept = accounted.whole_place(keep, kept, whole)
                return found
    recalled = accounted.recall(keep, kept, makers=RECORDS) if keep is not None and kept else None
    audience = None
    if recalled is not None:
        try:
            audience = _recalled(recalled, reach)
        except (KeyError, TypeError, ValueError):  # kept facts incomplete or of another shape
            audience = None
    kept_now: Future[None] | None = None
    if audience is None and big is not None and keep is not None and kept:
        audience = _streamed(campaign, reach, keep, kept, big, _told_in(campaign.language, progress))
    if audience is None:
        audience = _read_and_check(campaign, reach, frame, rows)
        if keep is not None and kept:  # kept (an Arrow file) on the other core while the rest is done
            # (Arrow lets go of the GIL); a thread of its own, which a forked process never shares
            writer = ThreadPoolExecutor(1, thread_name_prefix="publipost-keep")
            kept_now = writer.submit(accounted.keep, keep, kept, *_to_keep(audience))
            writer.shutdown(wait=False)  # its one task done, the thread ends
    _add_malformed(audience, reach)
    consult: Callable[[Audience, Campaign], None] = functools.partial(_consult_store, store=location)
    steps = [_filter, _suppress, consult, _dedupe, _households]
    for step in [*steps, _assign_ids, _hold_out, _assign_variants, _sort]:
        step(audience, campaign)
        _let_go()
    if kept_now is not None:
        kept_now.result()
    audience = _finished(audience, campaign)
    if keep is not None and kept and whole:
        accounted.keep(keep, kept, *_to_keep(audience, whole=True), whole=whole)
        audience.kept = accounted.whole_place(keep, kept, whole)
    return audience


def _told_in(language: str, progress: Callable[[int, int], None] | None) -> Callable[[int, int], None] | None:
    """`progress` told in the campaign's language, as the summary after it (a bar's label is
    said when it is shown: before the command knows the campaign's language)."""
    if progress is None:
        return None
    language = chosen(language)

    def told(read: int, records: int) -> None:
        with speaking(language):
            progress(read, records)

    return told


def _let_go() -> None:
    """Arrow's allocator keeps what a step freed, for the steps after: 240 MB after a million
    rows read a batch at a time, 100-150 MB after the filter or deduplication of a million,
    held until the process ends. Given back to the system instead (no slower, measured)."""
    try:
        import pyarrow as pa
    except ImportError:  # the base install: nothing of Arrow's to give back
        pass
    else:
        pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, which gives back the heap's free pages: numpy's arrays of a step
    (under glibc's mmap threshold, which rises to 32 MB once big arrays are freed) are freed
    into the heap, and stay the process's: 35-40 MB after each step of a million rows read in
    batches (measured with and without). None where the C library is not glibc."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _check_room(campaign: Campaign, source: str | None, keep: Path | None) -> AudienceError | None:
    """Files too big to account in memory are found before they are read or digested
    (campaigns/room.py): each suppression list is refused; the customer file's refusal is
    returned when it may be read a batch at a time instead (streamed.py: one file of text, and
    an output folder to keep it in), else raised."""
    from publipost.campaigns.parts import part_paths
    from publipost.campaigns.paths import is_partitioned
    from publipost.campaigns.room import available_memory, check_room, too_big
    from publipost.campaigns.streamed import DELIMITED, estimated_rows, need, starts_as_text

    base = campaign.path.parent
    for index, exclusion in enumerate(campaign.target.exclude):
        where = campaign.where(("target", "exclude", index, "path"))
        check_room([campaign.resolve(exclusion.path)], where, "suppression list")
    if source is None:
        return None
    where = campaign.where(("target", "source"))
    if is_partitioned(base, source):
        check_room(part_paths(base, source), where)
        return None
    path = (base / source).resolve()
    refusal = too_big([path], where)
    if refusal is None:
        return None
    suffix = path.suffix.lower()
    if not (suffix == ".parquet" or (suffix in DELIMITED and starts_as_text(path))):
        raise refusal
    available, needed = available_memory(), need(estimated_rows(path))
    if available is not None and needed > available:  # (too_big knew it: not None)
        raise AudienceError(
            f"{refusal.message}; read a batch at a time instead, it would still take "
            f"{needed / 1024**3:.1f} GB",
            where,
            refusal.hint,
        )
    if keep is None:  # (the command line always has one: out/)
        hint = "give an output folder (prepare(..., keep='out')): it is then read a batch at a time"
        raise AudienceError(refusal.message, where, hint)
    return refusal


def _store_location(campaign: Campaign, given: str | None) -> tuple[str, str] | None:
    """The store this audience is checked against, and where that was set; None when it is not
    consulted at all (a reply to a complaint is a service letter: an unsubscribe does not stop
    it)."""
    from publipost.store.config import store_location

    if campaign.reply:
        return None
    return (given, "given") if given is not None else store_location(campaign.path.parent)


PROBLEM = "__problem_"  # a channel's problems per row, kept as columns of the frame


RECORDS = {"notes": RowNote, "corrections": Correction}  # kept as Arrow tables (accounted.records)


def _to_keep(audience: Audience, whole: bool = False, copy: bool = True) -> tuple[pd.DataFrame, dict, dict]:
    """The audience as read, cleaned and checked by its channels (`whole`: accounted whole): a
    frame and plain facts (`copy`: the frame a copy, which another thread writes while this
    audience goes on changing)."""
    # The file as read is written by another thread while the audience goes on changing: where
    # pandas copies on write (3.0 on, or when asked), a view whose later changes stay the
    # audience's own; else a copy. The audience accounted whole is written before it is returned.
    copies_on_write = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
    frame = audience.frame if whole or not copy else audience.frame.copy(deep=not copies_on_write)
    partial = {} if whole else audience._partial  # accounted whole, the notes say it (_finished)
    for name, (_, problems) in partial.items():
        frame[PROBLEM + name] = problems.reindex(frame.index)
    source = audience.source
    meta: dict[str, Any] = {
        "headers": audience.headers,
        "channels": list(partial),
        "source": {
            "path": str(source.path),
            "columns": [str(c) for c in source.frame.columns],
            "encoding": source.encoding,
            "separator": source.separator,
            "malformed": [[row, why] for row, why in source.malformed],
            "rejected_values": {str(row): values for row, values in source.rejected_values.items()},
            "digest": source.digest,
            "kinds": source.kinds,
        },
    }
    if whole:
        if HOUSEHOLD in frame:  # the names a household's letter carries, as JSON text (a new frame)
            named = [json.dumps(v, ensure_ascii=False) if v else None for v in frame[HOUSEHOLD]]
            frame = frame.assign(**{HOUSEHOLD: named})
        check = audience.store
        meta |= {
            "keyed_by": audience.keyed_by,
            "conditions": audience.conditions,
            "lists": [[str(s.path), s.match, s.entries, s.suppressed] for s in audience.suppression],
            "store": None if check is None else {k: v for k, v in vars(check).items() if k != "real"},
        }
    from publipost.campaigns import accounted

    tables = {name: accounted.records(getattr(audience, name), kind) for name, kind in RECORDS.items()}
    return frame, meta, tables


def _streamed(
    campaign: Campaign,
    reach: Sequence[Reach],
    keep: Path,
    kept: str,
    big: AudienceError,
    progress: Callable[[int, int], None] | None,
) -> Audience:
    """A file too big to account in memory, read and checked a batch of rows at a time into
    the kept audience, then taken from there mapped into memory (streamed.py)."""
    import shutil

    from publipost.campaigns import accounted, streamed
    from publipost.campaigns.room import data_size

    target = campaign.target
    path = campaign.resolve(target.source or "")
    place = keep
    while not place.exists():  # the output folder, or where it will be
        place = place.parent
    need, room = streamed.DISK * data_size(path), shutil.disk_usage(place).free
    if room < need:
        raise AudienceError(
            f"{big.message}; read a batch at a time instead, it needs {need / 1024**3:.0f} GB on "
            f"disk, and the output folder has {room / 1024**3:.1f} GB free",
            big.where,
            big.hint,
        )
    try:  # (an output folder that cannot be written, or fills up: the command says so; nothing stays)
        with accounted.Keeping(keep, kept) as keeping:
            _keep_batches(campaign, reach, path, keeping, progress)
    except streamed.CannotStream as exc:
        raise AudienceError(
            f"{big.message}; it cannot be read a batch at a time instead: {exc}",
            big.where,
            "check the campaign names the customer file; save it again from the spreadsheet as "
            "CSV, or split it (by region or date) and run a campaign for each part",
        ) from None
    recalled = accounted.recall(keep, kept, makers=RECORDS)
    if recalled is None:
        raise AudienceError(
            f"{big.message}; it was read a batch at a time, but could not be kept", big.where, big.hint
        )
    audience = _recalled(recalled, reach)
    audience.recalled, audience.batched = None, keep / accounted.FOLDER  # read just now
    return audience


def _keep_batches(
    campaign: Campaign,
    reach: Sequence[Reach],
    path: Path,
    keeping: Keeping,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Each batch of the file read (streamed.py), checked, and added to the kept audience."""
    import pyarrow as pa

    from publipost.campaigns import streamed

    meta: dict[str, Any] = {}
    tables: dict[str, list[Any]] = {name: [] for name in RECORDS}
    malformed: list[tuple[int, str]] = []
    rejected: dict[int, list[str]] = {}
    found = None
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        expected = pq.ParquetFile(path).metadata.num_rows
        batches = streamed.parquet_batches(path, streamed.BATCH_ROWS)
    else:
        separator = "\t" if path.suffix.lower() == ".tsv" else None
        found = streamed.survey(path, campaign.target.encoding, keeping.staging, separator)
        expected = (found.lines or 1) - 1  # records: one a line, or fewer (quoted line breaks)
        batches = streamed.batches(found, path, separator)
    read = 0
    for table in batches:
        read = int(table.frame[ROW].iloc[-1]) - 1 if len(table.frame) else read
        malformed += table.malformed  # the rows of another width the careful reader rejects
        rejected |= table.rejected_values
        frame, meta, records = _to_keep(_checked(table, campaign, reach), copy=False)
        keeping.add(streamed.arrow_of(frame))
        for name, records_table in records.items():
            tables[name].append(records_table)
        del frame
        _let_go()
        if progress is not None:
            progress(read, max(read, expected))
    if progress is not None:
        progress(read, read)  # every record read (fewer than lines where values hold line breaks)
    if not meta:
        raise streamed.CannotStream("it holds no row but its header")
    meta["source"]["malformed"] = [[row, why] for row, why in malformed]
    meta["source"]["rejected_values"] = {str(row): values for row, values in rejected.items()}
    if found is not None and found.read != path:
        found.read.unlink()  # its recoding into UTF-8, read
    whole = {
        name: pa.concat_tables(parts).unify_dictionaries().combine_chunks() for name, parts in tables.items()
    }
    keeping.finish(meta, whole)


def _recalled(kept: Kept, reach: Sequence[Reach]) -> Audience:
    frame, meta = kept.frame, kept.facts
    given = meta["source"]
    source = Table(
        Path(given["path"]),
        pd.DataFrame({c: pd.Series(dtype=object) for c in given["columns"]}),
        encoding=given["encoding"],
        separator=given["separator"],
        malformed=[(int(row), why) for row, why in given["malformed"]],
        rejected_values={int(row): values for row, values in given["rejected_values"].items()},
        digest=given["digest"],
        kinds=given["kinds"],
    )
    by_name = {channel.name: channel for channel in reach}
    partial = {name: (by_name[name], frame.pop(PROBLEM + name)) for name in meta["channels"]}
    audience = Audience(
        source,
        meta["headers"],
        frame,
        notes=kept.records["notes"],
        corrections=kept.records["corrections"],
        recalled=kept.when,
    )
    audience._partial = partial
    return audience


def _settled(kept: Kept, reach: Sequence[Reach], store: tuple[str, str] | None) -> Audience:
    """The audience accounted whole by an earlier command, as it was (campaigns/accounted.py)."""
    audience, meta = _recalled(kept, reach), kept.facts
    if HOUSEHOLD in audience.frame:
        audience.frame[HOUSEHOLD] = [json.loads(v) if v else None for v in audience.frame[HOUSEHOLD]]
    audience.keyed_by = meta["keyed_by"]
    audience.conditions = list(meta["conditions"])
    audience.suppression = [
        SuppressionList(Path(path), list(match), entries=int(entries), suppressed=int(suppressed))
        for path, match, entries, suppressed in meta["lists"]
    ]
    if meta["store"] is not None:
        audience.store = StoreCheck(**meta["store"], real=store[0] if store else "")
    audience.settled = True
    return audience


def _read_and_check(
    campaign: Campaign, reach: Sequence[Reach], frame: pd.DataFrame | None, rows: int | None
) -> Audience:
    """Read the customer file (or the DataFrame given), clean it, and ask each channel which
    rows it reaches: what does not change from one command to the next (accounted.py)."""
    target = campaign.target
    if frame is not None:
        table = table_from_frame(frame)
    elif target.source is None:
        raise AudienceError(
            "the campaign names no customer file",
            campaign.where(("target",)),
            "set target.source, or hand the customers over as a DataFrame",
        )
    else:
        table = read_source(
            campaign.path.parent, target.source, encoding=target.encoding, sheet=target.sheet, rows=rows
        )
    return _checked(table, campaign, reach)


def _checked(table: Table, campaign: Campaign, reach: Sequence[Reach]) -> Audience:
    """The rows read (all of them, or a streamed file's batch: each row's checks are its own),
    cleaned and checked by each channel."""
    data = table.frame
    data_columns = [c for c in data.columns if c != ROW]
    data[data_columns] = data[data_columns].astype(str)  # once: pandas' text (in Arrow, with pyarrow)
    blank = blank_rows(data, data_columns)
    data = data[~blank].copy() if blank.any() else data
    headers = map_headers(
        data_columns,
        campaign.target.columns,
        campaign.where(("target", "columns")),
        complaints=campaign.reply,
    )
    data = data.rename(columns=headers)
    audience = Audience(table, {f: h for h, f in headers.items()}, data)

    _clean(audience, campaign)
    audience.frame["_outcome"] = outcomes(len(audience.frame))
    _normalise_emails(audience)
    _check_channels(audience, campaign, reach)
    return audience


def _finished(audience: Audience, campaign: Campaign) -> Audience:
    if campaign.reply:
        from publipost.campaigns.complaints import check_columns, read_complaints

        check_columns(audience.headers, audience.suggest, campaign)
        audience.complaints = read_complaints(audience.targeted, campaign, ID)
        held = audience.complaints.held
        if held:  # those rows only: the batch goes on
            mask = audience.frame.index.isin(list(held))
            reasons = pd.Series(held).reindex(audience.frame.index, fill_value="")
            _set_outcome(audience, pd.Series(mask, index=audience.frame.index), Outcome.REJECTED, reasons)
    _note_partial(audience)
    audience._partial = {}  # its work done: the notes say it
    return audience


# --- cleaning ----------------------------------------------------------------------------------


def _clean(audience: Audience, campaign: Campaign) -> None:
    """Each column tidied, one per core at a time (Arrow's kernels let go of the GIL: a million
    rows' columns in 1.0 s instead of 1.6 s on two cores); the corrections listed in the
    columns' order, as if one at a time."""
    frame, fields = audience.frame, audience.fields
    style = _address_style(campaign)
    with ThreadPoolExecutor(cores(), thread_name_prefix="publipost-tidy") as pool:
        tidied: dict[str, Future[tuple[pd.Series, list[Correction]]]] = {}
        for name in sorted(fields, key=lambda name: name != "country"):  # a postcode waits for it
            country = tidied.get("country") if name == "postcode" else None
            tidied[name] = pool.submit(_tidy_distinct, frame, name, style, country)
        done = {name: tidied[name].result() for name in fields}
    for name, (column, corrections) in done.items():
        frame[name] = column
        audience.corrections += corrections


def _tidy(
    frame: pd.DataFrame, name: str, style: str, country: Future[tuple[pd.Series, list[Correction]]] | None
) -> tuple[pd.Series, list[Correction]]:
    """A column tidied, and what was corrected; `country`: the country column tidied, wherever
    it stands in the file (a postcode's lost zero is restored on domestic rows only)."""
    corrections: list[Correction] = []
    column = frame[name].astype(str)
    messy = bool(untidy(column).any())  # most columns hold nothing to fix: one scan tells
    if messy and column.str.contains(SUSPECT.pattern, regex=True).any():
        for pattern, fixer, reason in REPAIRS:
            column = _fix(corrections, frame, name, column, pattern, fixer, reason)
    stripped = column.str.strip().str.replace(WHITESPACE + "{2,}", " ", regex=True) if messy else column
    if name in NAME_FIELDS:
        # a name holding both an ASCII capital and an ASCII small letter is in neither case
        # whole: needs_casing says no without being asked (most names of a real file)
        mixed = stripped.str.contains("[a-z]", regex=True) & stripped.str.contains("[A-Z]", regex=True)
        stripped = _fix(
            corrections, frame, name, stripped, None, proper_case, "name case", needs_casing, ~mixed
        )
    if name == "postcode" and (lost := LOST_ZERO.get(style)):
        pattern, restore = lost  # a spreadsheet read the postcode as a number: its zero is gone
        written = country.result()[0] if country is not None else frame.get("country")
        home = _domestic(written, stripped.index, style)  # a Belgian 1000 is Brussels, not 01000
        stripped.loc[home] = _fix(
            corrections, frame, name, stripped[home], pattern, restore, "leading zero lost by a spreadsheet"
        )
    if messy and name != "message_id":  # a Message-ID is <id@domain> by its RFC: no markup
        flagged = stripped.str.contains(MARKUP.pattern, regex=True)
        for row, value in zip(frame.loc[flagged, ROW], stripped[flagged], strict=True):
            corrections.append(
                Correction(int(row), name, value, value, "template or markup characters: printed as written")
            )
    return stripped, corrections


def _tidy_distinct(
    frame: pd.DataFrame, name: str, style: str, country: Future[tuple[pd.Series, list[Correction]]] | None
) -> tuple[pd.Series, list[Correction]]:
    """_tidy of a column that repeats its values (first names, titles, towns, segments), asked of
    each distinct value once and taken back row by row; each correction then listed on every
    row holding its value, in _tidy's order. A million rows of 26 first names: 0.94 s → 0.05.
    A postcode is asked with its row's country: row by row."""
    column = frame[name].astype(str)
    coded = None if name == "postcode" else distinct_codes(column)
    if coded is None:
        return _tidy(frame, name, style, country)
    distinct, codes = coded
    tidied, found = _tidy(pd.DataFrame({name: distinct, ROW: np.arange(len(distinct))}), name, style, None)
    if not tidied.equals(distinct):  # (a column left as read is not copied: 100 MB at a million rows)
        column = tidied.take(codes).set_axis(frame.index)
    steps: dict[str, dict[int, Correction]] = {}  # a reason per step: each step's in row order
    for correction in found:
        steps.setdefault(correction.reason, {})[correction.row] = correction
    rows, corrections = frame[ROW].to_numpy(), []
    for fixed in steps.values():
        at = np.flatnonzero(np.isin(codes, list(fixed)))
        for code, row in zip(codes[at].tolist(), rows[at].tolist(), strict=True):
            corrections.append(replace(fixed[code], row=int(row)))
    return column, corrections


SHORT_ZIP = re.compile(r"^\d{3,4}(?:-\d{4})?$")
# Postcodes a spreadsheet stored as numbers, by address style: French codes have five digits
# (La Poste), US ZIPs five, or five and four (USPS Publication 28): shorter ones lost zeros.
LOST_ZERO: dict[str, tuple[re.Pattern[str], Callable[[str], str]]] = {
    "fr": (FOUR_DIGITS, lambda v: v.zfill(5)),
    "us": (SHORT_ZIP, lambda v: v.split("-")[0].zfill(5) + (v[v.index("-") :] if "-" in v else "")),
}


def _domestic(country: pd.Series | None, index: pd.Index, style: str) -> pd.Series:
    """The rows addressed in the home country: no Country column, an empty cell, or the home
    country however it is written."""
    if country is None:
        return pd.Series(True, index=index)
    from publipost.campaigns.countries import country_code

    written, home = country.astype(str).str.strip(), style.upper()
    return per_value(written, lambda v: (country_code(v) if v else home) == home).astype(bool)


def _address_style(campaign: Campaign) -> str:
    from publipost.campaigns.presets import campaign_preset

    return campaign_preset(campaign).address_style.name


def _fix(
    corrections: list[Correction],
    frame: pd.DataFrame,
    name: str,
    column: pd.Series,
    pattern: re.Pattern[str] | None,
    fixer: Callable[[str], str],
    reason: str,
    test: Callable[[str], bool] | None = None,
    among: pd.Series | None = None,
) -> pd.Series:
    """Apply `fixer` to the values that match, recording each change in `corrections`; `test`
    need be asked only of the cells `among` marks (the others are known to fail it)."""
    if test is not None:  # asked once a value: a file repeats its first names
        asked = column if among is None else column[among]
        hits = column.isin([value for value in asked.unique() if test(value)])
    else:
        assert pattern is not None
        hits = column.str.contains(pattern.pattern, regex=True)
    if not hits.any():
        return column
    before = column[hits]
    after = per_value(before, fixer)
    changed = (after != before).to_numpy()
    if not changed.any():
        return column
    before, after = before[changed], after[changed]
    column = column.copy()
    column.loc[after.index] = after  # at once: one by one, each write copies an Arrow array
    rows = frame.loc[after.index, ROW].astype(int).tolist()
    corrections += [
        Correction(row, name, old, new, reason)
        for row, old, new in zip(rows, before.tolist(), after.tolist(), strict=True)
    ]
    return column


def _flatten(value: str) -> str:
    """Newlines and tabs become spaces; other control characters go."""
    value = re.sub(r"[\r\n\t\u2028\u2029]+", " ", value)
    return CONTROL.sub("", value)


def _unmojibake(value: str) -> str:
    """'FranÃ§ois' → 'François': UTF-8 bytes that were read as cp1252 and saved again."""
    try:
        return value.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return value


# What a suspect cell (SUSPECT) may need, in this order: the pattern, the repair, its reason.
REPAIRS: list[tuple[re.Pattern[str], Callable[[str], str], str]] = [
    (CONTROL, _flatten, "line break or control character"),
    (MOJIBAKE, _unmojibake, "mis-encoded accents (mojibake)"),
    (BIDI, lambda v: BIDI.sub("", v), "bidirectional control character"),
]


# --- outcomes ----------------------------------------------------------------------------------


def _set_outcome(audience: Audience, mask: pd.Series, outcome: Outcome, reasons: pd.Series | str) -> None:
    """The masked rows still targeted get this outcome, each with its reason: one for all, or
    a Series holding at least the masked rows' (a step that sets a few rows aside need not
    write a reason for each of ten million others)."""
    frame = audience.frame
    mask = mask & (frame["_outcome"] == Outcome.TARGETED)
    if not mask.any():
        return
    value = outcome.value
    frame.loc[mask, "_outcome"] = value
    texts = _shared(reasons.reindex(frame.index[mask])) if isinstance(reasons, pd.Series) else reasons
    audience.notes.add(row=frame.loc[mask, ROW].to_numpy(dtype=np.int64), outcome=value, reason=texts)


def _shared(texts: pd.Series) -> list[str]:
    """The texts as a list where equal ones are one string: 400,000 rows filtered out by the
    same condition were 400,000 copies of its reason (100 bytes each), kept to the end."""
    codes, distinct = pd.factorize(texts, use_na_sentinel=False)
    values = list(distinct)  # (the values as tolist() gives them)
    return [values[code] for code in codes.tolist()]


def _add_malformed(audience: Audience, reach: Sequence[Reach]) -> None:
    if not audience.source.malformed:
        return
    rows = [r for r, _ in audience.source.malformed]
    extra = pd.DataFrame({ROW: rows})
    raw = audience.source.rejected_values
    for position, name in enumerate(audience.fields):  # the row as it was read, for rejects.csv
        extra[name] = [(raw.get(r, [])[position : position + 1] or [""])[0] for r in rows]
    extra[EMAIL] = ""
    for channel in reach:
        extra[REACH + channel.name] = False
    extra["_outcome"] = outcomes(len(extra), Outcome.REJECTED)
    audience.frame = pd.concat([audience.frame, extra], ignore_index=True)
    whys = [why for _, why in audience.source.malformed]
    audience.notes.add(row=rows, outcome=Outcome.REJECTED.value, reason=whys)


def _check_channels(audience: Audience, campaign: Campaign, reach: Sequence[Reach]) -> None:
    """A row must be reachable by at least one of the campaign's channels; a row some of them
    cannot reach is noted once its outcome is final (_note_partial)."""
    frame = audience.frame
    problems = {channel.name: channel.problems(audience, campaign) for channel in reach}
    for name, problem in problems.items():
        frame[REACH + name] = problem.eq("")
    if not problems:
        return
    unusable = pd.Series(True, index=frame.index)
    for problem in problems.values():
        unusable &= problem.ne("")
    reasons = pd.Series("", index=frame.index)
    said = [problem[unusable] for problem in problems.values()]  # the rows rejected only (a few)
    reasons[unusable] = functools.reduce(lambda a, b: a.str.cat(b, sep="; "), said).str.strip("; ")
    _set_outcome(audience, unusable, Outcome.REJECTED, reasons)
    audience._partial = {channel.name: (channel, problems[channel.name]) for channel in reach}


def _note_partial(audience: Audience) -> None:
    """Rows some channels cannot reach, recorded once their outcome is final: targeted ones as
    "letter only" / "e-mail only"; a problem a channel wants listed whatever becomes of the row
    ("e-mail invalid") is listed on rows filtered out, suppressed or duplicate too, so that the
    marketer can fix it whatever the filter."""
    frame, partial = audience.frame, audience._partial
    if len(partial) < 2:
        return
    targeted = frame["_outcome"] == Outcome.TARGETED
    missing_any = pd.Series(False, index=frame.index)
    for _, problem in partial.values():
        missing_any |= problem.reindex(frame.index, fill_value="").ne("")
    missed_rows = frame.index[targeted & missing_any]  # the few rows a channel misses, not every row
    said = {channel: problem.reindex(missed_rows).tolist() for channel, problem in partial.values()}
    labels, reasons = [], []
    for position in range(len(missed_rows)):
        missed = [(channel, problems[position]) for channel, problems in said.items() if problems[position]]
        reached = [channel for channel, problems in said.items() if not problems[position]]
        by = reached[0].only if len(reached) == 1 else "not by " + ", ".join(c.name for c, _ in missed)
        labels.append(by)
        reasons.append("; ".join(problem for _, problem in missed))
    audience.notes.add(row=frame.loc[missed_rows, ROW].astype(int).tolist(), outcome=labels, reason=reasons)
    elsewhere = ~targeted & (frame["_outcome"] != Outcome.REJECTED)
    for channel, problem in partial.values():
        if channel.invalid is None:
            continue
        listed = frame.index[elsewhere & problem.reindex(frame.index, fill_value="").ne("")]
        outcomes, whys = frame.loc[listed, "_outcome"].tolist(), problem.reindex(listed).tolist()
        audience.notes.add(
            row=frame.loc[listed, ROW].astype(int).tolist(),
            # "no e-mail", not "invalid": absent
            outcome=["no e-mail" if why == NO_EMAIL else channel.invalid for why in whys],
            reason=[f"{why} (the row is {outcome})" for outcome, why in zip(outcomes, whys, strict=True)],
        )


def _normalise_emails(audience: Audience) -> None:
    """Every row's e-mail address checked and normalised, whatever the channels: suppression
    lists and deduplication match on it."""
    frame = audience.frame
    if "email" not in frame.columns:
        frame[EMAIL] = ""
        frame["_email_problem"] = "no e-mail column"
        return
    sliced = on_every_core(frame["email"].astype(str), check_column)  # on every core
    for name, part in zip((EMAIL, "_email_problem"), zip(*sliced, strict=True), strict=True):
        frame[name] = pd.concat(part) if len(part) > 1 else part[0]


def _filter(audience: Audience, campaign: Campaign) -> None:
    """A row whose cell cannot be read for a condition is a reject, with why; a row that does not
    meet a condition is filtered out, naming the field. Read a slice of rows at a time (a row's
    outcome is its own cells'): what a condition reads of ten million rows at once is 900 MB.
    Reasons are kept as categories: each written once, not once a row."""
    if not campaign.target.where:
        return
    frame = audience.frame
    keep, failed, unreadable = [], [], []
    reading = Reading(campaign.language, campaign.target.date_format)
    with speaking(chosen(campaign.language)):  # each condition said in the campaign's language
        for start in range(0, max(len(frame), 1), STEP_ROWS):
            filtered = where_mask(
                frame.iloc[start : start + STEP_ROWS],
                campaign.target.where,
                campaign.where,
                audience.suggest,
                reading=reading,
            )
            keep.append(filtered.keep)
            failed.append(filtered.failed.astype("category"))
            unreadable.append(filtered.unreadable.astype("category"))
    audience.conditions = filtered.understood
    why = pd.Series(union_categoricals(unreadable), index=frame.index)
    bad = why != ""
    _set_outcome(audience, bad, Outcome.REJECTED, why)
    field = pd.Series(union_categoricals(failed), index=frame.index)
    said = [f"does not match target.where ({name})" for name in field.cat.categories]
    _set_outcome(audience, ~pd.concat(keep) & ~bad, Outcome.FILTERED, field.cat.rename_categories(said))


def _suppress(audience: Audience, campaign: Campaign) -> None:
    frame = audience.frame
    for index, exclusion in enumerate(campaign.target.exclude):
        loc = ("target", "exclude", index)
        listing = read_suppression(campaign.resolve(exclusion.path), exclusion.match, campaign.where(loc))
        audience.suppression.append(listing)
        for key in listing.match:
            listed = listing.keys[key] - {""}
            if not listed:  # (an empty list matches nobody: no key made for every row)
                continue
            # each row's key made a slice of rows at a time: ten million e-mail addresses folded
            # at once were 420 MB
            hit = pd.concat(
                [
                    _match_key(frame.iloc[start : start + STEP_ROWS], key).isin(listed)
                    for start in range(0, len(frame), STEP_ROWS)
                ]
                or [pd.Series(False, index=frame.index)]
            )
            before = int((frame["_outcome"] == Outcome.SUPPRESSED).sum())
            _set_outcome(audience, hit, Outcome.SUPPRESSED, f"{key} listed in {listing.path.name}")
            listing.suppressed += int((frame["_outcome"] == Outcome.SUPPRESSED).sum()) - before
        listing.keys = {}  # matched: not held through the run (a list may be a million addresses)


def _consult_store(audience: Audience, campaign: Campaign, store: tuple[str, str] | None) -> None:
    """The sender's suppression store, consulted for every targeted row: an e-mail address in it
    takes the e-mail away, a postal address the letter; a row left with no channel is
    suppressed (store), with the reason and date in rejects.csv."""
    from publipost.store.db import Store, is_url, shown
    from publipost.store.keys import email_keys

    if store is None:  # a reply to a complaint (_store_location)
        return
    location, origin = store
    check = audience.store = StoreCheck(shown(location), origin, consulted=campaign.store, real=location)
    if not campaign.store:
        return
    if not is_url(location) and not Path(location).exists():
        check.entries = False
        return
    frame = audience.frame
    targeted = (frame["_outcome"] == Outcome.TARGETED).to_numpy()
    live = frame.index[targeted].tolist()
    with ThreadPoolExecutor(1, thread_name_prefix="publipost-postal") as other:
        # the postal addresses folded in Arrow (which lets go of the GIL) while the e-mails are hashed
        postal = (
            other.submit(postal_keys, frame.loc[targeted, list(POSTAL_FIELDS)])
            if all(n in frame for n in POSTAL_FIELDS)
            else None
        )
        keys: dict[str, list[str | None]] = {"email": email_keys(frame[EMAIL].to_numpy()[targeted].tolist())}
        if postal is not None:
            keys["postal"] = postal.result()
    with Store(location, create=False) as opened:
        found = {kind: opened.said([k for k in listed if k], kind) for kind, listed in keys.items()}
        check.id, check.total = opened.identity(), opened.total()
    channel_of = {"email": "email", "postal": "letter"}
    lost = pd.Series("", index=frame.index, dtype=object)
    taken: dict[str, pd.Series] = {}  # channel → the store's reason, on the rows it takes
    for kind, said in found.items():
        rows = [(index, said[key]) for index, key in zip(live, keys[kind], strict=True) if key in said]
        if not rows:
            continue
        hit = pd.Series(
            [f"suppressed (store): {r}" for _, r in rows], index=[i for i, _ in rows], dtype=object
        )
        setattr(check, "emails" if kind == "email" else "postal", len(hit))
        channel = channel_of[kind]
        if REACH + channel in frame:
            frame.loc[hit.index, REACH + channel] = False
            lost.loc[hit.index] = (lost.loc[hit.index] + "; " + hit).str.strip("; ")
            taken[channel] = hit
    reach = [c for c in frame.columns if c.startswith(REACH)]
    unreachable = (~frame[reach].any(axis=1) if reach else pd.Series(False, index=frame.index)) & lost.ne("")
    _set_outcome(audience, unreachable, Outcome.STORE, lost)
    for channel, hit in taken.items():  # rows that keep another channel: "letter only", and why
        if channel in audience._partial:
            unit, problem = audience._partial[channel]
            kept = hit[~unreachable.reindex(hit.index)]
            problem = problem.copy()
            problem.loc[kept.index] = kept
            audience._partial[channel] = (unit, problem)


def postal_keys(frame: pd.DataFrame) -> list[str | None]:
    """The store's key of each row's postal address (store/keys.py's postal_key), the folding
    done a column at a time as the suppression lists' is (a row at a time, 200,000 rows cost
    0.8 s, a store of six entries or a million)."""
    return [postal_hash(text) for text in _match_key(frame, "address").tolist()]


def _match_key(frame: pd.DataFrame, key: str) -> pd.Series:
    if key == "email":
        # an internationalised domain matches in either spelling: compared in its IDNA form
        return casefolded(frame[EMAIL].astype(str))
    parts = [frame[n].astype(str) for n in POSTAL_FIELDS] if all(n in frame for n in POSTAL_FIELDS) else None
    if parts is None:
        return pd.Series("", index=frame.index)
    last_name, address1, postcode = (folded_words(part) for part in parts)
    keys = last_name + "|" + address1 + "|" + postcode  # postal_key, a column at a time
    return keys.where(parts[1].str.strip() != "", "")


def _joined_key(audience: Audience, campaign: Campaign, setting: str, keys: list[str]) -> Keys:
    """The key over these columns of the rows at given positions (folded: case, accents and
    spacing never tell two customers apart; "" where every column is blank), for target.dedupe
    or target.household; a column the file lacks is an error. Made for the rows asked only: a
    filter has often set most aside, and repeats.py asks a slice at a time."""
    frame = audience.frame
    for key in keys:
        if key not in frame.columns:
            raise AudienceError(
                f"target.{setting} names '{key}', which the customer file does not have",
                campaign.where(("target", setting)),
                audience.suggest(key),
            )
    columns = frame.columns.get_indexer(list(dict.fromkeys(EMAIL if k == "email" else k for k in keys)))

    def at(positions: np.ndarray) -> pd.Series:
        part = frame.iloc[positions, columns]  # those rows and columns only
        folded = [
            (_match_key(part, "email") if k == "email" else folded_words(part[k].astype(str))) for k in keys
        ]
        joined = folded[0]
        for column in folded[1:]:
            joined = joined + "|" + column
        return joined.where(joined.str.strip("|") != "", "")

    return at


def _dedupe(audience: Audience, campaign: Campaign) -> None:
    frame = audience.frame
    keys = campaign.target.dedupe
    if keys is None and campaign.reply and "reference" in frame.columns:
        # Every complaint gets its reply: a customer who complained twice is two rows to answer,
        # not a duplicate; the same complaint exported twice (its reference twice) is one.
        keys = ["reference"]
    if keys is None:
        keys = (
            ["email"]
            if "email" in frame.columns
            else [k for k in ("last_name", "first_name", "address1", "postcode") if k in frame.columns]
        )
    if not keys:
        return
    key = _joined_key(audience, campaign, "dedupe", keys)
    found = repeats(key, np.flatnonzero((frame["_outcome"] == Outcome.TARGETED).to_numpy()))
    if not len(found.rows):
        return
    rows = frame[ROW].to_numpy()[found.firsts].tolist()
    said = [f"same {'+'.join(keys)} as row {row}" for row in rows]
    _set_outcome(
        audience, _marked(frame, found.rows), Outcome.DUPLICATE, pd.Series(said, frame.index[found.rows])
    )


def _marked(frame: pd.DataFrame, positions: np.ndarray) -> pd.Series:
    """True at these positions of the frame, False elsewhere."""
    mask = np.zeros(len(frame), dtype=bool)
    mask[positions] = True
    return pd.Series(mask, index=frame.index)


def _households(audience: Audience, campaign: Campaign) -> None:
    """target.household: one letter per household, to its first member in file order, addressed
    to every member (households.py); the others keep their e-mail, or are listed as in the
    household's letter when the letter was all that reached them."""
    from publipost.campaigns.households import Person, together

    keys = campaign.target.household
    frame = audience.frame
    letter = REACH + "letter"
    if not keys or letter not in frame:
        return
    sent = (frame["_outcome"] == Outcome.TARGETED) & frame[letter]
    joined = _joined_key(audience, campaign, "household", keys)(np.flatnonzero(sent.to_numpy()))
    live = joined[joined != ""]
    shared = live[live.duplicated(keep=False)]
    if shared.empty:
        return
    names = [n for n in ("civility", "first_name", "last_name") if n in frame]
    reached_otherwise = pd.Series(False, index=frame.index)
    for name, (_channel, problem) in audience._partial.items():
        if name != "letter":
            reached_otherwise |= frame[REACH + name] & problem.reindex(frame.index, fill_value="").eq("")
    duplicate = pd.Series(False, index=frame.index)
    reasons = pd.Series("", index=frame.index)
    households = pd.Series(None, index=frame.index, dtype=object)
    for _key, members in shared.groupby(shared, sort=False).groups.items():
        head, others = members[0], list(members[1:])
        head_row = int(frame.at[head, ROW])
        people = [
            Person(
                *(str(frame.at[i, n]) if n in names else "" for n in ("civility", "first_name", "last_name"))
            )
            for i in members
        ]
        named = together(people, campaign.language)
        rows = ", ".join(str(int(frame.at[i, ROW])) for i in members)
        names_of = dict(
            zip(
                ("civility", "first_name", "last_name"),
                (named.civility, named.first_name, named.last_name),
                strict=True,
            )
        )
        if named != people[0]:
            households.at[head] = names_of
            audience.corrections.append(
                Correction(
                    head_row,
                    "household",
                    " ".join(v for v in (people[0].civility, people[0].first_name, people[0].last_name) if v),
                    " ".join(v for v in names_of.values() if v),
                    f"one letter for the household (rows {rows})",
                )
            )
        why = f"same household as row {head_row}: its letter is addressed to both"
        for index in others:
            frame.at[index, letter] = False
            if reached_otherwise.at[index]:
                audience._partial["letter"][1].at[index] = why
            else:
                duplicate.at[index] = True
                reasons.at[index] = why
    frame[HOUSEHOLD] = households
    _set_outcome(audience, duplicate, Outcome.DUPLICATE, reasons)


def _assign_ids(audience: Audience, campaign: Campaign) -> None:
    """Stable, file-name-safe recipient ids; two targeted rows never share one.

    Without an id column, a recipient with an e-mail address is known by it (a hash of the
    normalised address): a send's journal keys recipients by id, and a row number moves when
    a customer is inserted above. Others (letters only) are known by their row.
    """
    frame = audience.frame
    # A reply is followed up by its ticket: the complaint's reference is its id (a customer with
    # two complaints gets two replies; render --only TK-48300 finds it), whatever the channels.
    reference = "reference" if campaign.reply and "reference" in frame.columns else None
    id_field = campaign.target.id or reference or ("id" if "id" in frame.columns else None)
    if id_field and id_field not in frame.columns:  # the column's own header names its field too
        from publipost.campaigns.fields import snake

        by_header = {snake(header): name for name, header in audience.headers.items()}
        id_field = by_header.get(snake(id_field), id_field)
    if id_field and id_field not in frame.columns:
        raise AudienceError(
            f"target.id names '{id_field}', which the customer file does not have",
            campaign.where(("target", "id")),
            audience.suggest(id_field),
        )

    def or_row(ids: pd.Series) -> pd.Series:
        """Each id, or where it is empty its row's: only those rows' numbers written (all of a
        million rows' took 0.06-0.13 s, for the few rows with no id)."""
        empty = (ids == "").to_numpy(dtype=bool)
        if not empty.any():
            return ids
        return ids.where(~empty, "row" + frame.loc[empty, ROW].astype(int).astype(str).str.zfill(6))

    if id_field:
        frame[ID] = or_row(_safe_ids(frame[id_field].astype(str)))
        audience.keyed_by = f"column '{audience.headers.get(id_field, id_field)}'"
        what = "id"
    elif campaign.email is not None:
        frame[ID] = or_row(frame[EMAIL].map(_email_id))
        audience.keyed_by = "e-mail address"
        what = "e-mail address"
    else:
        frame[ID] = or_row(pd.Series("", index=frame.index))
        audience.keyed_by = "row"
        what = "id"
    ids = frame[ID]
    live = np.flatnonzero((frame["_outcome"] == Outcome.TARGETED).to_numpy())
    found = repeats(lambda at: ids.iloc[at], live)
    if not len(found.rows):  # the usual case: no reason to write for every row
        return
    clashing = found.rows
    first_row = frame[ROW].to_numpy()[found.firsts]
    named = [f"id '{i}' is" if what == "id" else "the e-mail address is" for i in ids.iloc[clashing].tolist()]
    said = [f"{n} already used by row {row}" for n, row in zip(named, first_row.tolist(), strict=True)]
    _set_outcome(audience, _marked(frame, clashing), Outcome.REJECTED, pd.Series(said, frame.index[clashing]))


UNSAFE_ID = r"[^A-Za-z0-9._-]|^[._]|[._]$"  # what _safe_ids changes


def _safe_ids(ids: pd.Series) -> pd.Series:
    """Ids safe in a file name: a run of other characters made "_", dots and underscores
    stripped from the ends. A column already safe is the column itself, not a copy (ten
    million ids read in batches stay in the mapped file, where a copy was 160 MB)."""
    if not ids.str.contains(UNSAFE_ID, regex=True).any():
        return ids
    return ids.str.replace(r"[^A-Za-z0-9._-]+", "_", regex=True).str.strip("._")


def _hold_out(audience: Audience, campaign: Campaign) -> None:
    """The control group: each targeted recipient whose hash of campaign code and id falls under
    the share. The same recipients on every run and resume, whatever the file's order."""
    if not campaign.control:
        return
    frame = audience.frame
    targeted = frame["_outcome"] == Outcome.TARGETED
    held = targeted & (buckets(campaign.code, frame[ID]) < campaign.control)
    frame.loc[held, "_outcome"] = Outcome.CONTROL.value


def _assign_variants(audience: Audience, campaign: Campaign) -> None:
    """Each targeted recipient's variant: by the weights, from a hash of the campaign code and the
    id (the same on every run and resume, and independent of the control group's), or by the
    value of the `variant_by` column. A value no variant takes, without a default variant,
    rejects its row with the reason."""
    frame = audience.frame
    names = [v.name for v in campaign.variants]
    # a category: a byte a row, where ten million rows' "" as text were 80 MB
    frame[VARIANT] = pd.Categorical.from_codes(np.zeros(len(frame), np.int8), categories=["", *names])
    if not campaign.variants:
        return
    targeted = frame["_outcome"] == Outcome.TARGETED
    if campaign.variant_by is None:
        edges = np.cumsum([v.weight or 0 for v in campaign.variants]) / 100
        edges[-1] = 1.0  # a weight written 33.3 + 33.3 + 33.4 leaves no gap at the top
        drawn = buckets(f"{campaign.code}/variant", frame.loc[targeted, ID])
        chosen = np.searchsorted(edges, drawn.to_numpy(), side="right")
        frame.loc[targeted, VARIANT] = np.asarray(names, dtype=object)[chosen]
        return
    column = _variant_column(audience, campaign)
    choice = {fold_words(value): v.name for v in campaign.variants for value in v.values}
    default = next((v.name for v in campaign.variants if v.default), "")
    values = frame[column].astype(str).str.strip()
    frame.loc[targeted, VARIANT] = folded_words(values[targeted]).map(
        lambda value: choice.get(value, default)
    )
    unmapped = targeted & (frame[VARIANT] == "")
    if unmapped.any():
        header = audience.headers.get(column, column)
        taken = ", ".join(sorted({value for v in campaign.variants for value in v.values}))
        reasons = (
            f"{header} '"
            + values.str.slice(0, 40)
            + f"' chooses no variant (variants take: {taken}; or make one 'default: true')"
        )
        _set_outcome(audience, unmapped, Outcome.REJECTED, reasons)


def _sort(audience: Audience, campaign: Campaign) -> None:
    """Recipients in print order: by `target.sort` (postcode first, for the post's presort
    rates), ties in the file's order; letters and e-mails go out in it."""
    keys = campaign.target.sort
    for key in keys:
        if key not in audience.frame.columns:
            raise AudienceError(
                f"target.sort names '{key}', which the customer file does not have",
                campaign.where(("target", "sort")),
                audience.suggest(key),
            )
    if not keys:
        return
    frame = audience.frame  # the order found on the keys alone
    order = frame[keys].sort_values(by=keys, kind="stable", key=lambda part: folded_words(part.astype(str)))
    positions = frame.index.get_indexer(order.index)
    if audience.batched is None:
        audience.frame = frame.take(positions)
    else:  # the sorted text written to disk a column at a time, and mapped: never all in memory
        from publipost.campaigns import streamed

        audience.frame = streamed.taken(frame, positions, audience.batched)
    audience._lookup = None


def _variant_column(audience: Audience, campaign: Campaign) -> str:
    """The field `variant_by` names, by its field name or by its header in the file."""
    name = campaign.variant_by or ""
    for field_name, header in audience.headers.items():
        if name in (field_name, header):
            return field_name
    raise AudienceError(
        f"variant_by names '{name}', which the customer file does not have",
        campaign.where(("variant_by",)),
        audience.suggest(name),
    )


def buckets(code: str, ids: pd.Series) -> pd.Series:
    """A number in [0, 1) per recipient, from SHA-256 of the campaign code and the id: uniform,
    and independent between campaigns (someone held out once is not held out every time)."""
    values = [
        int.from_bytes(hashlib.sha256(f"{code}:{rid}".encode()).digest()[:8], "big") / 2**64
        for rid in ids.astype(str)
    ]
    return pd.Series(values, index=ids.index, dtype=float)


def _email_id(address: str) -> str:
    """'m' and 12 hexadecimal digits of the address's SHA-256: stable, and no address in file names."""
    if not address:
        return ""
    return "m" + hashlib.sha256(address.casefold().encode()).hexdigest()[:12]
