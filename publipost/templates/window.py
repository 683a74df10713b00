"""Is the address readable through the window in every position of the sheet in its envelope?

The letter's layout (campaigns/presets.py) says where the address block is printed; the envelope
(campaigns/envelopes.py) says what its window always shows of the folded sheet. Here the block is
measured as printed (the letter's font and sizes, the return line included) for the run's widest
and longest addresses, and compared with that band (`validate` reports it; norms.md §1.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from publipost.campaigns.envelopes import FOLDS, Band, Envelope, envelope, window_band
from publipost.campaigns.presets import Box, Preset
from publipost.errors import PublipostError, Where

PT = 25.4 / 72  # mm in a point
RETURN_SIZE = 6.5  # pt: the sender's line at the top of the window (pdf.py draws it)
# The preset's default window envelope when the campaign names none (or names a size only).
ALIASES = {"dl": {"fr": "dl-right", "din-a": "dl-left", "din-b": "dl-left", "us": "us10"}, "c5": "c5-left"}
DEFAULTS = {"fr": "dl-right", "din-a": "dl-left", "din-b": "dl-left", "us": "us10"}


def envelope_for(preset: Preset, named: str | None) -> Envelope:
    """The window envelope a campaign's letters go in: the one it names, or its layout's usual."""
    if named is None or named == "dl":
        return envelope(DEFAULTS.get(preset.name, "dl-right"))
    alias = ALIASES.get(named)
    return envelope(alias if isinstance(alias, str) else named)


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
) -> WindowCheck:
    """The blocks against the envelope's window; a letter folded otherwise than the envelope
    takes it (three panels for a DL, two for a C5) is bad input, with the figures."""
    chosen = envelope_for(preset, named)
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
