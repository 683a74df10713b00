"""PP7: replies to complaints (mailing-rules.md §7), for letters of `kind: complaint-reply`.

A reply is not a sales letter: it refers to the customer's letter, restates the problem,
apologises without minimising, thanks, says what will be done, ends on the customer's
importance and is signed by a person. The sales rules (hook, magic words, P.S. selling the
offer) are off for this kind; the style rules (sentences, paragraphs, readability) stay on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from publipost.linter.document import LintDoc, Unit
from publipost.linter.rule import ONCE, RATE, Context, Hit, Rule, Weight
from publipost.linter.text import words
from publipost.patterns import later

SOURCE = "mailing-rules.md §7 (003)"
# A date or a reference written out: "du 12 novembre", "of 12 November", "12/11/2026", "réf. A-1234".
_DATED = later(
    r"\b(du|of|on|dated)\s+\d{1,2}(er)?\s+\w+|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b(réf|ref|référence|reference)\b",
    re.IGNORECASE,
)
_FIELD = later(r"\{\{\s*(reference|ref|received|complaint_date|date_received)\b")


def _found(doc: LintDoc, ctx: Context, name: str, units: list[Unit] | None = None) -> bool:
    listed = ctx.words(name)
    return any(listed.find(unit.text) for unit in (doc.units if units is None else units))


class _Missing(Rule):
    """A reply in which none of the word list `wanted` appears."""

    wanted: ClassVar[str]
    kinds = ("reply",)

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if not _found(doc, ctx, self.wanted):
            yield Hit(None)


class ReplyNoReference(Rule):
    """The reply never refers to the customer's letter.

    Why: a reply that names the customer's letter (its date, its reference) shows it was read;
    a reply that could go to anyone is an acknowledgement of receipt, which the course forbids.
    Example (fr): « Nous avons bien reçu votre réclamation. »
    Use instead: « Dans votre courrier du 12 novembre (réf. R-2291), vous nous signalez… »
    Example (en): "We have received your complaint."
    Use instead: "In your letter of 12 November (ref. R-2291), you tell us…"
    """

    code, name, severity, source = "PP701", "reply-no-reference", "warning", SOURCE
    weight = Weight("structure", 0.75, ONCE)
    kinds = ("reply",)
    message = {
        "en": "the reply does not refer to the customer's letter: name it, with its date or reference",
        "fr": "la réponse ne cite pas le courrier du client : nommez-le, avec sa date ou sa référence",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if any(_FIELD().search(unit.raw) for unit in doc.units):
            return
        text = " ".join(unit.text for unit in doc.units)
        if not (_found(doc, ctx, "reply-reference") and _DATED().search(text)):
            yield Hit(None)


class ReplyBareAcknowledgement(Rule):
    """A reply too short to restate the problem and answer it.

    Why: the course asks a reply to restate and analyse the problem, then answer on substance;
    two lines of acknowledgement do neither.
    """

    code, name, severity, source = "PP702", "reply-bare-acknowledgement", "warning", SOURCE
    weight = Weight("structure", 0.75, ONCE)
    kinds = ("reply",)
    options = {"min-words": 60}
    message = {
        "en": "{n} words: restate the problem and say what you will do, not only that you received it",
        "fr": "{n} mots : reformulez le problème et dites ce que vous ferez, pas seulement que vous l'avez reçu",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        count = sum(len(words(unit.text)) for unit in doc.body)
        if count < ctx.options["min-words"]:
            yield Hit(None, args={"n": count})


class ReplyNoApology(Rule):
    """The reply never apologises.

    Why: the customer was let down; say you are sorry, plainly, before anything else, and for
    what you did. "Sorry you feel that way" or « désolés si vous avez été gênée » is no apology
    (PP709): it does not count here.
    Example (fr): « Nous vous prions de nous excuser pour ce retard. »
    Example (en): "We are sorry for the delay."
    """

    code, name, severity, source = "PP703", "reply-no-apology", "warning", SOURCE
    weight = Weight("structure", 0.75, ONCE)
    kinds = ("reply",)

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        apologies, non = ctx.words("reply-apology"), ctx.words("reply-non-apology")
        for unit in doc.units:
            # an apology word inside a non-apology, or just before one (« désolés | que vous ayez
            # eu l'impression »), is part of it
            hedged = [(t.start, t.end) for t in non.find(unit.text)]
            if any(all(t.end + 4 <= a or t.start >= b for a, b in hedged) for t in apologies.find(unit.text)):
                return
        yield Hit(None)

    message = {
        "en": 'the reply never apologises: "We are sorry for…"',
        "fr": "la réponse ne présente pas d'excuses : « Nous vous prions de nous excuser pour… »",
    }


class ReplyMinimises(Rule):
    """Words that minimise the customer's trouble.

    Why: « malgré tout », « un simple retard », "unfortunately you felt" tell the customer their
    complaint is smaller than they think: it makes it bigger.
    Example (fr): « Ce simple retard n'a malgré tout pas de conséquence. »
    Use instead: « Ce retard vous a privé de votre couette pendant une semaine. »
    Example (en): "Unfortunately you felt the delay was an issue." Use instead: "The delay left you…"
    """

    code, name, severity, source = "PP704", "reply-minimises", "warning", SOURCE
    weight = Weight("style", 0.75, RATE)
    kinds = ("reply",)
    message = {
        "en": '"{phrase}" minimises the customer\'s trouble: state it as they lived it',
        "fr": "« {phrase} » minimise le problème du client : décrivez-le tel qu'il l'a vécu",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        listed = ctx.words("reply-minimising")
        for unit in doc.copy_units:
            for token in listed.find(unit.text):
                yield Hit(unit, token.start, token.end, {"phrase": " ".join(token.text.split())})


class ReplyNonApology(Rule):
    """A non-apology: sorry for the customer's feelings, sorry if, or the fault put on fate or others.

    Why: an apology takes responsibility for what was done. "We are sorry you feel that way"
    apologises for the customer's feelings, "sorry if you were offended" doubts there was harm,
    "unfortunately, delays happen", « indépendant de notre volonté », « pas de notre ressort »
    put the fault on fate or someone else, "mistakes were made" on nobody (Lazare, On Apology,
    2004; Fried, "How to say you're sorry", 2016). The customer reads it as no apology at all,
    and a reply holding one cannot score "strong".
    Example (fr): « Nous sommes désolés que vous ayez eu l'impression d'être mal servie. »
    Use instead: « Nous vous prions de nous excuser : nous avons mal préparé votre commande. »
    Example (en): "We are sorry if you were offended." Use instead: "We apologize: our answer was rude."
    """

    # An error: the reply fails its first duty (the print and send gates hold that reply back).
    code, name, severity, source = "PP709", "reply-non-apology", "error", SOURCE
    # A non-apology caps the score below "strong" (4): the reply fails its first duty.
    weight = Weight("structure", 1.0, ONCE, cap=3.4)
    kinds = ("reply",)
    message = {
        "en": '"{phrase}" is not an apology: it puts the fault on the customer\'s feelings, on chance or on others; '
        "say what you did and that you are sorry for it",
        "fr": "« {phrase} » n'est pas une excuse : elle renvoie la faute sur le ressenti du client, le sort ou "
        "un tiers ; dites ce que vous avez fait, et excusez-vous-en",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        listed = ctx.words("reply-non-apology")
        for unit in doc.copy_units:
            for token in listed.find(unit.text):
                yield Hit(unit, token.start, token.end, {"phrase": " ".join(token.text.split())})


class ReplyNoThanks(_Missing):
    """The reply never thanks the customer for writing.

    Why: a customer who complains gives the company a chance to keep them; thank them for it.
    """

    code, name, severity, source = "PP705", "reply-no-thanks", "warning", SOURCE
    weight = Weight("structure", 0.5, ONCE)
    wanted = "reply-thanks"
    message = {
        "en": 'the reply never thanks the customer: "Thank you for letting us know."',
        "fr": "la réponse ne remercie pas le client : « Merci de nous avoir écrit. »",
    }


class ReplyNoAction(_Missing):
    """The reply says no corrective action.

    Why: the customer wants to know what happens now: the replacement, the refund, the measure
    taken so it does not happen again, possibly a commercial gesture.
    Example (fr): « Nous vous envoyons une nouvelle couette dès demain. »
    Example (en): "We will send you a new planner tomorrow."
    """

    code, name, severity, source = "PP706", "reply-no-action", "warning", SOURCE
    weight = Weight("structure", 1.0, ONCE)
    wanted = "reply-action"
    message = {
        "en": 'the reply says nothing of what you will do: "We will replace…", "We have changed…"',
        "fr": "la réponse ne dit pas ce que vous ferez : « Nous allons remplacer… », « Nous avons pris… »",
    }


class ReplyNoImportance(Rule):
    """The reply does not end on the customer's importance.

    Why: the last paragraph is what stays: remind the customer they matter (their loyalty,
    their trust), not the company's procedures.
    """

    code, name, severity, source = "PP707", "reply-no-importance", "warning", SOURCE
    weight = Weight("structure", 0.5, ONCE)
    kinds = ("reply",)
    message = {
        "en": "the reply does not end on the customer's importance: their loyalty, their trust",
        "fr": "la réponse ne se termine pas sur l'importance du client : sa fidélité, sa confiance",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        closing = [*doc.body[-2:], *doc.ps]
        if closing and not _found(doc, ctx, "reply-importance", closing):
            yield Hit(closing[-1], 0, 0)


class ReplySells(Rule):
    """A sales hook, a selling P.S. or sales words in a reply to a complaint.

    Why: an unhappy customer reads a sales pitch as proof that nobody listened. Sell later,
    once the problem is solved.
    """

    # An error: selling to a customer who complains proves nobody listened (the gates hold it back).
    code, name, severity, source = "PP708", "reply-sells", "error", SOURCE
    weight = Weight("structure", 1.0, ONCE)
    kinds = ("reply",)
    message = {
        "en": "{what} in a reply to a complaint: solve the problem first, sell later",
        "fr": "{what} dans une réponse à une réclamation : réglez d'abord le problème, vendez plus tard",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.hook is not None:
            yield Hit.whole(doc.hook, what={"en": "a sales hook", "fr": "une accroche commerciale"})
        listed = ctx.words("reply-selling")
        for unit in [*doc.body, *doc.ps]:
            for token in listed.find(unit.text):
                what = {"en": f'"{token.text}"', "fr": f"« {token.text} »"}
                yield Hit(unit, token.start, token.end, {"what": what})
