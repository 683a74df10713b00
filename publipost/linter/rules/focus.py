"""PP4: talk to me about me (mailing-rules.md §2, §4)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from publipost.campaigns.profiles import NAMES
from publipost.linter.document import LintDoc
from publipost.linter.rule import ONCE, RATE, Context, Hit, Rule, Weight
from publipost.linter.rules.action import proving_figures
from publipost.linter.text import words

# French addresses the reader with the verb too: « Découvrez », « offrez-vous », « profitez-en ».
_IMPERATIVE_FR = re.compile(
    r"[^\W\d_]{2,}ez(?:-(?:vous|en|y|le|la|les|moi|nous))*|[^\W\d_]+-vous", re.IGNORECASE
)
_NOT_VERBS_FR = {"chez", "assez", "nez", "rez", "lez"}


def reader_words(text: str, ctx: Context, language: str) -> int:
    """How often the text speaks to the reader: you/your, and in French the verbs of the
    second person plural (imperatives included), which say « vous » without the word."""
    found = len(ctx.words("reader-words").find(text))
    if language == "fr":
        previous = ""
        for token in words(text):
            verb = token.text.lower()
            if (
                _IMPERATIVE_FR.fullmatch(verb)
                and verb.split("-")[0] not in _NOT_VERBS_FR
                and previous != "vous"  # « vous dormez » is counted once, by its « vous »
            ):
                found += 1
            previous = verb
    return found


class ReaderFocus(Rule):
    """Writer words outweigh reader words.

    Why: the reader only cares about their own concerns. Count "vous, votre, vos" against
    "nous, notre, je…" ("you, your" against "we, our, I…"): the reader must win.
    Example (fr): « Nous sommes fiers de notre nouvelle couette. » Use instead: « Vous dormez au chaud. »
    """

    code, name, severity, source = "PP401", "reader-focus", "warning", "mailing-rules.md §2"
    weight = Weight("style", 1.0, ONCE)
    message = {
        "en": "{writer} writer words (we, our, I …) for {reader} reader words (you, your): write about the reader",
        "fr": "{writer} mots de l'auteur (nous, notre, je …) pour {reader} du lecteur (vous, votre) : parlez du lecteur",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        units = doc.copy_units
        writer = sum(len(ctx.words("writer-words").find(u.plain)) for u in units)
        reader = sum(reader_words(u.plain, ctx, doc.language) for u in units)
        if writer > reader:
            anchor = doc.body[0] if doc.body else (units[0] if units else None)
            yield Hit(anchor, 0, 0, {"writer": writer, "reader": reader})


class HookNoBenefit(Rule):
    """The hook does not speak to the reader.

    Why: the hook holds a promise, a benefit for the reader: it says vous/votre (you/your), or,
    in French, speaks to them with the verb (« Découvrez … », « Offrez-vous … »).
    Example (en): "Our new planner is here." Use instead: "Discover the planner that plans your week."
    """

    code, name, severity, source = "PP402", "hook-no-benefit", "warning", "mailing-rules.md §4"
    weight = Weight("structure", 0.5, ONCE)
    message = {
        "en": "the hook does not speak to the reader (no you/your): promise them a benefit",
        "fr": "l'accroche ne parle pas au lecteur (ni vous ni votre) : promettez-lui un bénéfice",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.hook and not reader_words(doc.hook.plain, ctx, doc.language):
            yield Hit.whole(doc.hook)


class FeatureNotBenefit(Rule):
    """A paragraph that lists the product's features and never says what they do for the reader.

    Why: the course's « caractéristiques → avantages »: the reader buys what a feature does for
    them, not the feature. "It is made of recycled down" is a feature; "you sleep warm all
    night" is its benefit. Say both, in the same paragraph.
    Example (fr): « La couette est garnie de duvet recyclé et dispose d'un traitement anti-acarien. »
    Use instead: « Garnie de duvet recyclé, elle vous garde au chaud toute la nuit. »
    """

    code, name, severity, source = "PP403", "feature-not-benefit", "warning", "mailing-rules.md §2–3"
    weight = Weight("style", 0.5, RATE)
    message = {
        "en": '"{feature}": a feature; say what it does for the reader (you sleep, you save…)',
        "fr": "« {feature} » : une caractéristique ; dites ce qu'elle apporte au lecteur (vous dormez, vous gagnez…)",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        features = ctx.words("features")
        for unit in doc.body:
            found = features.find(unit.plain)
            if found and not reader_words(unit.plain, ctx, doc.language):
                start, end = found[0].start, found[0].end
                elided = re.match(r"['’][^\W\d_]+", unit.plain[end:])  # « dispose d'un »: into "un"
                end += elided.end() if elided else 0
                yield Hit(unit, start, end, {"feature": unit.plain[start:end]})


class ToneForProfile(Rule):
    """Tone hints for the social profile a campaign or one of its variants targets (`profile:`).

    Why: mailing-rules.md §8: an analytical reader wants facts, figures and no drama; a driver
    wants it short, and options to choose from; an amiable reader wants warmth, a guarantee and
    no pressure; an expressive reader wants enthusiasm, not a wall of figures. Only where the
    campaign names a profile, and as advice (info): the profile is a guess about the reader.
    """

    code, name, severity, source = "PP404", "tone-for-profile", "info", "mailing-rules.md §8"
    weight = None  # advice for one reader profile, not a flaw of the copy: not scored
    options = {"driver-max-words": 200, "expressive-max-figures": 4}
    message = {
        "en": "for a reader of the {profile} profile: {advice}",
        "fr": "pour un lecteur de profil {profile} : {advice}",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.profile not in NAMES:
            return
        units = [u for u in doc.units if u.role in ("hook", "body", "ps")]
        if not units:
            return
        text = "\n".join(u.plain for u in units)
        figures = len(re.findall(r"\d+(?:[.,]\d+)?", text))
        words = sum(len(u.plain.split()) for u in units)
        profile = NAMES[doc.profile]
        for advice in _advice(doc.profile, text, figures, words, ctx):
            yield Hit(None, args={"profile": profile, "advice": advice})


def _advice(profile: str, text: str, figures: int, words: int, ctx: Context) -> Iterator[dict[str, str]]:
    if profile == "analytical":
        if not proving_figures(text):
            yield {
                "en": "give facts and figures, step by step",
                "fr": "donnez des faits et des chiffres, étape par étape",
            }
        if "!" in text or ctx.words("drama").find(text):
            drama = {
                "en": "no drama: drop the exclamations and the big words",
                "fr": "pas de drame : ôtez les exclamations et les grands mots",
            }
            yield drama
    elif profile == "driver":
        if words > ctx.options["driver-max-words"]:
            yield {
                "en": f"{words} words: be concise, in logical order",
                "fr": f"{words} mots : soyez concis, dans un ordre logique",
            }
        if not ctx.words("options").find(text):
            yield {
                "en": "offer options and let them choose",
                "fr": "proposez des options et laissez-le choisir",
            }
    elif profile == "amiable":
        if ctx.words("pressure").find(text):
            yield {"en": "no pressure: drop the urgency", "fr": "pas de pression : ôtez l'urgence"}
        if not ctx.words("proof").find(text):
            yield {
                "en": "reassure: give the strongest guarantee you can",
                "fr": "rassurez : donnez la meilleure garantie possible",
            }
    elif profile == "expressive" and figures > ctx.options["expressive-max-figures"]:
        yield {
            "en": f"{figures} figures: few details, more enthusiasm",
            "fr": f"{figures} chiffres : peu de détails, plus d'enthousiasme",
        }
