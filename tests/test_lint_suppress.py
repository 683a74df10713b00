"""Suppression comments in copy ({# publipost: … #}) and campaign YAML (# publipost: …)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publipost.linter import report
from tests.lintkit import GOOD, lint_text, position

CLAIM = "C'est la meilleure couette."


def _with(text: str) -> str:
    return GOOD["fr"].replace("Vous dormez à poings fermés.", text)


def test_ignore_next_block_with_reason(tmp_path):
    text = GOOD["fr"].replace(
        "En effet,", "{# publipost: ignore[unproven-claim] -- testé en magasin #}\nEn effet,"
    )
    text = text.replace("Vous dormez à poings fermés.", CLAIM)
    result = lint_text(tmp_path, text)
    assert result.active == []
    (suppressed,) = result.findings
    assert suppressed.suppressed and suppressed.justification == "testé en magasin"
    assert json.loads(report.as_json(result))[0]["suppressed"] is True
    sarif = json.loads(report.sarif(result))
    assert sarif["runs"][0]["results"][0]["suppressions"] == [
        {"kind": "inSource", "justification": "testé en magasin"}
    ]


def test_trailing_ignore_covers_its_line_only(tmp_path):
    text = _with(CLAIM + " {#- publipost: ignore[PP305] #}")
    assert lint_text(tmp_path, text).active == []
    text = _with(CLAIM) + "\n{# publipost: ignore[PP305] #}\n"
    names = [f.name for f in lint_text(tmp_path, text).active]
    assert names == ["unproven-claim", "unused-suppression"]


def test_disable_enable_range_and_unclosed_range(tmp_path):
    text = _with("{# publipost: disable[PP305] #}\n" + CLAIM + "\n{# publipost: enable[PP305] #}")
    assert lint_text(tmp_path, text).active == []
    text = _with("{# publipost: disable[PP305] #}\n" + CLAIM)
    (finding,) = lint_text(tmp_path, text).active
    assert finding.name == "bad-suppression" and "never closed" in finding.message
    assert (finding.line, finding.column) == position(text, "{# publipost: disable")


def test_file_ignore(tmp_path):
    text = GOOD["fr"].replace("\nP.S. Répondez avant le 31 décembre : votre cadeau vous attend.\n", "")
    assert [f.name for f in lint_text(tmp_path, text).active] == ["ps-missing"]
    text = text.replace("---\n**", "---\n{# publipost: file-ignore[ps-missing] -- courrier de gestion #}\n**")
    assert lint_text(tmp_path, text).active == []


def test_unknown_and_unreadable_directives(tmp_path):
    text = _with("{# publipost: ignore[PP999] #}\n{# publipost: ignorer[PP305] #}")
    findings = lint_text(tmp_path, text).active
    assert [(f.rule, f.name) for f in findings] == [("PP901", "unknown-rule"), ("PP902", "bad-suppression")]
    assert "« PP999 »" in findings[0].message


def test_yaml_comment_suppresses_inline_copy(tmp_path):
    import shutil

    from publipost.linter.engine import lint_paths
    from tests.conftest import EXAMPLES

    folder = tmp_path / "c"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    yaml = (folder / "campaign.yaml").read_text()
    yaml = yaml.replace(
        'subject: "New: the planner that starts when you do"',
        'subject: "FREE: the planner that starts when you do"',
    )
    (folder / "campaign.yaml").write_text(yaml)
    (finding,) = lint_paths([folder / "campaign.yaml"]).active
    assert finding.name == "spam-trigger" and (finding.line, finding.column) == position(yaml, "FREE:")
    yaml = yaml.replace('when you do"\n', 'when you do"  # publipost: ignore[spam-trigger] -- tested\n')
    (folder / "campaign.yaml").write_text(yaml)
    result = lint_paths([folder / "campaign.yaml"])
    assert result.active == [] and result.findings[0].justification == "tested"


def test_the_rule_that_guards_the_law_cannot_be_switched_off_by_the_copy(tmp_path, run):
    """A campaign's lint: section and suppression comments cannot hide a missing unsubscribe;
    the send gate applies it whatever the configuration files say."""
    from tests.test_send import CAMPAIGN

    unsubscribe = "    url: https://planora.example/unsubscribe\n    mailto: unsubscribe@planora.example\n"
    campaign = CAMPAIGN.replace("  unsubscribe:\n" + unsubscribe, "")
    campaign += "lint:\n  ignore: [unsubscribe-missing]\n  severity: {PP604: info}\n"
    (tmp_path / "campaign.yaml").write_text(campaign)
    (tmp_path / "customers.csv").write_text("id,First Name,Last Name,Email\n1,Ann,Smith,ann@example.com\n")
    result = run("lint", tmp_path / "campaign.yaml", "--format", "concise")
    assert result.code == 1 and "PP604 [error] unsubscribe-missing" in result.out
    (tmp_path / "publipost.toml").write_text('[lint]\nignore = ["PP604"]\n')
    assert (
        "PP604" not in run("lint", tmp_path / "campaign.yaml", "--format", "concise").out
    )  # the repo's choice
    sent = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out")
    assert sent.code == 1 and "unsubscribe-missing" in sent.err and "nothing was sent" in sent.err
    letter = tmp_path / "offre.mjml"
    letter.write_text(
        "<mjml><mj-body><mj-text>{# publipost: ignore[PP604] #}Hello</mj-text></mj-body></mjml>"
    )
    result = run("lint", letter, "--isolated", "--format", "concise")
    assert "unsubscribe-missing guards the law" in result.out


@pytest.mark.slow  # a bound waited for, or every spelling of the paths: CI runs it
def test_findings_do_not_depend_on_the_order_or_spelling_of_the_paths(tmp_path, monkeypatch, capsys):
    """A campaign, one of its copy files, a documentation page and a standalone letter, named in
    every order and with relative or absolute paths: the same findings, the same suppressions,
    and an unused suppression reported once (PP900 depended on argument order once)."""
    import itertools
    import shutil

    from publipost.cli import main
    from tests.conftest import EXAMPLES

    shutil.copytree(
        EXAMPLES / "vente-couette", tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("out")
    )
    (tmp_path / ".git").mkdir()
    copy = tmp_path / "lettre.md"
    copy.write_text(
        copy.read_text(encoding="utf-8").replace(
            "Vous l'achetez une fois, pour longtemps.",
            "C'est la meilleure couette. {#- publipost: ignore[unproven-claim] -- testée en magasin #}",
        ),
        encoding="utf-8",
    )
    email = tmp_path / "email.md"
    email.write_text(
        email.read_text(encoding="utf-8") + "\n{# publipost: ignore[PP303] #}\n", encoding="utf-8"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(
        "# Guide\n\n## Usage\n\n```sh\npublipost lint\n```\n\n{# publipost: ignore[PP305] #}\n",
        encoding="utf-8",
    )
    (tmp_path / "lettres").mkdir()
    (tmp_path / "lettres" / "relance.md").write_text(
        _with(CLAIM + " {#- publipost: ignore[PP305] #}"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)

    def findings(paths: list[str]) -> list[tuple]:
        main(["lint", "--format", "json", "--isolated", *paths])
        found = json.loads(capsys.readouterr().out)
        return sorted(
            (str(Path(f["path"]).resolve()), f["line"], f["column"], f["rule"], f["suppressed"])
            for f in found
        )

    names = ["campaign.yaml", "lettre.md", "docs/index.md", "lettres/relance.md"]
    expected = findings(names)
    codes = [(Path(path).name, code, suppressed) for path, _, _, code, suppressed in expected]
    assert ("email.md", "PP900", False) in codes and codes.count(("email.md", "PP900", False)) == 1
    assert ("lettre.md", "PP305", True) in codes and ("relance.md", "PP305", True) in codes
    assert not [c for c in codes if c[0] == "index.md"]
    for order in itertools.permutations(names):
        assert findings(list(order)) == expected, order
    assert findings([str(tmp_path / name) if n % 2 else name for n, name in enumerate(names)]) == expected
    assert findings(["./campaign.yaml", str(copy), "docs/../lettre.md"]) == sorted(
        f for f in expected if "relance" not in f[0]
    )


def test_comments_are_read_from_the_text_that_was_linted(tmp_path):
    """A file saved again while it is linted (an editor's autosave): its findings and the comments
    that suppress them come from one reading, so a finding is never judged by lines it was not
    found in."""
    from publipost.linter.document import letter_from_markdown
    from publipost.linter.engine import lint_docs

    linted = (
        GOOD["fr"]
        .replace("En effet,", "{# publipost: ignore[unproven-claim] -- testé en magasin #}\nEn effet,")
        .replace("Vous dormez à poings fermés.", CLAIM)
    )
    path = tmp_path / "letter.md"
    path.write_text(_with(CLAIM), encoding="utf-8")  # on disk now: the claim, without the comment
    result = lint_docs(path, [letter_from_markdown(path, linted)], isolated=True)
    (finding,) = result.findings
    assert finding.rule == "PP305" and finding.suppressed
