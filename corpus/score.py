"""How well the linter judges the corpus: rank correlation of its score with the expert's
ratings, and each rule's agreement with the expert's rule-by-rule annotations.

    python corpus/score.py                 # this corpus
    python corpus/score.py --corpus DIR    # another: DIR/ratings.toml and DIR/letters/
    python corpus/score.py --table         # also one line per letter

Prints Spearman's ρ (targets: ρ ≥ 0.8; every letter rated 4–5 scores ≥ 3; no error-level
finding on a letter rated 4–5 unless its annotation names the fault) and micro-averaged
precision and recall of the findings against the annotations (targets 0.93 and 0.90),
with the rules that disagree. Exit 1 when a target is missed, so a test can hold it.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import spearmanr

from publipost.linter import lint_paths

HERE = Path(__file__).resolve().parent
NOT_ANNOTATED = {"tense-not-present", "readability-low"}  # info: advice, not faults (ratings.toml)
TARGETS = {"rho": 0.8, "strong": 3.0, "precision": 0.93, "recall": 0.90}


@dataclass
class Judged:
    name: str
    rating: int
    overall: float
    found: set[str]
    expected: set[str]
    errors: set[str]


def judge(corpus: Path) -> list[Judged]:
    ratings = tomllib.loads((corpus / "ratings.toml").read_text(encoding="utf-8"))["letters"]
    judged = []
    for name, entry in sorted(ratings.items()):
        (path,) = (corpus / "letters").glob(f"{name}.*")
        result = lint_paths([path], isolated=True)
        (score,) = result.scores.values()
        found = {f.name for f in result.findings} - NOT_ANNOTATED
        errors = {f.name for f in result.findings if f.severity == "error"}
        judged.append(Judged(name, entry["rating"], score.overall, found, set(entry["faults"]), errors))
    return judged


def report(judged: list[Judged], table: bool) -> bool:
    rho = float(spearmanr([j.rating for j in judged], [j.overall for j in judged]).statistic)
    strong = [j for j in judged if j.rating >= 4]
    weakest = min(j.overall for j in strong) if strong else 5.0
    wrong_errors = [(j.name, sorted(j.errors - j.expected)) for j in strong if j.errors - j.expected]
    tp = sum(len(j.found & j.expected) for j in judged)
    fp = sum(len(j.found - j.expected) for j in judged)
    fn = sum(len(j.expected - j.found) for j in judged)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    if table:
        print(f"{'letter':28} rating  score  extra findings / missed faults")
        for j in sorted(judged, key=lambda j: (-j.rating, -j.overall)):
            extra, missed = sorted(j.found - j.expected), sorted(j.expected - j.found)
            print(f"{j.name:28} {j.rating:>6}  {j.overall:>5}  +{extra} -{missed}")
        print()
    rules: dict[str, list[int]] = {}
    for j in judged:
        for rule in j.found | j.expected:
            counts = rules.setdefault(rule, [0, 0, 0])
            counts[0 if rule in j.found & j.expected else 1 if rule in j.found else 2] += 1
    print(f"letters             {len(judged)}")
    print(f"Spearman rho        {rho:.2f}   (target >= {TARGETS['rho']})")
    print(f"lowest 4-5 score    {weakest:.1f}   (target >= {TARGETS['strong']})")
    print(f"errors on 4-5       {wrong_errors or 'none'}")
    print(f"precision           {precision:.2f}   (target >= {TARGETS['precision']}; {tp} agreed, {fp} extra)")
    print(f"recall              {recall:.2f}   (target >= {TARGETS['recall']}; {fn} missed)")
    for rule, (agreed, extra, missed) in sorted(rules.items()):
        if extra or missed:
            print(f"  {rule:26} agreed {agreed}, extra {extra}, missed {missed}")
    return (
        rho >= TARGETS["rho"]
        and weakest >= TARGETS["strong"]
        and not wrong_errors
        and precision >= TARGETS["precision"]
        and recall >= TARGETS["recall"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=HERE)
    parser.add_argument("--table", action="store_true", help="one line per letter")
    args = parser.parse_args(argv)
    return 0 if report(judge(args.corpus), args.table) else 1


if __name__ == "__main__":
    sys.exit(main())
