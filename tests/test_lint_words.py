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
from tests.lintkit import made_up


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
    text = made_up(rng, [*EDGES, " ", "  ", "\t", ", ", ". "], 0, 40)
    assert WordList(entries).find(text) == _oracle(entries, text), (entries, text)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_list_absent_from_a_paragraph_finds_nothing_in_its_sentences(language):
    """absent_from(paragraph) lets a rule skip a paragraph's sentences: where it says a list is
    absent, finding in each sentence must give nothing, on every built-in list, over random
    paragraphs of the lists' own words, other words, signs, Σ and İ."""
    from publipost.linter.text import sentences

    lists = {name: WordList(entries) for name, entries in builtin(language).items()}
    vocabulary = sorted(
        {word for entries in builtin(language).values() for e in entries for word in e.split()}
    )
    pieces = [*vocabulary, "the", "Nous", "ΑΣ", "ΟΔΟΣ", "İ", "İl", "x", "1", "2 €", "#1"]
    separators = [" ", " ", " ", ", ", ". ", "! ", "? ", "\n", "-", "'", "’", ". İ", " Σ. "]
    rng = random.Random(len(language))
    skipped = 0
    for _ in range(600):
        paragraph = "".join(rng.choice(pieces) + rng.choice(separators) for _ in range(rng.randint(1, 14)))
        spans = list(sentences(paragraph))
        for name, words in lists.items():
            if words.absent_from(paragraph):
                skipped += 1
                for start, end in spans:
                    assert words.find(paragraph[start:end], start) == [], (name, paragraph, start)
    assert skipped > 1_000  # the shortcut is taken, on most lists for most paragraphs


def test_absent_from_asks_each_sentence_where_lower_case_depends_on_the_whole():
    """A paragraph holding an İ is lower-cased letter by letter (an İ becomes two characters
    otherwise), where a Σ ending a word stays σ; its sentence without the İ is lower-cased whole,
    where it becomes ς. A list holding "ας" then finds it in the sentence, not in the paragraph:
    the paragraph is not called absent."""
    from publipost.linter.text import sentences

    words = WordList(["ας"])
    paragraph = "İl part. Un ΑΣ ici."
    spans = list(sentences(paragraph))
    assert [paragraph[a:b] for a, b in spans] == ["İl part.", "Un ΑΣ ici."]
    assert words.find(paragraph[spans[1][0] : spans[1][1]]) != []
    assert not words.absent_from(paragraph)


def test_a_final_sigma_lowers_alike_in_a_paragraph_and_in_its_sentences():
    """absent_from needs no guard for Σ: a sentence's edges are white space, where a final Σ's
    context ends, so a sentence lower-cases as its part of the paragraph does (ς or σ alike).
    Greek entries with both sigmas, over random paragraphs of Σ words (and no İ)."""
    from publipost.linter.text import _lowered, sentences

    words = WordList(["ας", "ασ", "οδος", "σ", "ς", "σε"])
    pieces = ["ΑΣ", "ΟΔΟΣ", "Σ", "ΣΕ", "ΑΣΕ", "Α", "x", "«", "»", ")", "'", "1"]
    separators = [" ", ". ", "! ", "? ", ".» ", ".) ", "\n", "'", "-", ""]
    rng = random.Random(3)
    skipped = 0
    for _ in range(3_000):
        paragraph = "".join(rng.choice(pieces) + rng.choice(separators) for _ in range(rng.randint(1, 10)))
        whole = _lowered(paragraph)
        for start, end in sentences(paragraph):
            assert _lowered(paragraph[start:end]) == whole[start:end], (paragraph, start, end)
        if words.absent_from(paragraph):
            skipped += 1
            assert all(words.find(paragraph[a:b]) == [] for a, b in sentences(paragraph)), paragraph
    assert skipped > 100
