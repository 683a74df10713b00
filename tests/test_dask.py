"""Print runs on a real Dask LocalCluster (2 worker processes on 127.0.0.1): the same letters,
in the same order, with the same text per page as the local run."""

from __future__ import annotations

import shutil

import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLES

pytest.importorskip("distributed", reason="render --dask needs dask[distributed] (the test extra has it)")


def _pages(pdf) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages]


def test_the_clusters_print_file_is_the_local_one(tmp_path, run):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    local = run("render", campaign, "--format", "pdf", "--out", tmp_path / "local")
    assert local.code == 0, local.err
    clustered = run("render", campaign, "--format", "pdf", "--out", tmp_path / "dask", "--dask", "local:2")
    assert clustered.code == 0, clustered.err
    here = _pages(tmp_path / "local" / "letters" / "letters.pdf")
    there = _pages(tmp_path / "dask" / "letters" / "letters.pdf")
    assert len(there) == len(here) > 100 and there == here  # same letters, same order, same text
    assert not (tmp_path / "dask" / "letters" / ".chunks").exists()


def test_bad_dask_addresses(tmp_path, run):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    for address, said in (
        ("local:0", "write local:N"),
        ("http://x", "give a scheduler (tcp://HOST:8786) or local:N"),
        ("tcp://127.0.0.1:9", "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    ):
        refused = run("render", campaign, "--format", "pdf", "--dask", address)
        assert refused.code == 2 and said in refused.err, (address, refused.err)
    text = run("render", campaign, "--format", "text", "--dask", "local:2")
    assert text.code == 2 and "--dask draws print files (pdf)" in text.err
