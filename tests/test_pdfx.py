"""Issue 29, item 3: a print file a prepress preflight passes. `render --pdfx` writes PDF/X-4
(text in 100 % K, colours and images in the output condition's CMYK, an output intent, XMP
identification, page boxes); every print file gets unique font subset names and keeps its Info
dictionary through the merge. Read back with pikepdf, and inked with Ghostscript's inkcov."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pytest

from tests.conftest import copy_example


def _instructions(pdf: pikepdf.Pdf):
    """Every instruction of every content stream (pages and form XObjects)."""
    streams = [page.obj for page in pdf.pages]
    streams += [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form"]
    for stream in streams:
        yield from pikepdf.parse_content_stream(stream)


def _colour_operators(pdf: pikepdf.Pdf) -> set[str]:
    """Every colour-setting operator used."""
    colours = ("rg", "RG", "k", "K", "g", "G", "cs", "CS", "sc", "scn")
    return {str(i.operator) for i in _instructions(pdf) if str(i.operator) in colours}


def _image_spaces(pdf: pikepdf.Pdf) -> set[str]:
    """The colour space of every image (an image's soft mask is gray by definition)."""
    return {
        str(o.get("/ColorSpace"))
        for o in pdf.objects
        if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"
    }


def _inkcov(path, page: int) -> tuple[float, float, float, float]:
    result = subprocess.run(
        ["gs", "-q", "-o", "-", "-sDEVICE=inkcov", f"-dFirstPage={page}", f"-dLastPage={page}", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    c, m, y, k = (float(v) for v in result.stdout.split()[:4])
    return c, m, y, k


@pytest.mark.parametrize("example", ["vente-couette", "launch-planner"])
def test_render_pdfx_writes_pdf_x_4(tmp_path, run, example):
    campaign = copy_example(example, tmp_path)
    result = run("render", campaign, "--format", "pdf", "--pdfx", "--no-lint")
    assert result.code == 0, result.err
    path = campaign.parent / "out" / "letters" / "letters.pdf"
    with pikepdf.open(path) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and intent.DestOutputProfile.N == 4  # a CMYK output condition
        assert pdf.pdf_version == "1.6"  # ISO 15930-7: PDF/X-4 "using PDF 1.6"
        assert pdf.open_metadata()["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        assert pdf.docinfo["/Trapped"] == pikepdf.Name("/False") and str(pdf.docinfo["/Title"])
        assert all("/TrimBox" in page.obj and "/BleedBox" in page.obj for page in pdf.pages)
        # no DeviceRGB anywhere: text and rules in gray or K, colours in CMYK
        assert not _colour_operators(pdf) & {"rg", "RG"}
        assert _image_spaces(pdf) <= {"/DeviceCMYK", "/DeviceGray"}
    # a page of text only (the first letter's second page) puts ink on the black plate alone
    c, m, y, k = _inkcov(path, 2)
    assert (c, m, y) == (0, 0, 0) and k > 0
    # Ghostscript re-renders the whole file without a word
    check = subprocess.run(
        ["gs", "-q", "-o", "/dev/null", "-sDEVICE=nullpage", str(path)], capture_output=True, text=True
    )
    assert check.returncode == 0 and not check.stderr.strip() and not check.stdout.strip()
    # the carrier envelopes (the campaign names its envelope) go to the same shop: PDF/X-4 too
    envelopes = sorted((campaign.parent / "out" / "letters").glob("envelopes-*.pdf"))
    if example == "vente-couette":
        assert envelopes
    for envelope in envelopes:
        with pikepdf.open(envelope) as pdf:
            assert pdf.open_metadata()["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
            assert pdf.Root.OutputIntents[0].DestOutputProfile.N == 4
            assert all("/TrimBox" in page.obj for page in pdf.pages)
            assert "rg" not in _colour_operators(pdf)  # no DeviceRGB: the text is gray, on K alone
        c, m, y, k = _inkcov(envelope, 1)
        assert (c, m, y) == (0, 0, 0) and k > 0


def test_without_pdfx_black_is_rgb_and_lands_on_four_plates(tmp_path, run):
    """What --pdfx changes (and what this test would catch if it stopped changing it)."""
    campaign = copy_example("vente-couette", tmp_path)
    assert run("render", campaign, "--format", "pdf", "--no-lint").code == 0
    with pikepdf.open(campaign.parent / "out" / "letters" / "letters.pdf") as pdf:
        assert "/OutputIntents" not in pdf.Root and "rg" in _colour_operators(pdf)
        assert (
            str(pdf.docinfo["/Title"]) == "Couette Douillette — offre d'hiver 2026"
        )  # kept through the merge


def test_font_subsets_are_named_uniquely_across_chunks(tmp_path, run, monkeypatch):
    """ISO 32000-1 §9.6.4: one subset tag per subset. Forty chunk files all tagged AAAAAA+ held
    different glyphs under one name."""
    from publipost.channels import printing

    monkeypatch.setattr(printing, "CHUNK", 10)  # 127 letters: 13 chunk files merged
    campaign = copy_example("vente-couette", tmp_path)
    assert run("render", campaign, "--format", "pdf", "--no-lint", "--jobs", "1").code == 0
    names: dict[str, set[bytes]] = {}
    with pikepdf.open(campaign.parent / "out" / "letters" / "letters.pdf") as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                data = font.FontDescriptor.FontFile2.read_bytes()
                names.setdefault(str(font.BaseFont), set()).add(data)
    assert len(names) >= 13 * 2  # a regular and a bold subset per chunk
    assert all(len(subsets) == 1 for subsets in names.values())  # one name, one subset
    assert all(re.fullmatch(r"/[A-Z]{6}\+LiberationSerif(-Bold)?", name) for name in names)


def test_a_missing_output_profile_is_bad_input(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(
        text + "\nprint:\n  standard: pdf/x-4\n  output_profile: imprimeur.icc\n", encoding="utf-8"
    )
    refused = run("render", campaign, "--format", "pdf", "--no-lint")
    assert refused.code == 2 and "print.output_profile: file not found" in refused.err
    assert not (campaign.parent / "out" / "letters" / "letters.pdf").exists()


def test_a_design_printing_to_the_edge_gets_its_bleed_and_crop_marks(tmp_path, run):
    """The modern design's band runs to the paper's edge: under --pdfx it runs 3 mm past the trim
    (the bleed), the page grows by a slug holding crop marks, TrimBox stays A4."""
    from PIL import Image

    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace("letter:\n", "letter:\n  design: modern\n", 1), encoding="utf-8")
    assert run("render", campaign, "--format", "pdf", "--pdfx", "--no-lint").code == 0
    path = campaign.parent / "out" / "letters" / "letters.pdf"
    mm = 72 / 25.4
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0].obj
        trim = [round(float(v), 1) for v in page.TrimBox]
        assert trim == [0, 0, 595.3, 841.9]  # A4
        assert [round(float(v), 1) for v in page.BleedBox] == [
            round(-3 * mm, 1),
            round(-3 * mm, 1),
            603.8,
            850.4,
        ]
        assert [round(float(v), 1) for v in page.MediaBox] == [
            round(-10 * mm, 1),
            round(-10 * mm, 1),
            623.6,
            870.2,
        ]
    subprocess.run(
        [
            "gs",
            "-q",
            "-o",
            str(tmp_path / "p.png"),
            "-sDEVICE=pnggray",
            "-r100",
            "-dFirstPage=1",
            "-dLastPage=1",
            str(path),
        ],
        check=True,
    )
    image = Image.open(tmp_path / "p.png")
    px = 100 / 25.4  # pixels a mm
    band_row = round(12 * px)  # 2 mm below the trim's top: the band's height
    assert image.getpixel((round(8.5 * px), band_row)) < 128  # the band, in the bleed left of the trim
    assert image.getpixel((round(5 * px), round(20 * px))) == 255  # the slug: paper, no ink
    corner = [image.getpixel((x, round(10 * px))) for x in range(0, round(6 * px))]
    assert min(corner) < 128  # a crop mark on the trim's line, out in the slug


def test_a_design_inside_the_paper_has_no_bleed(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    assert run("render", campaign, "--format", "pdf", "--pdfx", "--no-lint").code == 0
    with pikepdf.open(campaign.parent / "out" / "letters" / "letters.pdf") as pdf:
        page = pdf.pages[0].obj
        assert list(page.MediaBox) == list(page.TrimBox) == list(page.BleedBox)


def test_an_output_profile_that_is_not_a_cmyk_icc_is_bad_input(tmp_path, run):
    """Read before any letter is drawn: not a traceback from a worker on the first colour."""
    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8")
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    (campaign.parent / "srgb.icc").write_bytes(srgb)
    (campaign.parent / "broken.icc").write_bytes(b"not a profile")
    for name, said in (
        ("srgb.icc", "a RGB profile; PDF/X-4's output intent"),
        ("broken.icc", "not an ICC profile"),
    ):
        campaign.write_text(text + f"\nprint:\n  output_profile: {name}\n", encoding="utf-8")
        refused = run("render", campaign, "--format", "pdf", "--pdfx", "--no-lint")
        assert refused.code == 2 and said in refused.err and "campaign.yaml:" in refused.err, refused.err


def _fill_colours(pdf: pikepdf.Pdf) -> set[tuple[str, tuple[str, ...]]]:
    """(operator, operands) of every CMYK fill and every colour-space selection."""
    return {
        (str(i.operator), tuple(str(v) for v in i.operands))
        for i in _instructions(pdf)
        if str(i.operator) in ("k", "cs", "scn")
    }


def _separations(pdf: pikepdf.Pdf) -> set[str]:
    return {
        str(o[1])
        for o in pdf.objects
        if isinstance(o, pikepdf.Array) and len(o) == 4 and o[0] == pikepdf.Name.Separation
    }


def test_the_brand_colour_prints_as_its_spot_ink_or_its_own_cmyk(tmp_path, run):
    """brand.spot: a Separation colour space named for the ink, with the CMYK given as its
    alternate; brand.color_cmyk: those percentages, not the profile's conversion."""
    spot = copy_example("launch-planner", tmp_path / "spot")
    text = spot.read_text(encoding="utf-8")
    marker = '  color: "#1a4d8f"'
    assert marker in text
    spot.write_text(
        text.replace(marker, marker + '\n  spot: {name: "PANTONE 286 C", cmyk: [100, 66, 0, 2]}'),
        encoding="utf-8",
    )
    assert run("render", spot, "--format", "pdf", "--pdfx", "--no-lint").code == 0
    with pikepdf.open(spot.parent / "out" / "letters" / "letters.pdf") as pdf:
        assert _separations(pdf) == {"/PANTONE 286 C"}
        assert ("scn", ("1",)) in _fill_colours(pdf)  # the hook in the ink, full strength
    # the same campaign printed without PDF/X: the screen colour, no separation
    assert run("render", spot, "--format", "pdf", "--no-lint").code == 0
    with pikepdf.open(spot.parent / "out" / "letters" / "letters.pdf") as pdf:
        assert not _separations(pdf)
    cmyk = copy_example("launch-planner", tmp_path / "cmyk")
    cmyk.write_text(text.replace(marker, marker + "\n  color_cmyk: [100, 66, 0, 2]"), encoding="utf-8")
    assert run("render", cmyk, "--format", "pdf", "--pdfx", "--no-lint").code == 0
    with pikepdf.open(cmyk.parent / "out" / "letters" / "letters.pdf") as pdf:
        assert ("k", ("1", "0.66", "0", "0.02")) in _fill_colours(pdf)
        assert not _separations(pdf)


def test_a_printed_colour_without_its_screen_colour_is_bad_input(tmp_path, run):
    campaign = copy_example("launch-planner", tmp_path)
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(
        text.replace('  color: "#1a4d8f"', "  color_cmyk: [100, 66, 0, 120]"), encoding="utf-8"
    )
    refused = run("validate", campaign)
    assert refused.code == 2 and "percentages, 0 to 100" in refused.err
    # three values, or a string: the same words, not "missing required key '3'" or "a valid tuple"
    for shape in ("[100, 66, 0]", '"100 66 0 2"'):
        campaign.write_text(text.replace("  color:", f"  color_cmyk: {shape}\n  color:"), encoding="utf-8")
        refused = run("validate", campaign)
        assert refused.code == 2 and "brand.color_cmyk: four CMYK percentages" in refused.err, refused.err
    spot = '  spot: {name: "PANTONE 286 C", cmyk: [100, 66, 0]}\n  color:'
    campaign.write_text(text.replace("  color:", spot), encoding="utf-8")
    refused = run("validate", campaign)
    assert refused.code == 2 and "brand.spot.cmyk: four CMYK percentages" in refused.err, refused.err
    campaign.write_text(text.replace('  color: "#1a4d8f"', "  color_cmyk: [100, 66, 0, 2]"), encoding="utf-8")
    refused = run("validate", campaign)
    assert refused.code == 2 and "set brand.color too" in refused.err


def test_files_of_n_letters_are_each_pdf_x_4_with_the_leaflet_after_each_letter(tmp_path, run):
    """--per-file with a leaflet: each file is written once more, with the leaflet collated
    after each of its letters and PDF/X-4 (templates/combine.py)."""
    import csv

    from pypdf import PdfReader
    from reportlab.pdfgen.canvas import Canvas

    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8").replace("letter:\n", "letter:\n  leaflet: depliant.pdf\n", 1)
    campaign.write_text(text, encoding="utf-8")
    leaflet = Canvas(str(campaign.parent / "depliant.pdf"))
    leaflet.drawString(100, 700, "DEPLIANT")
    leaflet.showPage()
    leaflet.save()
    assert run("render", campaign, "--format", "pdf", "--pdfx", "--per-file", "40", "--no-lint").code == 0
    out = campaign.parent / "out" / "letters"
    files = sorted(out.glob("letters-*.pdf"))
    with (out / "job.csv").open(encoding="utf-8-sig") as job:
        letters_in = [row[2] for row in csv.reader(job, delimiter=";")][1:]  # the file of each letter
    assert len(files) > 1
    for path in files:
        with pikepdf.open(path) as pdf:
            assert pdf.check_pdf_syntax() == []
            assert pdf.open_metadata()["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
            assert pdf.Root.OutputIntents[0].DestOutputProfile.N == 4
            assert all(list(p.obj.TrimBox) == list(p.obj.MediaBox) for p in pdf.pages)
            assert str(pdf.docinfo["/Title"]) == "Couette Douillette — offre d'hiver 2026"
        leaflets = sum("DEPLIANT" in page.extract_text() for page in PdfReader(path).pages)
        assert leaflets == letters_in.count(path.name) > 0
