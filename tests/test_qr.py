"""Issue 31: a QR code's mask is chosen by publipost (the eight candidates scored in 64-bit
words) instead of by zxing-cpp, which took nine tenths of a tracked link's encoding. The code
must be the one zxing-cpp makes, module for module: same mask, same format information."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest

from publipost.templates import qr

ALPHABET = string.printable[:94] + " éàçœ€ßü中文😀"


def _values(seed: int, count: int, longest: int) -> list[str]:
    draw = random.Random(seed)
    return ["".join(draw.choice(ALPHABET) for _ in range(draw.randint(1, longest))) for _ in range(count)]


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_the_code_is_zxing_cpp_s_own_module_for_module(level):
    """Values of every length up to and beyond a 64-bit word (versions 1 to 17), at each level
    of error correction: the mask scored here is the one zxing-cpp picks."""
    sides = set()
    for value in _values(ord(level), 300, 240):
        ours, theirs = qr.qr_modules(value, level), qr.encoded(value, level)
        assert ours.shape == theirs.shape and (ours == theirs).all(), value
        sides.add(ours.shape[0])
    assert min(sides) == 21 and max(sides) > qr.WORD_SIDE  # both edges of the scored sizes


def test_codes_scored_together_are_each_zxing_cpp_s_own(monkeypatch):
    """A print chunk's codes are scored together, by size, a batch at a time: codes of mixed
    sizes, in batches smaller than their groups, each come out as zxing-cpp makes it alone."""
    monkeypatch.setattr(qr, "BATCH", 7)
    values = _values(18004, 200, 120) + [
        f"https://literie-martin.example/couette?ref=B{n:06d}" for n in range(30)
    ]
    codes = qr.qr_codes(values)
    assert len(codes) == len(values)
    sides = {code.shape[0] for code in codes}
    assert len(sides) > 3
    for value, code in zip(values, codes, strict=True):
        theirs = qr.encoded(value, "M")
        assert code.shape == theirs.shape and (code == theirs).all(), value


def test_every_mask_wins_somewhere_and_is_scored_as_zint_scores_it():
    """The eight candidates are the codes zxing-cpp makes with each mask forced, and the scores
    pick each of the eight masks on some value: no rule of the score is left unexercised."""
    won = set()
    for value in _values(31, 400, 120):
        if len(value) < qr.SHORT:
            continue
        plain = qr.encoded(value, "M", mask=0)
        side = plain.shape[0]
        if side > qr.WORD_SIDE:
            continue
        masks = qr._masks(side)
        candidates = (plain ^ masks[0]) ^ masks
        candidates[:, qr._FORMAT[0], qr._FORMAT[1]] = qr._format_bits("M")
        for mask in range(8):
            assert (candidates[mask] == qr.encoded(value, "M", mask)).all(), (value, mask)
        won.add(int(np.argmin(qr.penalties(candidates))))
    assert won == set(range(8))


def test_each_rule_of_the_score_on_a_drawn_code():
    """Hand-counted codes: a line of five dark modules (3) and one of seven (5), a 2 × 2 block
    (3), a finder-like pattern at the edge (40, the edge as light), and the dark share."""
    side = 21
    blank = np.zeros((1, side, side), dtype=bool)
    light = qr.penalties(blank)[0]
    # all light: every line is one run of 21 (19 each, 42 lines), every 2 × 2 a block, 100 % light
    assert light == 42 * 19 + 3 * 20 * 20 + 10 * 10
    code = np.indices((side, side)).sum(axis=0) % 2 == 0  # a checkerboard: no run, no block
    assert qr.penalties(code[None])[0] == 10 * 0  # 221 dark of 441: 50.1 %, no penalty
    finder = code.copy()
    finder[0, :] = False
    finder[0, :7] = [True, False, True, True, True, False, True]  # at the left edge, then light
    score = qr.penalties(finder[None])[0]
    # row 0: 1011101 then 14 light: a finder before the light (40), a light run of 14 (12);
    # and the blocks and columns this row now forms with row 1
    assert score >= 40 + 12
    reference = _zint_score(finder)
    assert score == reference


def _zint_score(code: np.ndarray) -> int:
    """zint's qr_evaluate, line by line in Python: the reference the words are held to."""
    side = code.shape[0]
    score = 0
    for lines in (code, code.T):
        for line in lines:
            run, colour = 0, None
            for module in [*line, None]:
                if module == colour:
                    run += 1
                    continue
                if run >= 5:
                    score += run - 2
                run, colour = 1, module
            padded = [False] * 4 + list(line) + [False] * 4
            for start in range(4, side - 7 + 5):
                if padded[start : start + 7] == [True, False, True, True, True, False, True] and (
                    not any(padded[start - 4 : start]) or not any(padded[start + 7 : start + 11])
                ):
                    score += 40
    for row in range(side - 1):
        for column in range(side - 1):
            score += 3 * (len({*code[row : row + 2, column : column + 2].ravel().tolist()}) == 1)
    share = 100.0 * code.sum() / (side * side)
    return score + 10 * int(abs(share - 50.0) / 5.0)


def test_the_words_score_as_zint_does_on_random_codes():
    draw = np.random.default_rng(7)
    for side in (21, 29, 45, 49, 53, 56):
        codes = draw.random((6, side, side)) < draw.uniform(0.2, 0.8)
        codes[:, :8, :8] = False  # room for finder-like patterns near the edges
        codes[0, 3, :7] = codes[1, :7, side - 1] = [True, False, True, True, True, False, True]
        assert qr.penalties(codes).tolist() == [_zint_score(code) for code in codes]


def test_a_zxing_cpp_that_ignores_the_forced_mask_keeps_its_own_choice(monkeypatch):
    """Were a later zxing-cpp to ignore (or refuse) the mask it is asked for, seven of the eight
    candidates would be codes that do not scan: the check made once finds it, and zxing-cpp's
    own code is printed, as before."""
    value = "https://literie-martin.example/couette-douillette?utm_source=publipost&ref=COUDOUVCM-B000042-Z"
    expected = qr.encoded(value, "M")
    real = qr.encoded

    def ignoring(value, level, mask=None):
        return real(value, level)

    def refusing(value, level, mask=None):
        if mask is not None:
            raise TypeError("create_barcode() got an unexpected keyword argument 'data_mask'")
        return real(value, level)

    for broken in (ignoring, refusing):
        for cached in (qr._forced_masks_hold, qr._format_bits):
            cached.cache_clear()
        monkeypatch.setattr(qr, "encoded", broken)
        assert not qr._forced_masks_hold("M")
        assert (qr.qr_modules(value, "M") == expected).all()
        monkeypatch.setattr(qr, "encoded", real)
    for cached in (qr._forced_masks_hold, qr._format_bits):
        cached.cache_clear()
    assert qr._forced_masks_hold("M")
