"""Output formats and exit codes: the JSON contract, SARIF 2.1.0 against its schema, GitHub, GitLab, text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema

from tests.lintkit import DATA, GOOD, position

BAD = (
    GOOD["en"]
    .replace("You see your tasks at a glance.", "It is the best: don't hesitate to call us!!")
    .replace("Dana Brooks\nFounder, Planora\n", "")
)


def _lint(run, tmp_path, *args):
    path = tmp_path / "bad letter.md"
    path.write_text(BAD, encoding="utf-8")
    return run("lint", path, "--isolated", *args), path


def test_json_contract(run, tmp_path):
    result, _ = _lint(run, tmp_path, "--format", "json")
    assert result.code == 1  # signature-missing is an error
    findings = json.loads(result.out)
    for finding in findings:
        for key in (
            "rule",
            "name",
            "severity",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
        ):
            assert key in finding
    claim = next(f for f in findings if f["name"] == "unproven-claim")
    assert claim["rule"] == "PP305" and claim["severity"] == "warning"
    assert (claim["line"], claim["column"]) == position(BAD, "the best")
    assert (claim["end_line"], claim["end_column"]) == (claim["line"], claim["column"] + len("the best"))
    assert claim["language"] == "en" and claim["source"] == "mailing-rules.md §3.2"


def test_sarif_validates_against_the_schema(run, tmp_path):
    result, _ = _lint(run, tmp_path, "--format", "sarif")
    document = json.loads(result.out)
    schema = json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert len({r["partialFingerprints"]["publipost/v1"] for r in results}) == len(results)
    (score,) = document["runs"][0]["properties"]["scores"].values()  # issue 32, 7
    assert 0 <= score["overall"] <= 5 and score["words"] > 0


def test_a_ci_gate_on_the_score(run, tmp_path):
    """Issue 32, 7: a CI could not fail on the score. --min-score (or min-score in the config)
    fails below it, naming the copy and its score on stderr; stdout stays the report."""
    sarif, path = _lint(run, tmp_path, "--format", "sarif")
    overall = next(iter(json.loads(sarif.out)["runs"][0]["properties"]["scores"].values()))["overall"]
    # --select PP9: no finding of the letter's is shown; the score judges the whole copy all the same
    below = run("lint", path, "--format", "json", "--select", "PP9", "--min-score", str(overall + 0.1))
    above = run("lint", path, "--min-score", str(overall), "--select", "PP9")
    assert below.code == 1 and f"score {overall} is below min-score {overall + 0.1}" in below.err
    json.loads(below.out)  # the report itself stays a JSON array
    assert above.code == 0, above.err
    (tmp_path / "publipost.toml").write_text(f"min-score = {min(5.0, overall + 0.5)}\n")
    assert run("lint", path, "--select", "PP9").code == 1
    (tmp_path / "publipost.toml").write_text("min-score = 7\n")
    refused = run("lint", path)
    assert refused.code == 2 and "min-score is 7" in refused.err


def test_github_annotations_line_by_line(run, tmp_path):
    result, path = _lint(run, tmp_path, "--format", "github")
    lines = result.out.splitlines()
    claim = next(line for line in lines if "PP305" in line)
    line, column = position(BAD, "the best")
    assert claim == (
        f"::warning file={path},line={line},endLine={line},col={column},endColumn={column + 8},"
        f'title=PP305 unproven-claim::"the best" with no figure or fact in the sentence: prove it'
    )
    spam = next(line for line in lines if "PP303" in line)
    assert spam.startswith("::warning ") and "title=PP303 stock-phrase::" in spam
    signature = next(line for line in lines if "PP103" in line)
    assert signature.startswith("::error ")
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)


def test_github_escaping(tmp_path):
    from publipost.linter.report import _escape_data, _escape_property

    assert _escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert _escape_property("a,b:c") == "a%2Cb%3Ac"


def test_gitlab_code_quality(run, tmp_path):
    result, path = _lint(run, tmp_path, "--format", "gitlab")
    report = json.loads(result.out)
    assert {f["severity"] for f in report} <= {"info", "minor", "major", "critical", "blocker"}
    assert len({f["fingerprint"] for f in report}) == len(report)
    first = report[0]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert first["location"]["path"] == str(path) and "begin" in first["location"]["lines"]
    again = json.loads(_lint(run, tmp_path, "--format", "gitlab")[0].out)
    assert [f["fingerprint"] for f in again] == [f["fingerprint"] for f in report]  # stable across runs


def test_text_shows_excerpt_caret_and_summary(run, tmp_path):
    result, path = _lint(run, tmp_path)
    line, column = position(BAD, "the best")
    assert f'{path}:{line}:{column}: warning PP305 unproven-claim "the best" with no figure' in result.out
    assert "       | " + " " * (column - 1) + "^^^^^^^^" in result.out
    assert "1 error, " in result.out and "score " in result.out


def test_output_file_keeps_the_exit_code(run, tmp_path):
    result, _ = _lint(run, tmp_path, "--format", "json", "--output-file", str(tmp_path / "r" / "lint.json"))
    assert result.code == 1 and result.out == ""
    assert json.loads((tmp_path / "r" / "lint.json").read_text())


def test_format_auto_under_github_actions(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text(BAD, encoding="utf-8")
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "publipost", "lint", str(path), "--isolated", "--format", "auto"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1 and done.stdout.startswith("::")


def test_bad_inputs_exit_2(run, tmp_path):
    assert run("lint", tmp_path / "missing.md").code == 2
    (tmp_path / "data.csv").write_text("a,b\n")
    result = run("lint", tmp_path / "data.csv")
    assert result.code == 2 and "cannot lint '.csv' files" in result.err
    (tmp_path / "bad.md").write_bytes("é".encode("latin-1"))
    assert run("lint", tmp_path / "bad.md").code == 2
    (tmp_path / "front.md").write_text("---\nlanguage: [fr\n---\nBonjour\n")
    result = run("lint", tmp_path / "front.md")
    assert result.code == 2 and "invalid front matter" in result.err


def test_pre_commit_hook_definition():
    from ruamel.yaml import YAML

    from tests.conftest import ROOT

    (hook,) = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (
        hook["id"] == "publipost-lint" and hook["entry"] == "publipost lint" and hook["language"] == "python"
    )


def test_sarif_uris_are_percent_encoded(run, tmp_path):
    """SARIF's artifactLocation.uri is a URI reference: a space or an accent must be encoded."""
    from urllib.parse import unquote

    folder = tmp_path / "mon dossier"
    folder.mkdir()
    letter = folder / "lettre d'été.md"
    letter.write_text(BAD, encoding="utf-8")
    result = run("lint", letter, "--format", "sarif", "--isolated")
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(result.out)["runs"][0]["results"]
        for location in r["locations"]
    }
    assert uris and all(" " not in uri and uri.isascii() for uri in uris)
    assert {unquote(uri).rsplit("/", 1)[-1] for uri in uris} == {"lettre d'été.md"}


def test_sarif_uris_of_non_ascii_file_names_are_percent_encoded(run, tmp_path, monkeypatch):
    """SARIF's artifactLocation.uri is a URI reference: accents and spaces percent-encoded
    (UTF-8), so that GitHub code scanning finds the file again."""
    from urllib.parse import unquote

    folder = tmp_path / "Été 2026"
    folder.mkdir()
    (folder / "lettre d'été.md").write_text(BAD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("lint", "Été 2026", "--isolated", "--format", "sarif")
    document = json.loads(result.out)
    jsonschema.validate(document, json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8")))
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for finding in document["runs"][0]["results"]
        for location in finding["locations"]
    }
    assert uris == {"%C3%89t%C3%A9%202026/lettre%20d%27%C3%A9t%C3%A9.md"}
    (uri,) = uris
    assert uri.isascii() and unquote(uri) == "Été 2026/lettre d'été.md"


def test_rule_urls_are_given_only_where_they_resolve(run, tmp_path, monkeypatch):
    """Issue 32, 7: the URLs pointed at a repository that may not exist. They come from the
    installed package's documentation URL (pyproject's [project.urls]), or are left out."""
    from publipost.linter import engine, report

    result, _ = _lint(run, tmp_path, "--format", "json")
    assert {f["url"] for f in json.loads(result.out)} == {None}  # this package names no documentation
    sarif = json.loads(_lint(run, tmp_path, "--format", "sarif")[0].out)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver and not any("helpUri" in r for r in driver["rules"])

    docs = "https://docs.example.org/publipost/rules.html"
    for module in (engine, report):
        monkeypatch.setattr(module, "documentation", lambda: docs)
    findings = json.loads(_lint(run, tmp_path, "--format", "json")[0].out)
    claim = next(f for f in findings if f["rule"] == "PP305")
    assert claim["url"] == f"{docs}#pp305"
    sarif = json.loads(_lint(run, tmp_path, "--format", "sarif")[0].out)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["PP305"]["helpUri"] == f"{docs}#pp305"
