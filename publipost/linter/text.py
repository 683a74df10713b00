"""Words, sentences and phrases in copy, with offsets that stay true to the source.

Everything here is length-preserving: folding (case, accents, curly
apostrophes) maps one character to one character, and Jinja tags are masked
in place, so an offset found in the analysed text is an offset in the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from publipost.templates.markdown import blank, jinja_spans, replace_spans

WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+(?:[.,]\d+)*%?", re.UNICODE)
# A sentence ends at . ! ? or … followed by a space and a capital (or a quote, a digit), or at the end.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»\"”)]*(?=\s+[«\"“(]?[A-ZÀ-ÖØ-Þ0-9])|(?<=[.!?…])[»\"”)]*\s*$")
_LAST_WORD = re.compile(r"([\w.°-]+)$")
_ABBREVIATIONS = {
    "m",
    "mme",
    "mmes",
    "mlle",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "p",
    "ex",
    "etc",
    "cf",
    "no",
    "n°",
    "av",
    "bd",
    "vs",
    "e.g",
    "i.e",
    "inc",
    "ltd",
    "jr",
    "sr",
    "tél",
    "tel",
    "ps",
    "p.s",
    "p.-s",
}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in "’‘ʼ":
        return "'"
    base = unicodedata.normalize("NFKD", char)[:1].lower()
    return base if len(base) == 1 else char.lower()


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes: one character for one."""
    return "".join(_fold_char(c) for c in text)


_APOSTROPHES = str.maketrans("’‘ʼ", "'" * 3)


def lower(text: str) -> str:
    """Lower case and straight apostrophes, accents kept: gratuité is not gratuite. Same length."""
    lowered = text.lower().translate(_APOSTROPHES)
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text).translate(_APOSTROPHES)


def mask_jinja(text: str) -> str:
    """Replace {{ fields }} by a same-length placeholder word, {% %} and {# #} by spaces.

    A field stays one word ("Xxxxx") so sentences keep their length in words; tags
    and comments vanish but keep their newlines, so offsets and lines hold.
    """

    def replace(tag: str) -> str:
        if tag.startswith("{{"):
            return "X" + "x" * (len(tag) - 1) if "\n" not in tag else re.sub(r"[^\n]", "x", tag)
        return blank(tag)

    if "{" not in text:
        return text
    return replace_spans(text, jinja_spans(text), replace)


_LINK = re.compile(r"\[([^\[\]\n]*)\]\(((?:[^()\n]|\([^()\n]*\))*)\)")
_URL = re.compile(r"<?(?:https?://|mailto:|tel:)[^\s<>]*>?")


def mask_links(text: str) -> str:
    """Links as readers see them, same length: `[text](url)` keeps its text, a URL counts as one
    short word ("X"). A URL's parts are not words, and would sink reading ease."""

    def link(match: re.Match[str]) -> str:
        return " " + match.group(1) + " " * (len(match.group(0)) - len(match.group(1)) - 1)

    text = _LINK.sub(link, text)
    return _URL.sub(lambda m: "X" + " " * (len(m.group(0)) - 1), text)


class Token(NamedTuple):
    """A word or phrase and where it stands (a tuple: the linter makes thousands per letter)."""

    text: str
    start: int
    end: int

    @property
    def folded(self) -> str:
        return fold(self.text)

    @property
    def lowered(self) -> str:
        return lower(self.text)


@lru_cache(maxsize=4096)
def words(text: str, offset: int = 0) -> tuple[Token, ...]:
    """The words of `text`. Cached: rules count and scan the same sentences again and again."""
    return tuple(Token(m.group(0), offset + m.start(), offset + m.end()) for m in WORD.finditer(text))


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence; a line break inside a block is not a sentence end."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        # The word before the stop, read in a short window: a search over all the text since the
        # last sentence end would take quadratic time on a run of abbreviations ("M. M. M. …").
        before = text[max(start, match.start() - 24) : match.start()].rstrip(".!?…")
        last_word = _LAST_WORD.search(before)
        if (
            last_word
            and fold(last_word.group(1)).strip(".") in _ABBREVIATIONS
            and match.end() < len(text.rstrip())
        ):
            continue
        if text[start:end].strip():
            lead = len(text[start:end]) - len(text[start:end].lstrip())
            yield start + lead, start + len(text[start:end].rstrip())
        start = end
    if text[start:].strip():
        lead = len(text[start:]) - len(text[start:].lstrip())
        yield start + lead, len(text.rstrip())


class WordList:
    """Single words and phrases of one list, matched whole, ignoring case (not accents).

    "Whole" means between word boundaries, a hyphen joining words and an apostrophe not: "free"
    does not match "sugar-free" or "freely", but "qu" matches in « qu'il » and "you" in
    "you're". One regular expression per list runs over the lowered text: no tokenising per list.
    """

    def __init__(self, entries: Iterable[str]):
        entries = sorted({lower(e.strip()) for e in entries if e.strip()}, key=len, reverse=True)
        self.words = {e for e in entries if WORD.fullmatch(e)}
        alternatives = "|".join(re.escape(e).replace(r"\ ", r"\s+") for e in entries)
        # An apostrophe bounds a word: French elides (« qu'il », « lorsqu'elle », « j'ai » hold
        # qu, lorsqu, j), English contracts ("you're", "we'll"), and both quote with it.
        self.pattern = re.compile(rf"(?<![\w\-])(?:{alternatives})(?!\w|-\w)") if entries else None

    def find(self, text: str, offset: int = 0) -> list[Token]:
        """Every match in `text`, in order; of overlapping matches ("the best", "best"), the longest."""
        if self.pattern is None:
            return []
        return [
            Token(text[m.start() : m.end()], offset + m.start(), offset + m.end())
            for m in self.pattern.finditer(lower(text))
        ]

    def __contains__(self, word: str) -> bool:
        return lower(word) in self.words
