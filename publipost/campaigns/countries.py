"""A Country column's value as an ISO 3166 code, and a country's name on an envelope.

Spreadsheets write countries every way: "France", "FRANCE", "FR", "Belgique", "België",
"United Kingdom", "UK", "Deutschland", "USA". The names come from CLDR (Babel) in the
languages customer files are kept in, with the usual abbreviations; nothing is guessed from a
name publipost does not know (the address is rejected with the value, never sent anywhere).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

LANGUAGES = ("en", "fr", "de", "nl", "es", "it", "pt")
# CLDR's two-letter territories that are no country a letter can go to (ISO 3166 reserved or
# user-assigned codes: the European Union, the Eurozone, the United Nations, pseudo-locales).
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}
# Names and codes people write that CLDR does not list as names.
ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "gbr": "GB",
    "usa": "US",
    "u s a": "US",
    "u s": "US",
    "united states of america": "US",
    "etats unis d amerique": "US",
    "holland": "NL",
    "nld": "NL",
    "fra": "FR",
    "deu": "DE",
    "bel": "BE",
    "che": "CH",
    "esp": "ES",
    "ita": "IT",
    "prt": "PT",
    "lux": "LU",
    "aut": "AT",
    "can": "CA",
    "irl": "IE",
}


def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country as a customer file writes it; None when unknown."""
    return _names().get(_key(text))


@cache
def country_name(code: str, language: str) -> str:
    """The destination's name for the envelope's last line: in the sender's language, in
    capitals without accents (La Poste writes ROYAUME-UNI, ALLEMAGNE; USPS, GERMANY)."""
    from babel import Locale

    name = Locale.parse(language).territories.get(code, code)
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


@cache
def _names() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for language in LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES:
                names.setdefault(_key(name), code)
                names.setdefault(code.lower(), code)
    names.update(ALIASES)
    return names
