"""Marks an inserter reads to keep each letter's sheets together (issue 29: sets of 2 and 3
pages interleaved in an A/B print file, with nothing to tell them apart): a DataMatrix, or OMR.

A DataMatrix (ISO/IEC 16022) on the front of every sheet, in the left margin between the fold
marks, says: the job (the campaign's code), the set (the letter's number in the print file),
the sheet's number in the set, how many sheets the set has, and whether it is the last
(`HIVER27-000042-01-02-C`: C continues, L is the last sheet; the inserter closes the envelope
on L and stops on a gap or a repeat). zxing-cpp writes it (and the tests read it back).

OMR marks (optical mark reading) are what office inserters without a camera read: bars in a
column of the left margin, one position per function, read as the sheet passes the head. No
standard fixes them; this is the basic code the manufacturers document, the same positions in
the same order: a start mark on every sheet; insert (a mark on the set's last sheet, none:
accumulate); a three-mark wrap-around sequence, the sheet's number in its set modulo 8 (reset
on each set's first sheet), which stops the machine on a missing or swapped sheet; parity,
making the marks of a sheet an even number; and a safety mark that ends the code and catches a
skewed sheet (Quadient DS-95i manual, "OMR basic license" and "OMR general remarks"; Pitney
Bowes DI425 and D1500 manuals, "Wrap Around Sequence", "Parity"). Bars 10.5 mm long, 0.4 mm
thick, 4.2 mm apart: inside the ranges PlanetPress Connect's inserter marks accept (length
10.16–20 mm, thickness 0.254–0.63 mm, gap 2.91–4.2 mm). The inserter's OMR settings must be
set to the same code: the README prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from publipost.campaigns.presets import Box

if TYPE_CHECKING:
    import numpy as np

MODULE_MM = 0.5  # a 0.5 mm module: 9 mm for 18 × 18, read by inserter cameras at 200 dpi and more
X_MM, TOP_MM = 4.0, 145.0  # the clear zone: left of the text, between the tri-fold's marks


@dataclass(frozen=True)
class SheetMark:
    job: str
    set_number: int
    sheet: int
    sheets: int

    @property
    def text(self) -> str:
        last = "L" if self.sheet == self.sheets else "C"
        return f"{self.job}-{self.set_number:06d}-{self.sheet:02d}-{self.sheets:02d}-{last}"


def modules(text: str) -> np.ndarray:
    """The code's modules, dark True, row 0 at the top."""
    import numpy as np
    import zxingcpp

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix, force_square=True)
    return np.asarray(code.to_image(scale=1, add_quiet_zones=False)) < 128


OMR_FUNCTIONS = ("start", "insert", "sequence 1", "sequence 2", "sequence 4", "parity (even)", "safety")
OMR_X_MM, OMR_TOP_MM = 4.0, 110.0  # the left margin, below the tri-fold's first mark (99 mm)
OMR_LENGTH_MM, OMR_THICKNESS_MM, OMR_PITCH_MM = 10.5, 0.4, 4.2


def omr_marks(sheet: int, sheets: int) -> tuple[bool, ...]:
    """Which of the OMR_FUNCTIONS positions carry a bar on sheet `sheet` of a set of `sheets`."""
    sequence = sheet % 8
    marks = [True, sheet == sheets, bool(sequence & 1), bool(sequence & 2), bool(sequence & 4)]
    odd = (sum(marks) + 1) % 2 == 1  # the safety mark counts too
    return (*marks, odd, True)


def omr_zone() -> Box:
    """The OMR column with 2 mm of clear paper round the bars (our margin, no norm gives one):
    a design's ink inside it would read as marks."""
    top = OMR_TOP_MM - OMR_THICKNESS_MM / 2 - 2
    height = (len(OMR_FUNCTIONS) - 1) * OMR_PITCH_MM + OMR_THICKNESS_MM + 4
    return Box(0.0, top, OMR_X_MM + OMR_LENGTH_MM + 2, height)
