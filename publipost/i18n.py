"""The tool's own words in the reader's language: summaries, hints, the report, the preview.

A French marketer reads French around a French campaign: the language is the campaign's, unless
`--lang` or PUBLIPOST_LANG says otherwise; a command without a campaign follows the user's locale.
Messages live in gettext catalogues (publipost/locale, extracted and compiled by Babel: README,
"Translations"), numbers, money, percents and dates are written by Babel from CLDR's data
(« 741,00 € », « 6,5 % »), never by format strings that only know English.

The active language is a context variable, so that two campaigns reported in one process (a
test, a notebook) do not speak each other's language.
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from publipost.errors import PublipostError

LANGUAGES = ("en", "fr")
# CLDR locales for numbers and money ("en" writes $153.00 and €741.00; en_GB would write US$153.00)
# and for dates (British English writes "1 January 2023", day before month as in French; en_US
# would write "January 1, 2023").
_LOCALES = {"en": "en", "fr": "fr_FR"}
_DATE_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
_LOCALE_DIR = Path(__file__).parent / "locale"

_active: ContextVar[str | None] = ContextVar("publipost_language", default=None)
_override: str | None = None  # --lang, for the whole command


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined (a table, a constant); `_` translates
    it where it is shown, once the language is known."""
    return message


def _(message: str) -> str:
    return _catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalogue(current()).ngettext(singular, plural, n)


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("publipost", _LOCALE_DIR, languages=[language], fallback=True)


# --- which language ---------------------------------------------------------------------------


def current() -> str:
    """The language the tool speaks now: the one chosen for this command, else the override, else
    the user's locale."""
    return _active.get() or chosen()


def chosen(campaign_language: str | None = None) -> str:
    """--lang, then PUBLIPOST_LANG, then the campaign's language, then the user's locale."""
    if _override:
        return _override
    given = os.environ.get("PUBLIPOST_LANG", "")
    if given.strip().lower()[:2] in LANGUAGES:  # a bad value is refused by the command, at once
        return parse(given, "PUBLIPOST_LANG")
    if campaign_language in LANGUAGES:
        return campaign_language
    return user_language()


def parse(value: str, where: str = "--lang") -> str:
    """`fr`, `FR`, `fr_FR.UTF-8` → fr; anything else is a mistake said at once (exit 2)."""
    language = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    if language not in LANGUAGES:
        raise PublipostError(
            f"{where}: '{value}' is not a language publipost speaks", hint=f"one of {', '.join(LANGUAGES)}"
        )
    return language


def override(language: str | None) -> None:
    """--lang: every message of this command in that language, whatever the campaign's. A new
    command starts from nothing: no campaign's language carries over to the next (a test, a
    notebook running several)."""
    global _override
    reset()
    if os.environ.get("PUBLIPOST_LANG"):
        parse(os.environ["PUBLIPOST_LANG"], "PUBLIPOST_LANG")
    _override = parse(language) if language else None


def activate(campaign_language: str | None) -> str:
    """Speak the language chosen for a campaign from now on in this context; returns it."""
    language = chosen(campaign_language)
    _active.set(language)
    return language


def reset() -> None:
    """Forget --lang and the campaign's language: the command is over."""
    global _override
    _override = None
    _active.set(None)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """The tool's words in `language` inside the block (a report written for a French campaign)."""
    token = _active.set(parse(language))
    try:
        yield
    finally:
        _active.reset(token)


def user_language() -> str:
    """French when the user's locale is (LC_ALL, LC_MESSAGES, LANG, as gettext reads them)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


# --- numbers, money, percents, dates ----------------------------------------------------------


def locale() -> str:
    return _LOCALES[current()]


def number(value: float, digits: int | None = 0) -> str:
    """1,234 in English, 1 234 in French (a narrow no-break space, as CLDR writes it), with
    `digits` decimals; None: as many as the value has (10, 12.5), CLDR's default."""
    from babel.numbers import format_decimal

    if digits is None:
        return format_decimal(value, locale=locale())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=locale())


def money(value: float | None, currency: str) -> str:
    """€741.00 in English, 741,00 € in French; an em dash when there is no figure."""
    if value is None:
        return "—"
    from babel.numbers import format_currency

    return format_currency(value, currency, locale=locale())  # a code CLDR does not know: "5,00 XYZ"


def percent(value: float | None, digits: int = 0, *, signed: bool = False) -> str:
    """6.5% in English, 6,5 % in French; signed for a lift or an ROI (+30 %)."""
    if value is None:
        return "—"
    from babel import Locale
    from babel.numbers import format_percent

    pattern = Locale.parse(locale()).percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return format_percent(value, pattern, locale=locale())


def date(value: dt.date, form: str = "long") -> str:
    """1 January 2023 / 1 janvier 2023."""
    from babel.dates import format_date

    return format_date(value, form, locale=_DATE_LOCALES[current()])
