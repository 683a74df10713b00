"""PP1: the elements a sales letter carries (mailing-rules.md §4–5)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from publipost.linter.document import LintDoc
from publipost.linter.rule import ONCE, Context, Hit, Rule, Weight
from publipost.linter.text import fold
from publipost.patterns import later

# A greeting is generic when nothing is left once its courtesy words are taken out: « Chère
# Madame, », « Chère amie, cher ami, », "Dear Colleague:", "Dear Reader:", « Messieurs, ».
_GREETING_WORDS = later(
    r"\b(?:dear|my|hello|hi|hey|greetings|good (?:morning|afternoon|evening)|to whom it may concern"
    r"|sirs?|madam|ladies|gentlemen|customers?|clients?|friends?|readers?|colleagues?|members?|valued"
    r"|supporters?|donors?|neighbou?rs?|subscribers?|all|everyone|or|and|chers?|cheres?|madame|monsieur"
    r"|mesdames|messieurs|mademoiselle|amie?s?|clientes?|collegues?|membres?|donatrices?|donateurs?"
    r"|abonnee?s?|voisine?s?|adherente?s?|lectrices?|lecteurs?|tous|toutes|et|ou|bonjour|bonsoir|salut)\b"
)


def generic_greeting(greeting: str) -> bool:
    return not re.sub(r"[\W_]+", "", _GREETING_WORDS().sub("", fold(greeting.strip())))


class HookMissing(Rule):
    """The copy has no hook before the salutation.

    Why: after the reader's name, the hook is the most-read sentence of a mailing. It promises
    a benefit and makes the reader want to read on; set apart and in bold, it is seen first.
    Example (fr): a letter that opens on « Madame, Monsieur, ».
    Use instead: « **Découvrez maintenant la couette qui vous garde au chaud** » above the salutation.
    Example (en): a letter that opens on "Dear customer,".
    Use instead: "**Discover the planner that plans your week with you**" above the salutation.
    """

    code, name, severity, source = "PP101", "hook-missing", "error", "mailing-rules.md §4"
    weight = Weight("structure", 1.5, ONCE)
    message = {
        "en": "no hook before the salutation: open with a bold line that promises the reader a benefit",
        "fr": "pas d'accroche avant la formule d'appel : ouvrez sur une ligne en gras qui promet un bénéfice",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.hook is None:
            yield Hit(None)


class DatePlaceMissing(Rule):
    """A campaign letter has no place for its date line.

    Why: a sales letter carries its place and date ("Lyon, le 22 novembre 2026"): it is a
    letter from a person somewhere, not a leaflet.
    Example: a campaign whose sender has no `place`.
    Use instead: `sender: {place: Lyon}` (fr: « Lyon, le 22 novembre 2026 »; en: "London, 22 November 2026").
    """

    code, name, severity, source = "PP102", "date-place-missing", "warning", "mailing-rules.md §5.2"
    weight = Weight("structure", 0.25, ONCE)
    kinds = ("letter", "reply")
    message = {
        "en": 'the letter has no place for its date line: add sender.place ("London, 22 November 2026")',
        "fr": "la lettre n'a pas de lieu pour sa date : ajoutez sender.place (« Lyon, le 22 novembre 2026 »)",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.place is False:
            yield Hit(None)


# A signature whose first line is a team, a department or the company itself: no person signs.
_NOT_A_PERSON = re.compile(
    r"^(?:the|le|la|les|l')\b|\b(?:team|committee|department|staff|management|services?|equipe|comite|direction"
    r"|departement)\b"
)


class SignatureMissing(Rule):
    """No signatory name and function (an error with no person signing; a warning for the function alone).

    Why: readers look at the signature right after their own name: a person, with a function,
    signs a sales letter; a company does not.
    Example (fr): a letter ending on « L'équipe Literie Martin ».
    Use instead: « Claire Martin » then « Directrice commerciale » (or the campaign's sender).
    Example (en): a letter ending on "The Planora team". Use instead: "Dana Brooks" / "Founder, Planora".
    """

    code, name, severity, source = "PP103", "signature-missing", "error", "mailing-rules.md §5.7"
    weight = Weight("structure", 1.5, ONCE)
    kinds = ("letter", "email", "reply")
    message = {
        "en": "the signatory's {missing} is missing: end with the name, then the function, of the person who signs",
        "fr": "il manque {missing} du signataire : terminez par le nom, puis la fonction, de la personne qui signe",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if not doc.signer or _NOT_A_PERSON.search(fold(doc.signer[0])):
            args = {"missing": {"en": "name and function", "fr": "le nom et la fonction"}}
            unit = doc.signature
            yield Hit.whole(unit, **args) if unit and doc.signer else Hit(None, args=args)
        elif len(doc.signer) < 2:
            # A person signs: the function missing weakens the letter, it is no unsigned letter.
            unit = doc.signature
            args = {"missing": {"en": "function", "fr": "la fonction"}}
            if unit:
                yield Hit(unit, 0, len(unit.raw), args, severity="warning")
            else:
                yield Hit(None, args=args, severity="warning")


class PsMissing(Rule):
    """No post-scriptum.

    Why: eye-camera studies show the PS is read before the body, right after the signature.
    A sales letter that has none wastes its second most-read place. (Ordinary correspondence
    avoids a PS: ignore this rule for it.)
    Use instead (fr): « P.S. Répondez avant le 31 décembre : votre cadeau vous attend. »
    Use instead (en): "P.S. Order by 15 January and your gift ships free."
    """

    code, name, severity, source = "PP104", "ps-missing", "warning", "mailing-rules.md §5.8"
    weight = Weight("structure", 0.75, ONCE)
    message = {
        "en": "no P.S.: the post-scriptum is read before the body; restate the offer or call to act there",
        "fr": "pas de P.S. : le post-scriptum est lu avant le corps ; rappelez-y l'offre ou appelez à agir",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if not doc.ps:
            yield Hit(None)


class PsWeak(Rule):
    """A PS that neither restates the offer or its benefit nor calls to act.

    Why: the PS is read before the body; "P.S. Have a nice day" spends it on nothing.
    It should carry a magic word, a figure (price, date), the offer, or a verb that asks to act.
    Example (fr): « P.S. Bonne journée à vous. » Use instead: « P.S. Répondez avant le 31 décembre. »
    Example (en): "P.S. Thanks for reading." Use instead: "P.S. Order now: your gift ships free."
    """

    code, name, severity, source = "PP105", "ps-weak", "warning", "mailing-rules.md §5.8"
    weight = Weight("structure", 0.25, ONCE)
    message = {
        "en": "this P.S. neither restates the offer nor calls to act",
        "fr": "ce P.S. ne rappelle pas l'offre et n'appelle pas à agir",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        offer_words = {
            fold(w)
            for value in (doc.offer or {}).values()
            if isinstance(value, str)
            for w in re.findall(r"\w{4,}", value)
        }
        for unit in doc.ps:
            text = unit.raw
            strong = (
                ctx.words("magic-words").find(unit.text)
                or ctx.words("calls-to-act").find(unit.text)
                or re.search(r"\d|\{\{-?\s*offer\.", text)
                or offer_words & {fold(w) for w in re.findall(r"\w{4,}", text)}
            )
            if not strong:
                yield Hit.whole(unit)


class EmphasisMissing(Rule):
    """No bold or underline in the body.

    Why: emphasis makes focal points: a skimming reader catches the key benefit. Write
    `**bold**` or `__underline__` in the Markdown (bold or underline tags in HTML).
    """

    code, name, severity, source = "PP106", "emphasis-missing", "warning", "mailing-rules.md §5.6"
    weight = Weight("structure", 0.25, ONCE)
    message = {
        "en": "no bold or underline in the body: mark the key benefit with **bold** or __underline__",
        "fr": "ni gras ni souligné dans le corps : signalez le bénéfice clé en **gras** ou __souligné__",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if not doc.body:
            return
        emphasised = (
            doc.emphasis
            if doc.emphasis is not None
            else any("**" in u.raw or "__" in u.raw for u in doc.body)
        )
        if not emphasised:
            yield Hit(doc.body[0], 0, 0)


class PersonalizationMissing(Rule):
    """The copy never uses a recipient field and greets the reader generically.

    Why: "talk to me about me": the reader's own name, spelled right, is what they read first.
    Example (fr): « Madame, Monsieur, » with no field. Use instead: « {{ salutation }} » or
    « Chère {{ first_name }}, ».
    Example (en): "Dear customer," with no field. Use instead: "Dear {{ first_name }},".
    """

    code, name, severity, source = "PP107", "personalization-missing", "warning", "mailing-rules.md §2"
    weight = Weight("structure", 0.5, ONCE)
    message = {
        "en": "the copy never uses the recipient's name: greet with a merge field such as {{{{ first_name }}}}",
        "fr": "le texte n'utilise jamais le nom du destinataire : saluez avec un champ comme {{{{ salutation }}}}",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.personalised:
            return
        greeting = doc.salutation
        if greeting is None or generic_greeting(greeting.raw):
            yield Hit.whole(greeting) if greeting else Hit(None)


class OfferNotInCopy(Rule):
    """The campaign's product, price or gift never appears in the copy.

    Why: the offer (what, at what price, with what gift) is 40 % of a mailing's success; a
    letter that never names it sells nothing. Write the value or its field: {{ offer.product }},
    {{ offer.price | money }}, {{ offer.gift }}.
    """

    code, name, severity, source = "PP108", "offer-not-in-copy", "warning", "mailing-rules.md §1.1"
    weight = Weight("structure", 0.5, ONCE)
    message = {
        "en": "the offer's {missing} never appears in the copy: name it, e.g. {example}",
        "fr": "{missing} de l'offre n'apparaît jamais dans le texte : citez-le, par exemple {example}",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if not doc.offer:
            return
        text = fold(doc.offer_text)
        missing = []
        for key in ("product", "price", "gift"):
            value = doc.offer.get(key)
            if value in (None, ""):
                continue
            if f"offer.{key}" in doc.offer_text:
                continue
            if key == "price":
                number = f"{value:f}".rstrip("0").rstrip(".") if hasattr(value, "as_tuple") else str(value)
                if number.split(".")[0] in text:
                    continue
            elif fold(str(value)) in text:
                continue
            missing.append(key)
        if missing:
            names = {
                "en": {"product": "product", "price": "price", "gift": "gift"},
                "fr": {"product": "le produit", "price": "le prix", "gift": "le cadeau"},
            }
            yield Hit(
                None,
                args={
                    "missing": {lang: ", ".join(names[lang][k] for k in missing) for lang in ("en", "fr")},
                    "example": "{{ offer."
                    + missing[0]
                    + (" | money" if missing[0] == "price" else "")
                    + " }}",
                },
            )


_LINK_START = re.compile(r"\[[^\[\]\n]*\]\(")


def _find(text: str, sign: str, start: int) -> int:
    """Where `sign` next stands from `start`, or the text's end."""
    at = text.find(sign, start)
    return len(text) if at < 0 else at


_BOLD = re.compile(r"(?<!\\)\*\*")


class MarkdownLiteral(Rule):
    """Markdown that would print as typed: a link never closed, bold never closed.

    Why: `[our offer](https://…` without its closing parenthesis, or `**` without its pair,
    prints the marks themselves in the letter and the e-mail: the reader sees code.
    """

    code, name, severity, source = "PP109", "markdown-literal", "error", "design.md (letter Markdown)"
    weight = Weight("structure", 1.0, ONCE)
    kinds = ("letter", "email", "reply")
    message = {
        "en": "{what} would print as typed: close it",
        "fr": "{what} s'imprimerait tel quel : fermez-le",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        for unit in doc.units:
            text = unit.text
            close = line_end = -1  # the next ")" and the next line break: found once, not per link
            for match in _LINK_START.finditer(text):
                if close < match.end():
                    close = _find(text, ")", match.end())
                if line_end < match.end():
                    line_end = _find(text, "\n", match.end())
                if close >= line_end:  # no ")" on the link's line (neither found: both the end)
                    what = {
                        "en": "a link with no closing parenthesis",
                        "fr": "un lien sans parenthèse fermante",
                    }
                    yield Hit(unit, match.start(), match.end(), {"what": what})
            marks = list(_BOLD.finditer(text))
            if len(marks) % 2:
                last = marks[-1]
                what = {"en": "a '**' without its pair", "fr": "un « ** » sans son pendant"}
                yield Hit(unit, last.start(), last.end(), {"what": what})


class LegalMentionsMissing(Rule):
    """A French sale campaign whose sender gives no legal mentions.

    Why: a French business letter states who the company is (Code de commerce R123-237: name,
    legal form, capital, RCS and its city, registered office), and a commercial e-mail
    identifies its sender (LCEN art. 20). Give them in `sender.legal`: they print in the footer.
    """

    code, name, severity, source = "PP110", "legal-mentions-missing", "warning", "norms.md §5"
    weight = Weight("structure", 0.25, ONCE)
    kinds = ("letter", "email")
    message = {
        "en": "no legal mentions (sender.legal): a French business letter states its company's identity",
        "fr": "pas de mentions légales (sender.legal) : forme, capital, RCS et siège de la société, en pied de page",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.legal is False and doc.language == "fr" and doc.objective in ("sale", "launch"):
            yield Hit(None)
