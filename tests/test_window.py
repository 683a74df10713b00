"""Issue 29, item 1: the address in the window of the real envelope, whatever the position of the
sheet in it. Positions are read from the rendered PDF (pdfplumber), the envelope's window from
the catalogue, and every insert position is tried: the sheet moved to its limits (norms.md §1.1)."""

from __future__ import annotations

import re

import pdfplumber
import pytest

from publipost.api import prepare
from publipost.campaigns.envelopes import envelope, envelope_names, window_band
from publipost.campaigns.postal import format_address
from publipost.campaigns.presets import PAPER, campaign_preset
from tests.conftest import copy_example

MM = 72 / 25.4


def test_the_band_of_din_680_s_dl_window_is_the_norm_s_worked_example():
    """norms.md §1.1: a 45 mm window 15 mm above the bottom of a DL shows text between 50 and 84 mm
    from the top of A4 folded in three, in every position; across, 20 to 100 mm."""
    band = window_band(envelope("dl-left"), "A4")
    assert (band.left, band.right, band.top, band.bottom) == (20, 100, 50, 84)


def _longest(prepared, count=3) -> list[tuple[str, list[str]]]:
    """The recipients whose address blocks are the tallest, then the widest."""
    style = campaign_preset(prepared.campaign).address_style
    blocks = [
        (r.id, format_address(r.letter_fields, style)) for r in prepared.audience.recipients_of("letter")
    ]
    blocks.sort(key=lambda b: (len(b[1]), max(len(line) for line in b[1])), reverse=True)
    return blocks[:count]


# Every envelope of the catalogue a tri-folded letter goes in, in both languages (A4 and US
# Letter): c5-left takes the sheet folded in two, which no layout does (refused: see below).
TRI_FOLD = [name for name in envelope_names() if envelope(name).fold == "tri"]


@pytest.mark.parametrize("example", ["vente-couette", "launch-planner"])
@pytest.mark.parametrize("name", TRI_FOLD)
def test_the_address_stays_in_the_window_in_every_insert_position(tmp_path, run, example, name):
    """In its layout's own envelope the address stays where the layout puts it; in another (the
    French layout in a DIN 680 DL, US Letter in a French DL) it is placed from the envelope,
    centred in what its window always shows."""
    campaign = copy_example(example, tmp_path)
    text = re.sub(r"\n  envelope: \S+\n", "\n", campaign.read_text(encoding="utf-8"))
    campaign.write_text(text.replace("letter:\n", f"letter:\n  envelope: {name}\n", 1), encoding="utf-8")
    prepared = prepare(campaign)
    chosen = _longest(prepared)
    assert (
        run("render", campaign, "--format", "pdf", "--no-lint", "--only", *[rid for rid, _ in chosen]).code
        == 0
    )
    window = envelope(name)
    paper = campaign_preset(prepared.campaign).paper
    width, height = PAPER[paper]
    panel = height / 3  # folded in three: the address panel is the top third
    play_x, play_y = window.width - width, window.height - panel
    with pdfplumber.open(campaign.parent / "out" / "letters" / "letters.pdf") as pdf:
        firsts = [p for p in pdf.pages if p.search(r"\S")][:: len(pdf.pages) // len(chosen)]
        for page, (rid, lines) in zip(firsts, chosen, strict=True):
            boxes = []
            for line in lines:
                found = page.search(re.escape(line), regex=True)
                assert found, f"{rid}: '{line}' not on its first page"
                boxes.append(found[0])
            left = min(b["x0"] for b in boxes) / MM
            right = max(b["x1"] for b in boxes) / MM
            top = min(b["top"] for b in boxes) / MM
            bottom = max(b["bottom"] for b in boxes) / MM
            assert len(lines) >= 3 and bottom < panel  # on the address panel
            for dx in (0, play_x):  # the sheet pushed to the left, then to the right
                for dy in (0, play_y):  # resting on the bottom, then pushed up
                    # page (from its top-left) → envelope (from its bottom-left)
                    x0, x1 = left + dx, right + dx
                    y_high, y_low = panel - top + dy, panel - bottom + dy
                    w = window.window
                    assert w.x <= x0 and x1 <= w.x + w.width, (rid, dx, dy, x0, x1)
                    assert w.y <= y_low and y_high <= w.y + w.height, (rid, dx, dy, y_low, y_high)


def test_validate_reports_the_window_with_the_figures(tmp_path, run, campaign_dir):
    campaign = copy_example("vente-couette", tmp_path)
    checked = run("validate", campaign, "--lang", "en")
    assert checked.code == 0
    assert re.search(
        r"window     dl-right: the address block \(x 110\.0–\d+\.\d, y 4\d\.\d–\d+\.\d mm\) "
        r"stays in the window",
        checked.out,
    )
    # the French layout (its block on the right) in a DIN 680 DL (its window on the left): the
    # address is placed from the envelope, centred in the band x 20–100, y 50–84 mm
    from tests.conftest import BASE_CAMPAIGN

    base = campaign_dir(BASE_CAMPAIGN.replace("letter:\n", "letter:\n  envelope: dl-left\n"))
    shifted = run("validate", base, "--lang", "en")
    assert shifted.code == 0, shifted.err
    found = re.search(
        r"window     dl-left: the address block \(x (\d+\.\d)–(\d+\.\d), y (\d+\.\d)–", shifted.out
    )
    assert found, shifted.out
    assert 20 < float(found.group(1)) < 30 and float(found.group(2)) < 100 and float(found.group(3)) >= 50
    # DIN 5008 form B in the DIN 680 DL it is made for: in view
    din = campaign_dir(BASE_CAMPAIGN.replace("letter:\n", "letter:\n  layout: din-b\n  envelope: dl-left\n"))
    assert "window     dl-left: the address block (x 25.0" in run("validate", din, "--lang", "en").out


def test_the_catalogue_from_the_command_line(run):
    listed = run("envelope", "list")
    assert listed.code == 0 and [line.split()[0] for line in listed.out.splitlines()] == envelope_names()
    shown = run("envelope", "show", "dl-left")
    assert "window     90 × 45 mm, 20 mm from the left, 15 mm from the bottom" in shown.out
    assert "the window always shows x 20–100, y 50–84 mm of the page" in shown.out
    assert run("envelope", "show", "c4").code == 2


def test_an_unknown_envelope_is_bad_input(tmp_path, run):
    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace("  envelope: dl\n", "  envelope: b4\n"), encoding="utf-8")
    refused = run("validate", campaign)
    assert refused.code == 2 and "unknown envelope 'b4'" in refused.err and "dl-right" in refused.err


def test_a_letter_folded_otherwise_than_its_envelope_takes_it_is_refused(campaign_dir, run):
    """A C5 takes A4 folded in two; the French layout folds in three (marks at 99, 198 mm)."""
    from tests.conftest import BASE_CAMPAIGN

    path = campaign_dir(BASE_CAMPAIGN.replace("letter:\n", "letter:\n  envelope: c5\n"))
    refused = run("validate", path, "--lang", "en")
    assert refused.code == 2
    assert (
        "the c5-left envelope takes the sheet folded half (1 fold marks), "
        "and the 'fr' layout folds it at 99, 198 mm" in refused.err
    )


def test_an_address_the_window_cannot_show_whole_is_listed_not_printed(tmp_path, run):
    """A #10 window shows four address lines in every position of the sheet: a fifth (a company
    and a c/o line) would be hidden when the sheet moves. That row's letter is
    listed with the reason, the others print."""
    import csv

    campaign = copy_example("launch-planner", tmp_path)
    data = campaign.parent / "data" / "customers.csv"
    text = data.read_text(encoding="utf-8")
    assert ",Ava,Taylor,,4070 Oak St,Suite 210," in text
    five = ",Ava,Taylor,Taylor Events LLC,4070 Oak St,c/o Northwind Logistics,"  # a company and a c/o line
    data.write_text(text.replace(",Ava,Taylor,,4070 Oak St,Suite 210,", five))
    checked = run("validate", campaign, "--lang", "en")
    assert checked.code == 0, checked.err
    with (campaign.parent / "out" / "rejects.csv").open(encoding="utf-8-sig") as file:
        rows = {row["row"]: row for row in csv.DictReader(file)}
    assert rows["3"]["outcome"] == "e-mail only"
    assert (
        "the address takes 5 lines; the us10 window shows 4 in every position of the sheet"
        in rows["3"]["reason"]
    )


def test_the_preview_draws_the_window_over_the_first_page(tmp_path):
    """What the envelope's window always shows, as a dashed box over the letter's first page."""
    from publipost.preview.page import recipient_page
    from publipost.preview.state import Preview

    campaign = copy_example("vente-couette", tmp_path)
    preview = Preview(campaign)
    preview.load()
    loaded = preview.loaded
    page = recipient_page(preview, loaded, preview.recipient(loaded.ids[0]), campaign.parent)
    found = re.search(r'<span class="window" id="window" title="([^"]+)" style="([^"]+)"', page)
    assert found and "dl-right" in found.group(1)
    # dl-right on A4: x 105–195, y 46–80 mm of 210 × 297
    assert found.group(2) == "left: 50.0%; top: 15.49%; width: 42.86%; height: 11.45%"
    assert page.count('id="window"') == 1  # page 1 only


@pytest.mark.parametrize(
    ("example", "named"), [("vente-couette", "dl"), ("vente-couette", "dl-right"), ("launch-planner", None)]
)
def test_a_layout_in_its_own_envelope_keeps_its_address_where_it_was(tmp_path, example, named):
    """Placement from the envelope moves the block only for another window than the layout's."""
    from publipost.templates.window import placed_preset

    campaign = copy_example(example, tmp_path)
    text = campaign.read_text(encoding="utf-8")
    if named != "dl":
        text = text.replace("  envelope: dl\n", f"  envelope: {named}\n" if named else "")
    campaign.write_text(text, encoding="utf-8")
    loaded = prepare(campaign).campaign
    assert placed_preset(loaded) == campaign_preset(loaded)


def test_a_line_left_unmeasured_fits_every_window_whatever_its_characters():
    """WindowFit measures only the lines long enough to matter: a shorter line must fit the band
    even made of the font's widest glyph, for every layout in every envelope it folds into. A
    fixed 24 characters did not: 23 W (76.6 mm) passed unmeasured in a C6/5 window of 70.7 mm."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from publipost.campaigns.envelopes import FOLDS, envelope, envelope_names, window_band
    from publipost.campaigns.presets import preset, preset_names
    from publipost.templates.layout import advance_widths
    from publipost.templates.pdf import ADDRESS_SIZE, REGULAR, register_fonts
    from publipost.templates.window import DEFAULTS, PT, WindowFit, _never_too_wide, _placed

    register_fonts()
    widths, _ = advance_widths(REGULAR)
    widest = max(widths, key=widths.get)
    checked = 0
    for layout in map(preset, preset_names()):
        for chosen in map(envelope, envelope_names()):
            if FOLDS[chosen.fold] - 1 != len(layout.fold_marks):
                continue
            placed = layout if chosen.name == DEFAULTS.get(layout.name) else _placed(layout, chosen)
            band = window_band(chosen, layout.paper, layout.fold_marks[0] if layout.fold_marks else None)
            room = band.right - placed.address_text_x
            safe = _never_too_wide(room)
            assert stringWidth(widest * safe, REGULAR, ADDRESS_SIZE) * PT <= room, (layout.name, chosen.name)
            fit = WindowFit(chosen.name, 6, room)
            wide = "W" * 23
            assert bool(fit.too_wide(wide)) == (stringWidth(wide, REGULAR, ADDRESS_SIZE) * PT > room)
            checked += 1
    assert checked >= 10
    assert WindowFit("c65-left", 6, 70.7).too_wide("W" * 23)  # measured now, and too wide


def test_lines_summed_in_numpy_are_judged_as_measured_one_by_one(monkeypatch):
    """too_wide_of sums a line's advance widths in numpy and measures only the lines that do not
    clearly fit, and too_wide_in does it from their UTF-8 bytes in Arrow: each must say what
    too_wide says of each line, on names, accents, glyphs the font lacks, characters beyond the
    BMP, a NUL, lines past its matrix's width, and lines a hair either side of the room."""
    import random

    import pyarrow as pa
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from publipost.templates import window
    from publipost.templates.pdf import ADDRESS_SIZE, REGULAR, register_fonts
    from publipost.templates.window import LONGEST, PT, WindowFit

    monkeypatch.setattr(window, "ARROW_SLICE", 1_000)  # slices end mid-array, as a million lines' do

    register_fonts()
    rng = random.Random(8)
    alphabet = [*"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ -'.éèêëàâçôùüÿœæÉÈÀÇŒß", "W", "i"]
    alphabet += ["中", "ש", "\u0301", "😀", "\x00", "Ǆ", "\u00a0"]
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(6_000)]
    lines += ["W" * n for n in range(10, LONGEST + 10)] + ["i" * n for n in range(10, 400, 7)]
    lines += ["Mme " + "x" * (LONGEST + 1), "ÉÉÉ\x00ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ"]
    for room in (40.0, 55.8, 70.7):
        fit = WindowFit("dl-right", 6, room)
        # lines whose width is the room to within a hair, either side
        edge = [line for line in lines if abs(stringWidth(line, REGULAR, ADDRESS_SIZE) * PT - room) < 0.5]
        expected = {line: why for line in lines if (why := fit.too_wide(line))}
        assert fit.too_wide_of(lines) == expected, room
        in_arrow = pa.chunked_array([pa.array(["x", *lines[:3_000]]), pa.array([None, *lines[3_000:]])])
        assert fit.too_wide_in(in_arrow) == expected, room  # (chunks, a null, a first line left out:)
        assert fit.too_wide_in(in_arrow.combine_chunks().slice(1)) == expected  # (an array's offset)
        assert 0 < len(expected) < len(lines)
        assert edge or room == 40.0
    assert WindowFit().too_wide_of(lines) == {}  # no envelope: every line fits
    assert WindowFit().too_wide_in(pa.array(lines)) == {}
    summed = [line for line in lines if "\x00" not in line and len(line) <= LONGEST]  # (both sum these)
    widths = window._arrow_widths(pa.array(summed))
    assert widths.tolist() == pytest.approx(window._line_widths(summed), abs=1e-9)
    assert "" in summed and widths[summed.index("")] == 0.0
    # a font whose last glyph comes before ASCII's end ('z'): '{', '|', '}', '~' at its default width
    table, default, scale = window._advances()
    monkeypatch.setattr(window, "_advances", lambda: (table[: ord("z") + 1], default, scale))
    ascii_lines = ["{x|y}~", "abc", "~~~~", "é{"]
    assert window._arrow_widths(pa.array(ascii_lines)).tolist() == pytest.approx(
        window._line_widths(ascii_lines), abs=1e-9
    )
