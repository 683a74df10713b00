"""Print order: the file's, or `target.sort` (postcode first, for the post's presort rates)."""

from __future__ import annotations

import re
import shutil

from pypdf import PdfReader

from publipost.api import prepare
from publipost.channels.printing import render_pdf
from publipost.run.executor import InProcess
from tests.conftest import EXAMPLES


def _campaign(tmp_path, sort: str | None):
    folder = tmp_path / (sort or "file-order")
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    path = folder / "campaign.yaml"
    if sort:
        text = path.read_text(encoding="utf-8").replace("  dedupe:", f"  sort: {sort}\n  dedupe:", 1)
        path.write_text(text, encoding="utf-8")
    return path


def test_letters_print_in_postcode_order_with_the_same_recipients(tmp_path, run):
    plain = prepare(_campaign(tmp_path, None)).audience
    sorted_ = prepare(_campaign(tmp_path, "[postcode, last_name]")).audience
    before = [(r.id, r.fields["postcode"]) for r in plain.recipients_of("letter")]
    after = [(r.id, r.fields["postcode"]) for r in sorted_.recipients_of("letter")]
    assert sorted(after) == sorted(before) and after != before  # the same people, ids unchanged
    assert [p for _, p in after] == sorted(p for _, p in after)
    assert plain.counts == sorted_.counts
    out = tmp_path / "out"
    prepared = prepare(_campaign(tmp_path, "postcode"))
    render_pdf(prepared, out, executor=InProcess())
    first = PdfReader(out / "letters" / "letters.pdf").pages[0].extract_text()
    lowest = after[0][1]
    assert re.search(rf"\b{lowest}\b", first), first[:400]


def test_sorting_by_a_field_the_file_lacks_is_refused(tmp_path, run):
    result = run("validate", _campaign(tmp_path, "code_postale"))
    assert (
        result.code == 2
        and "target.sort names 'code_postale'" in result.err
        and "campaign.yaml:" in result.err
    )
