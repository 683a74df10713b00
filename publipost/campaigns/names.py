"""Proper case for names typed in ALL CAPS or all lower case.

A letter that opens with "Cher Monsieur DUPONT" or "Dear jean-pierre" tells the
reader it was printed by a machine; mailing-rules.md §2 asks for the name spelled
correctly. Names already in mixed case are trusted as typed (McDonald, de Gaulle).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from publipost.folding import fold

# Particles stay lower case inside a name (Jean de La Fontaine, Ludwig van Beethoven).
PARTICLES = {"de", "du", "des", "d", "van", "von", "der", "den", "ter", "di", "da", "dos", "das", "del", "y"}
# After a particle these articles keep their capital: de La Fontaine, de Le Fèvre.
ARTICLES = {"la", "le", "les"}

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


_NAME_CHARS = re.compile(r"[^\W\d_]+(?:[ '’.-]+[^\W\d_]*)*")


def needs_casing(name: str) -> bool:
    """Only real names typed in one case: anything else (markup, digits) is left as typed."""
    return bool(_NAME_CHARS.fullmatch(name)) and name in (name.upper(), name.lower())


def proper_case(name: str) -> str:
    """Jean-Pierre, de La Fontaine, d'Artagnan, O'Brien, McDonald, Le Bris."""
    if not needs_casing(name):
        return name
    words = name.lower().split()
    out = []
    for index, word in enumerate(words):
        previous = words[index - 1] if index else None
        out.append(
            _case_word(word, first=index == 0, after_particle=previous in PARTICLES, alone=len(words) == 1)
        )
    return " ".join(out)


def _case_word(word: str, *, first: bool, after_particle: bool, alone: bool) -> str:
    # Elided particle: d'artagnan → d'Artagnan (but o'brien → O'Brien).
    elided = re.match(r"^(d|l)['’](.+)$", word)
    if elided:
        return f"{elided.group(1)}'{_capitalise_parts(elided.group(2))}"
    if word in PARTICLES and not alone:
        return word
    if word in ARTICLES and (first or after_particle):
        return word.capitalize()
    return _capitalise_parts(word)


def _capitalise_parts(word: str) -> str:
    """Capitalise each part of a hyphenated or apostrophised word, with Mc prefixes."""

    def fix(match: re.Match[str]) -> str:
        part = match.group(0)
        if len(part) > 2 and part.startswith("mc"):
            return "Mc" + part[2:].capitalize()
        return part.capitalize()

    return _WORD.sub(fix, word)


_MALE = {"m", "mr", "monsieur", "mister", "sir", "herr", "h"}
_FEMALE = {"mme", "madame", "mrs", "ms", "miss", "mlle", "mademoiselle", "f", "frau"}


# A couple's civility as files write it: « M. et Mme », « Monsieur et Madame », "Mr & Mrs".
_COUPLE = re.compile(r"(m|mr|monsieur)(et|and)(mme|mrs|ms|madame)|(mme|mrs|ms|madame)(et|and)(m|mr|monsieur)")
COUPLE = "mf"


@lru_cache(maxsize=1024)  # a file has a handful of civilities, asked for every recipient
def gender(civility: str) -> str | None:
    """m, f, or COUPLE (a couple addressed together); None when the civility says neither."""
    key = re.sub(r"[^a-z]", "", fold(civility or "").replace("&", "and"))
    if key in _MALE:
        return "m"
    if key in _FEMALE:
        return "f"
    if _COUPLE.fullmatch(key):
        return COUPLE
    return None


@lru_cache(maxsize=1024)
def title(civility: str, language: str) -> str:
    """Monsieur, Madame; Mr, Mrs, Ms: what an address block and a salutation call the recipient."""
    who = gender(civility)
    if language == "fr":
        return {"m": "Monsieur", "f": "Madame", COUPLE: "Monsieur et Madame"}.get(who or "", "")
    female = "Mrs" if fold(civility).startswith("mrs") else "Ms"
    return {"m": "Mr", "f": female, COUPLE: "Mr and Mrs"}.get(who or "", "")


def display_name(fields: Mapping[str, object]) -> str:
    """How a list names a customer: civility, first and last name as the file holds them
    ("Mme Anne Roy"), or the company."""
    parts = [str(fields.get(k) or "").strip() for k in ("civility", "first_name", "last_name")]
    named = " ".join(p for p in parts if p)
    return named if any(parts[1:]) else str(fields.get("company") or "").strip() or named
