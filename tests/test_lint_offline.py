"""Readability works with no network, and French and English in one run do not interfere."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from publipost.linter.rules.readability import reading_ease
from tests.lintkit import GOOD

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


def test_cached_syllables_give_textstat_s_own_scores():
    """The cached table must reproduce textstat with the real cmudict, word for word."""
    code = textwrap.dedent(f"""
        from textstat.backend.metrics import flesch_reading_ease
        print(flesch_reading_ease({ENGLISH!r} + " Planora plans your week in five minutes.", "en"))
    """)
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert float(plain) == reading_ease(ENGLISH + " Planora plans your week in five minutes.", "en")


def test_a_damaged_syllable_cache_is_built_anew(tmp_path):
    """A cache file that is not our table (truncated, another tool's) is rebuilt, never a traceback."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    code = "from publipost.linter.rules.readability import _cmudict_version as v; print(v())"
    version = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    cache = tmp_path / "cache" / "publipost"
    cache.mkdir(parents=True)
    damaged = cache / f"cmudict-{version.stdout.strip()}-syllables.sqlite"
    damaged.write_bytes(b"not a database" * 100)
    score = (
        f"from publipost.linter.rules.readability import reading_ease; print(reading_ease({ENGLISH!r}, 'en'))"
    )
    done = subprocess.run([sys.executable, "-c", score], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == reading_ease(ENGLISH, "en")
    assert damaged.read_bytes().startswith(b"SQLite format 3")  # rebuilt in place
