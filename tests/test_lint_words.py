"""Word lists match by hand (compiling them as regular expressions cost 11 ms a run); the
regular expression they replaced is the oracle: same matches on every built-in list, over the
corpus, the test letters and text made to hit the edges."""

from __future__ import annotations

import random
import re

import pytest

from publipost.linter.text import Token, WordList, lower
from publipost.linter.words import builtin
from tests.conftest import ROOT


def _oracle(entries: list[str], text: str) -> list[Token]:
    """The former implementation: one regular expression of alternatives, longest first."""
    ordered = sorted({lower(e.strip()) for e in entries if e.strip()}, key=len, reverse=True)
    if not ordered:
        return []
    alternatives = "|".join(re.escape(e).replace(r"\ ", r"\s+") for e in ordered)
    pattern = re.compile(rf"(?<![\w\-])(?:{alternatives})(?!\w|-\w)")
    return [Token(text[m.start() : m.end()], m.start(), m.end()) for m in pattern.finditer(lower(text))]


def _texts() -> list[str]:
    letters = [*(ROOT / "corpus" / "letters").iterdir(), *(ROOT / "tests" / "data").glob("*.md")]
    return [path.read_text(encoding="utf-8") for path in letters if path.suffix in (".md", ".html")]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_built_in_list_matches_as_the_regular_expression_did(language):
    lists = builtin(language)
    texts = _texts()
    for name, entries in lists.items():
        words = WordList(entries)
        for text in texts:
            assert words.find(text) == _oracle(entries, text), (name, text[:60])


EDGES = [
    "free",
    "sugar-free",
    "free-range",
    "freely",
    "FREE!",
    "qu'il",
    "lorsqu’elle",
    "aujourd'hui",
    "what's more",
    "what's\n  more",
    "what'smore",
    "#1",
    "n°1",
    "100%",
    "100%s",
    "$$$",
    "€€€",
    "the best",
    "best",
    "the  best",
    "-best",
    "best-",
    "best-x",
    "_best",
    "best_",
    "état",
    "ÉTAT",
    "ceux-ci",
    "ce dernier",
    "p.s.",
    "s'il vous plaît",
    "don't hesitate to",
    "-",
    " ",
    "\n",
    "x",
    "a \tb",
    "a\t b",
    "a \t",
    "\t",
    "a  b",
    "a b",
]


@pytest.mark.parametrize("seed", range(500))
def test_made_up_lists_and_texts_match_as_the_regular_expression_did(seed):
    rng = random.Random(seed)
    entries = rng.sample(EDGES, rng.randint(1, 8))
    text = "".join(rng.choice([*EDGES, " ", "  ", "\t", ", ", ". "]) for _ in range(rng.randint(0, 40)))
    assert WordList(entries).find(text) == _oracle(entries, text), (entries, text)
