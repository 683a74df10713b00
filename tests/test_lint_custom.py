"""Rules a house writes as data: [tool.publipost.lint.rules.NAME] with a kind (Vale's way)."""

from __future__ import annotations

import json

import pytest

from publipost.errors import PublipostError
from publipost.linter import lint_paths
from tests.lintkit import GOOD, position

RULES = """\
[lint.rules.house-no-jargon]
kind = "existence"
tokens = ["synergy", "best-in-class"]
patterns = ['\\bROI\\b']
message = { en = "'{match}' is jargon: say what the reader gets", fr = "« {match} » : du jargon" }

[lint.rules.house-words]
kind = "substitution"
swap = { "utilize" = "use", "purchase" = "buy" }
language = "en"

[lint.rules.house-brand]
kind = "capitalization"
tokens = ["Planora"]
severity = "error"

[lint.rules.house-one-price]
kind = "occurrence"
patterns = ['\\$\\d+']
max = 1
scope = ["body", "ps"]
"""


def _lint(tmp_path, text, config=RULES, name="letter.md"):
    (tmp_path / "publipost.toml").write_text(config, encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return lint_paths([path])


def test_each_kind_flags_what_it_describes_where_it_is(tmp_path):
    text = (
        GOOD["en"]
        .replace("The new Planora fixes that.", "The new planora fixes that, with real synergy.")
        .replace("What's more, each", "What's more, your ROI grows: each")
        .replace("Your price is $34.", "Your price is $34, then $39.")
    )
    by_rule: dict[str, list] = {}
    for finding in _lint(tmp_path, text).active:
        by_rule.setdefault(finding.rule, []).append(finding)
    jargon = {f.message: f for f in by_rule["house-no-jargon"]}
    assert set(jargon) == {
        "'ROI' is jargon: say what the reader gets",
        "'synergy' is jargon: say what the reader gets",
    }
    synergy = jargon["'synergy' is jargon: say what the reader gets"]
    assert (synergy.line, synergy.column) == position(text, "synergy")
    (brand,) = by_rule["house-brand"]
    assert brand.severity == "error" and brand.message == "'planora': write 'Planora'"
    assert (brand.line, brand.column) == position(text, "planora")
    (price,) = by_rule["house-one-price"]  # the first price too many
    assert price.message.startswith("2 × ") and (price.line, price.column) == position(text, "$39")
    assert "house-words" not in by_rule


def test_substitution_and_language(tmp_path):
    text = GOOD["en"].replace("What's more, each week fits", "What's more, purchase it now: each week fits")
    (finding,) = [f for f in _lint(tmp_path, text).active if f.rule == "house-words"]
    assert finding.message == "'purchase': write 'buy'" and finding.severity == "warning"
    french = GOOD["fr"].replace("Vous dormez", "Purchase : vous dormez")
    assert not [f for f in _lint(tmp_path, french, name="lettre.md").active if f.rule == "house-words"]


def test_a_house_rule_is_selected_ignored_suppressed_and_in_sarif_like_any(tmp_path):
    text = GOOD["en"].replace("The new Planora fixes that.", "The new Planora fixes that, with synergy.")
    config = '[lint]\nignore = ["house-no-jargon"]\n' + RULES
    assert not [f for f in _lint(tmp_path, text, config).active if f.rule == "house-no-jargon"]
    comment = "{#- publipost: ignore[house-no-jargon] -- quoted #}"
    suppressed = text.replace("with synergy.", f"with synergy. {comment}")
    result = _lint(tmp_path, suppressed)
    assert not [f for f in result.active if f.rule == "house-no-jargon"]
    assert not [f for f in result.active if f.rule in ("PP900", "PP901")]
    from publipost.linter.report import sarif

    log = json.loads(sarif(_lint(tmp_path, text)))
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    (found,) = [r for r in run["results"] if r["ruleId"] == "house-no-jargon"]
    assert ids[found["ruleIndex"]] == "house-no-jargon"


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('kind = "existance"\ntokens = ["x"]', "kind is 'existance'"),
        ('kind = "existence"', "needs tokens or patterns"),
        ('kind = "existence"\npatterns = ["(unclosed"]', "is not a regular expression"),
        ('kind = "existence"\ntokens = ["x"]\nswap = { a = "b" }', "unknown key 'swap'"),
        ('kind = "occurrence"\ntokens = ["x"]\nmin = 3\nmax = 1', "min (3) is above max (1)"),
        ('kind = "occurrence"\ntokens = ["x"]', "needs min, max or both"),
        ('kind = "substitution"\nswap = []', "swap is a table"),
        ('kind = "existence"\ntokens = ["x"]\nseverity = "fatal"', "severity is 'fatal'"),
        ('kind = "existence"\ntokens = ["x"]\nlanguage = "de"', "language is 'de'"),
        ('kind = "existence"\ntokens = ["x"]\nscope = ["footer"]', "scope is"),
        ('kind = "existence"\ntokens = ["x"]\nmessage = "{nope}"', "unknown field"),
        ('tokens = ["x"]', "no such rule"),
        ('kind = "existence"\ntokens = ["x"]\nmessage = { en = 3 }', "message is a string"),
        ('kind = "occurrence"\ntokens = ["x"]\nmin = true', "min is a whole number"),
    ],
)
def test_a_bad_rule_table_is_a_precise_error(tmp_path, table, says):
    (tmp_path / "publipost.toml").write_text(f"[lint.rules.house-x]\n{table}\n", encoding="utf-8")
    path = tmp_path / "letter.md"
    path.write_text(GOOD["en"], encoding="utf-8")
    with pytest.raises(PublipostError) as raised:
        lint_paths([path])
    assert says in str(raised.value) and "rules.house-x" in str(raised.value)
    assert "publipost.toml" in str(raised.value)


def test_a_bad_rule_is_exit_2_before_anything_is_printed(tmp_path, run):
    (tmp_path / "publipost.toml").write_text('[lint.rules.house-x]\nkind = "nope"\n', encoding="utf-8")
    (tmp_path / "letter.md").write_text(GOOD["en"], encoding="utf-8")
    result = run("lint", tmp_path / "letter.md")
    assert result.code == 2 and result.out == "" and "kind is 'nope'" in result.err


def test_a_built_in_rule_s_options_must_be_a_table(tmp_path, run):
    (tmp_path / "publipost.toml").write_text("[lint.rules]\nsentence-too-long = 12\n", encoding="utf-8")
    (tmp_path / "letter.md").write_text(GOOD["en"], encoding="utf-8")
    result = run("lint", tmp_path / "letter.md")
    assert result.code == 2 and result.out == ""
    assert (
        "rules.sentence-too-long is 12: a table of options" in result.err and "publipost.toml" in result.err
    )


def test_a_pattern_that_backtracks_is_stopped_with_its_name_and_the_fix(tmp_path, run):
    """Issue 28: a house rule's pattern runs under a time limit (the `regex` module's timeout),
    not a walk of re's private parser: (a|aa)+$ on a long run of a's followed by "!" stops in a
    fraction of a second, exit 2, naming the rule, the pattern and the fix."""
    import time

    (tmp_path / "publipost.toml").write_text(
        '[lint.rules.house-x]\nkind = "existence"\npatterns = ["(a|aa)+$"]\n', encoding="utf-8"
    )
    path = tmp_path / "letter.md"
    path.write_text(GOOD["en"].replace("You see your tasks at a glance.", "a" * 60 + "!"), encoding="utf-8")
    started = time.monotonic()
    result = run("lint", path)
    assert result.code == 2 and result.out == ""
    assert "rules.house-x: pattern '(a|aa)+$' took over 0.25 s on one paragraph" in result.err
    assert "hint: write a+ or (ab)+" in result.err and "publipost.toml" in result.err
    assert time.monotonic() - started < 10


def test_house_patterns_keep_python_s_unicode_word_boundaries(tmp_path):
    """RE2 was the other guard; its \\b is ASCII-only and \\bété\\b would never match French copy."""
    (tmp_path / "publipost.toml").write_text(
        '[lint.rules.house-ete]\nkind = "existence"\npatterns = ["\\\\bété\\\\b"]\n', encoding="utf-8"
    )
    path = tmp_path / "lettre.md"
    path.write_text(
        GOOD["fr"].replace("Vous dormez à poings fermés.", "Vous dormez bien tout l'été."), encoding="utf-8"
    )
    found = [f for f in lint_paths([path]).active if f.name == "house-ete"]
    assert [f.message for f in found] == ["« été » : la charte l'évite"]
