"""The print file written chunk by chunk (templates/combine.py), read back: the same pages as
qpdf's page job makes of the same chunks, what a page inherits kept, strings never renumbered,
and a run stopped mid-way leaving no half file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from publipost.api import prepare
from publipost.channels import printing
from publipost.channels.printing import render_pdf
from publipost.templates.combine import Combined
from tests.conftest import EXAMPLES


def _chunks(tmp_path: Path, monkeypatch) -> tuple[list[Path], Path]:
    """The couette example drawn in chunks of 7 letters, kept as the run made them, and the
    print file it combined from them."""
    folder = tmp_path / "couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    monkeypatch.setattr(printing, "CHUNK", 7)
    kept = tmp_path / "chunks"
    kept.mkdir()
    collate = printing._collate

    def keep_then_collate(combined, sources, *args, **kwargs):
        for path in sorted((folder / "out" / "letters" / ".chunks").glob("*.pdf")):
            shutil.copy(path, kept / path.name)
        return collate(combined, sources, *args, **kwargs)

    monkeypatch.setattr(printing, "_collate", keep_then_collate)
    report = render_pdf(prepare(folder / "campaign.yaml"), folder / "out", jobs=2)
    return sorted(kept.glob("*.pdf")), report.files[0]


def _page(page: pikepdf.Page) -> tuple:
    """What a page shows: its content, its box, and each resource's bytes or font."""
    resources = {}
    for category, entries in page.obj.Resources.items():
        if isinstance(entries, pikepdf.Dictionary):
            for name, value in entries.items():
                if isinstance(value, pikepdf.Stream):
                    resources[category, name] = bytes(value.read_raw_bytes())
                else:
                    resources[category, name] = str(value.get("/BaseFont"))
    return page.Contents.read_raw_bytes(), [float(v) for v in page.mediabox], resources


def test_the_print_file_has_the_pages_qpdfs_page_job_makes_of_the_same_chunks(tmp_path, monkeypatch):
    chunks, combined = _chunks(tmp_path, monkeypatch)
    assert len(chunks) > 5  # several chunks, drawn by two processes, added as each was done
    joined = tmp_path / "qpdf.pdf"
    pages = [part for path in chunks for part in (str(path), "1-z")]
    job = ["qpdf", str(chunks[0]), "--stream-data=preserve", "--pages", *pages, "--", str(joined)]
    pikepdf.Job(job).run()
    with pikepdf.open(combined) as ours, pikepdf.open(joined) as theirs:
        assert ours.check_pdf_syntax() == []  # qpdf's own checks: the xref, every object, the tree
        assert len(ours.pages) == len(theirs.pages) > 20
        for mine, reference in zip(ours.pages, theirs.pages, strict=True):
            assert _page(mine) == _page(reference)
        # the first chunk's title and author (the first drawn: two processes may finish the
        # second chunk first, a second later, so the dates may differ by that)
        dated = ("/CreationDate", "/ModDate")
        assert {k: v for k, v in ours.docinfo.items() if k not in dated} == {
            k: v for k, v in theirs.docinfo.items() if k not in dated
        }
        assert all(k in ours.docinfo for k in dated)
        assert ours.Root.PageMode == theirs.Root.PageMode
    texts = [page.extract_text() for page in PdfReader(combined).pages]
    assert sum("Couette" in text or "couette" in text for text in texts) > 10  # readable by another reader


def _leaflet(path: Path, version: str) -> None:
    """A two-page leaflet whose pages inherit their box and resources from a page tree node, the
    way some layout programs write it, in another PDF version, its title a string that reads
    like a reference."""
    canvas = Canvas(str(path), pagesize=(420, 595))
    for text in ("LEAFLET FRONT", "LEAFLET BACK"):
        canvas.drawString(50, 500, text)
        canvas.showPage()
    canvas.setTitle("Offer 3 0 R [draft]")
    canvas.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        tree = pdf.Root.Pages
        first = pdf.pages[0].obj
        tree.MediaBox, tree.Resources = first.MediaBox, first.Resources
        for page in pdf.pages:
            del page.obj["/MediaBox"]
            del page.obj["/Resources"]
        pdf.save(path, min_version=version, force_version=version)


def test_a_leaflet_keeps_what_its_pages_inherit_and_its_version(tmp_path):
    letter = tmp_path / "letter.pdf"
    canvas = Canvas(str(letter))
    canvas.setTitle("Letters 12 0 R")
    for number in range(3):
        canvas.drawString(50, 700, f"LETTER {number}")
        canvas.showPage()
    canvas.save()
    leaflet = tmp_path / "leaflet.pdf"
    _leaflet(leaflet, "1.7")
    combined = Combined(tmp_path / "out.pdf")
    letters = combined.add(letter)
    printing._collate(combined, [(letters, [1, 1, 1])], leaflet, duplex=False)
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert pdf.check_pdf_syntax() == [] and pdf.pdf_version == "1.7"
        assert str(pdf.docinfo.Title) == "Letters 12 0 R"  # a string is copied, never renumbered
        boxes = [[float(v) for v in page.obj.MediaBox] for page in pdf.pages]
        assert boxes[1] == [0, 0, 420, 595] and boxes[0] != boxes[1]  # inherited, now the page's own
        objects = {page.obj.objgen for page in pdf.pages}
        assert len(objects) == 9  # a page object of its own for each leaflet page after each letter
    texts = [page.extract_text().strip() for page in PdfReader(tmp_path / "out.pdf").pages]
    assert texts == [text for n in range(3) for text in (f"LETTER {n}", "LEAFLET FRONT", "LEAFLET BACK")]


def test_a_run_stopped_mid_way_leaves_its_chunks_and_no_half_print_file(tmp_path, monkeypatch):
    folder = tmp_path / "couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    monkeypatch.setattr(printing, "CHUNK", 20)
    drawn = printing.render_chunk
    calls = []

    def stop_at_the_third(run, chunk):
        calls.append(chunk)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return drawn(run, chunk)

    monkeypatch.setattr(printing, "render_chunk", stop_at_the_third)
    prepared = prepare(folder / "campaign.yaml")
    with pytest.raises(KeyboardInterrupt):
        render_pdf(prepared, folder / "out", jobs=1)
    letters = folder / "out" / "letters"
    assert sorted(p.name for p in letters.iterdir()) == [".chunks"]  # no letters.pdf, no part file
    assert len(list((letters / ".chunks").glob("*.pdf"))) == 2
    monkeypatch.setattr(printing, "render_chunk", drawn)
    resumed = render_pdf(prepared, folder / "out", jobs=1)
    assert resumed.resumed == 2 and (letters / "letters.pdf").exists()
    assert len(PdfReader(letters / "letters.pdf").pages) == resumed.pages


def test_links_stay_on_their_pages(tmp_path):
    """A link in the copy is an annotation of its page (templates/pdf.py linkURL): copied with it."""
    sources = []
    for chunk in range(2):
        path = tmp_path / f"chunk{chunk}.pdf"
        canvas = Canvas(str(path))
        for page in range(3):
            canvas.drawString(50, 700, f"PAGE {chunk}-{page}")
            canvas.linkURL(f"https://couette.example/p/{chunk}-{page}", (50, 690, 200, 710), relative=0)
            canvas.showPage()
        canvas.save()
        sources.append(path)
    combined = Combined(tmp_path / "out.pdf")
    pages = [number for path in sources for number in combined.add(path)]
    combined.finish(pages)
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert pdf.check_pdf_syntax() == []
        links = []
        for page in pdf.pages:
            (link,) = page.obj.Annots
            assert "/P" not in link or link.P.objgen == page.obj.objgen
            links.append((str(link.A.URI), [float(v) for v in link.Rect]))
    assert links == [
        (f"https://couette.example/p/{c}-{p}", [50, 690, 200, 710]) for c in range(2) for p in range(3)
    ]


def test_a_print_file_with_no_letter_is_still_a_pdf(tmp_path):
    """Every letter of a run may fail (a font without the customer's script): empty, not broken."""
    combined = Combined(tmp_path / "empty.pdf")
    combined.finish([])
    with pikepdf.open(tmp_path / "empty.pdf") as pdf:
        assert pdf.check_pdf_syntax() == ["ERROR: file does not contain any pages"]  # and nothing else
        assert len(pdf.pages) == 0
        assert pdf.trailer.Info.is_indirect and pdf.trailer.Info.objgen != (0, 0)


def test_crop_marks_are_drawn_for_each_page_size_once(tmp_path):
    """PDF/X for a design printing to the edge: every page ends with the crop marks of its own
    trim (an A5 leaflet after A4 letters gets A5 marks), each size's marks written once."""
    from publipost.templates.press import PdfX, _crop_marks

    sources = []
    for name, size in (("letters", (595.28, 841.89)), ("leaflet", (420.0, 595.0))):
        canvas = Canvas(str(tmp_path / f"{name}.pdf"), pagesize=size)
        for _ in range(3):
            canvas.drawString(50, 300, name.upper())
            canvas.showPage()
        canvas.save()
        sources.append(tmp_path / f"{name}.pdf")
    profile = tmp_path / "cmyk.icc"
    profile.write_bytes(b"profile bytes")
    combined = Combined(tmp_path / "out.pdf", pdfx=PdfX("Marks", profile, to_the_edge=True))
    combined.finish([number for path in sources for number in combined.add(path)])
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert pdf.check_pdf_syntax() == []
        marks = set()
        for page in pdf.pages:
            *drawn, last = page.obj.Contents
            assert drawn and last.read_bytes() == _crop_marks(page.obj.TrimBox)
            marks.add(last.objgen)
        assert len(marks) == 2
