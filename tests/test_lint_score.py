"""The copy's score: a judge that ranks letters (publipost/linter/score.py), and the corpus it
was calibrated on (corpus/score.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.lintkit import GOOD, lint_text

ROOT = Path(__file__).resolve().parent.parent
PS_FR = "\nP.S. Répondez avant le 31 décembre : votre cadeau vous attend.\n"


def _score(tmp_path, text):
    (score,) = lint_text(tmp_path, text).scores.values()
    return score


def test_a_good_letter_scores_very_strong(tmp_path):
    score = _score(tmp_path, GOOD["fr"])
    assert score.overall == 5.0 and score.label == "très fort"
    assert _score(tmp_path, GOOD["en"]).label == "very strong"


def test_a_missing_element_weighs_but_does_not_zero(tmp_path):
    """The old score forced 0 for a hook missing; a letter with a good body is not worthless."""
    no_hook = (
        GOOD["fr"]
        .replace("**Découvrez maintenant", "Découvrez maintenant")
        .replace("tout l'hiver**", "tout l'hiver")
    )
    score = _score(tmp_path, no_hook)
    assert 3 <= score.overall < 5 and score.structure < 5 and score.style == 5.0


def test_each_fault_costs_and_more_faults_cost_more(tmp_path):
    full = _score(tmp_path, GOOD["fr"])
    no_ps = _score(tmp_path, GOOD["fr"].replace(PS_FR, ""))
    worse = _score(
        tmp_path,
        GOOD["fr"].replace(PS_FR, "").replace("Claire Martin\nDirectrice commerciale", "L'équipe Martin"),
    )
    assert full.overall > no_ps.overall > worse.overall
    assert no_ps.structure == round(5 - 0.75, 1)  # ps-missing weighs 0.75 (score.WEIGHTS)


def test_a_rule_that_fires_per_sentence_weighs_by_rate_not_by_length(tmp_path):
    """The same share of long sentences costs the same in a short letter and in one twice as long."""
    long = "Vous " + "dormez " * 30 + "bien."
    short = GOOD["fr"].replace("Vous dormez à poings fermés.", long)
    paragraphs = short.split("\n\n")
    body = paragraphs[3:-2]  # between the greeting and the signature
    doubled = "\n\n".join(paragraphs[:3] + body + body + paragraphs[-2:])
    a, b = _score(tmp_path, short), _score(tmp_path, doubled)
    assert b.words > a.words * 1.5
    assert abs(a.style - b.style) <= 0.25


def test_readability_counts_the_share_of_hard_paragraphs(tmp_path):
    hard = (
        "Consécutivement à l'approbation réglementaire, l'établissement institutionnalise "
        "l'harmonisation administrative intercommunautaire préalablement contractualisée."
    )
    text = GOOD["fr"].replace("Vous dormez à poings fermés.", hard)
    score = _score(tmp_path, text)
    assert score.readability < 5


def test_the_corpus_holds_its_targets():
    """ρ ≥ 0.8 against the expert's ratings, strong letters ≥ 3 with no error, rules in agreement."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "corpus" / "score.py")], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rho = float(next(line for line in result.stdout.splitlines() if line.startswith("Spearman")).split()[2])
    assert rho >= 0.8
    assert "errors on 4-5       none" in result.stdout


def test_the_copy_s_words_are_its_tokens(tmp_path):
    """The count the rates are per 100 of: every word of every unit, as the tokeniser reads it
    (a figure, a hyphenated word, a merge field one word each; a dash, a line break none)."""
    from publipost.linter.document import letter_from_markdown
    from publipost.linter.text import words

    text = GOOD["en"].replace("at a glance.", "at a glance — in 2,500 well-known\nshops.")
    doc = letter_from_markdown(tmp_path / "letter.md", text)
    expected = sum(len(words(unit.plain)) for unit in doc.units)
    assert expected == sum(len(unit.plain.split()) for unit in doc.units) - 1  # the dash
    assert _score(tmp_path, text).words == expected
