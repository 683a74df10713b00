"""Helpers: campaigns and customer files written to real folders, and the CLI run in-process."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from publipost.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

BASE_CAMPAIGN = """\
name: Test campaign
language: fr
objective: vente
offer:
  product: couette
  price: 49.90
target:
  source: clients.csv
sender:
  name: Claire Martin
  function: Directrice commerciale
  place: Lyon
letter:
  date: 2026-11-22
  body: lettre.md
"""

BASE_CSV = """\
id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;E-mail
1;Mme;Jeanne;Dupont;12 rue des Lilas;69003;Lyon;jeanne.dupont@exemple.fr
2;M.;Paul;Martin;3 rue Neuve;01000;Bourg-en-Bresse;paul.martin@exemple.fr
"""

BASE_LETTER = "**Découvrez maintenant votre cadeau**\n\nBonjour {{ first_name }}, voici votre offre.\n"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def not_under_ci(monkeypatch):
    """Tests behave the same on a laptop and in CI: CI=true changes lint's defaults (--no-data)."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """The tool's own words in English, whatever the campaign's language: most tests assert the
    English wording; the French ones (test_french_tool.py) ask for French."""
    monkeypatch.setenv("PUBLIPOST_LANG", "en")


@pytest.fixture(autouse=True)
def own_store(monkeypatch, tmp_path_factory):
    """Each test its own suppression store: never the user's, never another test's."""
    path = tmp_path_factory.mktemp("store") / "store.sqlite"
    monkeypatch.setenv("PUBLIPOST_STORE", str(path))
    return path


@pytest.fixture
def run(capsys):
    def _run(*args: str | Path) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def campaign_dir(tmp_path):
    """A folder with a valid campaign; tests overwrite the file they are about."""

    def _make(
        campaign: str = BASE_CAMPAIGN,
        csv: str | bytes = BASE_CSV,
        letter: str = BASE_LETTER,
        csv_name: str = "clients.csv",
        encoding: str = "utf-8",
    ) -> Path:
        (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign), encoding="utf-8")
        data = csv if isinstance(csv, bytes) else textwrap.dedent(csv).encode(encoding)
        (tmp_path / csv_name).write_bytes(data)
        (tmp_path / "lettre.md").write_text(letter, encoding="utf-8")
        return tmp_path / "campaign.yaml"

    return _make


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server (tests/pgkit.py), shared: each test takes a database of its own."""
    from tests.pgkit import Postgres

    try:
        server = Postgres()
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL to test the shared store against: {exc}")
    yield server
    server.stop()


@pytest.fixture
def couette(tmp_path):
    """The French example campaign, copied without its output: a test may send and print it."""
    import shutil

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


@pytest.fixture
def send_key(monkeypatch):
    """The campaign key (unsubscribe tokens, signed Message-IDs), as a real send has it."""
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", "a-test-campaign-key-of-48-bytes-" * 2)


# Modules whose every test drives a browser, a cluster, a bench or processes killed mid-run.
SLOW_MODULES = {
    "test_dask",
    "test_email_browser",
    "test_send_crash",
    "test_bench",
    "test_preview",
    "test_pre_commit",
    "test_print_resume",
}


def pytest_collection_modifyitems(items):
    """Marks slow what `pytest -m "not slow"` (the quick loop) leaves out; CI runs everything."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SLOW_MODULES or "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def replies(tmp_path):
    """The complaint-reply example, copied: its campaign file."""
    folder = tmp_path / "reclamations"
    shutil.copytree(EXAMPLES / "reclamations", folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


def edit_complaints(campaign: Path, old: str, new: str) -> None:
    """Replace text in the example's complaints file (cp1252, as a French spreadsheet saves it)."""
    path = campaign.parent / "data" / "reclamations.csv"
    text = path.read_text(encoding="cp1252")
    assert old in text
    path.write_text(text.replace(old, new), encoding="cp1252")


def plain(text: str) -> str:
    """`text` without its typography (no-break spaces as spaces, ’ as '): for tests about
    something else than the typesetter (templates/typography.py, tested on its own)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2019", "'")


def copy_example(name: str, folder: Path, addition: str = "") -> Path:
    """An example copied under `folder` (without its out/), `addition` appended to its campaign
    file; returns the campaign file."""
    target = folder / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("out"))
    campaign = target / "campaign.yaml"
    if addition:
        campaign.write_text(campaign.read_text(encoding="utf-8") + addition, encoding="utf-8")
    return campaign
