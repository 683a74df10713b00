"""The printed-line measure shared by the linter and the PDF renderer agrees with reportlab."""

from __future__ import annotations

import random
import re

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

from publipost.templates.layout import (
    EMAIL,
    FONTS,
    LETTER,
    break_lines,
    extract_metrics,
    printed_lines,
    text_width,
)


@pytest.fixture(scope="module")
def fonts():
    for name in ("LiberationSerif-Regular", "LiberationSerif-Bold"):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))
    from reportlab.lib.fonts import addMapping

    addMapping("LiberationSerif-Regular", 0, 0, "LiberationSerif-Regular")
    addMapping("LiberationSerif-Regular", 1, 0, "LiberationSerif-Bold")


def test_metrics_table_is_reportlab_s(fonts):
    import json

    shipped = json.loads((FONTS / "metrics.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(extract_metrics(), ensure_ascii=False))
    sample = "Découvrez « l'œuvre » à 89,90 €\u202f!"
    assert abs(text_width(sample, LETTER.font, 11) - pdfmetrics.stringWidth(sample, LETTER.font, 11)) < 1e-6


def test_line_widths_are_the_fonts_widths_at_the_size(fonts):
    """Each character a line measures has reportlab's width at that size, and a character the
    font lacks its default width: also the ones asked for after others (widths are scaled as
    they are first asked for)."""
    from publipost.templates.layout import _scaled, advance_widths

    widths, default = advance_widths(LETTER.bold_font)
    scaled = _scaled(LETTER.bold_font, 10.5)
    missing = "\u4e2d\U0001f600"  # a CJK ideograph and an emoji: not in Liberation Serif
    assert all(c not in widths for c in missing)
    for char in ["W", *missing, "é", "W", *sorted(widths)]:
        expected = widths.get(char, default) * (10.5 / 1000)
        assert scaled[char] == expected, char
    assert abs(scaled["W"] - pdfmetrics.stringWidth("W", LETTER.bold_font, 10.5)) < 1e-9


# Ordinary spaces only: reportlab's Paragraph also breaks at no-break spaces (it splits with
# str.split()), which French typography forbids; the shared measure keeps them unbroken (below).
WORDS = [
    *"Vous dormez à poings fermés de novembre à mars avec la couette Douillette garnie de duvet".split(" "),
    *"recyclé lavable chez vous garantie dix ans œuvre « cadeau » Saint-Étienne 89,90€".split(" "),
]


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("column", [LETTER, EMAIL], ids=["letter", "email"])
def test_line_count_matches_reportlab_paragraph(fonts, seed, column):
    rng = random.Random(seed)
    words = [rng.choice(WORDS) for _ in range(rng.randint(20, 140))]
    for _ in range(rng.randint(0, 3)):
        start = rng.randrange(len(words) - 3)
        words[start] = "**" + words[start]
        words[start + 2] += "**"
    markdown = " ".join(words)
    html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", markdown.replace("&", "&amp;").replace("<", "&lt;"))
    style = ParagraphStyle(
        "body",
        fontName=column.font,
        fontSize=column.size,
        leading=column.leading,
        spaceShrinkage=column.space_shrinkage,
    )
    paragraph = Paragraph(html, style)
    paragraph.wrap(column.width, 10_000)
    assert (
        printed_lines(markdown, column) == len(break_lines(markdown, column)) == len(paragraph.blPara.lines)
    )


def test_no_break_spaces_never_break_a_line():
    for fillers in range(60, 90):
        paragraph = " ".join(["mot"] * fillers) + " à 89,90\u00a0€ et «\u202fcadeau\u202f» ici."
        lines = ["".join(run.text for run in line.runs) for line in break_lines(paragraph, LETTER)]
        assert any("89,90\u00a0€" in line for line in lines)
        assert any("«\u202fcadeau\u202f»" in line for line in lines)


def test_a_word_longer_than_the_column_is_split_not_overflowing():
    name = "Wolfeschlegelsteinhausenbergerdorff" * 4
    lines = break_lines(f"Bonjour {name}, voici.", LETTER)
    assert len(lines) >= 2
    assert all(line.width <= LETTER.width + 1e-6 for line in lines)
    assert (
        "".join(run.text for line in lines for run in line.runs).replace(" ", "") == f"Bonjour{name},voici."
    )


def test_runs_carry_bold_and_underline():
    (line,) = break_lines("Un **gras** et __souligné__ \\*\\*pas gras\\*\\*.", LETTER)
    assert [(r.text, r.bold, r.underline) for r in line.runs] == [
        ("Un ", False, False),
        ("gras", True, False),
        (" et ", False, False),
        ("souligné", False, True),
        (" **pas gras**.", False, False),
    ]
