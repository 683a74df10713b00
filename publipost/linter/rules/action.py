"""PP1 (continued): what makes the reader act: a call to act that says what and by when, a way
to reply, and proof (mailing-rules.md §3.2, §5–6). Real letters that score well carry all three."""

from __future__ import annotations

import re
from collections.abc import Iterator

from publipost.linter.document import LintDoc, Unit
from publipost.linter.rule import ONCE, Context, Hit, Rule, Weight
from publipost.linter.text import WordList
from publipost.patterns import later

# A phone number (04 72 00 00 00, 1-800-555-0134, +33 4 72…), a web address, an e-mail address.
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d .()-]{7,}\d(?![\w.])")
_ADDRESS = later(r"https?://|www\.|\b[\w-]+\.(?:example|com|fr|org|net|eu|io|co)\b(?:/\S*)?|\S+@\S+\.\w+")
_MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
    "|january|february|march|april|may|june|july|august|september|october|november|december"
)
_DATE = later(
    rf"\b\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}\b|\d{{1,2}}/\d{{1,2}}", re.I
)
_DEADLINE_FIELD = re.compile(r"offer\.deadline")
# A figure that proves is any number but a price, a date or a phone number: 412 clients, 9 out
# of 10, 62 minutes, 60 °C.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_CURRENCY = re.compile(r"\s*(?:€|euros?\b|eur\b|usd\b|dollars?\b|\$|£)", re.I)
_MONTH_AFTER = re.compile(rf"\s*(?:er\s+)?(?:{_MONTHS})\b", re.I)
_MONTH_BEFORE = re.compile(rf"(?:{_MONTHS})$", re.I)  # searched where the spaces before a figure start
_LONGEST_MONTH = max(map(len, _MONTHS.split("|")))
_DIGIT_AFTER = re.compile(r"[/h:]\d")  # 12/03, 9h30, 10:15
# Figures written out count too: « six semaines », "two years". Their first letters looked ahead
# for first, as in wording.py's _CONDITION (27 → 7 µs a paragraph; the same matches).
_NUMBER_WORDS = re.compile(
    r"(?=[cdefhmnoqstv])\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|cent|mille|two|three"
    r"|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|hundred|thousand)\s+[^\W\d_]{3,}",
    re.IGNORECASE,
)
_STRAIGHT_QUOTED = re.compile(r"\"[^\"]{15,}\"")


def _quoted(text: str) -> bool:
    """A customer's words: 15 characters or more between quotes (« », “ ”, " "). Each opening
    quote is measured to the next closing one, found once for all the openings before it: as
    a regular expression, a paragraph of n « and no » took n² steps (600 KB of them, minutes)."""
    for opening, closing in (("«", "»"), ("“", "”")):
        at, close = text.find(opening), -1
        while at >= 0:
            if close < at:
                close = text.find(closing, at + 1)
                if close < 0:
                    break
            if close - at - 1 >= 15:
                return True
            at = text.find(opening, at + 1)
    return bool(_STRAIGHT_QUOTED.search(text))  # a straight quote opens and closes: linear


def _copy(doc: LintDoc) -> list[Unit]:
    return [*doc.body, *doc.ps]


# A verb asks to act where an imperative stands: opening a sentence (after "P.S.", "please",
# « alors »…), or after a colon, a dash, "or", « ou ». "You also get a gift" asks nothing.
_LEAD = re.compile(
    r"(?:^|[.!?:;—–]\s*|\bp\.\s?s\.\s*|\b(?:or|and|ou|et)\s+)"
    r"(?:(?:please|simply|just|so|then|alors|donc|vite|s'il vous plaît|il vous suffit de)\s*,?\s*)?$",
    re.IGNORECASE,
)
_NOW = re.compile(r"(?:\s+\S+)?\s+(?:now|today|maintenant|aujourd'hui|vite)\b", re.IGNORECASE)


def _calls(text: str, verbs: WordList) -> list[str]:
    """The verbs of `text` that ask the reader to act; "VERB!now" when "now" follows them."""
    found = []
    for verb in verbs.find(text):
        window = text[max(0, verb.start - 40) : verb.start]
        if _LEAD.search(window if verb.start <= 40 else "\x00" + window):  # ^: the text's start only
            found.append(verb.text + ("!now" if _NOW.match(text, verb.end) else ""))
    return found


class CallToActVague(Rule):
    """A call to act that does not say what to do, or by when.

    Why: the reader acts when the letter tells them what to do and when; "contact us" with no
    date is put off, then forgotten. Say the act and the deadline in the body or the P.S.
    Example (fr): « N'hésitez pas à nous contacter. » Use instead: « Renvoyez le coupon avant le
    31 décembre. »
    Example (en): "Let us know if you are interested." Use instead: "Call 555-0134 by 15 January."
    """

    code, name, severity, source = "PP111", "call-to-act-vague", "warning", "mailing-rules.md §5–6"
    weight = Weight("structure", 0.75, ONCE)
    message = {
        "en": "the call to act does not say {missing}: tell the reader what to do, and by when",
        "fr": "l'appel à agir ne dit pas {missing} : dites au lecteur quoi faire, et avant quand",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        units = _copy(doc)
        if not units:
            return
        calls = [c for u in units for c in _calls(u.plain, ctx.words("calls-to-act"))]
        what = bool(calls) or bool(doc.links and doc.kind == "email")
        when = any(call.endswith("!now") for call in calls) or any(
            ctx.words("deadlines").find(u.text) or _DATE().search(u.plain) or _DEADLINE_FIELD.search(u.raw)
            for u in units
        )
        missing = [
            part
            for part, present in (
                ({"en": "what to do", "fr": "quoi faire"}, what),
                ({"en": "by when", "fr": "avant quand"}, when),
            )
            if not present
        ]
        if missing:
            anchor = doc.ps[-1] if doc.ps else doc.body[-1] if doc.body else None
            words = {
                language: f" {'and' if language == 'en' else 'ni'} ".join(m[language] for m in missing)
                for language in ("en", "fr")
            }
            yield Hit(anchor, 0, 0, {"missing": words})


class ReplyDeviceMissing(Rule):
    """A campaign letter with no way to reply: no coupon, no phone number, no web or e-mail address.

    Why: a letter that convinces and gives no way to answer loses the reader at the last step.
    The coupon is "the shop's till"; a phone number and an address catch those who will not post it.
    Example: a letter that ends "Visit your local branch."
    Use instead: the campaign's coupon, or « Appelez le 04 72 00 00 00 », or a short web address.
    """

    code, name, severity, source = "PP112", "reply-device-missing", "warning", "mailing-rules.md §6"
    weight = Weight("structure", 0.5, ONCE)
    kinds = ("letter",)
    message = {
        "en": "no way to reply: give a coupon, a phone number or a web address",
        "fr": "aucun moyen de répondre : donnez un coupon, un numéro de téléphone ou une adresse web",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.coupon is None or doc.coupon or doc.links:
            return  # a letter alone does not say what its envelope holds: campaign letters only
        units = [u for u in doc.units if u.role not in ("subject", "preheader")]
        for unit in units:
            if (
                _PHONE.search(unit.raw)
                or _ADDRESS().search(unit.raw)
                or ctx.words("reply-devices").find(unit.text)
            ):
                return
        yield Hit(None)


class ProofMissing(Rule):
    """No proof anywhere: no figure, no guarantee, no testimonial.

    Why: "prove every claim with concrete facts". A figure (412 clients, 9 out of 10, 62
    minutes), a guarantee (satisfait ou remboursé, 60-day refund) or a customer's own words make
    the reader believe the rest. Prices and dates prove nothing.
    Use instead (fr): « Testée l'hiver dernier chez 150 clients : 138 ont baissé leur chauffage. »
    """

    code, name, severity, source = "PP113", "proof-missing", "warning", "mailing-rules.md §3.2"
    weight = Weight("structure", 0.25, ONCE)
    message = {
        "en": "nothing proves the offer: give a figure, a guarantee or a customer's words",
        "fr": "rien ne prouve l'offre : donnez un chiffre, une garantie ou la parole d'un client",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        units = [u for u in doc.units if u.role in ("hook", "body", "ps")]
        if units and not any(proves(unit, ctx) for unit in units):
            yield Hit(None)


def proves(unit: Unit, ctx: Context) -> bool:
    """Whether `unit` holds proof: a figure that is a fact, a guarantee, a customer's words."""
    return bool(
        ctx.words("proof").find(unit.text)
        or _quoted(unit.plain)
        or _NUMBER_WORDS.search(unit.plain)
        or proving_figures(unit.plain)
    )


def proving_figures(text: str) -> int:
    """How many numbers in `text` are facts: not prices, dates or phone numbers."""
    return sum(_proves(text, m) for m in _NUMBER.finditer(_PHONE.sub(" ", text)))


def _proves(text: str, number: re.Match[str]) -> bool:
    """Read around the number where it stands, never copying or searching the text on either
    side of it: that made a paragraph of n figures cost n² (47 KB of them, 32 s)."""
    start, end = number.span()
    price = text[start - 1 : start] in ("$", "£", "€") or _CURRENCY.match(text, end)
    month_end = start  # a month may stand before the figure, spaces between
    while month_end and text[month_end - 1].isspace():
        month_end -= 1
    date = (
        _MONTH_AFTER.match(text, end)
        or _MONTH_BEFORE.search(text, max(0, month_end - _LONGEST_MONTH), month_end)
        or _DIGIT_AFTER.match(text, end)
    )
    return not (price or date)
