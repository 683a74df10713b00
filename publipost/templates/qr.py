"""QR codes for print: the modules of a code, dark True (drawn by templates/stencil.py).

A print run encodes one or two codes per letter (the coupon's response code, the call to
action's tracked link): reportlab's pure-Python encoder took ~4 ms for a tracked URL, more
than the rest of the letter. zxing-cpp's encoder (C++, zint's, the library the tests decode
with) took 0.35-0.6 ms for a tracked URL of 135 characters (version 8), nine tenths of it
choosing the mask: it scores each of the eight masks (ISO/IEC 18004 §7.8.3) module by module.

So the code is encoded once with mask 0 (0.06 ms), the other seven are derived from it (a
mask only flips data modules, and the format information is the mask's own), and the eight
are scored in 64-bit words, a row of modules to a word, as zint scores them: the same mask
comes out, so the same code, module for module (a test holds it to zxing-cpp's own choice).
A short value (the coupon's response code: version 1, 0.05 ms) and a code wider than a word
(over 56 modules: version 10, 150 characters and more) are left to zxing-cpp's choice: numpy's
fixed cost (0.1 ms) is more than a small code's scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import zxingcpp


def encoded(value: str, level: str, mask: int | None = None) -> np.ndarray:
    """zxing-cpp's code for `value`, dark modules True; with its own choice of mask, or `mask`."""
    forced = {} if mask is None else {"data_mask": mask}
    code = zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.QRCode, ec_level=level, **forced)
    return np.asarray(code.to_image(scale=1, add_quiet_zones=False)) == 0


WORD_SIDE = 56  # a row of modules and the 4 light ones either side (§7.8.3.1's finder rule) in 64 bits
SHORT = 26  # characters: about version 2 at level M (26 bytes, ISO/IEC 18004 Table 7), faster in zxing-cpp
# The format information's modules (ISO/IEC 18004 §7.9.1), both copies, as (row, column):
# from the far edges as negative indices, so that one list serves every size.
_ALONG = [0, 1, 2, 3, 4, 5, 7, 8, -8, -7, -6, -5, -4, -3, -2, -1]  # row 8 (column 6: timing)
_DOWN = [0, 1, 2, 3, 4, 5, 7, -7, -6, -5, -4, -3, -2, -1]  # column 8 (row -8: the dark module)
_FORMAT = (np.array([8] * len(_ALONG) + _DOWN), np.array(_ALONG + [8] * len(_DOWN)))


def qr_modules(value: str, level: str = "M") -> np.ndarray:
    """The code zxing-cpp makes of `value`, row 0 at the top (error correction M by default:
    ~15 %, enough for a smudged coupon), its mask chosen here: the eight candidates are
    the code under mask 0 with the data modules flipped by each mask and each mask's format
    information, and the lowest score wins (the first of equals, as in zint)."""
    return qr_codes([value], level)[0]


BATCH = 256  # codes scored at once: their eight candidates are ~5 MB at version 8


def qr_codes(values: Sequence[str], level: str = "M") -> list[np.ndarray]:
    """Each value's code, as `qr_modules` makes it; the candidates of codes of a size are scored
    together. A print chunk's tracked links scored one by one took 0.2 ms each, nearly all of it
    numpy's cost per call; scored 256 at a time, 0.05 ms."""
    codes: list[np.ndarray] = [np.empty(0)] * len(values)
    plains: dict[int, list[tuple[int, np.ndarray]]] = {}
    for index, value in enumerate(values):
        plain = None
        if len(value) >= SHORT and _forced_masks_hold(level):
            plain = encoded(value, level, mask=0)
        if plain is None or plain.shape[0] > WORD_SIDE:
            codes[index] = encoded(value, level)
        else:
            plains.setdefault(plain.shape[0], []).append((index, plain))
    for side, group in plains.items():
        for start in range(0, len(group), BATCH):
            batch = group[start : start + BATCH]
            candidates = np.stack([_candidates(plain, level) for _, plain in batch])
            scores = penalties(candidates.reshape(-1, side, side)).reshape(len(batch), 8)
            chosen = candidates[np.arange(len(batch)), np.argmin(scores, axis=1)]
            for (index, _), code in zip(batch, chosen, strict=True):
                codes[index] = code
    return codes


def _candidates(plain: np.ndarray, level: str) -> np.ndarray:
    """The code under each of the eight masks, from the code under mask 0."""
    masks = _masks(plain.shape[0])
    candidates = (plain ^ masks[0]) ^ masks
    candidates[:, _FORMAT[0], _FORMAT[1]] = _format_bits(level)
    return candidates


@cache
def _forced_masks_hold(level: str) -> bool:
    """Whether this zxing-cpp makes the code under the mask it is asked for: checked once, on a
    code of version 3, against each mask forced. One that ignored the request would make seven
    of the eight candidates codes that do not scan, so its own choice is taken instead."""
    probe = "https://example.org/" + "q" * 20
    try:
        candidates = _candidates(encoded(probe, level, mask=0), level)
        forced = [encoded(probe, level, mask) for mask in range(8)]
    except TypeError:  # a zxing-cpp that refuses the argument
        return False
    distinct = len({candidate.tobytes() for candidate in candidates}) == 8
    return distinct and all((c == f).all() for c, f in zip(candidates, forced, strict=True))


@cache
def _masks(side: int) -> np.ndarray:
    """The eight masks (ISO/IEC 18004 Table 10) over the data modules of a code of `side`."""
    i, j = np.indices((side, side))
    patterns = np.stack(
        [
            (i + j) % 2 == 0,
            i % 2 == 0,
            j % 3 == 0,
            (i + j) % 3 == 0,
            (i // 2 + j // 3) % 2 == 0,
            (i * j) % 2 + (i * j) % 3 == 0,
            ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            ((i + j) % 2 + (i * j) % 3) % 2 == 0,
        ]
    )
    return patterns & ~_function_modules(side)


def _function_modules(side: int) -> np.ndarray:
    """Where a code of `side` has no data (ISO/IEC 18004 §6.3): finder patterns, separators and
    format information in three corners, timing patterns, alignment patterns, version information."""
    version = (side - 17) // 4
    kept = np.zeros((side, side), dtype=bool)
    kept[:9, :9] = kept[:9, side - 8 :] = kept[side - 8 :, :9] = True
    kept[6, :] = kept[:, 6] = True
    centres = _alignment_centres(version)
    corners = {(6, 6), (6, centres[-1] if centres else 6), (centres[-1] if centres else 6, 6)}
    for row in centres:
        for column in centres:
            if (row, column) not in corners:
                kept[row - 2 : row + 3, column - 2 : column + 3] = True
    if version >= 7:
        kept[:6, side - 11 : side - 8] = kept[side - 11 : side - 8, :6] = True
    return kept


def _alignment_centres(version: int) -> list[int]:
    """Rows (and columns) of the alignment patterns' centres (ISO/IEC 18004 Annex E)."""
    if version == 1:
        return []
    count = version // 7 + 2
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    side = version * 4 + 17
    return [6] + [side - 7 - n * step for n in reversed(range(count - 1))]


@cache
def _format_bits(level: str) -> np.ndarray:
    """Each mask's format information at this level, as zxing-cpp writes it."""
    return np.stack([encoded("a", level, mask)[_FORMAT] for mask in range(8)])


def penalties(candidates: np.ndarray) -> np.ndarray:
    """zint's score of each code (qr_evaluate, after ISO/IEC 18004 §7.8.3.1), lower is better:
    runs of five or more modules of a colour in a line, 2 × 2 blocks of a colour, the finder's
    1:1:3:1:1 with four light modules before or after it (beyond the edge counts as light),
    and the share of dark modules away from half."""
    side = candidates.shape[1]
    rows, columns = _words(candidates), _words(candidates.transpose(0, 2, 1))
    inside = np.uint64(((1 << side) - 1) << 4)
    score = _runs(rows, inside) + _runs(columns, inside) + _finders(rows) + _finders(columns)
    score += 3 * _blocks(rows, inside)
    dark = np.bitwise_count(rows).sum(axis=1).astype(np.float64)
    return score + 10 * np.trunc(np.abs(100.0 * dark / (side * side) - 50.0) / 5.0)


def _words(lines: np.ndarray) -> np.ndarray:
    """Each line of modules as a 64-bit word: bit 4 + n is module n, the 4 bits either side light."""
    count, height, side = lines.shape
    wide = np.zeros((count, height, 64), dtype=bool)
    wide[:, :, 4 : 4 + side] = lines
    return np.packbits(wide, axis=-1, bitorder="little").view("<u8")[..., 0]


def _count(bits: np.ndarray) -> np.ndarray:
    return np.bitwise_count(bits).sum(axis=1).astype(np.int64)


def _runs(words: np.ndarray, inside: np.uint64) -> np.ndarray:
    """3 for a run of five, and 1 for each module more: each run of five or more adds one for
    each place five modules of it start, and 2 at its first."""
    score = np.zeros(words.shape[0], dtype=np.int64)
    for colour in (words, ~words & inside):
        five = colour & (colour >> 1) & (colour >> 2) & (colour >> 3) & (colour >> 4)
        score += _count(five) + 2 * _count(five & ~(colour << 1))
    return score


def _finders(words: np.ndarray) -> np.ndarray:
    """40 for each dark-light-dark-dark-dark-light-dark with four light modules before or after."""
    r = words
    found = r & ~(r >> 1) & (r >> 2) & (r >> 3) & (r >> 4) & ~(r >> 5) & (r >> 6)
    light = ~(r | (r >> 1) | (r >> 2) | (r >> 3))  # four light modules from here
    return 40 * _count(found & ((light << 4) | (light >> 7)))


def _blocks(rows: np.ndarray, inside: np.uint64) -> np.ndarray:
    """2 × 2 blocks of a colour: a module like the one below it, and the pair like the next."""
    upper, lower = rows[:, :-1], rows[:, 1:]
    alike = ~(upper ^ lower) & inside  # (and the next module inside too, by `alike >> 1`)
    return _count(alike & (alike >> 1) & ~(upper ^ (upper >> 1)))
