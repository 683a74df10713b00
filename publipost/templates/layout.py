"""Where copy is printed, and how many printed lines a paragraph takes.

The linter's `paragraph-too-long` (mailing-rules.md §5: five printed lines at
most) and the PDF renderer read the same numbers from here: the font, its size,
the column width. Widths come from the shipped Liberation Serif's advance
widths, extracted once with reportlab into `fonts/metrics.json` (a test checks
the table against reportlab's own stringWidth), so linting needs neither
reportlab nor the font files at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FONTS = Path(__file__).parent / "fonts"
MM = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Column:
    """A text column: the font that fills it and its width, in the same unit (pt or px)."""

    name: str
    font: str
    bold_font: str
    size: float
    leading: float
    width: float
    # reportlab squeezes spaces by up to 5 % to fit a word on a line by default; the renderer
    # passes this instead, so a line holds exactly what printed_lines() says it holds.
    space_shrinkage: float = 0.0


# The classic letter: A4, 20 mm margins left and right (AFNOR's recommendation, norms.md §1.1),
# Liberation Serif 11/14 pt (a Times-metric serif, mailing-rules.md §5).
LETTER = Column("letter", "LiberationSerif-Regular", "LiberationSerif-Bold", 11, 14, 170 * MM)
# The classic e-mail: a 600 px body with 25 px padding each side, 16 px type (norms.md §4.4).
EMAIL = Column("email", "LiberationSerif-Regular", "LiberationSerif-Bold", 16, 24, 550)


@cache
def _widths(font: str) -> tuple[dict[str, float], float]:
    table = json.loads((FONTS / "metrics.json").read_text(encoding="utf-8"))[font]
    return table["widths"], table["default"]


def text_width(text: str, font: str, size: float) -> float:
    widths, default = _widths(font)
    return sum(widths.get(c, default) for c in text) * size / 1000


_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1", re.DOTALL)
_BREAKABLE = re.compile(r"[ \t\n]+")  # no-break spaces (U+00A0, U+202F) keep words together


def printed_lines(markdown: str, column: Column) -> int:
    """Lines a paragraph fills in `column`, breaking greedily at spaces as reportlab does."""
    runs: list[tuple[str, bool]] = []
    position = 0
    for match in _EMPHASIS.finditer(markdown):
        runs.append((markdown[position : match.start()], False))
        runs.append((match.group(2), match.group(1) == "**"))
        position = match.end()
    runs.append((markdown[position:], False))
    text = "".join(r for r, _ in runs).replace("\\", "")
    bold = [b for r, b in runs for _ in r]
    space = text_width(" ", column.font, column.size)
    lines, line_width, index = 1, 0.0, 0
    for word in _BREAKABLE.split(text):
        start = text.find(word, index)
        index = start + len(word)
        if not word:
            continue
        width = sum(
            text_width(c, column.bold_font if bold[start + i] else column.font, column.size)
            for i, c in enumerate(word)
        )
        if line_width and line_width + space + width > column.width:
            lines += 1
            line_width = width
        else:
            line_width += (space if line_width else 0) + width
    return lines


def extract_metrics() -> dict[str, dict]:
    """Advance widths of every character of the shipped fonts, per 1000 units (needs reportlab)."""
    from reportlab.pdfbase.ttfonts import TTFont

    tables = {}
    for font in ("LiberationSerif-Regular", "LiberationSerif-Bold"):
        face = TTFont(font, str(FONTS / f"{font}.ttf"))
        widths = {
            chr(code): face.stringWidth(chr(code), 1000)
            for code in sorted(face.face.charToGlyph)
            if code >= 32
        }
        tables[font] = {"default": face.face.defaultWidth, "widths": widths}
    return tables


if __name__ == "__main__":  # python -m publipost.templates.layout: regenerate fonts/metrics.json
    (FONTS / "metrics.json").write_text(
        json.dumps(extract_metrics(), ensure_ascii=False, sort_keys=True), encoding="utf-8"
    )
