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
from publipost.linter.rule import Hit
from publipost.linter.text import words

ONCE, RATE = "once", "rate"

# code → (dimension, weight, how it counts). Rules not listed (suppression comments) are not scored.
WEIGHTS: dict[str, tuple[str, float, str]] = {
    "PP101": ("structure", 1.5, ONCE),  # hook-missing
    "PP102": ("structure", 0.25, ONCE),  # date-place-missing
    "PP103": ("structure", 1.5, ONCE),  # signature-missing
    "PP104": ("structure", 0.75, ONCE),  # ps-missing
    "PP105": ("structure", 0.25, ONCE),  # ps-weak
    "PP106": ("structure", 0.25, ONCE),  # emphasis-missing
    "PP107": ("structure", 0.5, ONCE),  # personalization-missing
    "PP108": ("structure", 0.5, ONCE),  # offer-not-in-copy
    "PP109": ("structure", 1.0, ONCE),  # markdown-literal
    "PP110": ("structure", 0.25, ONCE),  # legal-mentions-missing
    "PP111": ("structure", 0.75, ONCE),  # call-to-act-vague
    "PP112": ("structure", 0.5, ONCE),  # reply-device-missing
    "PP113": ("structure", 0.25, ONCE),  # proof-missing
    "PP204": ("structure", 0.25, ONCE),  # hook-too-long
    "PP302": ("structure", 0.25, ONCE),  # hook-no-magic-word
    "PP402": ("structure", 0.5, ONCE),  # hook-no-benefit
    "PP201": ("style", 1.25, RATE),  # sentence-too-long
    "PP202": ("style", 1.25, RATE),  # paragraph-too-long
    "PP203": ("style", 0.5, RATE),  # sentence-clause-chain
    "PP301": ("style", 0.5, ONCE),  # magic-words-missing
    "PP303": ("style", 0.75, RATE),  # stock-phrase
    "PP304": ("style", 0.5, ONCE),  # paragraph-not-linked
    "PP305": ("style", 0.5, RATE),  # unproven-claim
    "PP306": ("style", 0.25, RATE),  # tense-not-present
    "PP401": ("style", 1.0, ONCE),  # reader-focus
    "PP403": ("style", 0.5, RATE),  # feature-not-benefit
    "PP601": ("structure", 0.25, ONCE),  # subject-too-long
    "PP602": ("structure", 0.25, ONCE),  # preheader-missing
    "PP603": ("style", 0.5, RATE),  # spam-trigger
    "PP604": ("structure", 1.5, ONCE),  # unsubscribe-missing
    "PP605": ("structure", 0.5, ONCE),  # plain-text-missing
    "PP606": ("structure", 0.75, ONCE),  # link-missing
    "PP607": ("style", 0.25, RATE),  # link-text-vague
    "PP608": ("style", 0.25, RATE),  # image-alt-missing
    "PP609": ("style", 0.25, RATE),  # underline-in-email
    "PP610": ("structure", 0.75, ONCE),  # subject-no-hook
    "PP701": ("structure", 0.75, ONCE),
    "PP702": ("structure", 0.75, ONCE),
    "PP703": ("structure", 0.75, ONCE),
    "PP704": ("style", 0.75, RATE),
    "PP705": ("structure", 0.5, ONCE),
    "PP706": ("structure", 1.0, ONCE),
    "PP707": ("structure", 0.5, ONCE),
    "PP708": ("structure", 1.0, ONCE),
}
USER_RULE = ("style", 0.5, RATE)  # rules a project writes as data
READABILITY = "PP501"
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

    @property
    def label(self) -> str:
        """In the copy's language, as its findings are."""
        return LABELS.get(self.language, LABELS["en"])[round(self.overall)]


def copy_words(doc: LintDoc) -> int:
    return sum(len(words(unit.plain)) for unit in doc.units)


def score(doc: LintDoc, hits: Iterable[tuple[str, Hit]]) -> Score:
    """The score of `doc` from every rule's hits, as (rule code, hit)."""
    total = copy_words(doc)
    per_100 = max(total, 100) / 100
    counts: Counter[str] = Counter()
    unreadable = 0.0
    for code, hit in hits:
        if code == READABILITY:
            if hit.unit is not None and total:
                below = (hit.args["min"] - hit.args["score"]) / READABILITY_SPAN
                unreadable += len(words(hit.unit.plain)) / total * min(1.0, below)
            continue
        counts[code] += 1
    cost = {"structure": 0.0, "style": 0.0}
    for code, n in counts.items():
        dimension, weight, how = WEIGHTS.get(code, ("", 0, ONCE) if code.startswith("PP") else USER_RULE)
        if dimension:
            cost[dimension] += weight if how == ONCE else weight * min(1.0, n / per_100)
    structure = max(0.0, 5 - cost["structure"])
    style = max(0.0, 5 - cost["style"])
    readability = max(0.0, 5 * (1 - unreadable))
    overall = MIX["structure"] * structure + MIX["style"] * style + MIX["readability"] * readability
    return Score(
        round(structure, 1), round(style, 1), round(readability, 1), round(overall, 1), total, doc.language
    )
