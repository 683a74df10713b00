"""The per-language word lists (words/fr.toml, words/en.toml), extended by configuration."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from publipost.linter.text import WordList

WORDS = Path(__file__).parent / "words"


@cache
def builtin(language: str) -> dict[str, list[str]]:
    with (WORDS / f"{language}.toml").open("rb") as f:
        return tomllib.load(f)


@cache
def word_list(language: str, name: str, extend: tuple[str, ...] = ()) -> WordList:
    return WordList([*builtin(language)[name], *extend])


def list_names() -> list[str]:
    return sorted(builtin("fr"))
