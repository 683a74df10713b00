"""The one Jinja2 environment every piece of copy is compiled in.

Sandboxed with StrictUndefined: a campaign file is code from a marketer, customer
data is data. Values are escaped for the Markdown the copy is written in, so a
customer named `**Bob**` or `{{ 7*7 }}` prints exactly that, and each renderer
(text, PDF, HTML) escapes again for its own format.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from publipost.campaigns.names import COUPLE, gender, title
from publipost.templates.markdown import escape_markdown
from publipost.templates.sandbox import BoundedEnvironment

LOCALES = {"fr": "fr_FR", "en": "en_GB"}
# English money reads as its home country writes it: $34.00 in the US, not US$34.00.
ENGLISH_MONEY = {"USD": "en_US", "CAD": "en_CA", "AUD": "en_AU", "NZD": "en_NZ"}


def labelled(label: str, value: str, language: str) -> str:
    """'Label: value', in French with the no-break space before the colon (« Se désabonner : »)."""
    return f"{label}\u00a0: {value}" if language == "fr" else f"{label}: {value}"


def money_locale(language: str, currency: str) -> str:
    return ENGLISH_MONEY.get(currency, "en_GB") if language == "en" else LOCALES[language]


class DateValue(str):
    """A date a DataFrame gave (its text: 2026-10-01, what filters and tests read); shown in
    the copy's language ("1 octobre 2026") when merged as it is."""


class NumberValue(str):
    """A number with decimals a DataFrame gave (its text: 120.5); shown "120,5" in French."""


def shown(value: object, language: str) -> object:
    """What a merged value prints as: a DataFrame's dates and decimals in the copy's language."""
    if isinstance(value, DateValue) and value:
        return long_date(value, LOCALES[language])
    if isinstance(value, NumberValue) and value:
        from babel.numbers import format_decimal

        return format_decimal(to_decimal(value), locale=LOCALES[language])
    return value


def make_environment(language: str, currency: str = "EUR", *, markdown: bool = True) -> SandboxedEnvironment:
    """The copy's environment. Copy is Markdown, so values are escaped for it; a subject or a
    preheader is plain text, where an escape would print (`markdown=False`)."""
    escape = escape_markdown if markdown else _plain
    env = BoundedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=lambda value: escape(shown(value, language)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    locale = LOCALES[language]
    env.filters["money"] = lambda value, code=currency: money(value, code, money_locale(language, code))
    env.filters["date"] = lambda value, pattern="d MMMM y": long_date(value, locale, pattern)
    return env


def _plain(value: object) -> str:
    return "" if value is None else str(value)


def compile_template(env: SandboxedEnvironment, source: Any) -> Template:
    """`env.from_string`, with the template's globals in a plain dict.

    Jinja chains a template's globals and its environment's in a ChainMap, which every
    render copies key by key: a quarter of the time of a short template's render, paid
    for every recipient. Copied once here, they are copied at C speed afterwards.
    """
    template = env.from_string(source)
    template.globals = dict(template.globals)
    return template


@lru_cache(maxsize=4096)  # the offer's price, formatted once, not once per recipient
def money(value: Any, currency: str, locale: str) -> str:
    """49.9 → '49,90 €' (fr) or '€49.90' (en)."""
    from babel.numbers import format_currency

    return format_currency(to_decimal(value), currency, locale=locale)


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    text = text.strip("€$£")
    if "," in text and "." in text:  # 1.234,56 or 1,234.56: the last mark is the decimal one
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"'{value}' is not an amount") from None


def long_date(value: Any, locale: str, pattern: str = "d MMMM y") -> str:
    """2026-11-22 → '22 novembre 2026' (fr) or '22 November 2026' (en)."""
    from babel.dates import format_date

    return format_date(to_date(value), pattern, locale=locale)


def to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{value}' is not a date (use 2026-11-22 or 22/11/2026)")


# --- salutation --------------------------------------------------------------------------------


def salutation(
    fields: dict[str, str],
    language: str,
    style: str = "formal",
    fallback: str | None = None,
    *,
    first_names: bool = True,
) -> str:
    """A personal greeting from the civility column, with a polite fallback.

    mailing-rules.md §2: use the customer's name. formal: "Chère Madame Dupont," or "Madame,"
    from the civility; without one, the first name when `first_names` (e-mails: "Bonjour Léa,")
    and then `fallback` ("Madame, Monsieur,"; an e-mail says "Dear customer,": SpamAssassin
    penalises the impersonal "Dear Sir or Madam"). familiar: the first name whenever known.
    """
    civility = fields.get("civility", "")
    last = fields.get("last_name", "").strip()
    first = fields.get("first_name", "").strip()
    who = gender(civility)
    if who == COUPLE:  # « M. et Mme » / "Mr and Mrs": both greeted
        if language == "fr":
            return "Madame, Monsieur,"
        return f"Dear Mr and Mrs {last}," if last else "Dear Sir and Madam,"
    if style == "familiar" and first:
        return f"Bonjour {first}," if language == "fr" else f"Dear {first},"
    if language == "fr":
        if who and last:
            return "Cher Monsieur " + last + "," if who == "m" else "Chère Madame " + last + ","
        if who:
            return "Monsieur," if who == "m" else "Madame,"
        if first and first_names and fallback is None:
            return f"Bonjour {first},"
        return fallback or "Madame, Monsieur,"
    name = title(civility, "en")
    if name and last:
        return f"Dear {name} {last},"
    if first and first_names and fallback is None:
        return f"Dear {first},"
    return fallback or ("Dear customer," if first_names else "Dear Sir or Madam,")


@lru_cache(maxsize=64)  # one date line a campaign, not one babel call per recipient
def date_line(place: str | None, when: dt.date, language: str) -> str:
    """'Lyon, le 22 novembre 2026' / 'London, 22 November 2026' (mailing-rules.md §5)."""
    day = long_date(when, LOCALES[language])
    if language == "fr":
        return f"{place}, le {day}" if place else f"Le {day}"
    return f"{place}, {day}" if place else day
