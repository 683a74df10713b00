"""PP5: readability measured per paragraph (lint-conventions.md §6)."""

from __future__ import annotations

from collections.abc import Iterator

from publipost.linter.document import LintDoc
from publipost.linter.reading_ease import reading_ease
from publipost.linter.rule import READING_EASE, Context, Hit, Rule, Weight


class ReadabilityLow(Rule):
    """A paragraph whose reading ease is below the threshold (default 60, "plain English").

    Why: Flesch reading ease (Kandel–Moles constants in French) sums up long sentences and long
    words. It is a coarse signal, reported per paragraph with its span: shorten the sentences
    and prefer short words there.
    """

    code, name, severity, source = "PP501", "readability-low", "info", "lint-conventions.md §6"
    weight = Weight("readability", 5.0, READING_EASE)  # the whole readability dimension
    kinds = ("letter", "email", "reply")
    options = {"min-score": 60, "min-words": 12}
    message = {
        "en": "reading ease {score:.0f} (target {min}+): shorter sentences, shorter words",
        "fr": "lisibilité {score:.0f} (cible {min} et plus) : phrases plus courtes, mots plus courts",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        for unit in doc.body:
            if unit.word_count < ctx.options["min-words"]:
                continue
            score = reading_ease(" ".join(unit.plain.split()), doc.language)
            if score < ctx.options["min-score"]:
                yield Hit.whole(unit, score=score, min=ctx.options["min-score"])
