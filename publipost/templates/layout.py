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
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, chain, groupby
from pathlib import Path

from publipost.templates.inline import grouped, plain, shown_url, spans

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


# Fonts a campaign brings (brand.font): their advance widths, measured once when loaded.
_BROUGHT: dict[str, tuple[dict[str, float], float]] = {}


def add_font_metrics(font: str, widths: dict[str, float], default: float) -> None:
    _BROUGHT[font] = (widths, default)
    _scaled.cache_clear()


@cache
def _shipped() -> dict[str, dict]:
    return json.loads((FONTS / "metrics.json").read_text(encoding="utf-8"))


def advance_widths(font: str) -> tuple[dict[str, float], float]:
    """A font's advance widths by character (1/1000 em), and its default width for the others."""
    if font in _BROUGHT:
        return _BROUGHT[font]
    table = _shipped()[font]
    return table["widths"], table["default"]


def unprintable(lines: list[str], font: str = "LiberationSerif-Regular") -> str:
    """Why the letter's font cannot print these lines ('' when it can): a character it has no
    glyph for would print as nothing, and an Arabic or Chinese name as an empty line."""
    widths, _ = advance_widths(font)
    missing = sorted(c for c in set("".join(lines)) if c not in widths and not c.isspace())
    if not missing:
        return ""
    scripts = sorted({unicodedata.name(c, "UNKNOWN").split()[0].title() for c in missing})
    shown = "".join(missing[:12]) + ("…" if len(missing) > 12 else "")
    return f"the letter's font has no glyph for '{shown}' ({', '.join(scripts)}): it would print blank"


def widest_advance(font: str, size: float) -> float:
    """The widest any one character of the font is at this size (its default width included):
    a line of n characters is never wider than n times this."""
    widths, default = advance_widths(font)
    return max(max(widths.values(), default=0.0), default) * size / 1000


def text_width(text: str, font: str, size: float) -> float:
    widths, default = advance_widths(font)
    return sum(widths.get(c, default) for c in text) * size / 1000


class _Advances(dict[str, float]):
    """A font's advance widths at one size; a character the font lacks has its default width.

    Each character is scaled the first time it is asked for, then kept: scaling the font's
    2,322 characters up front was 1 ms of every lint run's start, for the sixty a letter uses."""

    def __init__(self, widths: dict[str, float], default: float, scale: float):
        super().__init__()
        self.widths, self.default, self.scale = widths, default, scale

    def __missing__(self, char: str) -> float:
        width = self[char] = self.widths.get(char, self.default) * self.scale
        return width


@lru_cache(maxsize=64)
def _scaled(font: str, size: float) -> _Advances:
    widths, default = advance_widths(font)
    return _Advances(widths, default, size / 1000)


_BREAKABLE = re.compile(r"[ \t\n]+")  # no-break spaces (U+00A0, U+202F) keep words together
_UNBROKEN = re.compile(r"[^ \t\n]+")  # a word, as lines break


@dataclass(frozen=True)
class Run:
    """Text in one style: the renderer draws a run with one font, the linter measures it."""

    text: str
    bold: bool = False
    underline: bool = False
    width: float = 0.0  # in the column's unit, set by break_lines
    link: str | None = None  # the URL this text links to


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]
    width: float


def parse_runs(markdown: str, *, show_urls: bool = False) -> list[Run]:
    """The styled runs of a Markdown paragraph (templates/inline.py): bold, underline, links.
    With `show_urls` (a printed letter, which nobody can click), a link's text is followed by
    its URL in parentheses, as a reader would type it."""
    if plain(markdown):  # one run of its own text, without a span made and grouped first
        return [Run(markdown)] if markdown else []
    runs: list[Run] = []
    for group in grouped(spans(markdown)):
        runs += [Run(s.text, s.bold, s.underline, link=s.link) for s in group]
        link, text = group[0].link, "".join(s.text for s in group)
        if show_urls and link and shown_url(text) != shown_url(link):
            runs.append(Run(f" ({shown_url(link)})", link=link))
    return runs


@lru_cache(maxsize=8192)
def break_lines(markdown: str, column: Column) -> tuple[Line, ...]:
    """The lines a paragraph fills in `column`: greedy breaking at spaces, as reportlab does.

    The PDF renderer draws exactly these lines and the linter counts them (printed_lines),
    both from `_breaks`, so the two can never disagree. A word wider than the column is split
    where it overflows (reportlab's splitLongWords); no-break spaces never break. Cached: a
    paragraph without merge fields is the same for every recipient of a print run.
    """
    runs, lines, widths, edges, space = _breaks(markdown, column)
    styled = [(c, run.bold, run.underline, run.link) for run in runs for c in run.text]
    return tuple(
        _line(styled, spans, width, edges, space) for spans, width in zip(lines, widths, strict=True) if spans
    )


_Breaks = tuple[list[Run], list[list[tuple[int, int]]], list[float], list[float], float]


@lru_cache(maxsize=1024)
def _breaks(markdown: str, column: Column) -> _Breaks:
    """Where the lines break: each line's (start, end) word spans in the runs' characters."""
    runs = parse_runs(markdown, show_urls=column.name == "letter")
    text = "".join(run.text for run in runs)
    regular, bold = _scaled(column.font, column.size), _scaled(column.bold_font, column.size)
    # Each character's advance, summed from the left: a word's width is a difference of two.
    advances = chain.from_iterable(map((bold if run.bold else regular).__getitem__, run.text) for run in runs)
    edges = [0.0, *accumulate(advances)]
    space = regular[" "]

    def width_of(start: int, end: int) -> float:
        return edges[end] - edges[start]

    lines: list[list[tuple[int, int]]] = [[]]  # each line: (start, end) spans of words
    widths = [0.0]
    # The line being filled and its width, in locals: the loop runs once per word of every
    # paragraph linted or printed. The same sums, in the same order, as when they were not.
    line, used, limit = lines[-1], 0.0, column.width
    for match in _UNBROKEN.finditer(text):
        start, end = match.span()
        width = edges[end] - edges[start]
        needed = (space if line else 0) + width
        if used + needed <= limit:
            line.append((start, end))
            used += needed
            continue
        widths[-1] = used
        if width <= limit:
            line, used = [(start, end)], width
            lines.append(line)
            widths.append(used)
            continue
        # A word longer than a line: fill what is left of this line, then whole lines.
        room = column.width - widths[-1] - (space if lines[-1] else 0)
        while start < end:
            cut = start
            while cut < end and width_of(start, cut + 1) <= room:
                cut += 1
            if cut == start and not lines[-1]:
                cut = start + 1  # not even one character fits: put one anyway
            if cut > start:
                lines[-1].append((start, cut))
                widths[-1] += (space if len(lines[-1]) > 1 else 0) + width_of(start, cut)
                start = cut
            if start < end:
                lines.append([])
                widths.append(0.0)
                room = column.width
        line, used = lines[-1], widths[-1]
    widths[-1] = used
    return runs, lines, widths, edges, space


def _line(
    styled: list[tuple[str, bool, bool, str | None]],
    spans: list[tuple[int, int]],
    width: float,
    edges: list[float],
    space: float,
) -> Line:
    pieces: list[tuple[str, bool, bool, str | None, float]] = []
    for index, (start, end) in enumerate(spans):
        if index:  # a space between words keeps a style (or a link) only inside a span of it
            before, after = styled[spans[index - 1][1] - 1], styled[start]
            link = before[3] if before[3] == after[3] else None
            pieces.append((" ", before[1] and after[1], before[2] and after[2], link, space))
        pieces += [
            (c, b, u, k, edges[i + 1] - edges[i]) for i, (c, b, u, k) in enumerate(styled[start:end], start)
        ]
    runs = []
    for (bold, underline, link), group in groupby(pieces, key=lambda p: (p[1], p[2], p[3])):
        chars = list(group)
        runs.append(Run("".join(p[0] for p in chars), bold, underline, sum(p[4] for p in chars), link))
    return Line(tuple(runs), width)


def printed_lines(markdown: str, column: Column) -> int:
    """How many lines a paragraph takes once printed (at least one)."""
    return max(1, sum(1 for spans in _breaks(markdown, column)[1] if spans))


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
