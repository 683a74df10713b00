"""Print-ready letters read back from the PDF: text, fonts, page size, window position, QR, modes."""

from __future__ import annotations

import re
import shutil
from itertools import pairwise

import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.lib.units import mm

from publipost.api import prepare
from publipost.campaigns.postal import format_address
from publipost.campaigns.presets import campaign_preset, preset
from publipost.channels.printing import render_pdf
from publipost.templates.codes import is_valid
from publipost.templates.layout import LETTER, printed_lines
from tests.conftest import BASE_CAMPAIGN, EXAMPLES

SIZES = {"fr": (595.28, 841.89), "us": (612.0, 792.0)}


@pytest.fixture(scope="module", params=["vente-couette", "launch-planner"])
def printed(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("print") / request.param
    shutil.copytree(EXAMPLES / request.param, folder, ignore=shutil.ignore_patterns("out"))
    prepared = prepare(folder / "campaign.yaml")
    report = render_pdf(prepared, folder / "out", jobs=2)
    return prepared, report


def _pages_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_the_print_file_s_streams_are_flate_only_and_reportlab_is_left_as_it_was(printed):
    """Issue 31: chunks are drawn without ASCII85 (templates/press.py binary_streams) so that the
    merge copies their streams as they are (qpdf --stream-data=preserve): an ASCII85 stream left
    in the file would mean the merge kept a quarter more bytes, or drew it the old way. The
    setting is reportlab's, process-wide: put back after each chunk."""
    import pikepdf
    from reportlab import rl_config

    def filters(path) -> set[str]:
        with pikepdf.open(path) as pdf:
            return {str(o.Filter) for o in pdf.objects if isinstance(o, pikepdf.Stream) and "/Filter" in o}

    prepared, report = printed
    leaflet = prepared.campaign.letter.leaflet
    given = filters(prepared.campaign.resolve(leaflet)) if leaflet else set()  # merged as supplied
    flate = str(pikepdf.Array([pikepdf.Name.FlateDecode]))
    assert flate in filters(report.files[0]) and filters(report.files[0]) <= given | {flate}
    assert rl_config.useA85 == 1


def _first_page_text(path) -> str:
    """Page 1 alone: extracting every page of a 127-letter file took seconds a test."""
    return PdfReader(path).pages[0].extract_text()


def test_one_letter_per_recipient_with_merged_values(printed):
    prepared, report = printed
    recipients = [r for r in prepared.audience if r.postal]
    assert report.letters == len(recipients) and not report.failed
    (path,) = report.files
    pages = _pages_text(path)
    assert len(pages) == report.pages
    date = "22 novembre 2026" if prepared.campaign.language == "fr" else "22 November 2026"
    # a letter starts on a page with the date line and without the running header ("… · page 2/2")
    letter_starts = [
        i for i, text in enumerate(pages) if date in text and not re.search(r"page \d+/\d+", text)
    ]
    assert len(letter_starts) == len(recipients)  # every letter starts a page without a running header
    for number, (recipient, start) in enumerate(zip(recipients, letter_starts, strict=True)):
        end = letter_starts[number + 1] if number + 1 < len(letter_starts) else len(pages)
        text = "\n".join(pages[start:end])
        block = format_address(recipient.fields, campaign_preset(prepared.campaign).address_style)
        assert all(line in text for line in block)  # the postal block, in the window and on the coupon
        assert recipient.id.upper() in text  # in the response code on the coupon


def test_fonts_are_embedded_truetype(printed):
    _, report = printed
    reader = PdfReader(report.files[0])
    seen = set()
    for page in reader.pages[:5]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
            seen.add(str(font["/BaseFont"]).split("+")[-1])
    assert seen == {"LiberationSerif", "LiberationSerif-Bold"}  # the Regular's PostScript name


def test_page_size_and_address_in_the_window(printed):
    prepared, report = printed
    layout = preset("fr" if prepared.campaign.language == "fr" else "us")
    first = next(r for r in prepared.audience if r.postal)
    with pdfplumber.open(report.files[0]) as pdf:
        page = pdf.pages[0]
        assert (round(page.width, 2), round(page.height, 2)) == SIZES[layout.address_style.name]
        box = layout.address_field
        number = first.fields["address1"].split()[0]  # the street number: not in the sender's block
        words = [w for w in page.extract_words() if w["text"] == number and w["top"] < 100 * mm]
        assert words, f"{number} not in the top of the first page"
        word = words[0]
        assert box.x * mm <= word["x0"] and word["x1"] <= (box.x + box.width) * mm
        assert box.y * mm <= word["top"] and word["bottom"] <= (box.y + box.height) * mm
        assert word["x0"] >= layout.address_text_x * mm - 0.5


def test_response_code_is_printed_and_readable_as_qr(printed):
    _, report = printed
    document = pypdfium2.PdfDocument(str(report.files[0]))
    coupons = [
        i
        for i in range(len(document))
        if re.search(r"(?:Code réponse|Response code)", document[i].get_textpage().get_text_range())
    ]
    assert len(coupons) == report.letters
    for index in coupons[:2]:
        text = document[index].get_textpage().get_text_range()
        (code,) = [c for c in re.findall(r"\b[A-Z0-9]{2,12}-[\w.-]+-[0-9A-Z]\b", text) if is_valid(c)]
        image = document[index].render(scale=3).to_pil()
        assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [code]


def test_a_print_chunk_s_qr_codes_are_encoded_together_before_its_letters(tmp_path, monkeypatch):
    """Issue 31: the codes of a chunk's letters are scored in batches (templates/qr.py's
    qr_codes), not one at a time as each letter is drawn; the codes still decode to each
    letter's own tracked link and response code (tests above and test_links.py)."""
    import publipost.channels.printing as printing
    import publipost.templates.pdf as pdf

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    batches: list[int] = []
    together = pdf.qr_codes

    def counted(values, level="M"):
        batches.append(len(values))
        return together(values, level)

    def alone(value, level="M"):
        raise AssertionError(f"encoded alone while drawing: {value}")

    monkeypatch.setattr(pdf, "qr_codes", counted)
    monkeypatch.setattr(pdf, "qr_modules", alone)
    report = render_pdf(prepare(folder / "campaign.yaml"), folder / "out", jobs=1)
    assert report.letters > 100 and not report.failed
    assert sum(batches) == 2 * report.letters  # the call to action's and the coupon's, each letter
    assert max(batches) > 2  # together, not one letter at a time
    # a file of many letters is drawn CHUNK letters at a time: their codes alone are held
    monkeypatch.setattr(printing, "CHUNK", 40)
    batches.clear()
    report = render_pdf(prepare(folder / "campaign.yaml"), folder / "big", per_file=1000, jobs=1)
    assert report.letters > 100 and not report.failed
    assert sum(batches) == 2 * report.letters and max(batches) == 80


def test_date_place_typography_and_emphasis(printed):
    prepared, report = printed
    text = _first_page_text(report.files[0])
    if prepared.campaign.language == "fr":
        assert "matin\u202f?" in text  # French: a narrow no-break space before ?
        assert "Lyon, le 22 novembre 2026" in text
        emphasised, signatory = "une chaleur égale toute la nuit", "Claire Martin"
    else:
        assert "Austin, 22 November 2026" in text and "\u202f" not in text
        emphasised, signatory = "undated", "Dana Brooks"
    with pdfplumber.open(report.files[0]) as pdf:
        chars = pdf.pages[0].chars
        bold = "".join(c["text"] for c in chars if "Bold" in c["fontname"])
        assert emphasised in bold and signatory in bold
        assert pdf.pages[0].lines  # the underline, the fold marks


def test_linter_and_renderer_agree_on_printed_lines(tmp_path):
    paragraph = (
        "Votre couette arrive chez vous en deux jours, livrée sans frais, et vous l'essayez pendant trente "
        "nuits. "
    ) * 3 + "**Garantie dix ans**, lavable à 60 °C, légère comme une plume."
    expected = printed_lines(paragraph, LETTER)
    path = _campaign(tmp_path, letter=f"**Découvrez votre cadeau**\n\n{paragraph}\n")
    report = render_pdf(prepare(path), tmp_path / "out", jobs=1)
    with pdfplumber.open(report.files[0]) as pdf:
        words = pdf.pages[0].extract_words()
        start = next(w for w in words if w["text"] == "Votre")["top"]
        end = next(w for w in words if w["text"] == "plume.")["top"]
        baselines = {round(w["top"]) for w in words if start - 1 <= w["top"] <= end + 1}
    assert len(baselines) == expected >= 3


def _campaign(
    tmp_path, csv_text=None, letter="**Découvrez votre cadeau**\n\nBonjour {{ first_name }}.\n", extra=""
):
    (tmp_path / "campaign.yaml").write_text(BASE_CAMPAIGN + extra, encoding="utf-8")
    (tmp_path / "lettre.md").write_text(letter, encoding="utf-8")
    (tmp_path / "clients.csv").write_text(
        csv_text
        or (
            "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville\n"
            "1;Mme;Jeanne;Dupont;12 rue des Lilas;69003;Lyon\n2;M.;Paul;Martin;3 rue Neuve;01000;Bourg\n"
        ),
        encoding="utf-8",
    )
    return tmp_path / "campaign.yaml"


def test_markup_in_data_prints_literally_and_long_values_wrap(tmp_path):
    long_word = "Supercalifragilisticexpialidocious" * 3
    csv_text = (
        "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;Note\n"
        "1;Mme;<b>Léa</b>;Roy & Fils;1 rue <font>A</font>;69001;Lyon;" + long_word + "\n"
    )
    path = _campaign(
        tmp_path, csv_text, letter="**Découvrez**\n\nBonjour {{ first_name }}, {{ note }} {{ last_name }}.\n"
    )
    report = render_pdf(prepare(path), tmp_path / "out", jobs=1)
    text = _first_page_text(report.files[0])
    assert "Bonjour <b>Léa</b>," in text and "Chère Madame Roy & Fils," in text
    assert "1 rue font A font" in text  # NF Z 10-011: no punctuation from the 4th address line on
    with pdfplumber.open(report.files[0]) as pdf:
        page = pdf.pages[0]
        assert max(c["x1"] for c in page.chars) <= page.width - 15 * mm  # nothing runs off the margin


def test_an_address_that_cannot_fit_is_rejected_with_its_reason(tmp_path):
    csv_text = (
        "id;Nom;Adresse;Code postal;Ville\n1;Roy;12 avenue du Général Leclerc de Hauteclocque prolongée;"
        "75014;Paris\n2;Lin;3 rue Neuve;69002;Lyon\n"
    )
    prepared = prepare(_campaign(tmp_path, csv_text, letter="**Découvrez votre cadeau**\n\nBonjour.\n"))
    (note,) = [n for n in prepared.audience.notes if n.outcome == "rejected"]
    assert note.row == 2 and "is 46 characters; the postal norm allows 38" in note.reason
    assert render_pdf(prepared, tmp_path / "out", jobs=1).letters == 1


def test_per_file_modes_duplex_and_leaflet(tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    rows = "".join(f"{i};M.;Paul{i};Martin;{i} rue Neuve;69002;Lyon\n" for i in range(1, 8))
    leaflet = Canvas(str(tmp_path / "depliant.pdf"))
    leaflet.drawString(100, 700, "DEPLIANT")
    leaflet.showPage()
    leaflet.save()
    path = _campaign(tmp_path, "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville\n" + rows)
    prepared = prepare(path)
    each = render_pdf(prepared, tmp_path / "each", per_file=1, jobs=2)
    assert sorted(p.name for p in each.files) == [f"{i:06d}-{i}.pdf" for i in range(1, 8)]  # print order
    chunks = render_pdf(prepared, tmp_path / "chunks", per_file=3, jobs=2)
    assert [len(PdfReader(p).pages) for p in chunks.files] == [3, 3, 1]
    duplex = render_pdf(prepared, tmp_path / "duplex", duplex=True, jobs=1)
    assert duplex.pages == 14 and len(PdfReader(duplex.files[0]).pages) == 14
    with_leaflet = prepare(
        _campaign(
            tmp_path,
            "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville\n" + rows,
            extra="  leaflet: depliant.pdf\n",
        )
    )
    report = render_pdf(with_leaflet, tmp_path / "leaflet", jobs=2)
    texts = _pages_text(report.files[0])
    assert len(texts) == 14 and all("DEPLIANT" in texts[i] for i in range(1, 14, 2))
    both = render_pdf(with_leaflet, tmp_path / "both", duplex=True, jobs=1)
    texts = _pages_text(both.files[0])  # letter, blank back, leaflet, blank back: every sheet starts anew
    assert len(texts) == 28 and all("DEPLIANT" in texts[i] for i in range(2, 28, 4))
    assert all(not texts[i].strip() for i in range(1, 28, 2))


def test_cli_pdf(tmp_path, run):
    path = _campaign(tmp_path)
    result = run("render", path, "--format", "pdf", "--out", tmp_path / "out")
    assert result.code == 0, result.err
    assert "2 letters (2 pages) written to" in result.out
    assert (tmp_path / "out" / "letters" / "letters.pdf").is_file()
    bad = _campaign(tmp_path, extra="  layout: din-c\n")
    result = run("render", bad, "--format", "pdf")
    assert (
        result.code == 2 and "unknown layout 'din-c'" in result.err and "did you mean 'din-b'?" in result.err
    )


def test_no_characters_overlap_on_any_line(printed):
    """Runs of a line (regular, bold, underlined) follow each other: none drawn over another."""
    _, report = printed
    with pdfplumber.open(report.files[0]) as pdf:
        for page in pdf.pages[:3]:
            lines: dict[int, list] = {}
            for char in page.chars:
                lines.setdefault(round(char["top"]), []).append(char)
            for chars in lines.values():
                chars.sort(key=lambda c: c["x0"])
                for left, right in pairwise(chars):
                    assert right["x0"] >= left["x1"] - 0.6, f"{left['text']!r} and {right['text']!r} overlap"


def test_envelope_print_file(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    report = render_pdf(prepare(folder / "campaign.yaml"), folder / "out", jobs=1)
    assert report.envelopes.name == "envelopes-dl.pdf"
    with pdfplumber.open(report.envelopes) as pdf:
        (page,) = pdf.pages  # the teaser names nobody: one envelope for the whole run
        assert (round(page.width), round(page.height)) == (624, 312)  # DL, 220 x 110 mm
        text = page.extract_text()
        assert "Literie Martin" in text and "Découvrez maintenant la couette" in text


def test_only_the_classic_letter_template_exists(tmp_path, run):
    path = _campaign(tmp_path, extra="  template: ma-lettre.j2\n")
    result = run("validate", path)
    assert result.code == 2 and "the only letter template so far is the built-in 'classic'" in result.err


@pytest.mark.slow  # a whole campaign drawn, or a bound waited for: CI runs it
def test_in_duplex_the_coupon_never_backs_or_fronts_text_the_customer_keeps(tmp_path, run):
    """Issue 29, 5: with --duplex, cutting the coupon out cut off the signatory's name, the P.S.
    and the legal lines printed on its back. The coupon goes on a front whose back is blank."""
    from tests.conftest import copy_example

    campaign = copy_example("vente-couette", tmp_path)
    assert run("render", campaign, "--format", "pdf", "--duplex", "--no-lint").code == 0
    pages = [
        (p.extract_text() or "").strip()
        for p in PdfReader(campaign.parent / "out" / "letters" / "letters.pdf").pages
    ]
    assert len(pages) % 2 == 0
    coupons = [i for i, text in enumerate(pages) if "BON DE RÉPONSE" in text]
    assert coupons and all(i % 2 == 0 for i in coupons)  # 0-based: a front
    for i in coupons:
        assert pages[i + 1] == "", pages[i + 1][:80]  # its back: blank
        assert "douces nuits" not in pages[i]  # a sheet of its own: the letter's end is not on it
        assert "douces nuits" in pages[i - 2] and pages[i - 1] == ""  # the letter's back: blank too
    # without duplex, the same letters take a page of text and a coupon page each
    assert run("render", campaign, "--format", "pdf", "--no-lint").code == 0
    assert len(PdfReader(campaign.parent / "out" / "letters" / "letters.pdf").pages) == len(pages) // 2


def test_lines_encoded_once_draw_what_reportlab_draws(tmp_path):
    """draw_string keeps each line's encoding per document: the PDF is reportlab's own, byte for
    byte, left, right and centred, over several fonts and sizes, lines repeated, and more
    characters than one font subset holds (reportlab opens a second subset past 256)."""
    import random

    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.pdf import BOLD, REGULAR, draw_string, register_fonts

    register_fonts()
    rng = random.Random(4)
    alphabet = [chr(c) for c in range(0x20, 0x17F) if chr(c).isprintable()] + list("€’«»œŒ—…")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(150)]
    # each text in both fonts and two sizes, some again: as a letter's body is in every letter
    lines = [(font, size, text) for text in texts for font in (REGULAR, BOLD) for size in (9, 11)]
    lines += rng.sample(lines, 100)

    def page(draw) -> bytes:
        canvas = Canvas(str(tmp_path / "x.pdf"), invariant=1)
        for number, (font, size, line) in enumerate(lines):
            canvas.setFont(font, size, 14)  # one leading: the size alone tells them apart
            draw(canvas, 40 + number % 7, 800 - number % 200 * 3.7, line)
            if number % 200 == 199:
                canvas.showPage()
        return canvas.getpdfdata()

    assert page(draw_string) == page(lambda canvas, x, y, text: canvas.drawString(x, y, text))
    right, centre = (lambda c, x, y, t, a=a: draw_string(c, x, y, t, a) for a in ("right", "center"))
    assert page(right) == page(lambda canvas, x, y, text: canvas.drawRightString(x, y, text))
    assert page(centre) == page(lambda canvas, x, y, text: canvas.drawCentredString(x, y, text))
