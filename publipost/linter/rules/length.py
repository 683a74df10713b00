"""PP2: short sentences, short paragraphs, no chained clauses (mailing-rules.md §3.1, §5)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from publipost.linter.document import LintDoc, Unit
from publipost.linter.rule import ONCE, RATE, Context, Hit, Rule, Weight
from publipost.linter.text import Token, words
from publipost.templates.layout import printed_lines
from publipost.templates.markdown import jinja_spans, replace_spans

# A merge field measures like a typical value of ten characters when no data is known.
SAMPLE_VALUE = "Nnnnnnnnnn"


def with_sample_values(text: str) -> str:
    return replace_spans(text, jinja_spans(text, ("{{",)), lambda _: SAMPLE_VALUE)


def sentence_spans(unit: Unit) -> list[tuple[int, int, int]]:
    """(start, end, words) of each sentence of a unit."""
    return unit.sentences


class SentenceTooLong(Rule):
    """A sentence longer than the limit (default 25 words).

    Why: one idea per sentence. Readers understand most of a 14-word sentence and little of
    a 40-word one; plain-language guides in French and English stop at 20–25 words. The limit
    is 25, not 20: proven letters mix short sentences with some of 21–25 words, and a
    warning on each would bury the sentences that matter. A warning, never an error: a long
    sentence weakens a letter, it does not break the mailing (`max-words-error` makes longer
    ones errors in a house that wants it; 0, the default, never does).
    Example (fr): « Notre couette, qui est garnie de duvet recyclé et que vous pouvez laver chez vous à
    60 °C sans aucun souci, vous garantit des nuits chaudes pendant tout l'hiver et bien au-delà. »
    Use instead: « Votre couette est garnie de duvet recyclé. Elle se lave à 60 °C. »
    """

    code, name, severity, source = "PP201", "sentence-too-long", "warning", "mailing-rules.md §3.1"
    weight = Weight("style", 1.25, RATE)
    kinds = ("letter", "email", "reply")
    options = {"max-words": 25, "max-words-error": 0}
    message = {
        "en": "sentence of {n} words (max {max}): one idea per sentence",
        "fr": "phrase de {n} mots (max {max}) : une idée par phrase",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        limit, hard = ctx.options["max-words"], ctx.options["max-words-error"]
        for unit in [*doc.body, *doc.ps]:
            for start, end, n in sentence_spans(unit):
                if n > limit:
                    yield Hit(
                        unit, start, end, {"n": n, "max": limit}, "error" if hard and n > hard else None
                    )


class ParagraphTooLong(Rule):
    """A paragraph over five printed lines.

    Why: short paragraphs, one theme each, invite reading; a block of text is skipped. Lines are
    counted as printed: with the letter template's font and column (the e-mail's column for
    e-mails), and, in a campaign, with the longest values of the customer file merged in.
    """

    code, name, severity, source = "PP202", "paragraph-too-long", "warning", "mailing-rules.md §5"
    weight = Weight("style", 1.25, RATE)
    kinds = ("letter", "email", "reply")
    options = {"max-lines": 5}
    message = {
        "en": "paragraph of {n} printed lines (max {max}){note}: split it, one theme per paragraph",
        "fr": "paragraphe de {n} lignes imprimées (max {max}){note} : coupez-le, un thème par paragraphe",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        limit = ctx.options["max-lines"]
        merged = {id(unit): text for unit, text in doc.samples}
        for unit in [*doc.body, *doc.ps]:
            template_lines = printed_lines(with_sample_values(unit.raw), doc.column)
            lines = template_lines
            note, context = {"en": "", "fr": ""}, {}
            if id(unit) in merged:
                lines = max(lines, printed_lines(merged[id(unit)], doc.column))
                if lines > template_lines:
                    note = {
                        "en": " with the longest values of the data",
                        "fr": " avec les valeurs les plus longues",
                    }
                    context = {"recipient": "longest value of each field in the customer file"}
            if lines > limit:
                yield Hit(unit, 0, len(unit.raw), {"n": lines, "max": limit, "note": note}, context=context)


# « que » that opens no clause: « en tant que », « ne … que » (only), comparisons (plus … que).
_COMPARING = set("plus moins autant mieux davantage aussi même tel telle tels telles".split())
_NEGATING = {"pas", "plus", "jamais", "rien", "guère", "point", "personne"}
# "that" pointing at a thing, not opening a clause: after a preposition, before punctuation or
# another clause word, or opening the sentence ("That is why").
_PREPOSITIONS = set("in of at like for with from about on by after before to".split())
_AFTER_PRONOUN = {"is", "was", "s", "when", "which", "who", "and", "or", "but"}


def clause_markers(sentence: str, found_words: list[Token]) -> list[Token]:
    """Of the subordinating words found in `sentence`, those that open a clause (see
    `_COMPARING`, `_PREPOSITIONS`): some of them, never another word."""
    # Words split at apostrophes too: « n'avez », « qu'il » are two words each here.
    pieces = [
        (t.start + piece.start(), piece.group(0).lower())
        for t in words(sentence)
        for piece in re.finditer(r"[^'’]+", t.text)
    ]
    lowered = [text for _, text in pieces]
    index = {start: i for i, (start, _) in enumerate(pieces)}
    markers = []
    for found in found_words:
        i = index.get(found.start)
        if i is None:
            markers.append(found)
            continue
        before = lowered[max(0, i - 2) : i]
        after = lowered[i + 1] if i + 1 < len(lowered) else ""
        word = lowered[i]
        if word in ("que", "qu"):
            if before[-2:] == ["en", "tant"] or _COMPARING & set(before):
                continue
            negation = max((j for j in range(i) if lowered[j] in ("ne", "n")), default=None)
            if negation is not None and not _NEGATING & set(lowered[negation + 1 : i]):
                continue  # « vous ne payez que 89 € »: only, not a clause
        if word == "that" and (
            i == 0
            or (before and before[-1] in _PREPOSITIONS)
            or not after
            or after in _AFTER_PRONOUN
            or sentence[found.end : found.end + 1] in (",", ".", ";", ":", "!", "?")
        ):
            continue
        markers.append(found)
    return markers


class SentenceClauseChain(Rule):
    """Two or more subordinating words in one sentence.

    Why: chained subordinate clauses (qui, que, quoi, dont, quand; who, which, that, whom, whose,
    when) bury the idea. Cut the sentence in two.
    Example (en): "The planner that we designed for people who travel, which fits any bag…"
    Use instead: "We designed the planner for travellers. It fits any bag."
    """

    code, name, severity, source = "PP203", "sentence-clause-chain", "warning", "mailing-rules.md §3.1"
    weight = Weight("style", 0.5, RATE)
    kinds = ("letter", "email", "reply")
    options = {"max-subordinators": 1}
    message = {
        "en": "{n} subordinate clauses chained ({found}): split the sentence",
        "fr": "{n} subordonnées enchaînées ({found}) : coupez la phrase",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        subordinators = ctx.words("subordinators")
        for unit in doc.copy_units:
            if subordinators.absent_from(unit.plain):
                continue
            for start, end, _ in sentence_spans(unit):
                sentence = unit.plain[start:end]
                found = subordinators.find(sentence)
                if len(found) <= ctx.options["max-subordinators"]:
                    continue  # too few even if each opens a clause: not worth reading them
                found = clause_markers(sentence, found)
                if len(found) > ctx.options["max-subordinators"]:
                    yield Hit(unit, start, end, {"n": len(found), "found": ", ".join(t.text for t in found)})


class HookTooLong(Rule):
    """A hook longer than the limit (default 15 words).

    Why: the hook is read in a glance, before anything else: a promise, not a paragraph.
    """

    code, name, severity, source = "PP204", "hook-too-long", "warning", "mailing-rules.md §4"
    weight = Weight("structure", 0.25, ONCE)
    options = {"max-words": 15}
    message = {
        "en": "hook of {n} words (max {max}): a hook is read in one glance",
        "fr": "accroche de {n} mots (max {max}) : une accroche se lit d'un coup d'œil",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.hook is None:
            return
        n = len(words(doc.hook.plain))
        if n > ctx.options["max-words"]:
            yield Hit.whole(doc.hook, n=n, max=ctx.options["max-words"])
