"""A customer file in parts: a folder or a glob of Parquet or CSV files (a Spark or Dask
export, a data lake's partitions), read as the one file the parts would make end to end.

Parts are read in name order (part-00000, part-00001, … sort as written) and numbered as
the rows of that one file: the second part's first row follows the first part's last. So
the audience's accounting, its ids and rejects.csv are those of the same rows in one CSV,
and rejects.csv also names each rejected row's part and its row there.

A part whose columns differ from the first part's is refused, naming the part and the
column: merging them would shift values into the wrong fields.
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.campaigns.paths import is_partitioned
from publipost.campaigns.table import ROW, Part, Table, read_table
from publipost.errors import AudienceError, Where

if TYPE_CHECKING:
    import pandas as pd

PART_KINDS = {".parquet": "Parquet", ".csv": "CSV", ".tsv": "CSV", ".txt": "CSV"}
HINT = "target.source may name one file, a folder of parts, or a glob such as data/part-*.parquet"


def read_source(
    base: Path, source: str, *, encoding: str | None = None, sheet: str | None = None, rows: int | None = None
) -> Table:
    """The customer data `target.source` names (relative to `base`): one file, or all its parts as one."""
    import pandas as pd

    path = (base / source).resolve()
    if not is_partitioned(base, source):
        return read_table(path, encoding=encoding, sheet=sheet, rows=rows)
    parts = part_paths(base, source)
    tables: list[Table] = []
    offset = 0
    marks: list[Part] = []
    digest = hashlib.sha256()
    for part in parts:
        table = read_table(part, encoding=encoding)
        if tables:
            table.frame = _same_columns(table, tables[0])
        _shift(table, offset)
        marks.append(Part(part, offset))
        digest.update(f"{part.name}\0{table.digest}\n".encode())
        offset = _last_row(table, offset) - 1
        tables.append(table)
        if rows is not None and sum(len(t.frame) for t in tables) >= rows:
            break  # a first look needs the first parts only
    first = tables[0]
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    if rows is not None:
        frame = frame.head(rows)
    return Table(
        path,
        frame,
        encoding=first.encoding,
        separator=first.separator,
        malformed=[m for t in tables for m in t.malformed],
        rejected_values={row: values for t in tables for row, values in t.rejected_values.items()},
        digest=digest.hexdigest(),
        parts=marks,
    )


def part_paths(base: Path, source: str) -> list[Path]:
    """The parts, in name order: every Parquet or CSV file in the folder (its subfolders
    included, as Hive-style partitions are laid out), or matching the glob. Hidden files and
    markers (_SUCCESS, _metadata) are skipped; a part must lie inside the folder (or the glob's
    fixed folder), so a link cannot make publipost read a file elsewhere."""
    path = base / source
    if path.is_dir():
        root = path.resolve()
        found = [p for p in path.rglob("*") if p.is_file()]
    else:
        root = (base / _fixed_folder(source)).resolve()
        pattern = f"{glob.escape(str(base))}/{source}"
        found = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()]
    parts = sorted(
        (p for p in found if not p.name.startswith((".", "_")) and p.suffix.lower() in PART_KINDS),
        key=lambda p: p.as_posix(),
    )
    if not parts:
        raise AudienceError("no customer file parts (.parquet, .csv, .tsv) found", Where(path), HINT)
    outside = [p for p in parts if not p.resolve().is_relative_to(root)]
    if outside:
        raise AudienceError(
            f"the part {outside[0]} leads outside {root}",
            Where(path),
            "copy the parts into the folder rather than linking to them",
        )
    kinds = {PART_KINDS[p.suffix.lower()] for p in parts}
    if len(kinds) > 1:
        parquet = next(p for p in parts if PART_KINDS[p.suffix.lower()] == "Parquet")
        csv = next(p for p in parts if PART_KINDS[p.suffix.lower()] == "CSV")
        raise AudienceError(
            f"the parts mix Parquet ({parquet.name}) and CSV ({csv.name})",
            Where(path),
            "keep one kind of part in the folder, or name them with a glob",
        )
    return parts


def _fixed_folder(pattern: str) -> Path:
    """The folder a glob starts from: its components before the first wildcard."""
    fixed: list[str] = []
    for component in Path(pattern).parts:
        if glob.has_magic(component):
            break
        fixed.append(component)
    return Path(*fixed)


def _same_columns(table: Table, first: Table) -> pd.DataFrame:
    """The part's frame, its columns in the first part's order; a missing or extra column is refused."""
    mine = [c for c in table.frame.columns if c != ROW]
    theirs = [c for c in first.frame.columns if c != ROW]
    missing = [c for c in theirs if c not in mine]
    extra = [c for c in mine if c not in theirs]
    if missing or extra:
        what = (
            f"has no column '{missing[0]}'" if missing else f"has a column '{extra[0]}'"
        ) + f" where the first part ({first.path.name}) has: {', '.join(theirs)}"
        raise AudienceError(
            f"the part {table.path.name} {what}",
            Where(table.path),
            "export every part with the same columns (one query, one schema)",
        )
    return table.frame[[*theirs, ROW]]


def _shift(table: Table, offset: int) -> None:
    if not offset:
        return
    table.frame[ROW] = table.frame[ROW] + offset
    table.malformed = [(row + offset, reason) for row, reason in table.malformed]
    table.rejected_values = {row + offset: values for row, values in table.rejected_values.items()}


def _last_row(table: Table, offset: int) -> int:
    """The whole's row number of the part's last row (its header's, for a part with no rows)."""
    numbers = [*table.frame[ROW].tolist(), *(row for row, _ in table.malformed)]
    return int(max(numbers)) if numbers else offset + 1
