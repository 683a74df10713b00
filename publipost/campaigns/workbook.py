"""An XLSX workbook checked before pandas reads it: bounded in what it can make pandas hold.

pandas pads every row of a sheet to its widest, so one stray cell at column XFD on the millionth
row of a 5 KB workbook asks for 17 billion cells (a "workbook bomb": 15 GB within a minute,
then MemoryError). The sheet's XML is streamed once, compressed, and its extent measured from
the cells' references: rows × columns must stay within MAX_CELLS, the cells themselves too, and
the XML may not be compressed more than MAX_RATIO times (data compresses 5 to 20 times; a bomb
of blank space, a thousand).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from publipost.errors import AudienceError, Where

MAX_CELLS = 50_000_000  # a million customers of 50 columns
MAX_RATIO = 200
CHUNK = 4 * 1024 * 1024

_SHEET = re.compile(rb'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_TARGET = re.compile(
    rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|'
    rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"'
)
_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_CELL = re.compile(rb"<c[\s/>]")
_ROW = re.compile(rb"<row[\s/>]")


def check_workbook(path: Path, sheet: str | None) -> None:
    """Refuse, with the reason, a workbook whose chosen sheet (or first) would not fit."""
    where = Where(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise AudienceError(
            f"this is not an XLSX workbook ({exc})", where, "open it in a spreadsheet and save it as .xlsx"
        ) from None
    with archive:
        for info in _sheets(archive, sheet):
            _check_sheet(archive, info, where)


def _sheets(archive: zipfile.ZipFile, sheet: str | None) -> list[zipfile.ZipInfo]:
    """The chosen sheet's XML (the first sheet's when none is chosen); every worksheet when the
    workbook does not say which is which (it will be refused or read as pandas decides)."""
    worksheets = [
        i
        for i in archive.infolist()
        if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
    ]
    try:
        book = _small(archive, "xl/workbook.xml")
        rels = _small(archive, "xl/_rels/workbook.xml.rels")
    except KeyError:
        return worksheets
    targets = {}
    for match in _TARGET.finditer(rels):
        rid, target = (match[1], match[2]) if match[1] else (match[4], match[3])
        name = target.decode("utf-8", "replace")
        targets[rid] = name.lstrip("/") if name.startswith("/") else str(PurePosixPath("xl") / name)
    listed = [(name.decode("utf-8", "replace"), targets.get(rid)) for name, rid in _SHEET.findall(book)]
    chosen = [member for name, member in listed if sheet is None or name == sheet][:1]
    found = [i for i in worksheets if chosen and i.filename == chosen[0]]
    return found or worksheets


def _small(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > 16 * 1024 * 1024:
        return b""
    return archive.read(name)


def _check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: Where) -> None:
    hint = "delete the stray cells far below or to the right of the data, or export the sheet as CSV"
    if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise AudienceError(
            f"the sheet {info.filename} is {info.file_size:,} bytes compressed into {info.compress_size:,}: "
            "more than a spreadsheet's data ever compresses (a workbook bomb)",
            where,
            hint,
        )
    rows = columns = cells = width = 0
    corner = ""
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            data = tail + chunk
            cut = data.rfind(b"<")  # an element cut by the chunk's end is read with the next one
            data, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            for letters, number in _REF.findall(data):
                column = _column(letters)
                if column > columns or int(number) > rows:
                    columns, rows = max(columns, column), max(rows, int(number))
                    corner = f"{_letters(columns)}{rows}"
            cells += len(_CELL.findall(data))
            width = max([width, *(len(_CELL.findall(part)) for part in _ROW.split(data))])
            rows = max(rows, len(_ROW.findall(data)))
            if cells > MAX_CELLS or max(columns, width) * rows > MAX_CELLS:
                extent = f"{rows:,} rows × {max(columns, width):,} columns"
                raise AudienceError(
                    f"the sheet spans {extent} (its last cell: {corner or 'beyond'}): more than the "
                    f"{MAX_CELLS:,} cells publipost reads from a workbook",
                    where,
                    hint,
                )


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _letters(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out
