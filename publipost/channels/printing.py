"""A print run: every targeted recipient's letter as PDF, streamed in chunks, on every core.

Letters are drawn in chunks of a few hundred into files as they go, so memory stays flat
however long the run; chunks are drawn by one process per core. When one print file is asked
for, each chunk is copied into it as soon as it is drawn (templates/combine.py), and the
letters are put in order, the leaflet after each, once the last one is in.

A run stopped before its print file is whole (Ctrl-C, a machine lost) resumes: each chunk file
is named by what it was drawn from (the campaign, its copy and files, the customer file, the
day, and the recipients of the chunk, in order), and finished chunks are kept until the print
file is whole; the half-written one is removed. The next run draws only the chunks it has no
file for; anything changed draws them anew.
"""

from __future__ import annotations

import os
import shutil
import time
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from publipost import i18n
from publipost.campaigns.audience import Audience, Recipient
from publipost.channels.base import Progress, Show, Written
from publipost.i18n import N_, _
from publipost.prepared import Prepared
from publipost.run.executor import Executor, Mapped, local
from publipost.templates.combine import Combined
from publipost.templates.layout import unprintable
from publipost.templates.markdown import blank_comments, parse_letter
from publipost.templates.merge import Merge, MergedLetter, RecipientError, each_rendered
from publipost.templates.press import PdfX, Press, binary_streams, subset_tags
from publipost.templates.window import placed_preset

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.pdf import LetterPainter

CHUNK = 250  # letters per chunk file when one combined file is asked for


@dataclass
class PrintReport(Written):
    files: list[Path] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    envelopes: Path | None = None  # the carrier envelopes' print file
    resumed: int = 0  # chunks a stopped run had drawn, taken as they were
    job: Path | None = None  # letters/job.csv: each letter's file, first page, pages, sheets (inserters)

    @property
    def letters(self) -> int:
        return self.written

    @property
    def rate(self) -> float:
        return self.written / self.seconds if self.seconds else 0.0

    def summary(self, show: Show) -> list[str]:
        many = _("{n} files in {path}").format(n=len(self.files), path=show(self.out))
        where = show(self.files[0]) if len(self.files) == 1 else many
        lines = [
            _("{n} letters ({pages} pages) written to {where} in {seconds} s ({rate} letters/s)").format(
                n=self.written,
                pages=self.pages,
                where=where,
                seconds=i18n.number(self.seconds, 1),
                rate=i18n.number(self.rate),
            )
        ]
        if self.resumed:
            lines.append(_("resumed: {n} chunks drawn by the stopped run were kept").format(n=self.resumed))
        if self.envelopes:
            lines.append(_("carrier envelopes: {path}").format(path=show(self.envelopes)))
        if self.job:
            lines.append(
                _("job index (file, first page, sheets per letter): {path}").format(path=show(self.job))
            )
        return lines


@dataclass(frozen=True)
class PrintRun:
    """What every chunk of a print run shares: sent to each worker once."""

    prepared: Prepared
    work: Path  # the folder chunk files go to
    per_file: int
    duplex: bool
    profile: Path | None = None  # PDF/X-4: the output profile (templates/press.py)


@dataclass(frozen=True)
class Chunk:
    """One job: the start-th to the end-th letter of the run, drawn into file(s) of its own
    (named by what they are drawn from, when the run may be resumed)."""

    index: int
    start: int
    end: int
    name: str = ""
    rows: Audience | None = None  # its recipients, for a worker that does not share this memory


def _named(prepared: Prepared, chunks: list[Chunk], duplex: bool) -> list[Chunk]:
    """The chunks, each named by what its letters are drawn from: a resumed run reuses a file
    only if nothing it depends on changed, so no letter of a stale copy, address or date is
    printed."""
    import datetime as dt
    import hashlib
    import importlib.metadata

    from publipost.campaigns.audience import ID
    from publipost.campaigns.load import named_files

    campaign = prepared.campaign
    inputs = hashlib.sha256()
    for part in (
        importlib.metadata.version("publipost"),
        dt.date.today().isoformat(),  # the letter's date
        f"duplex={duplex}",
        campaign.model_dump_json(),
        prepared.audience.source.digest,
        *(f"{key}\0{copy.text}" for key, copy in sorted(campaign.copies.items())),
        *(
            f"{name}/{key}\0{copy.text}"
            for name, variant in sorted(prepared.variants.items())
            for key, copy in sorted(variant.campaign.copies.items())
        ),
    ):
        inputs.update(part.encode() + b"\1")
    for loc, relative in named_files(campaign):
        path = campaign.resolve(relative)
        if loc[0] != "target" and path.is_file():
            with path.open("rb") as file:
                inputs.update(hashlib.file_digest(file, "sha256").digest())
    ids = prepared.audience.reached("letter", [ID])[ID].tolist()
    named = []
    for chunk in chunks:
        key = inputs.copy()
        key.update("\0".join(ids[chunk.start : chunk.end]).encode())
        named.append(replace(chunk, name=f"letters-{chunk.index + 1:05d}-{key.hexdigest()[:20]}"))
    return named


def _drawn(work: Path, chunk: Chunk) -> tuple[int, list[Path], list[int], list[tuple[int, str]]] | None:
    """A chunk a stopped run finished: its file and what drawing it gave (written last)."""
    import json

    record = work / f"{chunk.name}.json"
    pdf = work / f"{chunk.name}.pdf"
    if not record.exists():
        return None
    done = json.loads(record.read_text(encoding="utf-8"))
    if done["counts"] and not pdf.exists():
        return None
    return chunk.index, [pdf] if done["counts"] else [], done["counts"], [tuple(f) for f in done["failed"]]


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def render_pdf(
    prepared: Prepared,
    out_dir: Path,
    *,
    per_file: int = 0,
    duplex: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
    pdfx: bool = False,
    by_sheets: bool = False,
) -> PrintReport:
    """Print files under `out_dir`: letters.pdf (per_file=0), files of N letters, or one per recipient.
    The chunks are drawn by `executor` (default: one process per core, or `jobs` of them)."""
    started = time.perf_counter()
    profile = _profile(prepared) if pdfx else None  # a missing profile stops the run before drawing
    total = prepared.audience.channel_count("letter")
    target = out_dir / "letters"
    size = per_file or CHUNK
    chunks = [Chunk(i, start, min(start + size, total)) for i, start in enumerate(range(0, total, size))]
    report = PrintReport("letter", N_("letters"), target, verb=N_("not printed"))
    parts: list[tuple[int, list[Path], list[int]]] = []
    standard = PdfX(prepared.campaign.name, profile, _to_the_edge(prepared)) if profile else None
    combined: Combined | None = None  # the one print file, written as its chunks come
    drawn: dict[int, Sequence[int]] = {}  # chunk → its pages' numbers in the print file

    def collect(result: tuple[int, list[Path], list[int], list[tuple[int, str]]]) -> None:
        _collect(report, parts, result, progress)
        index, files, _counts, _failed = result
        if combined is not None and files:
            drawn[index] = combined.add(files[0])

    if per_file == 0:  # one print file: its chunks are kept until it is whole, and resumed
        work = target / ".chunks"
        chunks = _named(prepared, chunks, duplex)
        for path in target.glob("*") if target.exists() else []:
            if path != work:
                _remove(path)
        work.mkdir(parents=True, exist_ok=True)
        combined = Combined(target / ".letters.pdf.part", pdfx=standard)  # PDF/X-4 as it is written
    else:
        if target.exists():
            shutil.rmtree(target)
        work = target
        work.mkdir(parents=True, exist_ok=True)
    leaflet = prepared.campaign.letter.leaflet if prepared.campaign.letter else None
    leaflet_path = prepared.campaign.resolve(leaflet) if leaflet else None
    order: list[int] | None = None  # the letters' print order, when grouped
    try:
        if per_file == 0:
            left = []
            for chunk in chunks:
                done = _drawn(work, chunk)
                if done is None:
                    left.append(chunk)
                else:
                    collect(done)
            report.resumed, chunks = len(parts), left
        executor = executor or local(jobs)
        shared = prepared
        if executor.ships_data:  # each worker gets the campaign once and each chunk its own rows
            audience = prepared.audience
            tasks: Sequence[Chunk] = Mapped(
                chunks, lambda c: replace(c, rows=audience.rows_of("letter", c.start, c.end))
            )
            shared = prepared.with_audience(audience.rows_of("letter", 0, 0))
        else:
            tasks = chunks
        run = PrintRun(shared, work, per_file, duplex, profile)
        for result in executor.map_unordered(render_chunk, run, tasks):
            collect(result)
        parts.sort()
        if combined is not None:
            letters = target / "letters.pdf"
            sources = [(drawn[index], counts) for index, files, counts in parts if files]
            order = _collate(combined, sources, leaflet_path, duplex, by_sheets)
            combined.path.replace(letters)
            combined = None
            shutil.rmtree(work)
            report.files = [letters] if report.written else []
    finally:
        if combined is not None:  # stopped before it was whole: the chunks stay for a resume
            combined.close()
            combined.path.unlink(missing_ok=True)
    if per_file:
        report.files = [f for _, files, _ in parts for f in files]
        if leaflet_path or standard:  # each file written once more, with both
            for _chunk, files, counts in parts:
                for file in files:
                    _rewrite(file, counts if per_file > 1 else counts[:1], leaflet_path, duplex, standard)
    leaflet_pages = 0
    if leaflet_path:
        import pikepdf

        with pikepdf.open(leaflet_path) as pdf:
            leaflet_pages = len(pdf.pages)
            report.pages += report.written * leaflet_pages
    if report.written:
        report.job = _job_index(
            order,
            prepared,
            report,
            [c for _, _, counts in parts for c in counts],
            leaflet_pages,
            duplex,
            per_file,
        )
    if prepared.campaign.letter and prepared.campaign.letter.envelope and report.written:
        report.envelopes = _envelopes(prepared, target)
        if profile is not None:  # the carrier envelopes go to the same print shop: PDF/X-4 too
            envelopes = PdfX(f"{prepared.campaign.name}: envelopes", profile)
            _rewrite(report.envelopes, None, None, False, envelopes)
    report.seconds = time.perf_counter() - started
    return report


# Weights are estimates from paper grammage (no norm: the print shop weighs a real set), to sort
# sets into their rate step before the print shop confirms: A4 of 80 g/m² is 0.0624 m², 4.99 g;
# US Letter of 20 lb bond (75 g/m²) is 0.0603 m², 4.5 g; a window envelope of 80–90 g/m², ~5 g.
SHEET_GRAMS = {"a4": 5.0, "letter": 4.5}
ENVELOPE_GRAMS = 5.0
# Weight steps: La Poste's letter rates (up to 20, 100, 250, 500 g, 1, 2, 3 kg; not in norms.md:
# la Poste's published tariff grid), USPS First-Class letters by the ounce (DMM 133, 3.5 oz at most).
GRAM_STEPS = (20, 100, 250, 500, 1000, 2000, 3000)
OUNCE = 28.35


def _job_index(
    order: list[int] | None,
    prepared: Prepared,
    report: PrintReport,
    counts: list[int],
    leaflet_pages: int,
    duplex: bool,
    per_file: int,
) -> Path:
    """letters/job.csv: each letter of the print run in print order, where it starts in which
    file, its pages and sheets, its variant, postcode and weight class: what an inserter (or
    the print shop's planner) keeps sets together and sorts mail by."""
    import math

    import numpy as np

    from publipost.campaigns.audience import ID, VARIANT, in_slices
    from publipost.campaigns.table import ROW
    from publipost.csvout import separator_for, write_csv

    frame = prepared.audience.frame
    letters = prepared.audience.reached("letter", [c for c in (ID, ROW, VARIANT, "postcode") if c in frame])
    letters.insert(0, "set", np.arange(1, len(letters) + 1))  # its place in the run, kept in job.csv
    cols = ["set", ID, VARIANT, "postcode"]
    letters = letters[~letters[ROW].isin([row for row, _ in report.failed])]
    blank = 1 if duplex and leaflet_pages % 2 else 0  # the leaflet's blank back (see _collate)
    if order is not None:  # grouped by sheets: the file's order
        letters, counts = letters.iloc[order], [counts[i] for i in order]
    us = prepared.campaign.language == "en" and placed_preset(prepared.campaign).size[0] < 216.5
    files = report.files

    def rows() -> Iterator[list[object]]:  # written as made: a row list of 100,000 letters is 40 MB
        page = 1
        for index, (letter, pages) in enumerate(zip(in_slices(letters, cols), counts, strict=True)):
            position, rid, variant, postcode = letter
            if per_file:
                file = files[min(index // per_file, len(files) - 1)]
                page = 1 if index % per_file == 0 else page
            else:
                file = files[0]
            printed_pages = pages + leaflet_pages + blank
            sheets = math.ceil(pages / 2) if duplex else pages
            leaflet_sheets = math.ceil(leaflet_pages / 2) if leaflet_pages else 0
            grams = (sheets + leaflet_sheets) * SHEET_GRAMS["letter" if us else "a4"] + ENVELOPE_GRAMS
            if us:
                weight_class = f"{max(1, math.ceil(grams / OUNCE))} oz"
            else:
                weight_class = f"≤ {next((s for s in GRAM_STEPS if grams <= s), GRAM_STEPS[-1])} g"
            yield [
                position,
                rid,
                file.name,
                page,
                printed_pages,
                sheets,
                variant or "",
                postcode,
                f"{grams:g}",
                weight_class,
            ]
            page += printed_pages

    path = report.out / "job.csv"
    header = [
        "set",
        "id",
        "file",
        "first_page",
        "pages",
        "sheets",
        "variant",
        "postcode",
        "weight_g",
        "weight_class",
    ]
    write_csv(
        path, header, rows(), separator_for(prepared.audience.source.separator, prepared.campaign.language)
    )
    return path


def _envelopes(prepared: Prepared, folder: Path) -> Path:
    """One envelope page; one per letter, in letter order, when the teaser names the recipient."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.pdf import ENVELOPES, REGULAR, paint_envelope, register_fonts

    campaign = prepared.campaign
    size = campaign.letter.carrier if campaign.letter else "dl"
    register_fonts()
    width, height = ENVELOPES[size]
    path = folder / f"envelopes-{size}.pdf"
    canvas = Canvas(str(path), pagesize=(width * mm, height * mm), initialFontName=REGULAR)
    preset = placed_preset(campaign)
    # One envelope serves every letter unless the teaser changes from one letter to the next:
    # it names the recipient, or the variants tease different hooks.
    teasers = [_teaser(variant) for variant in prepared.variants.values()] or [_teaser(prepared)]
    personal = any(personal for _, personal in teasers) or len({text for text, _ in teasers}) > 1
    letters = prepared.audience.recipients_of("letter", 0, None if personal else 1)
    for recipient in letters if personal else [next(letters, None)]:
        hook = prepared.of(recipient).merge.letter(recipient).hook if recipient is not None else None
        paint_envelope(canvas, campaign, hook, preset, size)
    canvas.save()
    return path


def _teaser(prepared: Prepared) -> tuple[str | None, bool]:
    """The hook an envelope teases, as written (`letter.hook`, or the copy's first bold block),
    and whether it uses the recipient's fields."""
    merge, copies = prepared.merge, prepared.campaign.copies
    if "letter.hook" in merge.templates:
        return copies["letter.hook"].text, merge.uses_recipient_fields("letter.hook")
    written = parse_letter(blank_comments(copies["letter.body"].text)).hook
    return (written.text, "{" in written.text) if written is not None else (None, False)


def _collect(
    report: PrintReport,
    parts: list[tuple[int, list[Path], list[int]]],
    result: tuple[int, list[Path], list[int], list[tuple[int, str]]],
    progress: Progress | None,
) -> None:
    index, files, counts, failed = result
    parts.append((index, files, counts))
    report.written += len(counts)
    report.pages += sum(counts)
    report.failed += failed
    if progress:
        progress(len(counts) + len(failed))


def render_chunk(run: PrintRun, chunk: Chunk) -> tuple[int, list[Path], list[int], list[tuple[int, str]]]:
    """Draw letters start..end into the chunk's file(s); returns their page counts and failures."""
    with binary_streams():  # Flate-only streams: the print file takes them as they are
        return _render_chunk(run, chunk)


def _render_chunk(run: PrintRun, chunk: Chunk) -> tuple[int, list[Path], list[int], list[tuple[int, str]]]:
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.pdf import REGULAR

    prepared = run.prepared
    campaign = prepared.campaign
    preset = placed_preset(campaign)
    press = Press(run.profile) if run.profile else None
    painters = {name: _painter(variant, press) for name, variant in prepared.variants.items()}
    painters[""] = _painter(prepared, press)
    if chunk.rows is not None:
        recipients = list(chunk.rows.recipients_of("letter"))
    else:
        recipients = list(prepared.audience.recipients_of("letter", chunk.start, chunk.end))  # sliced here

    def painter_of(recipient: Recipient) -> LetterPainter:
        return painters.get(recipient.variant, painters[""])

    def codes_ahead(recipients: list[Recipient]) -> Iterator[Recipient]:
        """The recipients, the QR codes of each CHUNK of them encoded together first, each
        painter's (a CHUNK, not the whole chunk: --per-file 10000 would hold 20,000 codes)."""
        for start in range(0, len(recipients), CHUNK):
            window = recipients[start : start + CHUNK]
            for painter in painters.values():
                painter.encode_ahead(r.id for r in window if painter_of(r) is painter)
            yield from window

    # each letter's number in the print file (its set, for the inserter): failed ones leave a gap
    set_numbers = {r.id: chunk.start + position for position, r in enumerate(recipients, start=1)}
    files: list[Path] = []
    counts: list[int] = []
    failed: list[tuple[int, str]] = []
    canvas = None

    def letter_of(recipient: Recipient) -> MergedLetter:
        return printable_letter(prepared.of(recipient).merge, recipient)

    def save(canvas: Canvas) -> None:
        with subset_tags(Path(canvas._filename).name):  # unique across the merged file's chunks
            canvas.save()

    for recipient, letter in each_rendered(codes_ahead(recipients), letter_of, failed):
        if canvas is None or run.per_file == 1:
            if canvas is not None:
                save(canvas)
            if run.per_file == 1:  # named in print order (the postcode sort's), then by recipient
                name = f"{set_numbers[recipient.id]:06d}-{recipient.id}.pdf"
            elif chunk.name:  # a chunk drawn twice at once (a worker thought lost): two files, one kept
                name = f"{chunk.name}.{os.getpid()}.part"
            else:
                name = f"letters-{chunk.index + 1:05d}.pdf"
            files.append(run.work / name)
            # Start on the embedded font: reportlab's default, Helvetica, would be referenced unembedded.
            canvas = Canvas(
                str(files[-1]),
                pagesize=(preset.size[0] * mm, preset.size[1] * mm),
                pageCompression=1,
                initialFontName=REGULAR,
                initialFontSize=11,
            )
            canvas.setTitle(campaign.name)
            canvas.setAuthor(campaign.sender.display_name)
        painter = painter_of(recipient)
        counts.append(painter.paint(canvas, letter, duplex=run.duplex, set_number=set_numbers[recipient.id]))
    if canvas is not None:
        save(canvas)
    if chunk.name:  # the file under its name, then the record that it is finished
        import json

        files = [file.replace(run.work / f"{chunk.name}.pdf") for file in files]
        partial = run.work / f"{chunk.name}.json.{os.getpid()}.part"
        partial.write_text(json.dumps({"counts": counts, "failed": failed}), encoding="utf-8")
        partial.replace(run.work / f"{chunk.name}.json")
    return chunk.index, files, counts, failed


def letter_pdf(prepared: Prepared, recipient: Recipient) -> bytes:
    """One recipient's letter as a PDF of its own, in memory (a preview)."""
    import io

    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.pdf import REGULAR, register_fonts

    register_fonts()  # a fresh process (the preview's) has not drawn a letter yet
    preset = placed_preset(prepared.campaign)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(preset.size[0] * mm, preset.size[1] * mm), initialFontName=REGULAR)
    own = prepared.of(recipient)
    _painter(own).paint(canvas, printable_letter(own.merge, recipient))
    canvas.save()
    return buffer.getvalue()


def envelope_pdf(prepared: Prepared, recipient: Recipient) -> bytes | None:
    """The recipient's carrier envelope as a PDF of its own (a preview), or None without one."""
    import io

    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.pdf import ENVELOPES, REGULAR, paint_envelope, register_fonts

    campaign = prepared.campaign
    if not (campaign.letter and campaign.letter.envelope):
        return None
    register_fonts()
    width, height = ENVELOPES[campaign.letter.carrier]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width * mm, height * mm), initialFontName=REGULAR)
    hook = prepared.of(recipient).merge.letter(recipient).hook
    paint_envelope(canvas, campaign, hook, placed_preset(campaign), campaign.letter.carrier)
    canvas.save()
    return buffer.getvalue()


def _to_the_edge(prepared: Prepared) -> bool:
    """Whether the letter's design prints to the paper's edge (modern's band): it needs a bleed."""
    from publipost.templates.design import design_for

    return bool(design_for(prepared.campaign).band)


def _profile(prepared: Prepared) -> Path:
    from publipost.templates.press import output_profile

    campaign = prepared.campaign
    given = campaign.print_.output_profile
    return output_profile(
        campaign.resolve(given) if given else None, campaign.where(("print", "output_profile"))
    )


def _painter(prepared: Prepared, press: Press | None = None) -> LetterPainter:
    from publipost.templates.pdf import LetterPainter

    campaign = prepared.campaign
    signature = campaign.resolve(campaign.sender.signature) if campaign.sender.signature else None
    return LetterPainter(
        campaign,
        placed_preset(campaign),
        prepared.code_of,
        signature,
        forms=f"{campaign.variant_name}-" if campaign.variant_name else "",
        press=press,
        marks=campaign.print_.marks,
    )


def _rewrite(
    path: Path, counts: list[int] | None, leaflet: Path | None, duplex: bool, pdfx: PdfX | None
) -> None:
    """A drawn file written anew: each letter (so many pages: `counts`, or the file as one)
    followed by the leaflet, and PDF/X-4 with `pdfx`."""
    combined = Combined(path.with_name(f".{path.name}.part"), pdfx=pdfx)
    try:
        pages = combined.add(path)
        _collate(combined, [(pages, counts or [len(pages)])], leaflet, duplex)
        combined.path.replace(path)
    finally:
        combined.close()
        combined.path.unlink(missing_ok=True)


def _collate(
    combined: Combined,
    sources: Sequence[tuple[Sequence[int], Sequence[int]]],
    leaflet: Path | None,
    duplex: bool,
    by_sheets: bool = False,
) -> list[int]:
    """Finish the print file: the letters (each source's pages, so many a letter) in print
    order, each followed by the leaflet (and a blank back when duplex and the leaflet's pages
    are odd); with `by_sheets`, the letters of one sheet count together (fewest first, print
    order kept within), so that an inserter runs each set size in one go. Returns the letters'
    order (indices in print order)."""
    pages = array("q")  # every letter's pages, in drawing order
    starts, counts = array("q"), array("q")  # each letter's first page in `pages`, and how many
    for numbers, letter_pages in sources:
        at = len(pages)
        for count in letter_pages:
            starts.append(at)
            counts.append(count)
            at += count
        pages.extend(numbers)
    order = list(range(len(counts)))
    if by_sheets:
        order.sort(key=lambda i: -(-counts[i] // 2) if duplex else counts[i])
    insert: Sequence[int] = ()
    blank: tuple[float, float] | None = None
    if leaflet is not None and len(counts):
        import pikepdf

        insert = combined.add(leaflet, keep=True)
        with pikepdf.open(leaflet) as pdf:
            box = [float(v) for v in pdf.pages[0].mediabox]
        if duplex and len(insert) % 2:
            blank = (box[2] - box[0], box[3] - box[1])
    kids = array("q")
    for turn, index in enumerate(order):
        kids.extend(pages[starts[index] : starts[index] + counts[index]])
        if insert:
            kids.extend(insert if turn == 0 else [combined.again(page) for page in insert])
            if blank is not None:
                kids.append(combined.blank(*blank))
    combined.finish(kids)
    return order


def printable_letter(merge: Merge, recipient: Recipient) -> MergedLetter:
    """The recipient's letter, once the font is known to print all of it: a merged value in a
    script the font lacks would leave a blank where the customer's name should be."""
    letter = merge.letter(recipient)
    texts = [
        *letter.address,
        letter.hook or "",
        letter.salutation,
        *letter.body,
        *letter.signature,
        *letter.ps,
    ]
    problem = unprintable(texts)
    if problem:
        raise RecipientError(problem)
    return letter
