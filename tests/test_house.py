"""The house rules, checked in CI with the other tests: types, layers, style, light imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_is_clean():
    done = _run(str(BIN / "mypy"))
    assert done.returncode == 0, done.stdout[-4000:]


def test_the_layers_point_down_and_nothing_cycles():
    done = _run(str(BIN / "lint-imports"))
    assert done.returncode == 0 and "0 broken" in done.stdout, done.stdout[-4000:]


def test_ruff_is_clean():
    done = _run(str(BIN / "ruff"), "check", "publipost", "tests", "bench")
    assert done.returncode == 0, done.stdout[-4000:]


@pytest.mark.parametrize(
    "module",
    [
        "publipost.mailer.smtp",
        "publipost.mailer.message",
        "publipost.linter",
        "publipost.linter.engine",
        "publipost.cli",
    ],
)
def test_importing_the_mailer_or_the_linter_loads_no_pandas(module):
    code = f"import {module}, sys; assert 'pandas' not in sys.modules, sorted(sys.modules)"
    done = _run(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr[-2000:]
