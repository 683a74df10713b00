"""Read the customer files marketers really have into a frame of text cells.

Spreadsheet exports arrive as UTF-8, UTF-8 with a BOM, or cp1252, separated by
commas, semicolons (French Excel) or tabs. Every cell is read as text: postcodes
keep their leading zeros and nothing is guessed into a number.

CSV rows are parsed with the csv module, then handed to pandas: it reports
the exact record of a malformed row (too many fields), which pandas' own
reader only offers as a warning while dropping the row. A malformed row is
kept as a rejected row with its number, never lost. Arrow's CSV reader (C,
every core) takes the files it reads exactly as the csv module would: one
record a line, quoted or not.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import importlib.util
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from publipost.cores import cores
from publipost.errors import AudienceError, Where
from publipost.folding import fold_words

T = TypeVar("T", pd.DataFrame, pd.Series)
R = TypeVar("R")

CANDIDATE_SEPARATORS = (";", ",", "\t", "|")
ROW = "_row"  # spreadsheet row number (header = row 1), kept beside the data
# Python's \s, spelt out: with it written so, pandas runs these patterns in Arrow's RE2 instead
# of calling Python's re once a cell (RE2's \s misses some of these; the test compares them).
WHITESPACE = "[" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "]"


@dataclass(frozen=True)
class Part:
    path: Path
    offset: int  # added to the part's own row numbers to number its rows in the whole


@dataclass
class Table:
    path: Path
    frame: pd.DataFrame  # text cells, original headers, plus ROW
    encoding: str = "utf-8"
    separator: str | None = None
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    rejected_values: dict[int, list[str]] = field(default_factory=dict)  # the fields of malformed rows
    digest: str = ""  # SHA-256 of the file's bytes: a send's journal notices when the file changes
    parts: list[Part] = field(default_factory=list)  # a file in parts (campaigns/parts.py): where each starts
    # a DataFrame's typed columns: header → "date" or "number", merged in the copy's language
    kinds: dict[str, str] = field(default_factory=dict)

    def part_of(self, row: int) -> tuple[str, int] | None:
        """The part file holding a row of a file in parts, and the row's number there."""
        for part in reversed(self.parts):
            if row > part.offset + 1:  # its first row is offset + 2 (its header is row 1)
                return part.path.name, row - part.offset
        return None

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)


def read_table(
    path: Path, *, encoding: str | None = None, sheet: str | None = None, rows: int | None = None
) -> Table:
    """The customer file as text cells. `rows`: the first rows only, a first look at a big file
    (the preview's, while it reads the rest)."""
    if not path.is_file():
        raise AudienceError("customer file not found", Where(path), "check target.source in the campaign")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _read_excel(path, sheet, rows)
    elif suffix == ".parquet":
        table = _read_parquet(path)
    elif suffix in (".csv", ".tsv", ".txt", ""):
        table = _read_delimited(path, encoding, "\t" if suffix == ".tsv" else None, rows)
    else:
        raise _unsupported(path, suffix)
    if rows is not None:
        table.frame = table.frame.head(rows)
    if not table.digest:
        with path.open("rb") as file:
            table.digest = hashlib.file_digest(file, "sha256").hexdigest()
    return table


def table_from_frame(frame: pd.DataFrame, name: str = "<DataFrame>") -> Table:
    """Customer data handed over as a DataFrame (a notebook, a web app): read like a file,
    every cell as the text a spreadsheet shows, the first row being spreadsheet row 2.

    pandas' own types would otherwise speak: a ZIP column with one missing value is float64,
    and 80202 would read "80202.0" (every US letter refused); a date would read with a time of
    midnight. Numbers read as written (80202, 120.5), dates as ISO dates (with the time only
    when there is one), missing values as empty cells."""
    data = pd.DataFrame(
        {column: _as_text(frame[column], str(column), name) for column in frame.columns}, index=frame.index
    ).reset_index(drop=True)
    data.columns = clean_headers([str(c) for c in data.columns])
    kinds = {
        header: kind
        for header, column in zip(data.columns, frame.columns, strict=True)
        if (kind := _kind(frame[column]))
    }
    data[ROW] = range(2, len(data) + 2)
    digest = hashlib.sha256(pd.util.hash_pandas_object(data, index=False).values.tobytes()).hexdigest()
    return Table(Path(name), data, encoding="DataFrame", digest=digest, kinds=kinds)


def _kind(column: pd.Series) -> str | None:
    """ "date" for a column of dates (no time of day), "number" for one of numbers with decimals:
    what the copy shows in its language ("1 octobre 2026", "120,5"). Whole numbers (a ZIP, a
    customer number) and text are shown as they are."""
    if pd.api.types.is_datetime64_any_dtype(column):
        times = column.dropna()
        return "date" if bool((times.dt.normalize() == times).all()) else None
    if pd.api.types.is_float_dtype(column):
        values = column.dropna()
        return "number" if bool((values != values.round()).any()) else None
    return None


def _unsupported(path: Path, suffix: str) -> AudienceError:
    return AudienceError(
        f"unsupported customer file type '{suffix}'",
        Where(path),
        "use CSV, TSV, XLSX or Parquet (save the spreadsheet as .xlsx or CSV)",
    )


def decode(raw: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), else cp1252, else latin-1."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise unknown_encoding(path, encoding) from None
        except UnicodeDecodeError as exc:
            raise _decode_error(raw, path, encoding, exc) from None
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError as exc:  # rows added to a UTF-8 file by a tool writing cp1252
            start = exc.start + len(codecs.BOM_UTF8)
            raise AudienceError(
                f"the file starts with UTF-8's mark (BOM) but byte 0x{raw[start]:02x} is not UTF-8: "
                "part of it was saved in another encoding",
                Where(path, raw[:start].count(b"\n") + 1),
                "open it in a spreadsheet and save the whole file again as 'CSV UTF-8'",
            ) from None
    for candidate in ("utf-8", "cp1252"):
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def unknown_encoding(path: Path, encoding: str) -> AudienceError:
    return AudienceError(
        f"unknown encoding '{encoding}'", Where(path), "use e.g. utf-8, cp1252 or latin-1 in target.encoding"
    )


def _decode_error(
    raw: bytes, path: Path, encoding: str, exc: UnicodeDecodeError, before: int = 0
) -> AudienceError:
    """The byte `decode` refused, at its line (`before`: the lines of the file before `raw`)."""
    line = before + raw[: exc.start].count(b"\n") + 1
    return AudienceError(
        f"byte 0x{raw[exc.start]:02x} cannot be read as {encoding}",
        Where(path, line),
        "remove target.encoding to let publipost detect it, or re-save the file as UTF-8",
    )


def looks_like_text(start: bytes | bytearray) -> bool:
    """Whether a file's first bytes may be a customer file's: no NUL (UTF-16, a binary file, a
    sparse one), not only blanks. Asked before the rest is read."""
    text = start[:16384].decode("utf-8", errors="ignore")
    return "\x00" not in text[:4096] and bool(text.strip())


def _read_delimited(
    path: Path, encoding: str | None, separator: str | None, limit: int | None = None
) -> Table:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if limit is not None:
        return _first_rows(raw, path, encoding, separator, limit, digest)
    recoded = _as_utf8(raw, encoding)
    if recoded is None:  # refused: decode says why
        text, used = decode(raw, path, encoding)
    else:
        data, used, breaks = recoded
        del raw, recoded  # (a recoded file is held twice until then)
        if (fast := _read_fast(data, used, separator, breaks)) is not None:
            return Table(path, fast[0], used, fast[1], digest=digest)
        text = codecs.decode(data, "utf-8-sig" if used == "utf-8-sig" else "utf-8")
        del data
    return _careful(path, text, used, separator, digest)


def _first_rows(
    raw: bytes, path: Path, encoding: str | None, separator: str | None, limit: int, digest: str
) -> Table:
    """The whole read's first `limit` rows (a first look at a big file), from the file's first
    lines only: only those are decoded and read, twice as many again until they hold the rows
    (the last record read is left out, a quoted value it holds may go on below). The encoding
    is still found from the whole file, a chunk at a time."""
    found = _as_utf8(raw, encoding, recode=False)
    used = decode(raw, path, encoding)[1] if found is None else found[1]  # (refused: decode says why)
    lines = limit + 1
    while True:
        first = _first_lines(raw, lines, used)
        whole = len(first) == len(raw)
        try:
            text = codecs.decode(first, used)
        except UnicodeDecodeError:  # cut inside a character: an encoding of another kind
            text, whole = codecs.decode(raw, used), True
        if whole:
            table = _careful(path, text, used, separator, digest)
            table.frame = table.frame.head(limit)
            return table
        if text.strip():
            table = _careful(path, text, used, separator, digest)
            last = max([*table.frame[ROW].tolist(), *(row for row, _ in table.malformed)], default=0)
            table.frame = table.frame[table.frame[ROW] != last].reset_index(drop=True)
            table.malformed = [(row, why) for row, why in table.malformed if row != last]
            table.rejected_values.pop(last, None)
            if len(table.frame) >= limit:
                table.frame = table.frame.head(limit)
                return table
        lines = max(lines, first.count(b"\n")) * 2  # (64 KB may hold more lines than were asked)


def _careful(path: Path, text: str, used: str, separator: str | None, digest: str) -> Table:
    """The file read record by record with the csv module: every malformed row said."""
    if "\x00" in text[:4096]:
        raise AudienceError(
            "the file holds NUL bytes: it looks like UTF-16 or a binary file",
            Where(path),
            "re-export it as 'CSV UTF-8' (or as .xlsx)",
        )
    if not text.strip():
        raise AudienceError("the customer file is empty", Where(path), "export the customer list again")
    separator = separator or sniff_separator(text)
    lines = text.splitlines(keepends=True)
    header = next(csv.reader(lines[:1], delimiter=separator))
    header = clean_headers(header)
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[tuple[int, str]] = []
    rejected_values: dict[int, list[str]] = {}
    for record, values, problem in _records(lines, separator, width):
        if problem:
            rejected_values[record] = values
            malformed.append((record, problem))
            continue
        if not "".join(values).strip():
            continue  # blank line (one join: a generator per row cost a tenth of the read)
        if len(values) > width:
            rejected_values[record] = values
            malformed.append((record, too_wide(len(values), width, separator)))
            continue
        rows.append(values + [""] * (width - len(values)))
        numbers.append(record)
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    frame[ROW] = numbers
    return Table(path, frame, used, separator, malformed, rejected_values, digest)


def too_wide(fields: int, width: int, separator: str) -> str:
    """Why a row of more fields than the header's is rejected."""
    return f"{fields} fields where the header has {width}: a '{separator}' inside a value needs quotes"


def _read_fast(
    data: bytes | bytearray, used: str, separator: str | None, breaks: bool | None = None
) -> tuple[pd.DataFrame, str] | None:
    """(frame, separator) of the file (`data`, in UTF-8), read by Arrow's CSV reader (C, every
    core) where it reads the file exactly as the careful reader above would; None otherwise,
    and the careful reader reads it (and says what is wrong where). `breaks`: whether the text
    holds line breaks Arrow does not know, when its decoding found out (else looked for here).

    Its text is never held whole: the file was checked and recoded to UTF-8 a few megabytes at
    a time. A cp1252 file of a million rows (120 MB) used to be held three times over: as bytes,
    as text (twice its size once a cell holds a ’ or an œ) and as UTF-8."""
    if importlib.util.find_spec("pyarrow") is None:
        return None
    if not looks_like_text(data[:16384]):
        return None  # NUL bytes, or nothing but blanks so far: the careful reader says which
    end = data.find(b"\n")
    first = bytes(data[: end if end >= 0 else len(data)]).decode("utf-8")
    if used == "utf-8-sig":
        first = first.removeprefix("\ufeff")  # as decode() reads it
    separator = separator or sniff_separator(first)
    if breaks is None:
        breaks = any(mark.encode() in data for mark in _BREAKS)
    header = None if breaks else _arrow_header(first.removesuffix("\r"), separator)
    if header is None:
        return None
    frame = _read_arrow(data, header, separator)
    return None if frame is None else (frame, separator)


def _as_utf8(
    raw: bytes, encoding: str | None, recode: bool = True
) -> tuple[bytes | bytearray, str, bool] | None:
    """The file in UTF-8 (its bytes as they are when they are UTF-8 or `recode` is false: a
    first look recodes only its first lines), the encoding `decode` reads it with, and whether
    it holds line breaks Arrow does not know (_BREAKS), found a chunk of text at a time (where a
    character above a chunk's widest costs nothing to look for: 0.3 s a million rows in bytes);
    None where `decode` would refuse it (it then says why)."""
    if encoding:
        candidates = [encoding]
    elif raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "cp1252", "latin-1"]
    for candidate in candidates:
        kept = recode and candidate not in ("utf-8", "utf-8-sig")  # UTF-8 is read as it is
        breaks = False
        try:
            decoder = codecs.getincrementaldecoder(candidate)("strict")
            data = bytearray()  # grows in place
            for start in range(0, len(raw) + 1, CHUNK):
                end = start + CHUNK
                text = decoder.decode(raw[start:end], final=end >= len(raw))
                breaks = breaks or any(mark in text for mark in _BREAKS)
                if kept:
                    data += text.encode()
        except LookupError:
            return None
        except UnicodeDecodeError:
            continue
        return (data if kept else raw), candidate, breaks
    return None


def _first_lines(raw: bytes, lines: int, encoding: str) -> bytes:
    """The file's first `lines` lines or more (str.splitlines breaks at each \n at least), and at
    least its first 64 KB, where the encoding writes \n as that byte alone; else all of it."""
    if "\na".encode("utf-8" if encoding == "utf-8-sig" else encoding) != b"\na":
        return raw
    end = 0
    for _ in range(lines):
        end = raw.find(b"\n", end) + 1
        if not end:
            return raw
    if end < FIRST_BYTES:
        end = raw.find(b"\n", FIRST_BYTES) + 1
    return raw[:end] if end else raw


FIRST_BYTES = 1 << 16  # the least a first look reads


CHUNK = 1 << 22  # bytes decoded at a time


def _arrow_header(first: str, separator: str) -> list[str] | None:
    """The header (the file's first line, `first`), when Arrow's CSV reader can read a file
    with no line break but \n or \r\n (str.splitlines knows more: U+2028, \x0c…, _BREAKS)
    exactly as `_records` reads it: one record a line (so the spreadsheet row is the line's
    number: _read_arrow checks it), a separator of one ASCII character. Arrow quotes as the csv
    module does, doubled quotes and all (a test compares them on random files); a quoted value
    holding a line break is left to `_records`."""
    if len(separator) != 1 or not separator.isascii():
        return None
    if not first or "\r" in first or first.count('"') % 2:
        return None  # no header (said by the careful reader), \r alone, or one that may go on below
    return clean_headers(next(csv.reader([first], delimiter=separator)))


_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # line breaks str.splitlines knows and Arrow does not


def _read_arrow(data: bytes | bytearray, header: list[str], separator: str) -> pd.DataFrame | None:
    """The file's records read by Arrow, as `_records` reads them; None where they may not be:
    a row of another width, an empty line (Arrow skips it, unquoted), \r alone, an unclosed
    quote. 200,000 rows: 0.15 s against 1.2 s (bench/audience_bench.py).

    Where the file has quotes, a quoted value may hold line breaks (an address on two lines,
    an Excel cell's \n in a file of \r\n rows): Arrow then reads records as the csv module
    does, and the spreadsheet row is the record's number, as `_records` numbers them."""
    import pyarrow as pa
    import pyarrow.csv as arrow_csv

    quoted = b'"' in data
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = arrow_csv.read_csv(
            pa.py_buffer(data),
            read_options=arrow_csv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=arrow_csv.ParseOptions(
                delimiter=separator,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=quoted,
                ignore_empty_lines=not quoted,  # the csv module counts an empty line as a record
            ),
            convert_options=arrow_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:  # a row of another width
        return None
    lines = _lines(data, mixed=quoted)
    if lines is None or table.num_rows > lines - 1:
        return None
    if table.num_rows < lines - 1 and (not quoted or _swallows(table, separator, len(header))):
        return None  # records over several lines: only quoted values that hold line breaks
    frame = table.to_pandas()
    frame.columns = header
    frame[ROW] = range(2, len(frame) + 2)
    blank = blank_rows(frame, header)
    return frame[~blank].reset_index(drop=True) if blank.any() else frame


def _swallows(table: Any, separator: str, width: int) -> bool:
    """Whether a value over several lines may be a quote left open, which `_records` would
    reject where Arrow reads on: it holds what looks like whole rows (`_swallowed`), or is
    beyond the csv module's field size limit. Only those few values are looked at."""
    import pyarrow.compute as pc

    for column in table.columns:
        spanning = pc.filter(column, pc.match_substring(column, "\n")).to_pylist()
        if any(len(value) > csv.field_size_limit() for value in spanning):
            return True
        if _swallowed(spanning, separator, width):
            return True
    return False


def _lines(data: bytes | bytearray, mixed: bool = False) -> int | None:
    """How many lines this text has (in UTF-8, with no line break but \r and \n) when each
    ends in \n, or each in \r\n (`mixed`: either); None for \r alone. Counted in bytes (a
    count of one byte runs at memory speed; str.count took 0.6 s over a million French rows),
    without a string per line (a million of them)."""
    newlines = data.count(b"\n")
    if b"\r" in data:
        returns = data.count(b"\r")
        if returns != data.count(b"\r\n") or not (mixed or returns == newlines):
            return None
    return newlines + (0 if data.endswith(b"\n") or not data else 1)


def in_arrow(column: pd.Series) -> bool:
    """Whether pandas holds the text in Arrow (pyarrow installed): its string kernels then run
    in C over the whole column, where the base install would call Python once a cell anyway."""
    return getattr(column.dtype, "storage", None) == "pyarrow"


# The fewest rows worth a thread of their own (measured: 100,000 rows' blocks in two slices
# 0.094 → 0.068 s; in slices of 25,000 rows the threads cost what they save)
SLICE_ROWS = 50_000


FEW_ROWS = 64  # rows taken one slice each: up to here, cheaper than one take of them all


def rows_at(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """frame.iloc[positions], reading only the rows between the first and the last asked. Arrow's
    take reads the whole of every column it takes from once the column comes in chunks, as a file
    read or mapped does: a print chunk's 250 rows of a million took 0.06-0.2 s, so a print run's
    chunks cost the square of its rows. A few rows far apart are a slice each instead (one row
    of a million: 0.05 s taken, 0.2 ms sliced; 64 rows: 8 ms in slices)."""
    if not len(positions):
        return frame.iloc[:0]
    if len(positions) <= FEW_ROWS:
        return pd.concat([frame.iloc[at : at + 1] for at in positions])
    low, high = int(positions.min()), int(positions.max())
    if high - low < SLICE_ROWS:
        return frame.iloc[low : high + 1].iloc[positions - low]
    # Far apart: taken from a slice of rows at a time, each slice's asked rows at once. One take
    # over ten million rows made a copy of every column whole (1.2 GB) for the window check's
    # 80 rows.
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    starts = np.flatnonzero(np.diff(ordered // SLICE_ROWS, prepend=-1))
    pieces = []
    for first, last in zip(starts, [*starts[1:], len(ordered)], strict=True):
        low = int(ordered[first]) // SLICE_ROWS * SLICE_ROWS
        pieces.append(frame.iloc[low : low + SLICE_ROWS].iloc[ordered[first:last] - low])
    return pd.concat(pieces).iloc[np.argsort(order, kind="stable")]


def on_every_core(rows: T, work: Callable[[T], R]) -> list[R]:
    """`work` of `rows` (a frame or a column), as the results for consecutive slices of them, one
    slice per core worked on at once. Arrow's kernels let go of the GIL: every French address
    block of a million rows is written in 0.5 s on two cores instead of 1.1 s. Only for text in
    Arrow (the base install's is Python's: one core's), and `work` must answer each row from
    that row alone."""
    dtypes = [rows.dtype] if isinstance(rows, pd.Series) else list(rows.dtypes)
    arrow = any(getattr(dtype, "storage", None) == "pyarrow" for dtype in dtypes)
    count = min(cores(), len(rows) // SLICE_ROWS) if arrow else 1
    if count < 2:
        return [work(rows)]
    size = -(-len(rows) // count)
    slices = [rows.iloc[start : start + size] for start in range(0, len(rows), size)]
    with ThreadPoolExecutor(count, thread_name_prefix="publipost-slice") as pool:
        return list(pool.map(work, slices))


def ascii_in_arrow(
    column: pd.Series,
    in_python: Callable[[str], str],
    for_ascii: Callable[[pd.Series], pd.Series],
    for_others: Callable[[pd.Series], pd.Series] | None = None,
) -> pd.Series:
    """`in_python` of every cell, with the ASCII cells done by `for_ascii`, its equivalent on
    ASCII in Arrow's C kernels: only the other cells go to Python, each distinct one once (a
    file repeats its Hélène and its Lefèvre), or to `for_others` where it does them another
    way (each use is tested against `in_python` on hostile values). Without pyarrow, Python
    does them all."""
    if not in_arrow(column):
        return column.map(in_python)
    ascii_ = column.str.isascii()
    done = for_ascii(column)
    if ascii_.all():
        return done
    others = column[~ascii_]
    return done.where(ascii_, per_value(others, in_python) if for_others is None else for_others(others))


def casefolded(column: pd.Series) -> pd.Series:
    """str.casefold of every cell (for ASCII, lower case)."""
    return ascii_in_arrow(column, str.casefold, lambda c: c.str.lower())


# Lower-case ASCII words joined by one hyphen or one space each
_SIMPLE = "[a-z0-9_]+(?:[ -][a-z0-9_]+)*"
# ASCII, Latin-1's letters and signs, Latin Extended-A: the accented names of a French file
_LATIN = r"^[\x{00}-\x{7F}\x{A0}-\x{17F}]*$"


def folded_words(column: pd.Series) -> pd.Series:
    """fold_words of every cell. For ASCII: lower case, any run of what is not a letter, a digit
    or _ one space, and no space at the ends. So too for Latin text that is ASCII once
    decomposed (NFKD) and its accents dropped (Lefèvre, Hélène: most of a French file's names,
    150,000 distinct ones in a million rows, 0.6 s one by one); any other cell by fold_words,
    each distinct one once. Tested on every character of the Latin range against fold_words."""

    def ascii_fold(cells: pd.Series) -> pd.Series:
        lower = cells.str.lower()
        # Words joined by one hyphen or space each (most names: "nguyen-durand") need no regex:
        # each hyphen becomes a space. Only the others are rewritten by one (0.19 → 0.09 s for
        # 600,000 distinct last names).
        simple = lower.str.fullmatch(_SIMPLE, case=True).to_numpy(dtype=bool)
        plain = lower.str.replace("-", " ", regex=False)
        if simple.all():
            return plain
        others = lower[~simple].str.replace(r"[^A-Za-z0-9_]+", " ", regex=True).str.strip()
        return plain.where(simple, others)

    def latin_fold(cells: pd.Series) -> pd.Series:
        bare = cells.str.normalize("NFKD").str.replace(r"\p{Mn}+", "", regex=True)
        latin = (cells.str.contains(_LATIN, regex=True) & bare.str.isascii()).to_numpy(dtype=bool)
        parts = [ascii_fold(bare[latin]), per_value(cells[~latin], fold_words)]
        return pd.concat([part for part in parts if len(part)])

    return on_distinct(column, lambda cells: ascii_in_arrow(cells, fold_words, ascii_fold, latin_fold))


SAMPLE = 10_000  # first rows whose distinct values tell whether a column repeats its values


def mostly_distinct(column: pd.Series) -> bool:
    """Whether a column in Arrow seems not to repeat its values: more than half of its first
    rows distinct. A column of distinct last names or name lines is then not encoded or hashed
    for nothing (0.16 s at 200,000 rows)."""
    import pyarrow.compute as pc

    sample = column.iloc[:SAMPLE].array.__arrow_array__()
    return bool(2 * pc.count_distinct(sample).as_py() > len(sample))


def on_distinct(column: pd.Series, kernel: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`kernel` (a column's work, cell by cell) done over the column's distinct values and taken
    back row by row in C, when they are at most half of it: a file repeats its first names,
    streets, postcodes and towns (first names folded, 200,000 rows of 26 names: 0.18 s as a
    column, 0.01 s as its values). Else, and without Arrow, over the column itself."""
    if not in_arrow(column):
        return kernel(column)
    import pyarrow as pa

    if mostly_distinct(column):
        return kernel(column)
    values = pa.chunked_array(column.array.__arrow_array__())
    encoded = values.dictionary_encode().unify_dictionaries()
    if not encoded.num_chunks or 2 * len(encoded.chunk(0).dictionary) > len(column):
        return kernel(column)
    dtype = column.dtype
    answers = kernel(pd.Series(dtype.__from_arrow__(encoded.chunk(0).dictionary), dtype=dtype))
    done = pa.chunked_array(answers.array.__arrow_array__()).combine_chunks()
    taken = pa.chunked_array([done.take(chunk.indices) for chunk in encoded.chunks], type=done.type)
    return pd.Series(dtype.__from_arrow__(taken), index=column.index, name=column.name, dtype=dtype)


def distinct_codes(column: pd.Series) -> tuple[pd.Series, np.ndarray] | None:
    """A column in Arrow that repeats its values, without nulls, as its distinct values and each
    row's position among them: for work that must say which rows it changed (the cleaning's
    corrections), where on_distinct's kernel cannot. None for any other column."""
    if not in_arrow(column):
        return None
    import pyarrow as pa

    values = pa.chunked_array(column.array.__arrow_array__())
    if values.null_count or mostly_distinct(column):
        return None
    encoded = values.dictionary_encode().unify_dictionaries()
    if not encoded.num_chunks or 2 * len(encoded.chunk(0).dictionary) > len(column):
        return None
    codes = np.concatenate([chunk.indices.to_numpy() for chunk in encoded.chunks])
    distinct = pd.Series(column.dtype.__from_arrow__(encoded.chunk(0).dictionary), dtype=column.dtype)
    return distinct, codes


def per_value(column: pd.Series, answer: Callable[[str], object]) -> pd.Series:
    """`answer` of every cell, asked once per distinct value (a file repeats its towns, first
    names, countries); in Arrow, the column's dictionary is answered and taken back row by row in C."""
    if not in_arrow(column):
        return column.map({value: answer(value) for value in column.unique()})
    return arrow_per_value(column.array.__arrow_array__(), answer).to_pandas().set_axis(column.index)


class Characters(NamedTuple):
    """An Arrow array of text as its UTF-8 bytes lie, for questions asked of every character of
    a million lines (their width, the font's glyphs) without a Python string each: only the
    characters beyond ASCII are decoded (code_points)."""

    data: Any  # the bytes (numpy uint8): an ASCII character is its byte
    bounds: Any  # where each value starts among them (its len + 1 bounds, int64)
    starts: Any  # the first byte of each character beyond ASCII
    points: Any  # and its code point (int32)


def code_points(values: Any) -> Characters:
    """The characters of an Arrow array of text (a null reads as "")."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())
    if array.null_count:
        array = pc.fill_null(array, "")
    _, offsets_buffer, data_buffer = array.buffers()
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer or b"", dtype=np.uint8)[offsets[0] : offsets[-1]]
    beyond = np.flatnonzero(data >= 0xC0)  # the first byte of each character beyond ASCII
    first = data[beyond].astype(np.int32)
    size = (first >= 0xE0).astype(np.int32) + (first >= 0xF0) + 1  # the bytes after it (10xxxxxx)
    points = first & (0x3F >> size)
    for byte in (1, 2, 3):  # each following byte adds 6 bits (Arrow's text is valid UTF-8)
        more = size >= byte
        points[more] = (points[more] << 6) | (data[beyond[more] + byte] & 0x3F)
    return Characters(data, (offsets - offsets[0]).astype(np.int64), beyond, points)


def arrow_per_value(values: Any, answer: Callable[[str], object], kind: Any = None) -> Any:
    """`answer` of every value of an Arrow (chunked) array, asked once per distinct value, in an
    array of type `kind` (inferred by default); a null stays null."""
    import pyarrow as pa

    # Every chunk gets the whole column's dictionary: answered once, not once per chunk (a
    # column of 25 chunks and 34,000 distinct names was answered 850,000 times: 1.9 s).
    encoded = pa.chunked_array(values).dictionary_encode().unify_dictionaries()
    if not encoded.num_chunks:
        return pa.chunked_array([], type=kind or pa.string())  # no rows: no chunk
    answers = pa.array([answer(value) for value in encoded.chunk(0).dictionary.to_pylist()], kind)
    return pa.chunked_array([answers.take(chunk.indices) for chunk in encoded.chunks])


def blank_rows(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Rows whose every cell is empty or spaces: a column is looked at only on the rows still
    blank so far (a file's first column is seldom empty, and the answer is then known)."""
    blank = pd.Series(True, index=frame.index)
    for name in columns:
        if not blank.any():
            break
        blank &= frame[name].str.strip() == ""
    return blank


def _records(lines: list[str], separator: str, width: int) -> Iterator[tuple[int, list[str], str]]:
    """(spreadsheet row, values, problem) of each record after the header.

    A quoted value may hold line breaks (an address on two lines). But a quote opened and
    never closed swallows every line up to the next quote: rows of customers vanish into
    one value. A value spanning lines that hold whole records (a separator count of a full
    row) is taken for that: its first line is rejected with the reason, and reading starts
    again on the next line, so the rows below are read as themselves.
    """
    record, start = 1, 1  # the header is record 1, line 1
    while start < len(lines):
        reader = csv.reader(lines[start:], delimiter=separator)
        consumed = 0
        restart = None
        try:
            for values in reader:
                record += 1
                first_line = start + consumed
                span, consumed = reader.line_num - consumed, reader.line_num
                if span > 1 and _swallowed(values, separator, width):
                    yield record, lines[first_line].rstrip("\r\n").split(separator), UNCLOSED_QUOTE
                    restart = first_line + 1
                    break
                yield record, values, ""
        except csv.Error as exc:  # a value beyond the csv module's size limit: an unclosed quote too
            record += 1
            first_line = start + consumed
            yield record, lines[first_line].rstrip("\r\n").split(separator), f"{UNCLOSED_QUOTE} ({exc})"
            restart = first_line + 1
        if restart is None:
            return
        start = restart


UNCLOSED_QUOTE = 'a quote (") opened in this row is never closed: it would swallow the rows below'


def _swallowed(values: list[str], separator: str, width: int) -> bool:
    """Whether a value spanning lines holds what looks like whole rows of the file."""
    return width > 2 and any(
        line.count(separator) >= width - 2
        for value in values
        if "\n" in value
        for line in value.split("\n")[1:]
    )


def clean_headers(headers: list[str]) -> list[str]:
    """Every column named, once: a blank header becomes 'column C', a repeated one 'E-mail (column J)'
    (spreadsheet letters), so that no column is lost or read twice."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for index, header in enumerate(headers):
        name, key = str(header), str(header).strip().casefold()
        if not key or key.startswith("unnamed: "):  # pandas' name for a blank Excel header
            name = f"column {_letters(index)}"
        elif key in seen:
            name = f"{name.strip()} (column {_letters(index)})"
        seen.add(name.strip().casefold())
        cleaned.append(name)
    return cleaned


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: a column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sniff_separator(text: str) -> str:
    """The separator that splits the header line most, outside quotes."""
    header = text.split("\n", 1)[0]
    unquoted = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {sep: unquoted.count(sep) for sep in CANDIDATE_SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_excel(path: Path, sheet: str | None, rows: int | None = None) -> Table:
    from publipost.campaigns.workbook import check_workbook

    check_workbook(path, sheet)  # bounded before pandas pads every row to the widest
    try:
        frame = pd.read_excel(
            path, sheet_name=sheet or 0, dtype=str, keep_default_na=False, engine="openpyxl", nrows=rows
        )
    except ValueError as exc:  # unknown sheet
        raise AudienceError(str(exc), Where(path), "check target.sheet against the workbook's tabs") from None
    except Exception as exc:  # a corrupt workbook: openpyxl raises many kinds
        raise AudienceError(
            f"cannot read the workbook: {exc}",
            Where(path),
            "open it in a spreadsheet and save it again as .xlsx",
        ) from None
    frame = frame.fillna("").astype(object)
    frame.columns = clean_headers([str(c) for c in frame.columns])
    frame[ROW] = range(2, len(frame) + 2)
    return Table(path, frame, encoding="xlsx")


def _as_text(column: pd.Series, header: str, name: str) -> pd.Series:
    """A DataFrame column as the text a spreadsheet shows (see table_from_frame)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        times = column.dropna()
        midnight = bool(
            (times.dt.hour == 0).all() and (times.dt.minute == 0).all() and (times.dt.second == 0).all()
        )
        text = column.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")
        return text.fillna("").astype(object)
    if pd.api.types.is_float_dtype(column) or column.dtype == object:
        return column.map(lambda value: _cell(value, header, name)).astype(object)
    return column.astype("string").fillna("").astype(object)


def _cell(value: object, header: str, name: str) -> str:
    import datetime as dt

    import numpy as np

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        number = float(value)
        if np.isnan(number):
            return ""
        if number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return np.format_float_positional(number, trim="-")
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list | set | tuple | bytes):
        raise AudienceError(
            f"the column '{header}' holds {type(value).__name__} values, not text, numbers or dates",
            Where(Path(name)),
            "give each customer's value in the column as text, a number or a date",
        )
    return str(value)


def _read_parquet(path: Path) -> Table:
    try:
        frame = pd.read_parquet(path)
    except ImportError:
        raise AudienceError(
            "reading Parquet needs pyarrow", Where(path), "pip install 'publipost[parquet]'"
        ) from None
    except (OSError, ValueError) as exc:  # (pyarrow's errors are both)
        raise not_parquet(path, exc) from None
    return Table(path, parquet_cells(frame), encoding="parquet")


def not_parquet(path: Path, exc: Exception) -> AudienceError:
    """A file named .parquet that Arrow cannot read (cut short, damaged, not Parquet at all):
    said as the file's fault, not the output folder's, which an OSError would be taken for."""
    return AudienceError(
        f"cannot read the Parquet file: {exc}", Where(path), "export it again from its source (or as CSV)"
    )


def parquet_cells(frame: pd.DataFrame, first: int = 2) -> pd.DataFrame:
    """A Parquet file's rows (from spreadsheet row `first` on) as text cells, as pandas writes
    each value; a missing one empty."""
    frame = frame.astype("string").fillna("").astype(object)
    frame.columns = clean_headers([str(c) for c in frame.columns])
    frame[ROW] = range(first, len(frame) + first)
    return frame
