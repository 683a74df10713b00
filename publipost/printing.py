"""A print run: every targeted recipient's letter as PDF, streamed in chunks, on every core.

Letters are drawn in chunks of a few hundred into files as they go, so memory stays flat
however long the run; chunks are drawn by one process per core, then merged (pikepdf,
which copies pages without holding the run in memory) into one print file when one is
asked for, with the leaflet collated after each letter.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from publipost.campaigns.audience import Recipient
from publipost.campaigns.presets import campaign_preset
from publipost.pipeline import Prepared
from publipost.templates.layout import unprintable
from publipost.templates.merge import Merge, MergedLetter, RecipientError, each_rendered

CHUNK = 250  # letters per chunk file when one combined file is asked for


@dataclass
class PrintReport:
    files: list[Path] = field(default_factory=list)
    letters: int = 0
    pages: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    seconds: float = 0.0
    envelopes: Path | None = None  # the carrier envelopes' print file

    @property
    def rate(self) -> float:
        return self.letters / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class _Chunk:
    index: int
    start: int
    end: int


# Set in the parent before the worker processes fork: they inherit it, nothing is pickled.
_RUN: dict = {}


def render_pdf(
    prepared: Prepared,
    out_dir: Path,
    *,
    per_file: int = 0,
    duplex: bool = False,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PrintReport:
    """Print files under `out_dir`: letters.pdf (per_file=0), files of N letters, or one per recipient."""
    started = time.perf_counter()
    total = prepared.audience.channel_count("letter")
    target = out_dir / "letters"
    if target.exists():
        shutil.rmtree(target)
    work = target / ".chunks" if per_file == 0 else target
    work.mkdir(parents=True, exist_ok=True)
    size = per_file or CHUNK
    chunks = [_Chunk(i, start, min(start + size, total)) for i, start in enumerate(range(0, total, size))]
    _RUN.update(prepared=prepared, work=work, per_file=per_file, duplex=duplex)
    jobs = (jobs or os.cpu_count() or 1) if hasattr(os, "fork") else 1  # Windows: one process
    report = PrintReport()
    parts: list[tuple[int, list[Path], list[int]]] = []
    try:
        if jobs > 1 and len(chunks) > 1:
            with multiprocessing.get_context("fork").Pool(min(jobs, len(chunks))) as pool:
                for result in pool.imap_unordered(_render_chunk, chunks):
                    _collect(report, parts, result, progress)
        else:
            for chunk in chunks:
                _collect(report, parts, _render_chunk(chunk), progress)
    finally:
        _RUN.clear()
    parts.sort()
    leaflet = prepared.campaign.letter.leaflet
    leaflet_path = prepared.campaign.resolve(leaflet) if leaflet else None
    if per_file == 0:
        combined = target / "letters.pdf"
        _merge([(files[0], counts) for _, files, counts in parts if files], combined, leaflet_path, duplex)
        shutil.rmtree(work)
        report.files = [combined] if report.letters else []
    else:
        report.files = [f for _, files, _ in parts for f in files]
        if leaflet_path:
            for _, files, counts in parts:
                for file in files:
                    _merge([(file, counts if per_file > 1 else counts[:1])], file, leaflet_path, duplex)
    if leaflet_path:
        import pikepdf

        with pikepdf.open(leaflet_path) as pdf:
            report.pages += report.letters * len(pdf.pages)
    if prepared.campaign.letter.envelope and report.letters:
        report.envelopes = _envelopes(prepared, target)
    report.seconds = time.perf_counter() - started
    return report


def _envelopes(prepared: Prepared, folder: Path) -> Path:
    """One envelope page; one per letter, in letter order, when the teaser names the recipient."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.pdf import ENVELOPES, REGULAR, paint_envelope, register_fonts

    campaign, merge = prepared.campaign, prepared.merge
    register_fonts()
    width, height = ENVELOPES[campaign.letter.envelope]
    path = folder / f"envelopes-{campaign.letter.envelope}.pdf"
    canvas = Canvas(str(path), pagesize=(width * mm, height * mm), initialFontName=REGULAR)
    preset = campaign_preset(campaign)
    personal = "letter.hook" in merge.templates and merge.uses_recipient_fields("letter.hook")
    for recipient in prepared.audience.letter_recipients() if personal else [None]:
        hook = (
            merge.letter(recipient).hook
            if recipient
            else (
                merge.render("letter.hook", merge.campaign_context())
                if "letter.hook" in merge.templates
                else None
            )
        )
        paint_envelope(canvas, campaign, hook and f"**{hook}**" if recipient is None else hook, preset)
    canvas.save()
    return path


def _collect(report: PrintReport, parts: list, result: tuple, progress: Callable[[int], None] | None) -> None:
    index, files, counts, failed = result
    parts.append((index, files, counts))
    report.letters += len(counts)
    report.pages += sum(counts)
    report.failed += failed
    if progress:
        progress(len(counts) + len(failed))


def _render_chunk(chunk: _Chunk) -> tuple[int, list[Path], list[int], list[tuple[int, str]]]:
    """Draw letters start..end into the chunk's file(s); returns their page counts and failures."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.codes import campaign_code, response_code
    from publipost.templates.pdf import REGULAR, LetterPainter

    prepared: Prepared = _RUN["prepared"]
    campaign, merge = prepared.campaign, prepared.merge
    preset = campaign_preset(campaign)
    code = campaign_code(campaign.name)
    signature = campaign.resolve(campaign.sender.signature) if campaign.sender.signature else None
    painter = LetterPainter(campaign, preset, lambda rid: response_code(code, rid), signature)
    recipients = prepared.audience.letter_recipients(
        chunk.start, chunk.end
    )  # sliced here, not held by the parent
    work: Path = _RUN["work"]
    per_file: int = _RUN["per_file"]
    files, counts, failed = [], [], []
    canvas = None
    for recipient, letter in each_rendered(recipients, partial(printable_letter, merge), failed):
        if canvas is None or per_file == 1:
            if canvas is not None:
                canvas.save()
            name = f"{recipient.id}.pdf" if per_file == 1 else f"letters-{chunk.index + 1:05d}.pdf"
            files.append(work / name)
            # Start on the embedded font: reportlab's default, Helvetica, would be referenced unembedded.
            canvas = Canvas(
                str(files[-1]),
                pagesize=(preset.size[0] * mm, preset.size[1] * mm),
                pageCompression=1,
                initialFontName=REGULAR,
                initialFontSize=11,
            )
            canvas.setTitle(campaign.name)
            canvas.setAuthor(campaign.sender.company or campaign.sender.name)
        counts.append(painter.paint(canvas, letter, duplex=_RUN["duplex"]))
    if canvas is not None:
        canvas.save()
    return chunk.index, files, counts, failed


def _merge(sources: list[tuple[Path, list[int]]], output: Path, leaflet: Path | None, duplex: bool) -> None:
    """Concatenate chunk files, each letter followed by the leaflet when there is one.

    qpdf's own page job (through pikepdf) copies the pages in C++, without loading the run.
    """
    import pikepdf

    pages: list[str] = []
    blank = None
    if leaflet is not None and duplex:
        with pikepdf.open(leaflet) as pdf:
            if len(pdf.pages) % 2:
                blank = output.with_suffix(".blank.pdf")
                with pikepdf.new() as empty:
                    box = pdf.pages[0].mediabox
                    empty.add_blank_page(page_size=(float(box[2]), float(box[3])))
                    empty.save(blank)
    for path, counts in sources:
        if leaflet is None:
            pages += [str(path), "1-z"]
            continue
        first = 1
        for count in counts:
            pages += [str(path), f"{first}-{first + count - 1}", str(leaflet), "1-z"]
            pages += [str(blank), "1"] if blank else []
            first += count
    temporary = output.with_suffix(".tmp.pdf")
    pikepdf.Job(["qpdf", "--empty", "--pages", *pages, "--", str(temporary)]).run()
    temporary.replace(output)
    if blank:
        blank.unlink()


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
