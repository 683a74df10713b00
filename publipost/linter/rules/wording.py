"""PP3: the words of the copy: magic words, stock phrases, links, proof, tense (mailing-rules.md §3, §5)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from publipost.linter.document import LintDoc, Unit
from publipost.linter.rule import ONCE, RATE, Context, Hit, Rule, Weight
from publipost.linter.rules.action import proves
from publipost.linter.rules.length import sentence_spans
from publipost.linter.text import WordList, words


class MagicWordsMissing(Rule):
    """None of the magic words anywhere in the copy.

    Why: some words trigger interest. The course lists gratuit, nouveau, découvrir, maintenant,
    cadeau; in English free, new, discover, now, gift (lists extendable in configuration).
    """

    code, name, severity, source = "PP301", "magic-words-missing", "warning", "mailing-rules.md §3.4"
    weight = Weight("style", 0.5, ONCE)
    message = {
        "en": "no magic word anywhere ({examples}): use at least one where it is true",
        "fr": "aucun mot magique ({examples}) : utilisez-en au moins un, là où il est vrai",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        magic = ctx.words("magic-words")
        if not any(magic.find(u.text) for u in [*doc.copy_units, *filter(None, [doc.subject])]):
            examples = {
                "en": "free, new, discover, now, gift",
                "fr": "gratuit, nouveau, découvrir, maintenant, cadeau",
            }
            yield (
                Hit(doc.hook, 0, 0, {"examples": examples})
                if doc.hook
                else Hit(None, args={"examples": examples})
            )


class HookNoMagicWord(Rule):
    """The hook has no magic word.

    Example (fr): « Une couette chaude pour l'hiver. » Use instead: « Découvrez maintenant … »
    Example (en): "A planner for your week." Use instead: "Discover the new planner …"
    """

    code, name, severity, source = "PP302", "hook-no-magic-word", "warning", "mailing-rules.md §4"
    weight = Weight("structure", 0.25, ONCE)
    message = {
        "en": "the hook has no magic word (free, new, discover, now, gift)",
        "fr": "l'accroche n'a aucun mot magique (gratuit, nouveau, découvrir, maintenant, cadeau)",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.hook and not ctx.words("magic-words").find(doc.hook.text):
            yield Hit.whole(doc.hook)


class StockPhrase(Rule):
    """A stereotyped formula.

    Why: formulas the reader has read a thousand times say nothing and sound like a form letter.
    Example (fr): « N'hésitez pas à nous contacter. » Use instead: « Appelez Claire au 04 72 00 00 00. »
    Example (en): "Don't hesitate to contact us." Use instead: "Call Dana on 512 555 0100."
    """

    code, name, severity, source = "PP303", "stock-phrase", "warning", "mailing-rules.md §3 (004)"
    weight = Weight("style", 0.75, RATE)
    kinds = ("letter", "email", "reply")
    message = {
        "en": 'stock phrase "{phrase}": say what the reader can do, concretely',
        "fr": "formule toute faite « {phrase} » : dites concrètement ce que le lecteur peut faire",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        phrases = ctx.words("stock-phrases")
        for unit in doc.units:
            for token in phrases.find(unit.text):
                yield Hit(unit, token.start, token.end, {"phrase": " ".join(token.text.split())})


class ParagraphNotLinked(Rule):
    """Body paragraphs never linked by connecting expressions.

    Why: links ("en effet", "par conséquent", "mais ce n'est pas tout"; "indeed", "as a result",
    "what's more") carry the reader from one paragraph to the next. A paragraph that opens on
    a time that moves the story on or a word that points back (« Aujourd'hui », « Dès
    demain », « Dans cette offre », "Today", "In this webinar", "It") is linked too, and so is
    one whose first sentence points back anywhere ("our advisers will answer them", « ces
    questions »). An e-mail's button is not a paragraph.
    """

    code, name, severity, source = "PP304", "paragraph-not-linked", "warning", "mailing-rules.md §5"
    weight = Weight("style", 0.5, ONCE)
    options = {"min-paragraphs": 3}
    message = {
        "en": '{n} body paragraphs and no link between them: use "indeed", "as a result", "what\'s more" …',
        "fr": "{n} paragraphes sans aucun lien : utilisez « en effet », « par conséquent », « mais ce n'est pas tout » …",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        buttons = {
            id(unit) for unit, start, end in doc.anchors if start == 0 and end >= len(unit.plain.strip())
        }
        paragraphs = [u for u in doc.body if id(u) not in buttons]
        if len(paragraphs) < ctx.options["min-paragraphs"]:
            return
        connectors, openers, pointers = (
            ctx.words("connectors"),
            ctx.words("openers"),
            ctx.words("back-references"),
        )
        if not any(
            connectors.find(u.text) or _opens_with(u.plain, openers) or pointers.find(_first_sentence(u))
            for u in paragraphs[1:]
        ):
            yield Hit(paragraphs[1], 0, 0, {"n": len(paragraphs)})


def _opens_with(text: str, openers: WordList) -> bool:
    found = openers.find(text)
    return bool(found) and not text[: found[0].start].strip(" \t\n*_«\"'")


def _first_sentence(unit: Unit) -> str:
    spans = list(sentence_spans(unit))
    return unit.plain[spans[0][0] : spans[0][1]] if spans else unit.plain


class UnprovenClaim(Rule):
    """A superlative or absolute with no figure or fact in the sentence.

    Why: "prove every claim with concrete facts". "The best planner" convinces nobody; "rated
    4.8/5 by 2,000 users" does. The hook makes its promise and the body proves it: a claim in
    the hook is proven by a figure, a guarantee or a testimonial anywhere in the copy.
    Example (fr): « La meilleure couette du marché. » Use instead: « Garantie 10 ans. »
    """

    code, name, severity, source = "PP305", "unproven-claim", "warning", "mailing-rules.md §3.2"
    weight = Weight("style", 0.5, RATE)
    message = {
        "en": '"{claim}" with no figure or fact in the sentence: prove it',
        "fr": "« {claim} » sans chiffre ni fait dans la phrase : prouvez-le",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        claims = ctx.words("claims")
        closings = ctx.words("closings")
        proven = None  # whether the body or the P.S. proves, asked once and only of a hook that claims
        for unit in doc.copy_units:
            if claims.absent_from(unit.plain):
                continue  # most paragraphs claim nothing: no sentence of theirs is read
            for start, end, _ in sentence_spans(unit):
                sentence = unit.plain[start:end]
                if _DIGIT.search(sentence):
                    continue  # a figure: the claim is proven (and a scan in C, the cheapest test)
                found = claims.find(sentence, start)
                if not found:
                    continue
                if _sign_off(sentence, closings):
                    continue  # "All the best," « Meilleures salutations » : a sign-off, not a claim
                if unit is doc.hook:
                    if proven is None:
                        proven = any(proves(other, ctx) for other in [*doc.body, *doc.ps])
                    if proven:
                        break
                for token in found:
                    yield Hit(unit, token.start, token.end, {"claim": token.text})


# The first letter looked ahead for first: the engine then passes over every other letter in C
# instead of trying each word at each word's start (4.5 → 2.3 µs a sentence; the same matches).
_DIGIT = re.compile(r"\d")
_CONDITION = re.compile(r"(?=[ius])(?:\b(?:if|unless|si)\b|\bs['’]ils?\b)", re.IGNORECASE)


def _condition(sentence: str) -> bool:
    return bool(_CONDITION.search(sentence))


def _sign_off(sentence: str, closings: WordList) -> bool:
    """A sentence that opens with a closing formula and says little more (a name, at most)."""
    found = closings.find(sentence)
    if not found or sentence[: found[0].start].strip(" \t\"'«»—–-"):
        return False
    return len(words(sentence[found[0].end :])) <= 3


class TenseNotPresent(Rule):
    """A sentence in the conditional, or heavy with futures.

    Why: the present indicative and a direct style: "vous dormez mieux", not "vous pourriez
    dormir mieux"; "you save", not "you could save" or "you will be able to save". Not a
    fault: the futures of a conditional sentence ("If you order today, you will receive…",
    « Si vous commandez, vous recevrez… ») and a polite request ("Would you like …?").
    """

    code, name, severity, source = "PP306", "tense-not-present", "info", "mailing-rules.md §3.2"
    weight = Weight("style", 0.25, RATE)
    options = {"max-futures": 1}
    message = {
        "en": '"{words}": write in the present, directly ("you save", not "you could save")',
        "fr": "« {words} » : écrivez au présent, directement (« vous dormez », pas « vous pourriez dormir »)",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        conditionals = ctx.words("conditionals")
        futures = ctx.words("futures")
        endings = tuple(ctx.words("future-endings").words)
        exceptions = ctx.words("future-exceptions")
        for unit in doc.copy_units:
            # A list none of the paragraph holds finds nothing in its sentences: not asked there.
            no_weak, no_future = conditionals.absent_from(unit.plain), futures.absent_from(unit.plain)
            if no_weak and no_future and not endings:
                continue
            for start, end, _ in sentence_spans(unit):
                sentence = unit.plain[start:end]
                weak = [] if no_weak else conditionals.find(sentence, start)
                future = (
                    ([] if no_future else futures.find(sentence, start))
                    + [
                        t
                        for t in (words(sentence, start) if endings else ())  # (English has none)
                        if len(t.text) > 3
                        and t.folded.endswith(endings)
                        and t.text not in exceptions
                        and not t.text[:1].isupper()
                        and not t.lowered.endswith("érons")  # « espérons » is the present of espérer
                    ]
                )
                if _condition(sentence):
                    future = []  # "If you order today, you will receive…": the future a condition calls for
                if sentence.rstrip().endswith("?"):  # "Would you like …?": a polite request
                    weak = [t for t in weak if not re.match(r"\s+you\b", sentence[t.end - start :], re.I)]
                if weak or len(future) > ctx.options["max-futures"]:
                    found = sorted(weak + future, key=lambda t: t.start)
                    yield Hit(unit, start, end, {"words": ", ".join(t.text for t in found)})
