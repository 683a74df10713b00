"""Helpers for linter tests: lint a text written to a real file, find where a string stands."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from publipost.linter.engine import lint_paths

DATA = Path(__file__).parent / "data"
GOOD = {
    "fr": (DATA / "bon.md").read_text(encoding="utf-8"),
    "en": (DATA / "good.md").read_text(encoding="utf-8"),
}


def lint_text(folder: Path, text: str, name: str = "letter.md", **overrides):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return lint_paths([path], isolated=True, overrides=overrides or None)


def position(text: str, anchor: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `anchor`: the oracle for positions."""
    offset = text.index(anchor)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def made_up(rng: random.Random, pieces: Sequence[str], least: int, most: int) -> str:
    """A text of `least` to `most` pieces drawn at random: what the tests that compare a
    shortcut with the code it stands in for read both with."""
    return "".join(rng.choice(pieces) for _ in range(rng.randint(least, most)))
