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


def _colour_operators(pdf: pikepdf.Pdf) -> set[str]:
    """Every colour-setting operator in every content stream (pages and form XObjects)."""
    found = set()
    streams = [page.obj for page in pdf.pages]
    streams += [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form"]
    for stream in streams:
        for instruction in pikepdf.parse_content_stream(stream):
            if str(instruction.operator) in ("rg", "RG", "k", "K", "g", "G", "cs", "CS", "sc", "scn"):
                found.add(str(instruction.operator))
    return found


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
