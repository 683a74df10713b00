"""Print runs on a real Dask LocalCluster (2 worker processes on 127.0.0.1): the same letters,
in the same order, with the same text per page as the local run."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLES

pytest.importorskip("distributed", reason="render --dask needs dask[distributed] (the test extra has it)")

DASK = [str(Path(sys.executable).parent / "dask")]


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
    assert text.code == 2 and "--dask draws print files and .eml files" in text.err


@contextlib.contextmanager
def _scheduler_and_worker(
    worker: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[str]:
    """`dask scheduler` and one worker started as processes on 127.0.0.1, as a print shop runs
    them (`worker`: how to start the worker, before its arguments); yields the scheduler's address."""
    from distributed import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    loopback = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([*DASK, "scheduler", "--port", str(port), *loopback], **quiet)
    started = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.2)
        started = subprocess.Popen(
            [*worker, address, "--nthreads", "1", *loopback], env=env, cwd=cwd, **quiet
        )
        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for process in (started, scheduler):
            if process is not None:
                process.terminate()
                process.wait(30)


def test_a_scheduler_and_a_worker_started_as_processes(tmp_path, run):
    """The tcp:// path: `dask scheduler` and `dask worker` on 127.0.0.1."""
    with _scheduler_and_worker([*DASK, "worker"]) as address:
        folder = tmp_path / "launch-planner"
        shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
        campaign = folder / "campaign.yaml"
        assert run("render", campaign, "--format", "pdf", "--out", tmp_path / "local").code == 0
        result = run("render", campaign, "--format", "pdf", "--out", tmp_path / "tcp", "--dask", address)
        assert result.code == 0, result.err
        here = _pages(tmp_path / "local" / "letters" / "letters.pdf")
        assert _pages(tmp_path / "tcp" / "letters" / "letters.pdf") == here and len(here) > 100


def test_a_worker_killed_mid_run_leaves_no_letter_missing_or_doubled(tmp_path, monkeypatch):
    """SIGKILL one worker while it draws: its chunks are drawn again elsewhere, and the print
    file holds every letter once, in order."""
    import signal

    import publipost
    from publipost.channels import printing
    from publipost.run.cluster import DaskCluster

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    prepared = publipost.prepare(folder / "campaign.yaml")
    here = printing.render_pdf(prepared, tmp_path / "local", jobs=1)
    monkeypatch.setattr(printing, "CHUNK", 8)  # many chunks, so the killed worker has some in hand
    killed: list[int] = []
    with DaskCluster("local:2") as cluster:
        pids = cluster.client.run(os.getpid)

        def kill_a_busy_worker(_done: int) -> None:
            if killed:
                return
            busy = [worker for worker, tasks in cluster.client.processing().items() if tasks]
            if busy:
                killed.append(pids[busy[0]])
                os.kill(pids[busy[0]], signal.SIGKILL)

        there = printing.render_pdf(
            prepared, tmp_path / "dask", executor=cluster, progress=kill_a_busy_worker
        )
        assert (
            killed and killed[0] not in cluster.client.run(os.getpid).values()
        )  # it died; the nanny restarted it
    assert there.written == here.written > 100 and not there.failed
    local = _pages(tmp_path / "local" / "letters" / "letters.pdf")
    assert _pages(tmp_path / "dask" / "letters" / "letters.pdf") == local


def test_workers_without_publipost_are_named_before_any_work(tmp_path, run):
    """A worker whose Python lacks publipost: refused, naming the worker, before a letter is drawn."""
    packages = Path(sysconfig.get_paths()["purelib"])
    bare = tmp_path / "site-packages-without-publipost"
    bare.mkdir()
    for entry in packages.iterdir():
        if not entry.name.lower().startswith(("publipost", "__editable__")):
            (bare / entry.name).symlink_to(entry)
    # -S: no site-packages (so no editable install either); the copy without publipost instead
    worker = [sys.executable, "-S", "-m", "distributed.cli.dask_worker", "--no-nanny"]
    # run from the bare copy, not the repository: `python -m` puts the working folder on the path
    with _scheduler_and_worker(worker, {**os.environ, "PYTHONPATH": str(bare)}, bare) as address:
        folder = tmp_path / "launch-planner"
        shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
        result = run(
            "render", folder / "campaign.yaml", "--format", "pdf", "--out", tmp_path / "o", "--dask", address
        )
        assert result.code == 2, result.err
        assert (
            "Dask workers that cannot draw this run" in result.err
            and "publipost is not installed" in result.err
        )
        assert "tcp://127.0.0.1:" in result.err
        assert not (tmp_path / "o" / "letters").exists()


def _messages(folder) -> dict[str, tuple[str, str, str]]:
    """Each .eml by file name: To, Subject and the text part, as a mail client reads them."""
    import email
    from email import policy

    found = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        found[path.name] = (str(message["To"]), str(message["Subject"]), text)
    return found


def test_eml_files_drawn_on_the_cluster_are_the_local_ones(tmp_path, run):
    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    out = tmp_path / "out"  # one output folder: the same unsubscribe key for both runs
    local = run("render", campaign, "--format", "eml", "--out", out, "--jobs", "1")
    assert local.code == 0, local.err
    here = _messages(out / "emails")
    shutil.rmtree(out / "emails")
    clustered = run("render", campaign, "--format", "eml", "--out", out, "--dask", "local:2")
    assert clustered.code == 0, clustered.err
    there = _messages(out / "emails")
    assert len(here) > 100 and there == here
    assert not list((out / "emails").glob(".*.part"))
    mbox = run("render", campaign, "--format", "mbox", "--dask", "local:2")
    assert mbox.code == 2 and "--dask draws print files and .eml files" in mbox.err


def test_no_other_process_can_join_or_use_a_local_cluster():
    """Issue 25, 12: `--dask local:N` listened in clear on 127.0.0.1: any process of the machine
    could connect, run code on the workers and read the campaign's secrets. Now only this run,
    holding the cluster's in-memory TLS key, gets in."""
    from distributed import Client
    from distributed.security import Security

    from publipost.run.cluster import DaskCluster

    with DaskCluster("local:1") as cluster:
        address = cluster.cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        assert cluster.client.run(os.getpid)  # the run itself works
        with pytest.raises((OSError, TimeoutError)):  # in clear: refused
            Client(address.replace("tls://", "tcp://"), timeout=3)
        with pytest.raises((OSError, TimeoutError)):  # with a certificate of its own: refused too
            Client(address, security=Security.temporary(), timeout=3)
