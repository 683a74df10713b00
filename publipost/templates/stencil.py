"""Matrix codes (the letters' QR codes, the inserter's DataMatrix) drawn as one-bit image masks.

A code drawn as rectangles, one per run of dark modules, is 630 `re` operators for the call
to action's tracked link (version 8): writing them took 0.13 ms a code and compressing them
0.16 ms, about what encoding the code takes. An image mask (ISO 32000-1 §8.9.6.2) is the same
stencil painted in the fill colour, one bit a module: 49 × 49 modules are 343 bytes (385
compressed, against 1,681 for the rectangles), and a print file of 2,000 letters is a third
smaller. It is not interpolated (the default, §8.9.5.3), so a device pixel takes the module
under its centre: the edges are as sharp as the rectangles' at any printer's resolution, and
the ink is the fill colour's alone (100 % K in a PDF/X file: the mask has no colour space
of its own for a preflight to question, and its samples are plain hexadecimal).
"""

from __future__ import annotations

import numpy as np
from reportlab.lib.rl_accel import fp_str


def image_mask(dark: np.ndarray, x: float, y: float, width: float, height: float) -> str:
    """Content-stream operators that paint the fill colour where `dark` is True (row 0 at the top)
    over the box of lower left corner (x, y). An inline image, so a code is a string in its
    page's content stream, not one more object per code in the file. §8.9.7 recommends inline
    images for small ones only (4 KB or less, a "should"): a code's samples, twice as long in
    hexadecimal, stay under it up to version 27 (125 × 125 modules, 2,000 bytes), which holds
    a link of 1,125 bytes (at level M, measured with zxing-cpp); the letters' tracked links
    are version 8 (686 characters).
    A larger code (version 40 at most: 8,142 characters) is still valid PDF."""
    rows, columns = dark.shape
    samples = np.packbits(~dark, axis=1).tobytes().hex()  # a 0 paints (Decode [0 1], §8.9.6.2)
    return (
        f"q {fp_str(width, 0, 0, height, x, y)} cm\n"
        f"BI /IM true /W {columns} /H {rows} /BPC 1 /F /AHx ID\n{samples}>\nEI Q"
    )
