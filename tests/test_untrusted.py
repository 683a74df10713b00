"""Lint and validate on a repository nobody reviewed: they never read, nor print, what lies outside it."""

from __future__ import annotations

import pytest

from tests.conftest import BASE_CAMPAIGN, BASE_CSV, BASE_LETTER

SECRET = "ghp_5ecretT0kenNobodyMayPrint"


@pytest.fixture
def repo(tmp_path):
    """A git work tree (a .git folder is enough) holding a valid campaign, and a secret beside it."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "campaign.yaml").write_text(BASE_CAMPAIGN)
    (root / "clients.csv").write_text(BASE_CSV)
    (root / "lettre.md").write_text(BASE_LETTER)
    (tmp_path / ".git-credentials").write_text(f"https://user:{SECRET}@github.com\n")
    return root


def _campaign(repo, **changes):
    text = BASE_CAMPAIGN
    for old, new in changes.items():
        text = text.replace(old, new)
    (repo / "campaign.yaml").write_text(text)
    return repo / "campaign.yaml"


def _nothing_leaked(result):
    assert SECRET not in result.out + result.err
    assert "PUBLIPOST_TEST_SECRET" not in result.out + result.err


@pytest.mark.parametrize("command", ["lint", "validate"])
def test_a_customer_file_outside_the_repository_is_refused(repo, run, command):
    path = _campaign(repo, **{"source: clients.csv": "source: ../.git-credentials"})
    result = run(command, path)
    assert result.code == 2 and "target.source lies outside the repository being checked" in result.err
    assert "--allow-outside" in result.err
    _nothing_leaked(result)


def test_allow_outside_is_the_operators_choice(repo, run):
    (repo.parent / "shared.csv").write_text(BASE_CSV)
    path = _campaign(repo, **{"source: clients.csv": "source: ../shared.csv"})
    assert run("validate", path, "--allow-outside", "--out", repo / "out").code == 0
    assert run("render", path, "--out", repo / "out").code == 0  # render and send: the operator's own run


def test_a_copy_file_that_links_outside_is_refused(repo, run):
    (repo / "lettre.md").unlink()
    (repo / "lettre.md").symlink_to(repo.parent / ".git-credentials")
    for command in ("lint", "validate"):
        result = run(command, repo / "campaign.yaml")
        assert result.code == 2 and "letter.body lies outside the repository" in result.err
        _nothing_leaked(result)


def test_a_link_met_while_walking_a_folder_is_refused(repo, run):
    (repo / "notes").mkdir()
    (repo / "notes" / "lettre.md").symlink_to(repo.parent / ".git-credentials")
    result = run("lint", repo)
    assert result.code == 2 and "this file (a link) lies outside the repository" in result.err
    _nothing_leaked(result)


def test_a_named_file_that_links_outside_is_refused(repo, run, tmp_path, monkeypatch):
    """Issue 25, 13: `lint letter.md`, letter.md a committed link to a file outside, printed that
    file's lines (`lint .` refused it). A link to a file inside is linted as before."""
    (tmp_path / "outside.md").write_text(f"**Bonjour**\n\n{SECRET} dans une phrase bien trop longue.\n")
    (repo / "letter.md").symlink_to(tmp_path / "outside.md")
    monkeypatch.chdir(repo)
    for named in (repo / "letter.md", "letter.md"):
        result = run("lint", named)
        assert result.code == 2 and "this file (a link) lies outside the repository" in result.err
        _nothing_leaked(result)
    (repo / "inside.md").symlink_to(repo / "lettre.md")
    inside = run("lint", repo / "inside.md")
    assert inside.code != 2 and "lies outside" not in inside.err, inside.err  # linted, not refused


def test_proc_files_and_odd_encodings_are_refused(repo, run, monkeypatch):
    monkeypatch.setenv("PUBLIPOST_TEST_SECRET", SECRET)
    path = _campaign(repo, **{"source: clients.csv": "source: /proc/self/environ\n  encoding: utf-16-le"})
    result = run("validate", path, "--allow-outside")
    assert (
        result.code == 2 and "'utf-16-le' is not an encoding publipost reads customer files in" in result.err
    )
    _nothing_leaked(result)
    path = _campaign(repo, **{"source: clients.csv": "source: /proc/self/environ"})
    for args in (("validate", path, "--allow-outside"), ("lint", path, "--allow-outside"), ("render", path)):
        result = run(*args)
        assert result.code == 2 and "target.source is not a regular file" in result.err, args
        _nothing_leaked(result)


def test_lint_under_ci_does_not_open_customer_files(repo, run, monkeypatch):
    (repo / "clients.csv").write_bytes("id;nom\n".encode("utf-16"))  # would stop lint if read
    assert run("lint", repo / "campaign.yaml").code == 2  # on a laptop, lint merges the longest values
    monkeypatch.setenv("CI", "true")
    result = run("lint", repo / "campaign.yaml")
    assert result.code in (0, 1) and "customer" not in result.err
    assert run("lint", repo / "campaign.yaml", "--data").code == 2  # asked for: read


@pytest.mark.parametrize(
    ("extend", "message"),
    [
        ("../.git-credentials", "extend lies outside the repository"),
        ("/dev/zero", "extend lies outside the repository"),  # read whole, it would never end
        ("lettre.md/../../.git-credentials", "extend lies outside the repository"),
    ],
)
def test_a_configuration_cannot_extend_a_file_outside_the_repository(repo, run, extend, message):
    (repo / "publipost.toml").write_text(f'[lint]\nextend = "{extend}"\n')
    result = run("lint", repo / "lettre.md")
    assert result.code == 2 and message in result.err and "--config" in result.err
    _nothing_leaked(result)


def test_a_configuration_file_that_links_outside_is_refused(repo, run):
    (repo / "publipost.toml").symlink_to(repo.parent / ".git-credentials")
    result = run("lint", repo / "lettre.md")
    assert result.code == 2 and "this configuration file (a link) lies outside the repository" in result.err
    _nothing_leaked(result)


def test_a_configuration_inside_the_repository_may_extend_another(repo, run):
    import json

    (repo / "base.toml").write_text("[lint]\nignore = ['PP104']\n")
    (repo / "linked.toml").symlink_to(repo / "base.toml")
    for extend in ("base.toml", "linked.toml"):  # a file, and a link that stays inside
        (repo / "publipost.toml").write_text(f'[lint]\nextend = "{extend}"\n')
        shown = run("lint", repo / "lettre.md", "--show-config")
        assert shown.code == 0 and json.loads(shown.out)["ignore"] == ["PP104"]


def test_a_huge_configuration_file_is_refused_before_it_is_read(repo, run):
    (repo / "pyproject.toml").write_text("[tool.publipost.lint]\n" + "# padding\n" * 200_000)
    result = run("lint", repo / "lettre.md")
    assert result.code == 2 and "this configuration file is 2.0 MB" in result.err


def test_ci_finds_what_a_local_run_finds(run, couette, monkeypatch):
    """Issue 32, 3: under CI=true (no data read) the example got PP107 personalization-missing
    and a lower score that no local run could reproduce; with fail-on = warning, CI failed."""
    import json

    local = run("lint", couette, "--format", "sarif")
    monkeypatch.setenv("CI", "true")
    ci = run("lint", couette, "--format", "sarif")

    def seen(result):
        run_ = json.loads(result.out)["runs"][0]
        return sorted(r["ruleId"] for r in run_["results"]), run_["properties"]["scores"]

    assert seen(ci) == seen(local)
    assert "PP107" not in seen(ci)[0]
