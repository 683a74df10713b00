"""The copy's score, 0–5 per dimension and overall: a judge that ranks letters, not a count of findings.

Why this shape: counting 1–2 points per finding, with a missing hook forcing 0, scored every
real, proven letter 0/5. Here each rule weighs once, with a weight of its own; a rule that
fires on sentences or paragraphs weighs by how often it fires per 100 words (a long letter
is not punished for being long), and a missing element costs its weight, never the whole.

    structure    5 − Σ weight of each structure rule that fires (hook, salutation,
                 signature, P.S., call to act, reply device, offer, subject…)
    style        5 − Σ weight × min(1, hits per 100 words) for rules that fire per
                 sentence or paragraph, 5 − Σ weight for those that judge the whole copy
    readability  5 × (1 − Σ share of the words in paragraphs below the reading-ease
                 target × how far below, up to 20 points)
    overall      0.45 × structure + 0.40 × style + 0.15 × readability

Every dimension is floored at 0. The score counts every rule whatever `--select`, `ignore`
or a suppression comment shows (suppressed findings included: a comment hides a finding, it
does not make the letter better); severities do not enter it. The weights follow the course's
emphasis and were written before the first run on the corpus under `corpus/`, not fitted to it;
`corpus/score.py` holds the score to the expert's ratings there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from publipost.linter.document import LintDoc
from publipost.linter.rule import ONCE, RATE, READING_EASE, REGISTRY, Hit, Weight
from publipost.linter.rules import all_rules

# code → the rule's weight, as each rule declares it (linter/rule.py, Weight); unscored rules
# (suppression comments, advice for a profile) declare None.
WEIGHTS: dict[str, Weight] = {rule.code: rule.weight for rule in all_rules() if rule.weight is not None}
USER_RULE = Weight("style", 0.5, RATE)  # rules a project writes as data
READABILITY_SPAN = 20  # reading-ease points below the target at which a paragraph counts whole
MIX = {"structure": 0.45, "style": 0.40, "readability": 0.15}
LABELS = {
    "en": ["none", "very weak", "weak", "average", "strong", "very strong"],
    "fr": ["nul", "très faible", "faible", "moyen", "fort", "très fort"],
}


@dataclass(frozen=True)
class Score:
    """0–5 on the scale of mailing-rules.md §8 (none … very strong), one decimal."""

    structure: float
    style: float
    readability: float
    overall: float
    words: int
    language: str = "en"
    of: str | None = None  # a merged document's score (the worst reply's): whom it is for

    @property
    def label(self) -> str:
        """In the copy's language, as its findings are."""
        return LABELS.get(self.language, LABELS["en"])[round(self.overall)]


def _weight(code: str) -> Weight | None:
    """As the rule declares it (a rule registered from outside too); a project's rule written
    as data (publipost.toml) weighs USER_RULE."""
    rule = REGISTRY.get(code)
    if rule is not None:
        return rule.weight
    return None if code.startswith("PP") else USER_RULE


def copy_words(doc: LintDoc) -> int:
    return sum(unit.word_count for unit in doc.units)


def score(doc: LintDoc, hits: Iterable[tuple[str, Hit]]) -> Score:
    """The score of `doc` from every rule's hits, as (rule code, hit)."""
    total = copy_words(doc)
    per_100 = max(total, 100) / 100
    counts: Counter[str] = Counter()
    unreadable = 0.0
    for code, hit in hits:
        if (w := _weight(code)) is not None and w.counts == READING_EASE:
            if hit.unit is not None and total:
                below = (hit.args["min"] - hit.args["score"]) / READABILITY_SPAN
                unreadable += hit.unit.word_count / total * min(1.0, below)
            continue
        counts[code] += 1
    cost = {"structure": 0.0, "style": 0.0}
    for code, n in counts.items():
        weight = _weight(code)
        if weight is not None:
            cost[weight.dimension] += weight.points * (
                1.0 if weight.counts == ONCE else min(1.0, n / per_100)
            )
    structure = max(0.0, 5 - cost["structure"])
    style = max(0.0, 5 - cost["style"])
    readability = max(0.0, 5 * (1 - unreadable))
    overall = MIX["structure"] * structure + MIX["style"] * style + MIX["readability"] * readability
    caps = [w.cap for code in counts if (w := _weight(code)) is not None and w.cap is not None]
    overall = min([overall, *caps])
    return Score(
        round(structure, 1), round(style, 1), round(readability, 1), round(overall, 1), total, doc.language
    )
