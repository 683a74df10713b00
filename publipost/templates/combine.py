"""One print file from the chunk files of a run, written while the run is drawn.

Until issue 31 the chunks were joined by qpdf's page job once the last one was drawn: a step on
one core at the end of every run, holding every page of the run in memory as it wrote (10 KB a
page: 358 MB for 16,000 letters, about 2 GB for 100,000). Here each chunk is copied into
the print file as soon as it is drawn, one chunk in memory at a time: its objects numbered
anew and written out as they are (streams byte for byte, never decoded), its pages pointed at
the print file's page tree. The page tree (the letters in the order asked for, a leaflet after
each, a blank back where duplex needs one), the catalog and the cross-reference table are
written at the end: a few bytes a page.

pikepdf (qpdf) reads each chunk; writing is plain PDF syntax (ISO 32000-1 §7.3, §7.5): every
name, string and number as pikepdf unparses it, so nothing a chunk holds is re-encoded here.
With `pdfx` (templates/press.py PdfX), the file is PDF/X-4 as it is written: each page's boxes
(and crop marks) as it is copied in, the output intent, XMP and Info at the end.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pikepdf

if TYPE_CHECKING:
    from publipost.templates.press import PdfX

CATALOG, PAGES = 1, 2  # the print file's own objects, written last
BATCH = 4096  # entries of the page tree and the xref written at a time (our choice: ~80 KB a write)


@dataclass
class Combined:
    """Write with `add` (a chunk's or a leaflet's pages), `again` (a repeat of a page written),
    `blank`, then `finish` with the order of the pages; the file is complete only then."""

    path: Path
    offsets: array[int] = field(default_factory=lambda: array("q", [0, 0, 0]))  # by object number
    version: str = "1.4"
    info: int = 0  # the first source's Info, copied
    catalog: bytes = b""  # what the first source's catalog says besides its pages
    ids: Any = field(default_factory=hashlib.md5)  # over every source's /ID: the file's second /ID
    first_id: bytes = b""
    # Pages kept for repeats (a leaflet after every letter), as written: a page object belongs to
    # one place in the page tree, so each repeat is a new one sharing the content and resources.
    kept: dict[int, bytes] = field(default_factory=dict)
    pdfx: PdfX | None = None  # PDF/X-4: boxes on each page as it is written, intent and XMP at the end
    marks: dict[tuple[float, ...], int] = field(default_factory=dict)  # crop marks' stream, by page size
    docinfo: dict[str, tuple[bytes, str | None]] = field(default_factory=dict)  # PDF/X: the Info, last
    started: bool = False  # the first source was added: its Info and viewer settings taken
    out: IO[bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.out = self.path.open("wb")
        self.out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # the version is set again at the end

    def add(self, source: Path, *, keep: bool = False) -> array[int]:
        """Copy the pages of `source` and everything they use; their object numbers, in order.
        `keep`: hold the page dictionaries for repeats (a leaflet's few pages)."""
        with pikepdf.open(source) as pdf:
            self.version = max(self.version, pdf.pdf_version, key=_version_key)
            writer = _Writer(self, keep)
            pages = array("q", [writer.number(page.obj) for page in pdf.pages])
            if not self.started:
                self._first(pdf, writer)
                self.started = True
            writer.drain()
            self.kept.update(writer.pages)
            identifier = pdf.trailer.get("/ID")
            if identifier is not None and len(identifier):
                self.ids.update(bytes(identifier[0]))
        return pages

    def _first(self, pdf: pikepdf.Pdf, writer: _Writer) -> None:
        """The first source's Info and viewer settings become the file's (as qpdf's page job
        keeps its first input's)."""
        info = pdf.trailer.get("/Info")
        if self.pdfx is not None:  # written last, with what PDF/X says; its strings for the XMP too
            for key, value in info.items() if isinstance(info, pikepdf.Dictionary) else []:
                text = str(value) if isinstance(value, pikepdf.String) else None
                self.docinfo[key] = (writer.value(value), text)
        elif isinstance(info, pikepdf.Dictionary):
            self.info = writer.number(info) if info.is_indirect else self._new(writer.value(info))
        else:
            self.info = self._new(b"<< >>")
        self.catalog = b"".join(
            b"%s %s " % (_name(key), writer.value(pdf.Root[key])) for key in VIEWER if key in pdf.Root
        )
        identifier = pdf.trailer.get("/ID")
        self.first_id = bytes(identifier[0]) if identifier is not None and len(identifier) else b""

    def again(self, page: int) -> int:
        """A new page object showing what page `page` (added with keep=True) shows."""
        return self._new(self.kept[page])

    def blank(self, width: float, height: float) -> int:
        """An empty page of this size (the blank back of an odd leaflet in duplex)."""
        box = b"[0 0 %s %s]" % (_number(width), _number(height))
        return self._new(b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << >> >>" % box)

    def finish(self, pages: Sequence[int]) -> None:
        """The page tree in this order, the catalog, the cross-reference table: the file is whole.
        Written a few thousand entries at a time: a list of 200,000 pages, or of the 400,000
        objects of 100,000 letters, made into Python bytes at once would cost 90 MB."""
        self.offsets[PAGES] = self.out.tell()
        self.out.write(b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [" % (PAGES, len(pages)))
        for start in range(0, len(pages), BATCH):
            self.out.write(b"".join(b"%d 0 R " % number for number in pages[start : start + BATCH]))
        self.out.write(b"] >>\nendobj\n")
        catalog = self.catalog
        if self.pdfx is not None:
            catalog += self._pdfx(self.pdfx)
        elif not self.info:  # nothing was added (every letter failed): an Info of its own all the same
            self.info = self._new(b"<< >>")
        self._write(CATALOG, b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog)
        start = self.out.tell()
        self.out.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        for first in range(1, len(self.offsets), BATCH):
            rows = self.offsets[first : first + BATCH]
            self.out.write(b"".join(b"%010d 00000 n \n" % offset for offset in rows))
        second = self.ids.digest()
        identifier = b"[<%s> <%s>]" % ((self.first_id or second).hex().encode(), second.hex().encode())
        self.out.write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID %s >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), self.info, identifier, start)
        )
        self.out.seek(5)  # "%PDF-" then the highest version any source needs (same width)
        self.out.write(self.version[:3].encode())
        self.out.close()

    def marks_for(self, pdfx: PdfX, media: list[float]) -> int | None:
        """The crop marks for pages of this size (PDF/X, a design printing to the edge): drawn
        and written once per size, a leaflet of another size getting its own."""
        if not pdfx.to_the_edge:
            return None
        if tuple(media) not in self.marks:
            drawn = pdfx.marks(media) or b""
            self.marks[tuple(media)] = self._new(b"<< /Length %d >>" % len(drawn), drawn)
        return self.marks[tuple(media)]

    def _pdfx(self, pdfx: PdfX) -> bytes:
        """The Info, the XMP and the output intent of PDF/X-4; what the catalog says of them.
        The header says PDF 1.6: ISO 15930-7 is "PDF/X-4 using PDF 1.6" (its title)."""
        self.version = max(self.version, "1.6", key=_version_key)
        strings = {key: text for key, (_, text) in self.docinfo.items() if text is not None} | pdfx.info()
        entries = {key: said for key, (said, _) in self.docinfo.items()}
        entries |= {key: pikepdf.String(text).unparse() for key, text in pdfx.info().items()}
        entries |= {"/Trapped": b"/False", "/GTS_PDFXVersion": b"(PDF/X-4)"}  # the XMP's, in the Info too
        self.info = self._new(b"<< %s>>" % b"".join(b"%s %s " % (_name(k), v) for k, v in entries.items()))
        xmp = pdfx.xmp(strings)
        metadata = self._new(b"<< /Type /Metadata /Subtype /XML /Length %d >>" % len(xmp), xmp)
        icc = pdfx.icc()
        profile = self._new(b"<< /N 4 /Filter /FlateDecode /Length %d >>" % len(icc), icc)
        name = pikepdf.String(pdfx.profile.stem).unparse()
        intent = self._new(
            b"<< /Type /OutputIntent /S /GTS_PDFX /OutputConditionIdentifier %s /Info %s "
            b"/RegistryName (http://www.color.org) /DestOutputProfile %d 0 R >>" % (name, name, profile)
        )
        return b"/OutputIntents [%d 0 R] /Metadata %d 0 R " % (intent, metadata)

    def close(self) -> None:
        """Give up: the file is left incomplete, for the caller to remove."""
        self.out.close()

    def _new(self, body: bytes, stream: bytes | None = None) -> int:
        number = self._reserve()
        self._write(number, body, stream)
        return number

    def _write(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[number] = self.out.tell()
        self.out.write(b"%d 0 obj\n%s\n" % (number, body))
        if stream is not None:
            self.out.write(b"stream\n%s\nendstream\n" % stream)
        self.out.write(b"endobj\n")

    def _reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1


class _Writer:
    """The objects of one source, numbered anew as they are first referred to, written in turn.
    Its page tree is not copied: each page points at the print file's, and takes the attributes
    it inherited from it (ISO 32000-1 §7.7.3.4) into its own dictionary."""

    def __init__(self, combined: Combined, keep: bool):
        self.combined, self.keep = combined, keep
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: deque[pikepdf.Object] = deque()
        self.pages: dict[int, bytes] = {}  # with `keep`: each page as written
        self.written: dict[bytes, bytes] = {}  # a direct dictionary or array, as the source says it

    def number(self, obj: pikepdf.Object) -> int:
        found = self.numbers.get(obj.objgen)
        if found is None:
            if obj.get("/Type") == PAGES_TYPE:  # a node of the source's page tree: ours instead
                found = self.numbers[obj.objgen] = PAGES
            else:
                found = self.numbers[obj.objgen] = self.combined._reserve()
                self.queue.append(obj)
        return found

    def drain(self) -> None:
        while self.queue:
            obj = self.queue.popleft()
            number = self.numbers[obj.objgen]
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                entries = [(k, v) for k, v in obj.stream_dict.items() if k != "/Length"]
                self.combined._write(number, self._dictionary(entries, b"/Length %d " % len(raw)), raw)
            elif isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == PAGE_TYPE:
                body = self._page([*obj.items(), *_inherited(obj)])
                if self.keep:
                    self.pages[number] = body
                self.combined._write(number, body)
            else:
                self.combined._write(number, self.value(obj, direct=True))

    def value(self, obj: Any, direct: bool = False) -> bytes:
        """`obj` in PDF syntax; an indirect object as a reference to its new number."""
        if isinstance(obj, pikepdf.Object):
            if obj.is_indirect and not direct:
                return b"%d 0 R" % self.number(obj)
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
                return obj.unparse()  # a name, a string, a null: as the source writes it
            # Each page repeats the same resources and boxes as direct objects: written once
            # per source, looked up by what they say (qpdf unparses them in C++).
            said = obj.unparse()
            written = self.written.get(said)
            if written is None:
                if isinstance(obj, pikepdf.Dictionary):
                    written = self._dictionary(obj.items())
                else:
                    written = b"[%s]" % b" ".join(self.value(item) for item in obj)
                self.written[said] = written
            return written
        if obj is None:
            return b"null"
        if isinstance(obj, bool):
            return b"true" if obj else b"false"
        return _number(obj)

    def _page(self, entries: list[tuple[str, Any]]) -> bytes:
        """A page's dictionary; with PDF/X, its boxes, and the crop marks after its content."""
        pdfx = self.combined.pdfx
        if pdfx is None:
            return self._dictionary(entries)
        media = [float(v) for v in dict(entries)["/MediaBox"]]
        boxes = pdfx.boxes(media)
        said = b"".join(
            b"%s [%s] " % (_name(k), b" ".join(_number(v) for v in box)) for k, box in boxes.items()
        )
        kept = [(key, value) for key, value in entries if key not in boxes]
        marks = self.combined.marks_for(pdfx, media)
        if marks is not None:
            contents = [value for key, value in kept if key == "/Contents"]
            inner = self.value(contents[0]) if contents else b""
            inner = inner[1:-1] if inner.startswith(b"[") else inner
            said += b"/Contents [%s %d 0 R] " % (inner, marks)
            kept = [(key, value) for key, value in kept if key != "/Contents"]
        return self._dictionary(kept, said)

    def _dictionary(self, entries: Any, first: bytes = b"") -> bytes:
        return b"<< %s%s>>" % (first, b"".join(b"%s %s " % (_name(k), self.value(v)) for k, v in entries))


PAGE_TYPE, PAGES_TYPE = pikepdf.Name.Page, pikepdf.Name.Pages
INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
VIEWER = ("/PageMode", "/PageLayout", "/ViewerPreferences", "/Lang")


def _inherited(page: pikepdf.Dictionary) -> list[tuple[str, Any]]:
    """What the page takes from the page tree above it and does not say itself."""
    found = []
    for key in INHERITABLE:
        node: Any = page
        depth = 0
        while key not in node and "/Parent" in node and depth < 64:
            node, depth = node.Parent, depth + 1
        if key not in page and key in node:
            found.append((key, node[key]))
    return found


@lru_cache(maxsize=256)
def _name(key: str) -> bytes:
    return pikepdf.Name(key).unparse()


def _number(value: int | float | Decimal) -> bytes:
    """A number as PDF writes it: never an exponent; a float (a box we computed) to a
    millionth of a point, its trailing zeros dropped, so that 595.2756 reads back as it was."""
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return b"0" if text in ("-0", "") else text.encode()
    return format(value, "f").encode()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
