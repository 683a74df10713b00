"""Sentences as the rules read them (publipost/linter/text.py)."""

from __future__ import annotations

import random
import re

import pytest

from publipost.linter.text import _SENTENCE_END, sentences

# The former pattern: a look-behind first, tried at every character. Its matches began just
# after the stop; the new one's begin at the stop.
_FORMER_END = re.compile(r"(?<=[.!?…])[»\"”)]*(?=\s+[«\"“(]?[A-ZÀ-ÖØ-Þ0-9])|(?<=[.!?…])[»\"”)]*\s*$")


PIECES = [
    ".",
    "!",
    "?",
    "…",
    "»",
    '"',
    "”",
    ")",
    " ",
    "  ",
    "\n",
    "A",
    "É",
    "1",
    "a",
    "«",
    "“",
    "(",
    "M",
    "Mme",
    "etc",
    "p.s",
]


@pytest.mark.parametrize("seed", range(40))
def test_sentences_end_where_they_ended(seed):
    rng = random.Random(seed)
    for _ in range(2000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 16)))
        former = [(m.start(), m.end()) for m in _FORMER_END.finditer(text)]
        assert [(m.start() + 1, m.end()) for m in _SENTENCE_END.finditer(text)] == former, text


def test_an_abbreviation_does_not_end_a_sentence():
    text = "Mme Roy arrive. M. Martin aussi… Il dit « Oui ». Et après ?"
    assert [text[a:b] for a, b in sentences(text)] == [
        "Mme Roy arrive.",
        "M. Martin aussi…",
        "Il dit « Oui ».",
        "Et après ?",
    ]
