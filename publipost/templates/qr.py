"""QR codes for print: the modules of a code, as runs of dark cells ready to draw as rectangles.

A print run encodes one or two codes per letter (the coupon's response code, the call to
action's tracked link): reportlab's pure-Python encoder took ~4 ms for a tracked URL, more
than the rest of the letter. zxing-cpp's encoder (C++, the library the tests decode with)
takes under a millisecond and still picks the best of the eight masks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import zxingcpp


class Modules(NamedTuple):
    side: int  # modules per side, without the quiet zone
    runs: np.ndarray  # one [row, start, length] of dark modules per line, row 0 at the top


def qr_modules(value: str, level: str = "M") -> Modules:
    """The code for `value` (error correction M: ~15 %, enough for a smudged coupon)."""
    code = zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.QRCode, ec_level=level)
    dark = np.asarray(code.to_image(scale=1, add_quiet_zones=False)) == 0
    side = dark.shape[0]
    # A run starts where a row turns dark and ends where it turns light: the changes along
    # a row padded with a light cell at each end, in pairs.
    padded = np.zeros((side, side + 2), dtype=np.int8)
    padded[:, 1:-1] = dark
    rows, columns = np.nonzero(np.diff(padded, axis=1))
    starts = columns[::2]
    runs = np.stack([rows[::2], starts, columns[1::2] - starts], axis=1)
    return Modules(side, runs)
