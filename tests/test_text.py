"""Sentences as the rules read them (publipost/linter/text.py)."""

from __future__ import annotations

import random
import re

import pytest

from publipost.linter.text import _ABBREVIATIONS, _LAST_WORD, fold, sentences

_FORMER_END = re.compile(r"(?<=[.!?…])[»\"”)]*(?=\s+[«\"“(]?[A-ZÀ-ÖØ-Þ0-9])|(?<=[.!?…])[»\"”)]*\s*$")


def _former(text):
    """The reading before the sentence end's pattern opened with its stop (it opened with a
    look-behind, tried at every character)."""
    start = 0
    for match in _FORMER_END.finditer(text):
        end = match.end()
        before = text[max(start, match.start() - 24) : match.start()].rstrip(".!?…")
        last_word = _LAST_WORD.search(before)
        if last_word and fold(last_word.group(1)).strip(".") in _ABBREVIATIONS and end < len(text.rstrip()):
            continue
        if text[start:end].strip():
            lead = len(text[start:end]) - len(text[start:end].lstrip())
            yield start + lead, start + len(text[start:end].rstrip())
        start = end
    if text[start:].strip():
        lead = len(text[start:]) - len(text[start:].lstrip())
        yield start + lead, len(text.rstrip())


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
        assert list(sentences(text)) == list(_former(text)), text


def test_an_abbreviation_does_not_end_a_sentence():
    text = "Mme Roy arrive. M. Martin aussi… Il dit « Oui ». Et après ?"
    assert [text[a:b] for a, b in sentences(text)] == [
        "Mme Roy arrive.",
        "M. Martin aussi…",
        "Il dit « Oui ».",
        "Et après ?",
    ]
