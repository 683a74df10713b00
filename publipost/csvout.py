"""CSV files written for a marketer to open in a spreadsheet (rejects, corrections, send failures).

They are written in the customer file's own dialect (a French Excel export with ';' gets ';'
back, or Excel shows one column), in UTF-8 with a BOM so that Excel reads the accents, and a
value that a spreadsheet would take for a formula (=, +, -, @ first: CSV injection, OWASP)
is written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], separator: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out, delimiter=separator)
        writer.writerow([cell(h) for h in header])
        writer.writerows([cell(v) for v in row] for row in rows)  # a row at a time, as they come


def separator_for(source_separator: str | None, language: str) -> str:
    """The customer file's separator, or the one its language's Excel uses (';' in French)."""
    if source_separator in (",", ";", "\t"):
        return source_separator
    return ";" if language == "fr" else ","
