"""A finding's link to its rule: read from the installed package's metadata, as importlib.metadata would."""

from __future__ import annotations

import importlib.metadata

import pytest

from publipost.linter import engine

METADATA = """\
Metadata-Version: 2.1
Name: publipost
Version: 9.9
Summary: direct mail: Documentation, in a summary, is not a URL
Project-URL: Homepage, https://publipost.example
Project-URL: Documentation, https://docs.publipost.example/rules.html#top
Requires-Dist: jinja2

Documentation, https://body.example (the description is not a header)
"""


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A publipost dist-info ahead of the real one on sys.path; the cached answer forgotten."""

    def install(metadata: str) -> None:
        folder = tmp_path / "publipost-9.9.dist-info"
        folder.mkdir()
        (folder / "METADATA").write_text(metadata, encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        engine.documentation.cache_clear()

    yield install
    engine.documentation.cache_clear()


def test_the_documentation_url_is_the_one_importlib_metadata_reads(installed):
    installed(METADATA)
    urls = importlib.metadata.metadata("publipost").get_all("Project-URL")
    assert "Documentation, https://docs.publipost.example/rules.html#top" in urls
    assert engine.documentation() == "https://docs.publipost.example/rules.html#top"
    assert engine.rule_url("PP201") == "https://docs.publipost.example/rules.html#pp201"


def test_no_documentation_url_means_no_link(installed):
    installed(METADATA.replace("Project-URL: Documentation", "Project-URL: Source"))
    assert engine.documentation() is None
    assert engine.rule_url("PP201") is None
