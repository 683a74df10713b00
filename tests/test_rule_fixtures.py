"""Issue 28: one fixture file per rule, its expectations inline (ruff's way). Each file in
tests/rules/ is a letter named for the rule it breaks (`PP201-sentence-too-long.fr.md`), ending
in comments that say where the rule fires: `{# expect: PP201 at 14:1 #}` (line and column of
the finding's start; a Jinja comment is blanked before linting, as a letter's notes are). The rule
must fire there and nowhere else in the file. The first 36 were generated from the table this
file's predecessor held (tests/test_lint_rules.py, 2026-12-05); a new rule adds its own.

A rule that a standalone letter cannot show (it reads campaign facts: the offer, the legal
lines, the coupon, an e-mail's subject or headers) is listed in ELSEWHERE with the tests that
cover it; a rule with neither fails the coverage test below.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publipost.linter import lint_paths
from publipost.linter.rules import all_rules

FIXTURES = Path(__file__).parent / "rules"
EXPECT = re.compile(r"\{# expect: (PP\d{3}) at (\d+):(\d+) #\}")

# Rules that read what a standalone Markdown letter does not hold, and where they are tested.
ELSEWHERE = {
    "PP102": "test_lint_inputs.py (a campaign's sender place)",
    "PP108": "test_lint_inputs.py (the campaign's offer)",
    "PP110": "test_lint_links.py (the sender's legal lines)",
    "PP112": "test_lint_action.py (the campaign's coupon, QR code, phone)",
    "PP404": "test_lint_tone.py (a campaign's social profile)",
    "PP601": "test_lint_inputs.py (an e-mail's subject)",
    "PP602": "test_lint_inputs.py (an e-mail's preheader)",
    "PP603": "test_lint_inputs.py, test_lint_suppress.py (spam words in an e-mail)",
    "PP604": "test_lint_inputs.py, test_unsubscribe_gate.py (an e-mail's way out)",
    "PP605": "test_lint_inputs.py (a markup e-mail's text part)",
    "PP606": "test_lint_links.py (an e-mail's links)",
    "PP608": "test_lint_links.py (a markup e-mail's images)",
    "PP609": "test_lint_links.py (underlines in an e-mail)",
    "PP610": "test_lint_action.py (an e-mail's subject)",
    **{
        f"PP70{n}": "test_lint_reply.py and corpus/replies (replies, with their expected findings)"
        for n in range(1, 10)
    },
    "PP900": "test_lint_suppress.py, test_lint_custom.py (suppression comments)",
    "PP901": "test_lint_suppress.py, test_lint_custom.py",
    "PP902": "test_lint_suppress.py",
}


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("PP*.md"))


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda p: p.name)
def test_the_rule_fires_where_its_fixture_says_and_nowhere_else(fixture, tmp_path):
    code = fixture.name.split("-", 1)[0]
    text = fixture.read_text(encoding="utf-8")
    expected = {(c, int(line), int(column)) for c, line, column in EXPECT.findall(text)}
    assert expected and {c for c, _, _ in expected} == {code}, "a fixture expects its own rule"
    copy = tmp_path / "letter.md"  # linted where no configuration file can reach it
    copy.write_text(text, encoding="utf-8")
    findings = [f for f in lint_paths([copy], isolated=True).active if f.rule == code]
    assert {(f.rule, f.line, f.column) for f in findings} == expected
    language = fixture.name.split(".")[1].split("-")[0]  # PP306-tense-not-present.en-2.md: en
    assert {f.language for f in findings} == {language}  # said in the letter's language


def test_every_rule_has_a_fixture_or_says_where_it_is_tested():
    with_fixture = {p.name.split("-", 1)[0] for p in _fixtures()}
    missing = [r.code for r in all_rules() if r.code not in with_fixture and r.code not in ELSEWHERE]
    assert not missing, f"add tests/rules/{missing[0]}-….md (or say in ELSEWHERE where it is tested)"
    assert not with_fixture & set(ELSEWHERE), "a rule with a fixture is no longer 'elsewhere'"
