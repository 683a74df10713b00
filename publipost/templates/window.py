"""Is the address readable through the window in every position of the sheet in its envelope?

The letter's layout (campaigns/presets.py) says where the address block is printed; the envelope
(campaigns/envelopes.py) says what its window always shows of the folded sheet. Here the block is
measured as printed (the letter's font and sizes, the return line included) for the run's widest
and longest addresses, and compared with that band (`validate` reports it; norms.md §1.1).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from publipost.campaigns.envelopes import FOLDS, Band, Envelope, envelope, window_band
from publipost.campaigns.presets import Box, Preset
from publipost.campaigns.table import code_points
from publipost.errors import PublipostError, Where

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign

PT = 25.4 / 72  # mm in a point
RETURN_SIZE = 6.5  # pt: the sender's line at the top of the window (pdf.py draws it)
# The preset's default window envelope when the campaign names none (or names a size only).
# DIN 5008 form A has no envelope of the catalogue (its field is meant for windows higher up):
# a campaign names its own, or the window is not checked.
ALIASES = {"c5": "c5-left"}
DEFAULTS = {"fr": "dl-right", "din-b": "dl-left", "us": "us10"}


def envelope_for(preset: Preset, named: str | None) -> Envelope | None:
    """The window envelope a campaign's letters go in: the one it names, or its layout's usual
    (None: the layout has none in the catalogue, and the campaign names none)."""
    if named is None or named == "dl":
        usual = DEFAULTS.get(preset.name)
        return envelope(usual) if usual else None
    return envelope(ALIASES.get(named, named))


def placed_preset(campaign: Campaign) -> Preset:
    """The campaign's layout with its address where the campaign's envelope shows it. A campaign
    that names a window envelope other than its layout's usual one (the French layout in a
    left-window DL, DIN 680) gets its address block, return line included, centred in the band
    that window shows in every position of the folded sheet, for as many lines as the postal
    norm allows, or from the band's top when it shows fewer (a row with more lines than it shows
    is then rejected with the reason: window_fit). Issue 29: the address placed from the
    envelope and the fold. The layout's own
    envelope, or one folded otherwise (refused by the window check, with the figures), leaves
    the layout as it is."""
    from publipost.campaigns.presets import campaign_preset

    layout = campaign_preset(campaign)
    named = campaign.letter.envelope if campaign.letter else None
    if named in (None, "dl"):
        return layout
    chosen = envelope_for(layout, named)
    fits_fold = chosen is not None and FOLDS[chosen.fold] - 1 == len(layout.fold_marks)
    if chosen is None or chosen.name == DEFAULTS.get(layout.name) or not fits_fold:
        return layout
    return _placed(layout, chosen)


def _placed(layout: Preset, chosen: Envelope) -> Preset:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from publipost.templates.pdf import ADDRESS_SIZE, REGULAR

    band = window_band(chosen, layout.paper, layout.fold_marks[0] if layout.fold_marks else None)
    style = layout.address_style
    block = address_block(layout, ["x"] * style.max_lines, "x" if layout.return_line else None)
    if block.height <= band.bottom - band.top:
        down = (band.top + band.bottom) / 2 - (block.y + block.height / 2)
    else:  # a low window (a #10's shows 17 to 23 mm): from its top, as many lines as it holds
        down = band.top + 0.5 - block.y
    # a full line of the norm (38 or 40 characters), in figures: about what the widest address takes
    width = stringWidth("0" * style.max_chars, REGULAR, ADDRESS_SIZE) * PT
    text_x = band.left + max(0.0, (band.right - band.left - width) / 2)
    across = text_x - layout.address_text_x
    field = layout.address_field
    moved = Box(round(field.x + across, 1), round(field.y + down, 1), field.width, field.height)
    return replace(layout, address_field=moved, address_text_x=round(text_x, 1))


def address_block(preset: Preset, lines: list[str], return_line: str | None) -> Box:
    """Where an address block lands on the page, in mm from its top-left corner (as pdf.py
    draws it: the return line 4 mm into the field, the address from 9 mm, 4.6 mm a line)."""
    from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

    from publipost.templates.pdf import ADDRESS_LEADING, ADDRESS_SIZE, REGULAR, register_fonts

    register_fonts()
    field = preset.address_field
    first = field.y + (9 if preset.return_line else 5.5)
    ascent, descent = getAscentDescent(REGULAR, ADDRESS_SIZE)
    top = first - ascent * PT
    bottom = first + (len(lines) - 1) * ADDRESS_LEADING - descent * PT
    width = max((stringWidth(line, REGULAR, ADDRESS_SIZE) for line in lines), default=0) * PT
    if preset.return_line and return_line:
        small_ascent, _ = getAscentDescent(REGULAR, RETURN_SIZE)
        top = min(top, field.y + 4 - small_ascent * PT)
        width = max(width, stringWidth(return_line, REGULAR, RETURN_SIZE) * PT)
    return Box(preset.address_text_x, top, width, bottom - top)


@dataclass(frozen=True)
class WindowCheck:
    envelope: Envelope
    band: Band
    block: Box  # the union of the blocks measured

    @property
    def shortfalls(self) -> dict[str, float]:
        """By how many mm the block leaves the band, per side (empty: it stays in)."""
        band, block = self.band, self.block
        out = {
            "top": band.top - block.y,
            "bottom": block.y + block.height - band.bottom,
            "left": band.left - block.x,
            "right": block.x + block.width - band.right,
        }
        return {side: round(mm, 1) for side, mm in out.items() if mm > 0.05}


def check_window(
    preset: Preset, named: str | None, blocks: list[Box], where: Where | None = None
) -> WindowCheck | None:
    """The blocks against the envelope's window (None: no envelope to check against); a letter
    folded otherwise than the envelope takes it (three panels for a DL, two for a C5) is bad
    input, with the figures."""
    chosen = envelope_for(preset, named)
    if chosen is None:
        return None
    expected = FOLDS[chosen.fold] - 1
    if len(preset.fold_marks) != expected:
        marks = ", ".join(f"{m:g}" for m in preset.fold_marks) or "none"
        raise PublipostError(
            f"the {chosen.name} envelope takes the sheet folded {chosen.fold} ({expected} fold marks), "
            f"and the '{preset.name}' layout folds it at {marks} mm",
            where,
            "choose an envelope for this fold (publipost envelope list), or another letter.layout",
        )
    left = min(b.x for b in blocks)
    top = min(b.y for b in blocks)
    right = max(b.x + b.width for b in blocks)
    bottom = max(b.y + b.height for b in blocks)
    panel = preset.fold_marks[0] if preset.fold_marks else None
    band = window_band(chosen, preset.paper, panel)
    return WindowCheck(chosen, band, Box(left, top, right - left, bottom - top))


@dataclass(frozen=True)
class WindowFit:
    """Why an address block would leave what the campaign's envelope window always shows ('' when
    it stays in view): too many lines, or a line too wide. Asked of a block, or of its number of
    lines and each line apart (the audience asks a million rows' lines once per distinct line)."""

    envelope: str = ""  # none: every block stays in view
    lines_held: int = sys.maxsize
    room: float = math.inf  # mm a line may take

    def __call__(self, lines: list[str]) -> str:
        return self.too_many(len(lines)) or next(filter(None, map(self.too_wide, lines)), "")

    def too_many(self, count: int) -> str:
        if count <= self.lines_held:
            return ""
        return (
            f"the address takes {count} lines; the {self.envelope} window shows {self.lines_held} "
            "in every position of the sheet: shorten it in the customer file"
        )

    def too_wide(self, line: str) -> str:
        if len(line) <= _never_too_wide(self.room) or _width(line) <= self.room:
            return ""
        return (
            f"address line '{line}' is wider than the {self.envelope} window shows in every position "
            f"({round(self.room, 1)} mm): shorten it in the customer file"
        )

    def too_wide_of(self, lines: list[str]) -> dict[str, str]:
        """too_wide of each of these lines, for those too wide. A customer file's name lines are
        mostly distinct (200,000 of them, 0.44 s measured one by one): their widths are first
        summed in C from the font's advance widths, and only a line that does not clearly fit
        is measured by too_wide (reportlab sums the same widths, in another order)."""
        if not math.isfinite(self.room):
            return {}
        short = _never_too_wide(self.room)
        longer = [line for line in lines if len(line) > short]
        widths = _line_widths(longer)
        maybe = [line for line, width in zip(longer, widths, strict=True) if width > self.room - ROUNDING]
        return {line: why for line in maybe if (why := self.too_wide(line))}

    def too_wide_in(self, values: Any) -> dict[str, str]:
        """too_wide_of an Arrow array of lines: their widths summed from their characters in
        numpy (table.code_points), and only a line that does not clearly fit made a Python
        string and measured. A million rows' distinct names: 0.6 s as strings, 0.1 s so."""
        if not math.isfinite(self.room):
            return {}
        import numpy as np
        import pyarrow as pa

        lines = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        maybe = [
            start + np.flatnonzero(_arrow_widths(lines.slice(start, ARROW_SLICE)) > self.room - ROUNDING)
            for start in range(0, len(lines), ARROW_SLICE)
        ]
        asked = lines.take(pa.array(np.concatenate([[], *maybe]).astype(np.int64))).to_pylist()
        return {line: why for line in asked if (why := self.too_wide(line))}


ARROW_SLICE = 100_000  # lines whose bytes are widened to floats at a time (about 20 MB)


def _arrow_widths(lines: Any) -> Any:
    """Each line's width in mm, as _line_widths gives it; a line holding a NUL (numpy's padding
    there) is infinitely wide: too_wide measures it."""
    import numpy as np

    table, default, scale = _advances()
    data, bounds, starts, points = code_points(lines)
    by_byte = np.zeros(256)  # a byte beyond ASCII: its character's width is at its first byte
    by_byte[:128] = default  # (a font may end before ASCII does)
    by_byte[: min(128, len(table))] = table[:128]
    by_byte[0] = math.inf
    widths = by_byte[data]
    widths[starts] = np.where(points < len(table), table[np.minimum(points, len(table) - 1)], default)
    lengths = np.diff(bounds)
    if not len(widths):
        return np.zeros(len(lengths))
    sums = np.add.reduceat(widths, np.minimum(bounds[:-1], len(widths) - 1))
    return np.where(lengths > 0, sums * scale, 0.0)


@cache
def _never_too_wide(room: float) -> int:
    """The most characters a line may have and still fit `room` mm whatever they are: as many
    of the font's widest glyph (Ǆ, 1.33 em) as fit. A longer line is measured."""
    from publipost.templates.layout import widest_advance
    from publipost.templates.pdf import ADDRESS_SIZE, REGULAR

    widest = widest_advance(REGULAR, ADDRESS_SIZE) * PT
    return int(room // widest) if math.isfinite(room) else sys.maxsize


def _width(line: str) -> float:
    """A line's width in the address block's font, in mm (reportlab's stringWidth)."""
    return float(_measure()(line)) * PT


SLICE = 5_000  # lines widened into a matrix of code points at a time (5,000 × 80: 5 MB)
ROUNDING = 1e-6  # mm: a width summed in another order than reportlab's is this close to it
LONGEST = 80  # characters: a longer line goes to too_wide as it is


def _line_widths(lines: list[str]) -> list[float]:
    """Each line's width in mm, as _width gives it but for rounding: the font's advance width of
    each code point (its default width where it has no glyph), summed row by row in numpy. A
    line longer than LONGEST characters, or holding a NUL, is given as infinitely wide: too_wide
    measures it."""
    import numpy as np

    table, default, scale = _advances()
    found: list[float] = []
    for start in range(0, len(lines), SLICE):
        part = lines[start : start + SLICE]
        # numpy pads its rows with NUL, and drops a line's own NULs at its end
        odd = np.array([len(line) > LONGEST or "\x00" in line for line in part], dtype=bool)
        codes = np.array([line if len(line) <= LONGEST else "" for line in part], dtype=str)
        points = codes.view(np.uint32).reshape(len(part), -1)
        advances = np.where(points < len(table), table[np.minimum(points, len(table) - 1)], default)
        found += np.where(odd, math.inf, advances.sum(axis=1) * scale).tolist()
    return found


@cache
def _advances() -> tuple[Any, float, float]:
    """The address font's advance widths (layout.advance_widths, which reportlab's measure
    agrees with) by code point up to its last glyph, its default width elsewhere and beyond,
    0 for the NUL that pads a numpy row; and what turns their sum into mm (× size / 1000, pt)."""
    import numpy as np

    from publipost.templates.layout import advance_widths
    from publipost.templates.pdf import ADDRESS_SIZE, REGULAR

    widths, default = advance_widths(REGULAR)
    table = np.full(max(map(ord, widths)) + 1, default)
    for char, width in widths.items():
        table[ord(char)] = width
    table[0] = 0.0
    return table, default, ADDRESS_SIZE * 0.001 * PT


@cache
def _measure() -> Callable[[str], float]:
    """The address font's width of a line, in points: the font looked up once, not on each of
    the 200,000 distinct lines of a customer file (a third of what measuring them cost)."""
    from reportlab.pdfbase.pdfmetrics import getFont

    from publipost.templates.pdf import ADDRESS_SIZE, REGULAR, register_fonts

    register_fonts()
    width = getFont(REGULAR).stringWidth
    return lambda line: width(line, ADDRESS_SIZE)


def window_fit(campaign: Campaign) -> WindowFit:
    """The campaign's window check: the band and the lines it holds are worked out once; a line
    is measured in the letter's font only when it is long enough to matter."""
    preset = placed_preset(campaign)
    named = campaign.letter.envelope if campaign.letter else None
    returned = " · ".join(campaign.sender.block)
    base = check_window(preset, named, [address_block(preset, ["x"], returned)], campaign.where(("letter",)))
    if base is None:
        return WindowFit()
    band, chosen = base.band, base.envelope
    lines_held = 0
    while lines_held < 12 and band.holds(address_block(preset, ["x"] * (lines_held + 1), returned)):
        lines_held += 1
    if lines_held < 3:  # not even name, street and town: the layout and the envelope do not match
        short = check_window(preset, named, [address_block(preset, ["x"] * 3, returned)])
        assert short is not None
        sides = ", ".join(f"{mm:g} mm at the {side}" for side, mm in short.shortfalls.items())
        raise PublipostError(
            f"the '{preset.name}' layout prints the address block outside what the {chosen.name} window "
            f"always shows (x {band.left:g}–{band.right:g}, y {band.top:g}–{band.bottom:g} mm of the page): "
            f"out by {sides}",
            campaign.where(("letter",)),
            "choose the envelope the layout is made for (publipost envelope list), or another letter.layout",
        )
    return WindowFit(chosen.name, lines_held, band.right - preset.address_text_x)
