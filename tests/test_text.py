"""Sentences as the rules read them (publipost/linter/text.py)."""

from __future__ import annotations

import random
import re

import pytest

from publipost.linter.text import _SENTENCE_END, sentences
from tests.lintkit import made_up

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
        text = made_up(rng, PIECES, 0, 16)
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


# --- shortcuts that must read as the full pass did --------------------------------------------

_FORMER_PRICE = re.compile(r"\d\s?(?:€|%|\$|£)|(?:€|\$|£)\s?\d|\b(?:EUR|USD)\b|\{\{-?\s*offer\.")
PRICE_PIECES = ["1", "23", " ", "€", "%", "$", "£", "EUR", "USD", "E", "U", "SD", "UR", "x", "é", "_"]
PRICE_PIECES += ["-", "{{", "{{-", " offer.", "offer.", ".", "\n", "aEUR", "EURo", "1EUR", "USDs"]


@pytest.mark.parametrize("seed", range(20))
def test_a_price_is_found_where_the_former_pattern_found_one(seed):
    """_PRICE opens each branch with its sign (the boundary before EUR and USD looked behind
    once E or U is met): a letter quotes a price exactly where it did."""
    from publipost.linter.document import _PRICE

    rng = random.Random(seed)
    for _ in range(2_000):
        text = made_up(rng, PRICE_PIECES, 1, 8)
        assert bool(_PRICE.search(text)) == bool(_FORMER_PRICE.search(text)), repr(text)


UNIT_PIECES = ["**", "__", "_", "*", "#", "##", "\n", "\n#", " ", "word", "é", "[", "]", "(", ")", "](", ":"]
UNIT_PIECES += ["http://a.b", "https://x", "mailto:a@b", "tel:+33", "<", ">", "{{ x }}", "[text](https://u)"]


@pytest.mark.parametrize("seed", range(20))
def test_a_unit_reads_as_when_every_pass_ran(seed):
    """Links are masked and emphasis marks blanked only where the text holds their signs; the
    unit's plain text is the same as when each pass ran on every paragraph."""
    from publipost.linter.document import Unit
    from publipost.linter.text import _LINK, _URL, mask_jinja

    def former(raw: str) -> str:
        def link(match: re.Match[str]) -> str:
            return " " + match.group(1) + " " * (len(match.group(0)) - len(match.group(1)) - 1)

        text = _URL.sub(lambda m: "X" + " " * (len(m.group(0)) - 1), _LINK.sub(link, mask_jinja(raw)))
        return re.sub(r"\*\*|__|^#{1,6}", lambda m: " " * len(m.group(0)), text, flags=re.MULTILINE)

    rng = random.Random(seed)
    for _ in range(1_000):
        raw = made_up(rng, UNIT_PIECES, 1, 12)
        assert Unit("body", raw, lambda offset: None).plain == former(raw), repr(raw)  # type: ignore[arg-type, return-value]


def test_folding_ascii_lowers_it_as_folding_each_character_did():
    """fold() lower-cases ASCII text at once: NFKD leaves ASCII as it is, and ASCII has no curly
    apostrophe; other text is folded character by character."""
    from publipost.linter.text import _fold_char, fold

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(128)] + list("ÉéèçœŒ’‘ʼﬁ²ÅİẞK")
    for _ in range(5_000):
        text = made_up(rng, alphabet, 0, 12)
        assert fold(text) == "".join(_fold_char(c) for c in text), repr(text)
    assert fold("Order NOW") == "order now" and fold("Été’") == "ete'"


_FORMER_NUMBER_WORDS = re.compile(
    r"\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|cent|mille|two|three"
    r"|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|hundred|thousand)\s+[^\W\d_]{3,}",
    re.IGNORECASE,
)
_FORMER_CONDITION = re.compile(r"\b(?:if|unless|si)\b|\bs['’]ils?\b", re.IGNORECASE)
# Words of both lists in several cases, and the letters Python's IGNORECASE folds together
# (ſ is s, K is k, ı and İ are i): a look-ahead of first letters must miss none of them.
LETTER_PIECES = ["six", "SIX", "Six", "ſix", "ſi", "two", "TWELVE", "Dix", "mille", "hundred", "onze"]
LETTER_PIECES += ["if", "IF", "ıf", "İf", "unless", "si", "s'il", "s’ils", "S'IL", "K", "x", " ", "  ", "\n"]
LETTER_PIECES += ["weeks", "ans", "é", "a", "-", "'", "1", "_", ".", ",", "xsix", "sixty", "semaines"]


@pytest.mark.parametrize("seed", range(20))
def test_number_words_and_conditions_match_where_they_did(seed):
    """_NUMBER_WORDS and _CONDITION look ahead for their words' first letters before anything
    else: the same first match, at the same place, as the former patterns."""
    from publipost.linter.rules.action import _NUMBER_WORDS
    from publipost.linter.rules.wording import _CONDITION

    rng = random.Random(seed)
    for _ in range(2_000):
        text = made_up(rng, LETTER_PIECES, 1, 8)
        for new, former in ((_NUMBER_WORDS, _FORMER_NUMBER_WORDS), (_CONDITION, _FORMER_CONDITION)):
            found, expected = new.search(text), former.search(text)
            assert (found and found.span()) == (expected and expected.span()), (new.pattern[:20], repr(text))


def test_the_look_ahead_holds_every_word_s_first_letter():
    """A word added to either list with a first letter the look-ahead lacks would never match."""
    from publipost.linter.rules.action import _NUMBER_WORDS
    from publipost.linter.rules.wording import _CONDITION

    for pattern in (_NUMBER_WORDS, _CONDITION):
        ahead = re.match(r"\(\?=\[(\w+)\]\)", pattern.pattern)
        assert ahead, pattern.pattern
        words = re.findall(r"(?:\\b|\|)\(?(?:\?:)?([a-z]+)", pattern.pattern[ahead.end() :])
        assert words and {word[0] for word in words} <= set(ahead.group(1)), (words, ahead.group(1))


@pytest.mark.parametrize("seed", range(10))
def test_a_sentence_s_words_are_counted_as_textstat_s_rule_splits_them(seed):
    """Reading ease leaves out sentences of two words or fewer, words as textstat's rule makes
    them (signs taken out, then split at spaces): counted as the runs between spaces that hold
    a word character, the same count on text of words, signs, apostrophes and odd spaces."""
    from publipost.linter.reading_ease import _WORDISH, _words

    pieces = ["a", "Word", "é", "1", "_", "'", "’", "'t", "'s", "'ll", "don't", "—", "-", "…", ".", "!"]
    pieces += ["«", "»"]
    pieces += [" ", " ", "  ", "\t", "\n", "\u00a0", "\u202f", "\u2003", "\x1c", "€", "&", "#", "()", "'re"]
    rng = random.Random(seed)
    for _ in range(3_000):
        text = made_up(rng, pieces, 0, 12)
        assert len(_WORDISH.findall(text)) == len(_words(text)), repr(text)
