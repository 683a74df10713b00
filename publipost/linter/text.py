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
# The stop is part of the match (a look-behind first made the engine try every character).
_SENTENCE_END = re.compile(r"[.!?…][»\"”)]*(?=\s+[«\"“(]?[A-ZÀ-ÖØ-Þ0-9])|[.!?…][»\"”)]*\s*$")
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
    """Lower case, no accents, straight apostrophes: one character for one. ASCII has no
    accent, no curly apostrophe and no compatibility form: it is lower-cased alone (20 times
    as fast, and most words of English copy are ASCII)."""
    if text.isascii():
        return text.lower()
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

    if "](" in text:  # a link's text and target meet there: most paragraphs have none
        text = _LINK.sub(link, text)
    if ":" in text:  # every scheme ends with one
        text = _URL.sub(lambda m: "X" + " " * (len(m.group(0)) - 1), text)
    return text


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
    """The words of `text`. Cached: rules count and scan the same sentences again and again.
    (Tokens made by tuple.__new__, not Token's own __new__, a Python function: a quarter
    faster.)"""
    return tuple(
        [_new(Token, (m.group(), m.start() + offset, m.end() + offset)) for m in WORD.finditer(text)]
    )


_new = tuple.__new__


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence; a line break inside a block is not a sentence end."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end, stop = match.end(), match.start() + 1  # just after the stop
        # The word before the stop, read in a short window: a search over all the text since the
        # last sentence end would take quadratic time on a run of abbreviations ("M. M. M. …").
        before = text[max(start, stop - 24) : stop].rstrip(".!?…")
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
    "you're". A space in an entry matches any run of spaces or line breaks. Of overlapping
    matches, the one that starts first wins, and of those starting at one place the longest
    entry ("the best" before "best").

    Matching is by hand, not one regular expression per list: compiling twenty lists of
    alternatives cost 11 ms on every run, more than matching them. An entry is indexed by its
    first run of word characters, which must be the whole run of the text where it starts;
    the rare entry that begins with a sign ("#1", "$$$") goes to a small regular expression.
    """

    def __init__(self, entries: Iterable[str]):
        ordered = sorted({lower(e.strip()) for e in entries if e.strip()}, key=lambda e: (-len(e), e))
        self.words = {e for e in ordered if WORD.fullmatch(e)}
        # An apostrophe bounds a word: French elides (« qu'il », « lorsqu'elle », « j'ai » hold
        # qu, lorsqu, j), English contracts ("you're", "we'll"), and both quote with it.
        self.by_first: dict[str, list[tuple[tuple[int, str], ...]]] = {}
        signs = []
        for entry in ordered:
            first = _RUN.match(entry)
            if first is None:
                signs.append(re.escape(entry).replace(r"\ ", r"\s+"))
            else:
                pieces = _SPACES.split(entry)  # piece, spaces, piece …: n spaces match n or more
                gaps = [0, *(len(spaces) for spaces in pieces[1::2])]
                self.by_first.setdefault(first.group(0), []).append(
                    tuple(zip(gaps, pieces[::2], strict=True))
                )
        self.signs = re.compile(rf"(?<![\w\-])(?:{'|'.join(signs)})(?!\w|-\w)") if signs else None
        # Each entry's longest piece, a substring of any text it matches: a text holding none of
        # them matches nothing, found by a few scans in C (most lists, on most paragraphs).
        longest = {max(_SPACES.split(entry)[::2], key=len) for entry in ordered}
        self.needles = sorted(n for n in longest if not any(o != n and o in n for o in longest))

    def find(self, text: str, offset: int = 0) -> list[Token]:
        """Every match in `text`, in order; of overlapping matches ("the best", "best"), the longest."""
        lowered = _lowered(text)
        if self.signs is None and self._none_in(lowered):
            return []
        spans = []  # the longest entry matching at each place
        # Only the runs that open some entry: a set intersection, in C, instead of a lookup per
        # word of the text for each of the twenty-odd lists; then where each stands.
        for run in _runs(lowered) & self.by_first.keys():
            for start in _starts(lowered, run):
                if start and lowered[start - 1] == "-":
                    continue
                for pieces in self.by_first[run]:
                    end = _match(lowered, start, pieces)
                    if end is not None:
                        spans.append((start, end))
                        break
        if self.signs is not None:
            spans.extend(m.span() for m in self.signs.finditer(lowered))
        spans.sort()
        found, reached = [], 0
        for start, end in spans:
            if start >= reached:
                found.append(Token(text[start:end], offset + start, offset + end))
                reached = end
        return found

    def absent_from(self, text: str) -> bool:
        """Whether no entry can match in `text`, nor in any sentence of it: asked once of a
        paragraph instead of finding nothing in each of its sentences. A sentence's lower case
        is that part of the paragraph's (its edges are white space, where a final Σ's context
        ends), except where the paragraph holds an İ: `lower` then takes it letter by letter,
        where a final Σ stays σ, and each sentence is asked."""
        return self.signs is None and "İ" not in text and self._none_in(_lowered(text))

    def _none_in(self, lowered: str) -> bool:
        """The lower-cased text holds no entry's longest piece: no entry can match in it."""
        return not any(map(lowered.__contains__, self.needles))

    def __contains__(self, word: str) -> bool:
        return lower(word) in self.words


_RUN = re.compile(r"\w+")
_SPACES = re.compile(r"( +)")


@lru_cache(maxsize=1024)
def _lowered(text: str) -> str:
    return lower(text)


@lru_cache(maxsize=1024)
def _runs(lowered: str) -> frozenset[str]:
    """The runs of word characters in the text, computed once for every list. A set, in C:
    where each run starts is asked of the few runs that open an entry (`_starts`). Indexing
    every run's places cost twice as much, and was most of a letter's word-list matching."""
    return frozenset(_RUN.findall(lowered))


def _starts(lowered: str, run: str) -> Iterator[int]:
    """Where a run of word characters may be `run`: no word character before it. The end is
    the entry's to check (`_match`): an entry's first piece goes on past its run with a sign,
    or ends with it and then must not be joined to what follows."""
    at = lowered.find(run)
    while at >= 0:
        if not at or not _word(lowered[at - 1]):
            yield at
        at = lowered.find(run, at + 1)


def _match(text: str, start: int, pieces: tuple[tuple[int, str], ...]) -> int | None:
    """Where an entry (its pieces, each after so many spaces) ends if it matches whole at
    `start`: the regular expression's `\\s+`, greedy, backing off for a piece that itself
    begins with white space."""
    at = start
    for spaces, piece in pieces:
        if spaces:
            end = at
            while end < len(text) and text[end].isspace():
                end += 1
            at = next((a for a in range(end, at + spaces - 1, -1) if text.startswith(piece, a)), -1)
            if at < 0:
                return None
        elif not text.startswith(piece, at):
            return None
        at += len(piece)
    joined = at < len(text) and (
        _word(text[at]) or (text[at] == "-" and at + 1 < len(text) and _word(text[at + 1]))
    )
    return None if joined else at


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w means in a regular expression on text
