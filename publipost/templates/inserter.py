"""Marks an inserter reads to keep each letter's sheets together (issue 29: sets of 2 and 3
pages interleaved in an A/B print file, with nothing to tell them apart).

A DataMatrix (ISO/IEC 16022) on the front of every sheet, in the left margin between the fold
marks, says: the job (the campaign's code), the set (the letter's number in the print file),
the sheet's number in the set, how many sheets the set has, and whether it is the last
(`HIVER27-000042-01-02-C`: C continues, L is the last sheet; the inserter closes the envelope
on L and stops on a gap or a repeat). zxing-cpp writes it (and the tests read it back).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def modules(text: str) -> tuple[tuple[int, int, int], ...]:
    """The dark modules as runs (row, column, length), top row first."""
    import numpy as np
    import zxingcpp

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix, force_square=True)
    dark = np.array(code.to_image(scale=1, add_quiet_zones=False)) < 128
    runs = []
    for row, line in enumerate(dark):
        column = 0
        while column < len(line):
            if line[column]:
                end = column
                while end < len(line) and line[end]:
                    end += 1
                runs.append((row, column, end - column))
                column = end
            else:
                column += 1
    return tuple(runs)
