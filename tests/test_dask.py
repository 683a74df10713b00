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


def test_a_scheduler_and_a_worker_started_as_processes(tmp_path, run):
    """The tcp:// path: `dask scheduler` and `dask worker` on 127.0.0.1, as a print shop runs them."""
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.2)
        worker = subprocess.Popen(
            [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        folder = tmp_path / "launch-planner"
        shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
        campaign = folder / "campaign.yaml"
        assert run("render", campaign, "--format", "pdf", "--out", tmp_path / "local").code == 0
        result = run("render", campaign, "--format", "pdf", "--out", tmp_path / "tcp", "--dask", address)
        assert result.code == 0, result.err
        here = _pages(tmp_path / "local" / "letters" / "letters.pdf")
        assert _pages(tmp_path / "tcp" / "letters" / "letters.pdf") == here and len(here) > 100
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(30)
