"""A print run stopped before its merge resumes: finished chunks are kept, the rest drawn,
and the print file is the one an unbroken run makes; anything changed is drawn anew."""

from __future__ import annotations

import shutil

import pytest
from pypdf import PdfReader

from publipost.api import prepare
from publipost.channels import printing
from publipost.run.executor import InProcess
from tests.conftest import EXAMPLES


class Stopped(Exception):
    pass


class StopsAfter(InProcess):
    """This process, stopping (as Ctrl-C would) after `limit` chunks; counts the chunks asked of it."""

    def __init__(self, limit: int | None = None):
        self.limit, self.drawn = limit, 0

    def map_unordered(self, work, shared, jobs):
        for job in jobs:
            if self.limit is not None and self.drawn == self.limit:
                raise Stopped
            self.drawn += 1
            yield work(shared, job)


def _pages(pdf) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages]


@pytest.fixture
def couette(tmp_path, monkeypatch):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    monkeypatch.setattr(printing, "CHUNK", 20)  # several chunks from the example's letters
    return folder


def test_a_stopped_print_run_resumes_where_it_stopped(couette, tmp_path):
    prepared = prepare(couette / "campaign.yaml")
    whole = printing.render_pdf(prepared, tmp_path / "whole", executor=InProcess())
    chunks = -(-whole.letters // 20)
    assert chunks >= 4

    with pytest.raises(Stopped):
        printing.render_pdf(prepared, tmp_path / "out", executor=StopsAfter(2))
    kept = sorted(p.name for p in (tmp_path / "out" / "letters" / ".chunks").glob("*.pdf"))
    assert len(kept) == 2 and not list((tmp_path / "out" / "letters").glob("**/*.part"))

    second = StopsAfter()
    resumed = printing.render_pdf(prepared, tmp_path / "out", executor=second)
    assert second.drawn == chunks - 2 and resumed.resumed == 2
    assert resumed.letters == whole.letters and resumed.pages == whole.pages
    assert _pages(tmp_path / "out" / "letters" / "letters.pdf") == _pages(
        tmp_path / "whole" / "letters" / "letters.pdf"
    )
    assert not (tmp_path / "out" / "letters" / ".chunks").exists()
    assert any("resumed: 2 chunks" in line for line in resumed.summary(str))


def test_a_change_between_runs_draws_every_chunk_anew(couette, tmp_path):
    with pytest.raises(Stopped):
        printing.render_pdf(prepare(couette / "campaign.yaml"), tmp_path / "out", executor=StopsAfter(2))
    letter = couette / "lettre.md"
    letter.write_text(
        letter.read_text(encoding="utf-8").replace("couette", "couette légère", 1), encoding="utf-8"
    )
    changed = prepare(couette / "campaign.yaml")
    again = StopsAfter()
    report = printing.render_pdf(changed, tmp_path / "out", executor=again)
    assert report.resumed == 0 and again.drawn == -(-report.letters // 20)
    assert any("couette légère" in page for page in _pages(tmp_path / "out" / "letters" / "letters.pdf"))


class Shipping(InProcess):
    """An executor whose workers would not share this memory, as Dask's: records what it is sent."""

    ships_data = True

    def __init__(self):
        self.shared, self.jobs = None, []

    def map_unordered(self, work, shared, jobs):
        import pickle

        self.shared, self.jobs = pickle.loads(pickle.dumps(shared)), list(jobs)  # as a worker gets them
        for job in self.jobs:
            yield work(self.shared, pickle.loads(pickle.dumps(job)))


def test_workers_that_do_not_share_memory_get_their_chunks_rows_only(couette, tmp_path):
    """What keeps a Dask worker's memory flat however long the file: the campaign once, without
    the customers; each chunk with its own rows."""
    prepared = prepare(couette / "campaign.yaml")
    here = printing.render_pdf(prepared, tmp_path / "here", executor=InProcess())
    shipping = Shipping()
    there = printing.render_pdf(prepared, tmp_path / "there", executor=shipping)
    assert len(shipping.shared.prepared.audience.frame) == 0
    assert len(shipping.shared.prepared.audience.source.frame) == 0
    assert [len(job.rows.frame) for job in shipping.jobs] == [20] * (here.letters // 20) + (
        [here.letters % 20] if here.letters % 20 else []
    )
    assert there.letters == here.letters
    assert _pages(tmp_path / "there" / "letters" / "letters.pdf") == _pages(
        tmp_path / "here" / "letters" / "letters.pdf"
    )
