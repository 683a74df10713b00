"""The lint hook as pre-commit runs it: the real `pre-commit` in a throwaway git repository,
the hook as .pre-commit-hooks.yaml defines it (run from this installation: language system)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import EXAMPLES, ROOT

BIN = Path(sys.executable).parent


@pytest.fixture
def repo(tmp_path):
    if not (BIN / "pre-commit").exists():
        pytest.skip("pre-commit is not installed (the test extra has it)")
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(EXAMPLES / "vente-couette", repo / "couette", ignore=shutil.ignore_patterns("out"))
    (repo / "docs").mkdir()
    (repo / "docs" / "guide.md").write_text("# Guide\n\nHow we work.\n\n## Usage\n\n```\nmake\n```\n")
    (hook,) = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    local = {
        **{k: hook[k] for k in ("id", "name", "files", "require_serial")},
        "entry": f"{BIN / 'publipost'} lint",
        "language": "system",
    }
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    with (repo / ".pre-commit-config.yaml").open("w") as file:
        YAML().dump(config, file)
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "start"], cwd=repo, check=True)
    return repo


def _pre_commit(repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "cache"), "CI": "true"}
    return subprocess.run(
        [str(BIN / "pre-commit"), "run", "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_changed_copy_file_is_linted_within_its_campaign(repo):
    """lettre.md alone lacks the hook, signature and P.S. its campaign adds: linted within it,
    it passes; the hook's files pattern also hands over YAML that is not a campaign, and a
    documentation page, which are left alone."""
    files = [
        "couette/lettre.md",
        "couette/email.md",
        "couette/campaign.yaml",
        ".pre-commit-config.yaml",
        "docs/guide.md",
    ]
    done = _pre_commit(repo, *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout

    letter = repo / "couette" / "lettre.md"
    broken = "Je vous souhaite de **douces nuits."  # bold never closed: printed as typed, an error
    letter.write_text(
        letter.read_text(encoding="utf-8").replace("Je vous souhaite de douces nuits.", broken, 1),
        encoding="utf-8",
    )
    failed = _pre_commit(repo, "couette/lettre.md")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "couette/lettre.md:" in failed.stdout and "PP109" in failed.stdout
    assert (
        "PP104" not in failed.stdout and "PP103" not in failed.stdout
    )  # its campaign's P.S. and signature count


def test_all_files_lints_each_campaign_once_and_excluded_files_silently(repo):
    """Issue 32, 4: `pre-commit run --all-files` split the files into batches, one per core, and a
    campaign whose files fell in two batches was linted (and its findings printed) twice; each
    file the configuration excludes was reported as skipped."""
    letter = repo / "couette" / "lettre.md"
    broken = "Je vous souhaite de **douces nuits."
    letter.write_text(
        letter.read_text(encoding="utf-8").replace("Je vous souhaite de douces nuits.", broken, 1),
        encoding="utf-8",
    )
    (repo / "publipost.toml").write_text('exclude = ["drafts/**"]\n')
    (repo / "drafts").mkdir()
    (repo / "drafts" / "idea.md").write_text("Bonjour {{ first_name }},\n\nUne idée.\n\nP.S. Plus tard.\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "cache"), "CI": "true"}
    done = subprocess.run(
        [str(BIN / "pre-commit"), "run", "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.count("PP109") == 1, done.stdout  # one finding, printed once
    assert "idea.md" not in done.stdout + done.stderr  # excluded by the configuration: silently
