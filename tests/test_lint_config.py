"""Configuration: discovery, select/ignore, per-file ignores, severities, options, word lists, fail-on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publipost.linter.engine import lint_paths
from tests.lintkit import GOOD

LONG = (
    "Vous dormez à poings fermés, de novembre à mars, dans une chambre fraîche, sous une couette chaude, "
    "légère comme un nid d'oiseau, la fenêtre entrouverte sur le jardin endormi."
)


def _letter(folder, text=GOOD["fr"], name="lettre.md"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_pyproject_found_by_walking_up(tmp_path, run):
    (tmp_path / "pyproject.toml").write_text('[tool.publipost.lint]\nignore = ["sentence-too-long"]\n')
    path = _letter(tmp_path / "letters" / "2026", GOOD["fr"].replace("Vous dormez à poings fermés.", LONG))
    assert lint_paths([path]).active == []
    assert lint_paths([path], isolated=True).active[0].name == "sentence-too-long"
    shown = run("lint", path, "--show-config")
    assert json.loads(shown.out)["ignore"] == ["sentence-too-long"]


def test_publipost_toml_options_severity_and_prefixes(tmp_path):
    (tmp_path / "publipost.toml").write_text(
        '[lint]\nselect = ["PP2"]\n[lint.severity]\nPP201 = "error"\n'
        "[lint.rules.sentence-too-long]\nmax-words = 8\n"
    )
    path = _letter(tmp_path)
    findings = lint_paths([path]).active
    assert {f.rule for f in findings} == {"PP201"}
    assert all(f.severity == "error" and "(max 8)" in f.message for f in findings)


def test_a_publipost_toml_naming_the_store_is_no_lint_error(tmp_path, run):
    """`store = …` at the top of publipost.toml is the store's setting (README): lint, and every
    command that lints, took it for an unknown lint setting and stopped (exit 2)."""
    (tmp_path / "publipost.toml").write_text(
        'store = "suppressions.sqlite"\nignore = ["sentence-too-long"]\n'
    )
    path = _letter(tmp_path, GOOD["fr"].replace("Vous dormez à poings fermés.", LONG))
    assert lint_paths([path]).active == []
    result = run("lint", path)
    assert result.code == 0, result.err


def test_per_file_ignores_glob(tmp_path):
    (tmp_path / "publipost.toml").write_text('[lint.per-file-ignores]\n"relances/*.md" = ["PP104"]\n')
    text = GOOD["fr"].replace("\nP.S. Répondez avant le 31 décembre : votre cadeau vous attend.\n", "")
    kept = _letter(tmp_path / "ventes", text)
    ignored = _letter(tmp_path / "relances", text)
    assert [f.name for f in lint_paths([kept]).active] == ["ps-missing"]
    assert lint_paths([ignored]).active == []


def test_word_list_extension(tmp_path):
    text = (
        GOOD["fr"]
        .replace("Découvrez maintenant", "Voici")
        .replace("en cadeau", "aussi")
        .replace("votre cadeau vous attend", "votre taie offerte vous attend")
    )
    assert "magic-words-missing" in [f.name for f in lint_paths([_letter(tmp_path / "a", text)]).active]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "publipost.toml").write_text('[lint.lang.fr]\nmagic-words = { extend = ["offerte"] }\n')
    assert "magic-words-missing" not in [f.name for f in lint_paths([_letter(tmp_path / "b", text)]).active]


def test_front_matter_lint_applies_last(tmp_path):
    text = (
        GOOD["fr"]
        .replace("language: fr\n", "language: fr\nlint:\n  ignore: [PP201]\n")
        .replace("Vous dormez à poings fermés.", LONG)
    )
    assert lint_paths([_letter(tmp_path, text)], isolated=True).active == []


def test_fail_on_max_warnings_and_exit_zero(tmp_path, run):
    path = _letter(tmp_path, GOOD["fr"].replace("Vous dormez à poings fermés.", LONG))
    assert run("lint", path, "--isolated").code == 0  # one warning; fail-on defaults to error
    assert run("lint", path, "--isolated", "--fail-on", "warning").code == 1
    assert run("lint", path, "--isolated", "--max-warnings", "0").code == 1
    assert run("lint", path, "--isolated", "--fail-on", "warning", "--exit-zero").code == 0
    assert run("lint", path, "--isolated", "--ignore", "PP201", "--fail-on", "info").code == 0


def test_bad_configuration_exits_2(tmp_path, run):
    (tmp_path / "publipost.toml").write_text('[lint]\nselekt = ["PP2"]\n')
    result = run("lint", _letter(tmp_path))
    assert (
        result.code == 2
        and "unknown lint setting 'selekt'" in result.err
        and "did you mean 'select'?" in result.err
    )
    (tmp_path / "publipost.toml").write_text('[lint]\nignore = ["sentence-too-lon"]\n')
    result = run("lint", tmp_path / "lettre.md")
    assert result.code == 2 and "no rule is named 'sentence-too-lon'" in result.err
    (tmp_path / "publipost.toml").write_text("[lint\n")
    result = run("lint", tmp_path / "lettre.md")
    assert (
        result.code == 2 and "invalid TOML" in result.err and f"{tmp_path / 'publipost.toml'}:1" in result.err
    )


def test_list_rules_and_explain(run):
    from publipost.linter.rules import all_rules

    listed = run("lint", "--list-rules")
    assert (
        listed.code == 0
        and "PP201  sentence-too-long" in listed.out
        and "PP704  reply-minimises" in listed.out
    )
    assert listed.out.count("\n") == len(
        all_rules()
    )  # one line a rule (tests/test_rule_registry.py: each whole)
    explained = run("lint", "--explain", "paragraph-too-long")
    assert (
        explained.code == 0
        and "PP202 paragraph-too-long (default: warning; mailing-rules.md §5)" in explained.out
    )
    assert "max-lines = 5" in explained.out
    assert run("lint", "--explain", "PP999").code == 2


def test_a_subfolder_config_extends_the_root_one(tmp_path, run):
    """Within one repository (a git work tree): outside one, a folder is its own boundary."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "publipost.toml").write_text('[lint]\nignore = ["sentence-too-long"]\nfail-on = "warning"\n')
    sub = tmp_path / "relances"
    sub.mkdir()
    (sub / "publipost.toml").write_text(
        '[lint]\nextend = "../publipost.toml"\n[lint.per-file-ignores]\n"*.md" = ["PP104"]\n'
    )
    text = GOOD["fr"].replace("Vous dormez à poings fermés.", LONG)
    text = text.replace("\nP.S. Répondez avant le 31 décembre : votre cadeau vous attend.\n", "")
    path = _letter(sub, text)
    assert lint_paths([path]).active == []  # the root's ignore and its own per-file ignore
    shown = json.loads(run("lint", path, "--show-config").out)
    assert shown["ignore"] == ["sentence-too-long"] and shown["fail-on"] == "warning"
    assert shown["per-file-ignores"] == {"*.md": ["PP104"]}
    (sub / "publipost.toml").write_text('[lint.per-file-ignores]\n"*.md" = ["PP104"]\n')  # no extend
    assert [f.name for f in lint_paths([path]).active] == ["sentence-too-long"]
    (tmp_path / "publipost.toml").write_text('[lint]\nextend = "relances/publipost.toml"\n')
    (sub / "publipost.toml").write_text('[lint]\nextend = "../publipost.toml"\n')
    looped = run("lint", path)
    assert looped.code == 2 and "extend each other in a loop" in looped.err
    (tmp_path / ".git").rmdir()  # no repository: the subfolder may not reach its parent
    outside = run("lint", path)
    assert outside.code == 2 and "extend lies outside the repository" in outside.err


def test_documentation_is_not_linted_as_a_letter(tmp_path, run):
    """`lint .` in a repository: documentation pages are skipped; include and exclude decide
    where the guess would be wrong."""
    (tmp_path / ".git").mkdir()
    letter = _letter(tmp_path / "lettres")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Guide\n\nHow we work.\n\n## Steps\n\nOne, then two.\n")
    (docs / "code.md").write_text("Run this:\n\n```\npublipost lint .\n```\n")
    (docs / "table.md").write_text("Prices\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    (docs / "notes.md").write_text("# Notes\n\nThe meeting went well and everyone agreed on the plan.\n")
    walked = run("lint", tmp_path, "--format", "json")
    assert {Path(f["path"]).name for f in json.loads(walked.out)} <= {letter.name}
    assert "in 1 file" in run("lint", tmp_path).out
    named = run("lint", docs / "guide.md", docs / "notes.md")
    assert "guide.md: skipped: Markdown with 2 headings, not a letter" in named.err
    assert "notes.md:" in named.out  # named, a page without headings is linted: it may be a draft letter
    (tmp_path / "publipost.toml").write_text('[lint]\nexclude = ["docs"]\ninclude = ["lettres/**"]\n')
    excluded = run("lint", docs / "notes.md")
    assert (
        excluded.err == "" and excluded.code == 0 and "notes.md" not in excluded.out
    )  # silently (issue 32, 4)
    _letter(tmp_path / "lettres", "# Titre\n\nTexte.\n\n## Autre\n\nBonjour,\n", name="b.md")
    assert "lettres/b.md" in run("lint", tmp_path / "lettres" / "b.md").out  # included: linted


def test_the_score_does_not_change_with_what_is_selected(tmp_path, run):
    """--select and ignore choose the findings shown; the score judges the whole copy."""
    text = GOOD["fr"].replace("\nP.S. Répondez avant le 31 décembre : votre cadeau vous attend.\n", "")
    path = _letter(tmp_path, text.replace("Vous dormez à poings fermés.", LONG))
    every = run("lint", path, "--isolated")
    only = run("lint", path, "--isolated", "--select", "PP201")
    score = [line for line in every.out.splitlines() if line.startswith("score")]
    assert score and "ps-missing" in every.out and "ps-missing" not in only.out
    assert [line for line in only.out.splitlines() if line.startswith("score")] == score
    assert "overall 5.0/5" not in score[0]  # the missing P.S. counts even where it is not shown


def test_explain_speaks_the_copy_s_language(run, monkeypatch):
    """Findings on French copy are French; so is --explain, by the locale or --language."""
    french = run("lint", "--explain", "ps-missing", "--language", "fr")
    assert french.code == 0 and "Pas de post-scriptum" in french.out and "par défaut : warning" in french.out
    monkeypatch.delenv("PUBLIPOST_LANG")  # which says English for the other tests
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert "Pas de post-scriptum" in run("lint", "--explain", "PP104").out
    english = run("lint", "--explain", "PP104", "--language", "en")
    assert "No post-scriptum" in english.out and "default: warning" in english.out


def test_every_rule_is_explained_in_french():
    from publipost.linter.rule import _explanations
    from publipost.linter.rules import all_rules

    assert {r.code for r in all_rules()} == set(_explanations("fr"))


@pytest.mark.parametrize(
    "front",
    [
        "language: fr",
        "language: en\nkind: complaint-reply",
        "language: fr\nflag: true",
        "lint: {select: [PP2]}",
    ],
)
def test_plain_front_matter_reads_as_yaml_does(tmp_path, front):
    """The fast path for « language: fr » gives what ruamel.yaml gives, or leaves it to ruamel."""
    from ruamel.yaml import YAML

    from publipost.linter.document import _front_matter

    assert _front_matter(tmp_path / "x.md", front) == YAML(typ="safe").load(front)
