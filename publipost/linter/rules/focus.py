"""PP4: talk to me about me (mailing-rules.md §2, §4)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from publipost.linter.document import LintDoc
from publipost.linter.rule import Context, Hit, Rule
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
    message = {
        "en": "the hook does not speak to the reader (no you/your): promise them a benefit",
        "fr": "l'accroche ne parle pas au lecteur (ni vous ni votre) : promettez-lui un bénéfice",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.hook and not reader_words(doc.hook.plain, ctx, doc.language):
            yield Hit.whole(doc.hook)
