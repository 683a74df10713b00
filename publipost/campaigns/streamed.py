"""A customer file too big to account in memory, read a batch of rows at a time.

A million rows take 0.8 GB of memory to account, six to eight times the file (room.py). A file
whose accounting cannot fit is read here instead, in two passes over the file on disk, never
held whole:

1. its bytes are digested and decoded a few megabytes at a time (recoded into UTF-8 beside the
   kept audience when they are in cp1252 or latin-1), and its lines counted;
2. Arrow's streaming CSV reader gives its records a block at a time, reading no more than a
   few blocks ahead (Paced), a batch at most BATCH_ROWS rows. Each batch is cleaned and
   checked by each channel as a file of those rows alone would be (audience._checked: every
   check there is the row's own), then written to the kept audience's Arrow file (accounted.py).

The audience is then that file mapped into memory, as any later command recalls it: its text
is the file's pages, which the kernel reads in and lets go of as it needs, not the process's
own memory. What the rest of the accounting adds (outcomes, ids, the keys it matches on) is:
some 70 bytes a row (need), so a file larger than the machine's memory can be read.

Only the files Arrow reads exactly as the careful reader would (table._read_arrow) are read so:
one record a line (an empty one too), or quoted values holding line breaks. Any other (a row of
another width, a stray line break) needs the careful reader, which holds the file whole: such
a file is refused with the reason, before anything is written.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from publipost.campaigns.room import STEP_ROWS
from publipost.campaigns.table import (
    _BREAKS,
    CHUNK,
    ROW,
    Table,
    _arrow_header,
    _decode_error,
    _swallows,
    looks_like_text,
    not_parquet,
    parquet_cells,
    sniff_separator,
    too_wide,
    unknown_encoding,
)

BLOCK = 1 << 24  # bytes of the file per batch at most (16 MB: about 130,000 rows; 8 MB was 10 % slower)
BATCH_ROWS = 131_072  # rows per batch at most: a file of short lines is read in smaller blocks
# The memory it takes is per row, not per byte: what the accounting holds of each row (its
# outcome, id, reach, the notes of rows set aside), and the work on one step's slice of rows
# (room.STEP_ROWS, the whole file below a million) and on one batch (BATCH_ROWS), at the
# step that takes the most. Measured beyond what the interpreter held at the check (own
# memory, RssAnon, 2026-12-06; Arrow reading no more than Paced.LEAD blocks ahead): the print
# bench's `varied` file (names deduplicated, 40 % filtered out), 318 MB for a million rows
# and 960 MB for ten million, so 71 bytes a row and 247 a row of the slice; the plain file
# less. Rounded up by a third for the files no bench is: 96 and 320.
ROW_BYTES = 96
SLICE_BYTES = 320


def need(rows: int) -> int:
    """The memory a file of about `rows` rows takes read a batch at a time."""
    return rows * ROW_BYTES + min(rows, STEP_ROWS) * SLICE_BYTES


SAMPLE = 1 << 20  # bytes of a text file whose lines tell its rows


def estimated_rows(path: Path) -> int:
    """About how many rows a file holds, known before it is read: a Parquet file's metadata,
    or a text file's size over the mean length of its first megabyte's lines."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except (OSError, ValueError) as exc:  # (pyarrow's errors are both)
            raise not_parquet(path, exc) from None
    size = path.stat().st_size
    with path.open("rb") as file:
        sample = file.read(SAMPLE)
    lines = sample.count(b"\n") + (not sample.endswith(b"\n"))
    return lines if len(sample) == size else size * lines // max(len(sample), 1)


DELIMITED = (".csv", ".tsv", ".txt", "")  # what table.read_table reads as delimited text
# The disk it takes, in times the file: its recoding into UTF-8 (1 to 1.1 times a cp1252 file),
# the file as read and checked (1.7 times, a million rows) and the audience accounted whole
# beside it (1.6 times), in the output folder.
DISK = 5


@dataclass(frozen=True)
class Survey:
    """What the first pass found: the file Arrow reads and how."""

    read: Path  # the customer file itself (UTF-8), or its recoding into UTF-8
    encoding: str  # as the careful reader names it: utf-8, utf-8-sig, cp1252, latin-1
    digest: str  # SHA-256 of the customer file's bytes
    first: str  # its first line: the header
    breaks: bool  # a line break Arrow does not know (_BREAKS)
    quoted: bool
    lines: int | None  # as table._lines counts them; None for a \r alone
    # in a file with no quote: its lines of another number of fields than the header's (line
    # number, text), which Arrow cannot read and the careful reader pads or rejects
    odd: tuple[tuple[int, str], ...] = ()


class CannotStream(Exception):
    """Why this file cannot be read a batch at a time."""


def survey(path: Path, encoding: str | None, spill: Path, separator: str | None = None) -> Survey:
    """Pass 1: digest, encoding, lines; the text recoded into `spill` (a folder) if need be."""
    if not starts_as_text(path):
        raise CannotStream("it is not text (NUL bytes, or nothing but blanks at its start)")
    if encoding:
        candidates = [encoding]
    else:
        with path.open("rb") as file:
            bom = file.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
        candidates = ["utf-8-sig"] if bom else ["utf-8", "cp1252", "latin-1"]
    for candidate in candidates:
        found = _pass(path, candidate, spill / "recoded.csv", separator, last=candidate == candidates[-1])
        if found is not None:
            return found
    raise AssertionError("latin-1 reads any byte")  # pragma: no cover


def starts_as_text(path: Path) -> bool:
    """table.looks_like_text of the file's first bytes: asked before a terabyte is digested."""
    with path.open("rb") as file:
        return looks_like_text(file.read(16384))


def _pass(path: Path, encoding: str, recoded: Path, separator: str | None, last: bool) -> Survey | None:
    """The file read through once as `encoding`; None when it is not (and another may be)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError:
        raise unknown_encoding(path, encoding) from None
    kept = encoding not in ("utf-8", "utf-8-sig")  # UTF-8 is read as it is
    digest = hashlib.sha256()
    count, widths = Lines(), Widths(separator)
    breaks = quoted = False
    first: list[str] = []
    out = recoded.open("wb") if kept else None
    try:
        with path.open("rb") as file:
            while True:
                raw = file.read(CHUNK)
                try:
                    text = decoder.decode(raw, final=not raw)
                except UnicodeDecodeError as exc:
                    if not last:
                        return None
                    # (the bytes decoded: with those of a character begun in the chunk before)
                    raise _decode_error(exc.object, path, encoding, exc, count.newlines) from None
                digest.update(raw)
                data = text.encode() if kept else raw
                if out is not None:
                    out.write(data)
                if not first or "\n" not in first[-1]:
                    first.append(text[:65536])
                breaks = breaks or any(mark in text for mark in _BREAKS)
                quoted = quoted or b'"' in data
                count.add(data)
                if not quoted:  # (a quote: Arrow reads the rows, or the file is refused)
                    widths.add(data, final=not raw)
                if not raw:
                    break
    finally:
        if out is not None:
            out.close()
    line = "".join(first).split("\n", 1)[0]
    if encoding == "utf-8-sig":
        line = line.removeprefix("\ufeff")
    lines = count.lines(quoted)
    odd = () if quoted else tuple(widths.odd)
    return Survey(recoded if kept else path, encoding, digest.hexdigest(), line, breaks, quoted, lines, odd)


ODD_ROWS = 100_000  # rows of another width held to be placed: beyond, the file is refused
LONGEST = 1 << 26  # bytes of a line held while its end is looked for: 64 MB


class Widths:
    """The lines of a file with no quote whose number of fields is not the header's, found a
    chunk at a time (numpy counts the separators of every line: a million lines in 0.1 s), so
    that the batches place them where the careful reader would: padded when short, rejected
    with why when too wide. An empty line is Arrow's blank record: not odd."""

    def __init__(self, separator: str | None) -> None:
        self.separator = separator  # None: the header's, sniffed
        self.width: int | None = None
        self.carry = b""  # the line begun at the chunk's end
        self.done = 0  # lines counted
        self.odd: list[tuple[int, str]] = []

    def add(self, data: bytes, final: bool = False) -> None:
        buffer = self.carry + data
        values = np.frombuffer(buffer, dtype=np.uint8)
        ends = np.flatnonzero(values == 10)
        if final and buffer and (not len(ends) or ends[-1] != len(buffer) - 1):
            ends = np.append(ends, len(buffer))  # the last line, with no line break
        if not len(ends):
            if len(buffer) > LONGEST:  # (the careful reader would hold it whole too)
                raise CannotStream(f"a line of over {LONGEST >> 20} MB")
            self.carry = buffer
            return
        starts = np.concatenate(([0], ends[:-1] + 1))
        if self.width is None:
            header = buffer[: ends[0]].decode("utf-8", errors="replace").removesuffix("\r")
            self.separator = self.separator or sniff_separator(header)
            self.width = header.count(self.separator) + 1
        mark = (self.separator or "").encode()
        if len(mark) == 1:  # (else Arrow cannot read it: refused by the header)
            at = np.flatnonzero(values == mark[0])
            fields = np.searchsorted(at, ends) - np.searchsorted(at, starts) + 1
            returns = (ends > starts) & (values[np.maximum(ends - 1, 0)] == 13)
            empty = ends - starts - returns == 0
            for index in np.flatnonzero((fields != self.width) & ~empty).tolist():
                number = self.done + index + 1
                if number > 1 and len(self.odd) <= ODD_ROWS:
                    text = buffer[starts[index] : ends[index]].decode("utf-8").removesuffix("\r")
                    self.odd.append((number, text))
        self.done += len(ends)
        self.carry = buffer[ends[-1] + 1 :]


class Lines:
    """table._lines, counted a chunk at a time: a \r\n may lie across two chunks."""

    def __init__(self) -> None:
        self.newlines = self.returns = self.pairs = 0
        self.previous = b""

    def add(self, data: bytes) -> None:
        if not data:
            return
        self.newlines += data.count(b"\n")
        self.returns += data.count(b"\r")
        self.pairs += data.count(b"\r\n") + (self.previous == b"\r" and data[:1] == b"\n")
        self.previous = data[-1:]

    def lines(self, mixed: bool) -> int | None:
        if self.returns and (self.returns != self.pairs or not (mixed or self.returns == self.newlines)):
            return None
        return self.newlines + (0 if self.previous in (b"\n", b"") else 1)


LEAD = 3  # blocks Arrow's reader may have read beyond the batches taken


class Paced:
    """The file as Arrow's streaming reader reads it, no more than LEAD blocks ahead of the
    batches taken. On a thread of its own, the reader reads up to 32 blocks ahead of the batch
    asked for, whatever `use_threads` says: 512 MB of a big file, the whole of a smaller one,
    held while the accounting works on one batch. A batch needs its block and at most the next
    one (a record across more blocks is Arrow's error), so LEAD never starves it; should it
    ever, a read that waited STALL seconds while a batch is asked for goes on."""

    STALL = 0.5

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self._turn = threading.Condition()
        self._read = self._taken = 0  # blocks read, batches taken
        self._asked = self._closed = False
        self.most = 0  # the most blocks read ahead of the batches taken (tests)

    def read(self, size: int = -1) -> bytes:
        with self._turn:
            while self._read >= self._taken + LEAD and not self._closed:
                if not self._turn.wait(self.STALL) and self._asked:
                    break
            if self._closed:
                return b""
            self._read += 1
            self.most = max(self.most, self._read - self._taken)
            return self._file.read(size)  # (closed only between reads)

    @property
    def closed(self) -> bool:
        return self._closed

    @contextlib.contextmanager
    def asking(self) -> Iterator[None]:
        """A batch being asked for, inside the block."""
        with self._turn:
            self._asked = True
        try:
            yield
        finally:
            with self._turn:
                self._asked = False

    def took(self) -> None:
        with self._turn:
            self._taken += 1
            self._turn.notify_all()

    def close(self) -> None:
        with self._turn:
            self._closed = True
            self._turn.notify_all()
        self._file.close()


def batches(found: Survey, path: Path, separator: str | None) -> Iterator[Table]:
    """Pass 2: the file's records, a block at a time, as tables of its rows (their spreadsheet
    row numbers the whole file's), as _read_arrow reads them whole. (Blank rows are left out
    by audience._checked.)"""
    import pyarrow as pa

    if found.breaks:
        raise CannotStream("it holds line breaks other than \\n and \\r\\n")
    separator = separator or sniff_separator(found.first)
    header = _arrow_header(found.first.removesuffix("\r"), separator)
    if header is None:
        raise CannotStream("its header line cannot be read a batch at a time")
    if found.lines is None:
        raise CannotStream("it has lines ended by \\r alone")
    if len(found.odd) > ODD_ROWS:
        raise CannotStream(f"more than {ODD_ROWS:,} rows have another number of fields than the header")
    skipped = [0]  # the rows Arrow could not read: the odd ones, placed here

    def skip(row: Any) -> str:
        skipped[0] += 1
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    paced = Paced(found.read)
    try:
        with paced.asking():  # (it reads the first block at once)
            reader = _opened(paced, separator, found.quoted, names, skip, _block(found))
    except BaseException:
        paced.close()
        raise
    odd, lines = list(found.odd), [number for number, _ in found.odd]

    def table_of(frame: pd.DataFrame) -> Table:
        return Table(path, frame, found.encoding, separator, digest=found.digest)

    placed, row = 0, 2  # the odd rows placed; the next record's spreadsheet row (the header's is 1)
    try:
        while True:
            try:
                with paced.asking():
                    batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise CannotStream(f"a row has another number of fields than the header ({exc})") from None
            paced.took()
            if found.quoted and _swallows(pa.Table.from_batches([batch]), separator, len(header)):
                raise CannotStream("a quoted value may be a quote left open")
            frame = batch.to_pandas()
            frame.columns = header
            end = row + len(frame) - 1  # the batch's last record, once the odd rows among them count
            while end != (wider := row + len(frame) - 1 + bisect.bisect_right(lines, end, placed) - placed):
                end = wider
            numbers = np.arange(row, end + 1)
            here = odd[placed : bisect.bisect_right(lines, end, placed)]
            frame[ROW] = numbers[~np.isin(numbers, lines[placed : placed + len(here)])] if here else numbers
            placed, row = placed + len(here), end + 1
            if row - 2 > found.lines - 1:
                raise CannotStream("it has more records than lines")
            yield _with_odd(table_of(frame), here, header)
        if placed < len(odd):  # odd rows after the last row Arrow read
            empty = pd.DataFrame({name: pd.Series(dtype="str") for name in header})
            empty[ROW] = pd.Series(dtype="int64")
            row = odd[-1][0] + 1
            yield _with_odd(
                Table(path, empty, found.encoding, separator, digest=found.digest), odd[placed:], header
            )
        if skipped[0] != len(odd):
            raise CannotStream("its rows of another width could not all be placed")
        if row - 2 < found.lines - 1 and not found.quoted:
            raise CannotStream("it has records over several lines")
    finally:
        paced.close()  # its reading thread let go, whatever stopped the batches


def _block(found: Survey) -> int:
    """The bytes Arrow reads a batch of: BATCH_ROWS rows of the file's mean length, within
    BLOCK (a batch's work is per row: short lines in 16 MB were twice the rows)."""
    lines = max(found.lines or 1, 1)
    return min(BLOCK, max(1 << 16, found.read.stat().st_size // lines * BATCH_ROWS))


def _opened(paced: Paced, separator: str, quoted: bool, names: list[str], skip: Any, block: int) -> Any:
    """Arrow's streaming reader of the file, its values as text, as _read_arrow reads it whole."""
    import pyarrow as pa
    import pyarrow.csv as arrow_csv

    return arrow_csv.open_csv(
        pa.PythonFile(paced, mode="r"),
        read_options=arrow_csv.ReadOptions(column_names=names, skip_rows=1, block_size=block),
        parse_options=arrow_csv.ParseOptions(
            delimiter=separator,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=quoted,
            # an empty line is a record, blank, as the csv module reads it (the careful reader
            # numbers the rows below it so)
            ignore_empty_lines=False,
            invalid_row_handler=None if quoted else skip,
        ),
        convert_options=arrow_csv.ConvertOptions(
            column_types={name: pa.large_string() for name in names},  # pandas' own: no copy
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _with_odd(table: Table, odd: list[tuple[int, str]], header: list[str]) -> Table:
    """The batch with its odd rows placed as the careful reader places them (table._careful):
    a blank one left out, a short one padded in its place, a wide one rejected with why."""
    if not odd:
        return table
    width, separator = len(header), table.separator or ""
    rows, numbers = [], []
    for number, text in odd:
        values = text.split(separator)  # (a file with no quote)
        if not "".join(values).strip():
            continue
        if len(values) > width:
            table.rejected_values[number] = values
            table.malformed.append((number, too_wide(len(values), width, separator)))
            continue
        rows.append(values + [""] * (width - len(values)))
        numbers.append(number)
    if rows:
        padded = pd.DataFrame(rows, columns=header, dtype=object).assign(**{ROW: numbers})
        placed = pd.concat([table.frame, padded], ignore_index=True)
        table.frame = placed.sort_values(ROW, kind="stable", ignore_index=True)
    return table


def parquet_batches(path: Path, rows: int) -> Iterator[Table]:
    """A Parquet file's rows, `rows` at a time, as _read_parquet reads them whole."""
    import pyarrow.parquet as pq

    with path.open("rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
    first = 2
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
            frame = parquet_cells(batch.to_pandas(), first)
            first += len(frame)
            yield Table(path, frame, "parquet", digest=digest)
    except (OSError, ValueError) as exc:  # (pyarrow's errors are both)
        raise not_parquet(path, exc) from None


def taken(frame: pd.DataFrame, positions: Any, folder: Path) -> pd.DataFrame:
    """frame.take(positions), its text columns written in that order to files in `folder` a
    column at a time and mapped into memory, as the file read in batches is: a sorted copy of
    ten million rows held in memory would be 2.7 GB. The files are removed once mapped (the
    mapping holds them until the frame lets go of them)."""
    import tempfile

    import pyarrow as pa

    from publipost.campaigns.table import in_arrow

    folder.mkdir(parents=True, exist_ok=True)
    columns: dict[Any, Any] = {}
    with tempfile.TemporaryDirectory(dir=folder, prefix=".sorted-") as spill:
        indices = pa.array(positions)
        for number, name in enumerate(frame.columns):
            column = frame[name]
            if not in_arrow(column):  # numbers, flags, a household's names: small, kept in memory
                columns[name] = column.array.take(positions)
                continue
            path = f"{spill}/{number}.arrow"
            values = pa.chunked_array(column.array.__arrow_array__()).take(indices)
            with pa.ipc.new_file(path, pa.schema([("v", values.type)])) as writer:
                writer.write_table(pa.table({"v": values}))
            del values
            with pa.memory_map(path) as source:
                columns[name] = column.dtype.__from_arrow__(pa.ipc.open_file(source).read_all().column(0))
    return pd.DataFrame(columns, index=frame.index[positions], copy=False)


def arrow_of(frame: pd.DataFrame) -> Any:
    """A batch's frame as Arrow, without its row labels: the batches together are labelled
    0, 1, 2… when read back, as the whole file read at once is."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)
