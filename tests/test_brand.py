"""Brand and designs: a logo, a colour checked for contrast, legal lines, letter designs as data."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pdfplumber
import pytest
from PIL import Image

from publipost.api import prepare
from publipost.channels.email import Composer
from publipost.templates.design import builtin_designs
from tests.conftest import BASE_CAMPAIGN, plain

EMAIL = "email:\n  subject: Offre\n  body: lettre.md\n"
BRANDED = (
    BASE_CAMPAIGN.replace(
        "  place: Lyon",
        "  place: Lyon\n  email: claire@literie-martin.example\n  company: Literie Martin\n"
        "  legal:\n    - Literie Martin SAS au capital de 50 000 €, RCS Lyon 812 345 678\n",
    )
    + 'brand:\n  logo: logo.png\n  color: "#8a3b12"\n'
    + EMAIL
)


def _logo(folder, size=(300, 100), name="logo.png"):
    Image.new("RGB", size, (138, 59, 18)).save(folder / name)


def test_the_letter_carries_logo_colour_and_legal_lines(campaign_dir, tmp_path, run):
    path = campaign_dir(BRANDED)
    _logo(tmp_path)
    assert run("render", path, "--format", "pdf", "--out", tmp_path / "out").code == 0
    with pdfplumber.open(tmp_path / "out" / "letters" / "letters.pdf") as pdf:
        page = pdf.pages[0]
        assert "Literie Martin SAS au capital de 50 000 €, RCS Lyon 812 345 678" in page.extract_text()
        assert len(page.images) >= 1  # the logo
        logo = page.images[0]
        assert logo["x0"] >= 20 * 72 / 25.4 - 1 and logo["top"] < 35 * 72 / 25.4  # top left, above the window
        hook = next(c for c in page.chars if c["text"] == "D" and c["size"] > 12)
        assert tuple(round(v, 2) for v in hook["non_stroking_color"]) == (0.54, 0.23, 0.07)  # #8a3b12
        legal = [c for c in page.chars if c["text"] == "R" and c["size"] < 7]
        assert legal and legal[0]["top"] > page.height - 20 * 72 / 25.4  # in the footer


def test_the_email_carries_logo_colour_and_legal_lines(campaign_dir, tmp_path):
    _logo(tmp_path)
    prepared = prepare(campaign_dir(BRANDED))
    recipient = next(iter(prepared.audience))
    message = message_from_bytes(Composer(prepared, b"k" * 32).message(recipient), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    image = next(tag for tag in re.findall(r"<img[^>]*>", html) if 'src="cid:logo.' in tag)
    assert 'alt="Literie Martin"' in image
    cid = re.search(r'src="cid:([^"]+)"', image)
    assert cid
    parts = {p["Content-ID"].strip("<>"): p for p in message.walk() if p["Content-ID"]}
    assert parts[cid.group(1)].get_content() == (tmp_path / "logo.png").read_bytes()
    assert "color:#8a3b12" in html.replace(" ", "")
    # typeset: « RCS Lyon 812 345 678 » is never split across two lines
    assert (
        "Literie Martin SAS au capital de\u00a050\u202f000\u00a0€, RCS\u00a0Lyon\u00a0812\u202f345\u202f678"
        in html
    )
    assert "Literie Martin SAS au capital de 50 000 €, RCS Lyon 812 345 678" in plain(text)


@pytest.mark.parametrize(
    ("colour", "message"),
    [
        ("'#ffdd00'", "#ffdd00 on white has a contrast of 1.3:1; text needs 4.5:1"),
        ("red", "'red' is not a colour: write it #rrggbb"),
    ],
)
def test_a_colour_that_is_not_one_or_cannot_be_read(campaign_dir, tmp_path, run, colour, message):
    _logo(tmp_path)
    result = run("validate", campaign_dir(BRANDED.replace('"#8a3b12"', colour)))
    assert result.code == 2 and message in result.err and "campaign.yaml:" in result.err


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        ("missing.png", "brand.logo: file not found"),
        ("logo.svg", "mail apps show PNG, JPEG and GIF"),
        ("broken.png", "cannot be read"),
        ("huge.png", "more than print or e-mail needs"),
    ],
)
def test_a_bad_logo_is_an_error_before_anything(campaign_dir, tmp_path, run, logo, message):
    (tmp_path / "logo.svg").write_text("<svg/>")
    (tmp_path / "broken.png").write_text("not a png")
    _logo(tmp_path, (5000, 200), "huge.png")
    path = campaign_dir(BRANDED.replace("logo: logo.png", f"logo: {logo}"))
    result = run("render", path, "--format", "pdf", "--out", tmp_path / "out")
    assert result.code == 2 and message in result.err and not result.out
    assert not (tmp_path / "out" / "letters").exists()


@pytest.mark.parametrize("design", ["classic", "modern", "business"])
def test_built_in_designs_print_and_the_linter_counts_in_their_column(campaign_dir, tmp_path, run, design):
    _logo(tmp_path)
    campaign = BRANDED.replace("letter:\n", f"letter:\n  design: {design}\n")
    if design == "business":
        campaign = campaign.replace("language: fr", "language: fr").replace(
            "letter:\n", "letter:\n  layout: din-b\n"
        )
    path = campaign_dir(campaign)
    assert run("render", path, "--format", "pdf", "--out", tmp_path / "out").code == 0
    with pdfplumber.open(tmp_path / "out" / "letters" / "letters.pdf") as pdf:
        text = pdf.pages[0].extract_text()
    assert "Bonjour Jeanne" in text or "Chère Madame Dupont" in text
    if design == "business":
        assert "Notre réf. :" in text and "Votre n° client : 1" in text


def test_design_show_prints_a_design_to_start_from(run, tmp_path, campaign_dir):
    result = run("design", "show", "modern")
    assert result.code == 0 and "[band]" in result.out and "[body]" in result.out
    assert sorted(builtin_designs()) == ["business", "classic", "modern"]
    assert run("design", "show", "fancy").code == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("x = 20\ny = 12\nwidth = 45", "x = 120\ny = 40\nwidth = 45"), "logo covers the address window"),
        (("width = 170", "width = 250"), "body leaves the page"),
        (("width = 170", "width = 80"), "body.width is 80 mm"),
        (("margin_left = 20", "margin_left = 5"), "over the fold marks"),
        (("leading = 14", "leading = 'big'"), "body.leading is 'big'"),
    ],
)
def test_a_users_design_with_bad_regions_is_refused_naming_the_key(
    campaign_dir, tmp_path, run, change, message
):
    from publipost.templates.design import design_source

    (tmp_path / "mine.toml").write_text(design_source("classic").replace(*change))
    _logo(tmp_path)
    path = campaign_dir(BRANDED.replace("letter:\n", "letter:\n  design: mine.toml\n"))
    result = run("validate", path)
    assert result.code == 2 and message in result.err, result.err
    assert run("lint", path).code == 2  # the linter reads the same design


def test_an_unknown_design_suggests_the_closest(campaign_dir, tmp_path, run):
    _logo(tmp_path)
    result = run("validate", campaign_dir(BRANDED.replace("letter:\n", "letter:\n  design: modrn\n")))
    assert (
        result.code == 2 and "unknown design 'modrn'" in result.err and "did you mean 'modern'" in result.err
    )


def test_a_brand_font_is_embedded_and_the_linter_measures_with_it(campaign_dir, tmp_path, run):
    import shutil

    from tests.conftest import ROOT

    fonts = ROOT / "publipost" / "templates" / "fonts"
    shutil.copy(fonts / "LiberationSerif-Bold.ttf", tmp_path / "heavy.ttf")  # a wider "regular"
    shutil.copy(fonts / "LiberationSerif-Bold.ttf", tmp_path / "heavy-bold.ttf")
    _logo(tmp_path)
    campaign = BRANDED + "".join([])
    campaign = campaign.replace(
        '  color: "#8a3b12"\n', '  color: "#8a3b12"\n  font: {regular: heavy.ttf, bold: heavy-bold.ttf}\n'
    )
    path = campaign_dir(campaign)
    assert run("render", path, "--format", "pdf", "--out", tmp_path / "out").code == 0
    with pdfplumber.open(tmp_path / "out" / "letters" / "letters.pdf") as pdf:
        body = [c for c in pdf.pages[0].chars if c["text"] == "v" and 10 < c["size"] < 12]
    # the body's regular text is set in the brand's "regular" (here a bold face), embedded
    assert body and all(c["fontname"].endswith("LiberationSerif-Bold") for c in body)

    from publipost.api import prepare
    from publipost.linter.campaign import section_document

    column = section_document(prepare(path).campaign, "letter", None).column
    assert column.font.startswith("Brand-")  # the linter counts lines in the printed font


def test_a_brand_font_that_is_not_one(campaign_dir, tmp_path, run):
    (tmp_path / "fake.ttf").write_bytes(b"not a font at all")
    _logo(tmp_path)
    campaign = BRANDED.replace(
        '  color: "#8a3b12"\n', '  color: "#8a3b12"\n  font: {regular: fake.ttf, bold: fake.ttf}\n'
    )
    result = run("render", campaign_dir(campaign), "--format", "pdf", "--out", tmp_path / "out")
    assert result.code == 2 and "fake.ttf is not a font publipost can embed" in result.err
    no_bold = BRANDED.replace('  color: "#8a3b12"\n', '  color: "#8a3b12"\n  font: {regular: fake.ttf}\n')
    result = run("validate", campaign_dir(no_bold))
    assert result.code == 2 and "missing required key 'bold' in brand.font" in result.err


def test_a_refused_colour_comes_with_the_nearest_shade_that_passes(campaign_dir, tmp_path, run):
    """Issue 32, 11: the message names a colour of the same hue that passes 4.5:1, and it does."""
    from publipost.campaigns.model import contrast

    _logo(tmp_path)
    result = run("validate", campaign_dir(BRANDED.replace('"#8a3b12"', "'#ffdd00'")))
    found = re.search(r"the nearest shade that passes is (#[0-9a-f]{6})", result.err)
    assert result.code == 2 and found, result.err
    shade = found.group(1)
    assert 4.5 <= contrast(shade) < 4.7  # the nearest: barely past the line, not black
    accepted = run("validate", campaign_dir(BRANDED.replace('"#8a3b12"', f'"{shade}"')))
    assert accepted.code == 0, accepted.err
