"""Issue 31: the audience's per-cell work moved to Arrow or to per-value caches; each shortcut
gives what the Python it replaced gave, on the awkward values (every Unicode space, accents,
control characters)."""

from __future__ import annotations

import random
import re
import sys
import unicodedata

import pandas as pd
import pytest

from publipost.campaigns.audience import MARKUP, WHITESPACE
from publipost.folding import fold

SPACES = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c))


def test_the_spelt_out_whitespace_is_python_s():
    assert sorted(WHITESPACE[1:-1]) == sorted(SPACES)  # 29 characters, U+3000 the last


@pytest.fixture
def awkward():
    rng = random.Random(31)
    pool = [*SPACES, *"ab<{%#/!é\u0301", "\u202e", "\x00"]
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 9))) for _ in range(20_000)]


def test_runs_of_spaces_fold_in_arrow_as_python_folded_them(awkward):
    column = pd.Series(awkward, dtype="string[pyarrow]")
    assert not column.array._needs_python_regex(WHITESPACE + "{2,}")  # pyarrow's RE2 runs it
    folded = column.str.replace(WHITESPACE + "{2,}", " ", regex=True).tolist()
    assert folded == [re.sub(r"\s{2,}", " ", value) for value in awkward]


def test_markup_is_found_in_arrow_as_python_found_it(awkward):
    column = pd.Series(awkward, dtype="string[pyarrow]")
    assert not column.array._needs_python_regex(MARKUP.pattern)
    found = column.str.contains(MARKUP.pattern, regex=True).tolist()
    assert found == [bool(re.search(r"\{\{|\{%|\{#|<\s*[A-Za-z/!]", value)) for value in awkward]


def test_folding_ascii_takes_the_short_way_to_the_same_key():
    def by_nfkd(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    rng = random.Random(7)
    values = [
        "".join(rng.choice([chr(i) for i in range(128)]) for _ in range(rng.randint(0, 12)))
        for _ in range(20_000)
    ]
    values += ["  Prénom ", "ÉLODIE", "Straße", "ﬁn", "Ｍａｒｉｅ"]
    assert [fold(v) for v in values] == [by_nfkd(v) for v in values]
