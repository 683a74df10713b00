"""Issue 29, item 2: sets an inserter can keep together. With `print: {marks: datamatrix}` each
sheet carries a DataMatrix (job, set, sheet n of N, last), read back here from the rendered
pages with zxing-cpp; letters/job.csv says where each letter starts and how many sheets it has,
and agrees with the PDF page for page."""

from __future__ import annotations

import csv
import subprocess

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from tests.conftest import copy_example


@pytest.fixture
def couette(tmp_path):
    return copy_example("vente-couette", tmp_path, "\nprint:\n  marks: datamatrix\n")


def _marks(pdf, first: int, last: int, folder) -> dict[int, list[str]]:
    """The DataMatrix codes on each page, read from the page rendered at 200 dpi."""
    subprocess.run(
        [
            "gs",
            "-q",
            "-o",
            str(folder / "p%d.png"),
            "-sDEVICE=pnggray",
            "-r200",
            f"-dFirstPage={first}",
            f"-dLastPage={last}",
            str(pdf),
        ],
        check=True,
    )
    found = {}
    for number in range(first, last + 1):
        image = Image.open(folder / f"p{number - first + 1}.png")
        found[number] = [
            r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)
        ]
    return found


def _job(campaign) -> list[dict[str, str]]:
    with (campaign.parent / "out" / "letters" / "job.csv").open(encoding="utf-8-sig") as file:
        return list(csv.DictReader(file, delimiter=";"))


def test_each_sheet_carries_its_set_and_the_job_index_agrees_with_the_pdf(couette, run, tmp_path):
    assert run("render", couette, "--format", "pdf", "--no-lint").code == 0
    pdf = couette.parent / "out" / "letters" / "letters.pdf"
    job = _job(couette)
    reader = PdfReader(pdf)
    assert sum(int(row["pages"]) for row in job) == len(reader.pages)  # page for page
    starts = [int(row["first_page"]) for row in job]
    assert starts == [1 + sum(int(r["pages"]) for r in job[:i]) for i in range(len(job))]
    assert [row["set"] for row in job[:3]] == ["1", "2", "3"] and job[0]["id"] == "C00002"
    # two A4 sheets of 80 g/m² (0.210 × 0.297 × 80 = 4.99 g each), a 5 g envelope: 15 g, the first step
    sheet = 0.210 * 0.297 * 80
    assert all(row["sheets"] == row["pages"] == "2" for row in job)
    assert {(row["weight_g"], row["weight_class"]) for row in job} == {
        (f"{round(2 * sheet + 5):g}", "≤ 20 g")
    }
    # the marks of the first letters, and of the last one, read back from the rendered pages
    marks = _marks(pdf, 1, 4, tmp_path)
    code = "COUDOUVCM"  # the campaign's code, derived from its name
    assert marks == {
        1: [f"{code}-000001-01-02-C"],
        2: [f"{code}-000001-02-02-L"],
        3: [f"{code}-000002-01-02-C"],
        4: [f"{code}-000002-02-02-L"],
    }
    last = job[-1]
    first_page = int(last["first_page"])
    tail = _marks(pdf, first_page, first_page, tmp_path)[first_page]
    assert tail == [f"{code}-{int(last['set']):06d}-01-{int(last['sheets']):02d}-C"]
    # each letter's first page is its recipient's (the coupon's response code names the id)
    text = reader.pages[int(job[5]["first_page"])].extract_text()  # its second page: the coupon
    assert job[5]["id"] in text


def test_duplex_marks_the_fronts_only_and_counts_sheets(couette, run, tmp_path):
    assert run("render", couette, "--format", "pdf", "--no-lint", "--duplex").code == 0
    pdf = couette.parent / "out" / "letters" / "letters.pdf"
    job = _job(couette)
    # the text's sheet, and the coupon's own (its back blank: cut out, it takes no text with it)
    assert all(row["sheets"] == "2" and row["pages"] == "4" for row in job)
    marks = _marks(pdf, 1, 4, tmp_path)
    assert marks == {1: ["COUDOUVCM-000001-01-02-C"], 2: [], 3: ["COUDOUVCM-000001-02-02-L"], 4: []}


def test_one_file_per_letter_keeps_the_print_order_in_its_names(couette, run):
    assert run("render", couette, "--format", "pdf", "--no-lint", "--per-file", "1").code == 0
    job = _job(couette)
    names = sorted(
        p.name
        for p in (couette.parent / "out" / "letters").glob("*.pdf")
        if not p.name.startswith("envelopes")
    )
    assert names == [row["file"] for row in job]  # sorted by name is the print (postcode) order
    assert names[0] == f"000001-{job[0]['id']}.pdf" and all(row["first_page"] == "1" for row in job)


def test_group_by_sheets_puts_sets_of_one_size_together(campaign_dir, run):
    """Issue 29, 2: an A/B file interleaved 2- and 3-page letters. --group-by sheets orders the
    print file by sheet count (print order kept within), and job.csv follows the file."""
    from tests.conftest import BASE_CAMPAIGN

    long = " ".join(["Votre couette vous attend, douce et chaude, pour tout l'hiver."] * 60)
    rows = "\n".join(
        f"{i};Mme;Anne;Roy{i};{i} rue Neuve;69002;Lyon;{long if i % 2 == 0 else 'À bientôt.'}"
        for i in range(1, 7)
    )
    path = campaign_dir(
        BASE_CAMPAIGN,
        "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;Note\n" + rows + "\n",
        "**Découvrez votre cadeau**\n\nBonjour,\n\n{{ note }}\n",
    )
    assert run("render", path, "--format", "pdf", "--no-lint").code == 0
    plain = _job(path)
    assert [row["id"] for row in plain] == ["1", "2", "3", "4", "5", "6"]
    assert len({row["sheets"] for row in plain}) == 2  # two set sizes, interleaved
    assert run("render", path, "--format", "pdf", "--no-lint", "--group-by", "sheets").code == 0
    grouped = _job(path)
    assert [row["id"] for row in grouped] == ["1", "3", "5", "2", "4", "6"]
    sheets = [int(row["sheets"]) for row in grouped]
    assert sheets == sorted(sheets)
    reader = PdfReader(path.parent / "out" / "letters" / "letters.pdf")
    assert sum(int(row["pages"]) for row in grouped) == len(reader.pages)
    for row in grouped:  # each set starts where job.csv says: its recipient's name on that page
        assert f"ROY{row['id']}" in reader.pages[int(row["first_page"]) - 1].extract_text().upper()
    refused = run("render", path, "--format", "pdf", "--group-by", "sheets", "--per-file", "1")
    assert refused.code == 2


def test_job_csv_and_manifest_skip_a_failed_letter_across_slices(campaign_dir, run, monkeypatch):
    """job.csv and the manifest are made a slice of letters at a time (audience.SLICE): set
    numbers, grouping by sheets and the letter that could not be printed come out the same
    across slices of two."""
    import publipost.campaigns.audience as audience
    from publipost.results.manifest import Manifest
    from tests.conftest import BASE_CAMPAIGN

    monkeypatch.setattr(audience, "SLICE", 2)
    long = " ".join(["Votre couette vous attend, douce et chaude, pour tout l'hiver."] * 60)
    notes = {1: "À bientôt.", 2: long, 3: "東京", 4: long, 5: "À bientôt.", 6: long}
    rows = "\n".join(f"{i};Mme;Anne;Roy{i};{i} rue Neuve;69002;Lyon;{notes[i]}" for i in range(1, 7))
    path = campaign_dir(
        BASE_CAMPAIGN,
        "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;Note\n" + rows + "\n",
        "**Découvrez votre cadeau**\n\nBonjour,\n\n{{ note }}\n",
    )
    assert run("render", path, "--format", "pdf", "--no-lint").code == 1  # row 4 (id 3): no glyph
    assert [(row["set"], row["id"]) for row in _job(path)] == [(str(i), str(i)) for i in (1, 2, 4, 5, 6)]
    with Manifest(path.parent / "out" / "manifest.sqlite", create=False) as manifest:
        printed = manifest.db.execute(
            "SELECT id, row, status FROM mailings WHERE channel = 'letter' ORDER BY row"
        ).fetchall()
    assert printed == [(str(i), i + 1, "printed") for i in (1, 2, 4, 5, 6)]
    assert run("render", path, "--format", "pdf", "--no-lint", "--group-by", "sheets").code == 1
    grouped = _job(path)
    assert [(row["set"], row["id"]) for row in grouped] == [(str(i), str(i)) for i in (1, 5, 2, 4, 6)]
    reader = PdfReader(path.parent / "out" / "letters" / "letters.pdf")
    assert sum(int(row["pages"]) for row in grouped) == len(reader.pages)
    for row in grouped:
        assert f"ROY{row['id']}" in reader.pages[int(row["first_page"]) - 1].extract_text().upper()


def _omr_bars(png) -> list[int]:
    """The OMR column of a page rendered at 200 dpi: for each of the seven positions (4.2 mm apart
    from 110 mm down), whether a bar is there (the middle of x 5–13 mm mostly dark)."""
    image = Image.open(png).convert("L")
    px = image.width / 210  # pixels per mm
    bars = []
    for position in range(7):
        y = int((110 + position * 4.2) * px)
        band = np.asarray(image.crop((int(5 * px), y - 1, int(13 * px), y + 2)))
        bars.append(1 if (band < 128).mean() > 0.6 else 0)
    return bars


def test_omr_marks_start_insert_sequence_parity_and_safety_on_each_sheet(tmp_path, run):
    """Quadient's and Pitney Bowes' basic OMR code (templates/inserter.py), read back from the
    rendered pages: start, insert on the set's last sheet, the sheet's number in binary (1, 2, 4),
    even parity, safety."""
    campaign = copy_example("vente-couette", tmp_path, "\nprint:\n  marks: omr\n")
    assert run("render", campaign, "--format", "pdf", "--no-lint").code == 0
    pdf = campaign.parent / "out" / "letters" / "letters.pdf"
    subprocess.run(
        ["gs", "-q", "-o", str(tmp_path / "o%d.png"), "-sDEVICE=pnggray", "-r200", "-dLastPage=4", str(pdf)],
        check=True,
    )
    pages = [_omr_bars(tmp_path / f"o{n}.png") for n in range(1, 5)]
    first_sheet = [1, 0, 1, 0, 0, 1, 1]  # start, -, sequence 1, -, -, parity (3 marks: made even), safety
    last_sheet = [1, 1, 0, 1, 0, 0, 1]  # start, insert, -, sequence 2, -, - (4 marks: even), safety
    assert pages == [first_sheet, last_sheet, first_sheet, last_sheet]
    assert all(sum(bars) % 2 == 0 for bars in pages)
    image = Image.open(tmp_path / "o1.png")
    assert not zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)


def test_a_design_whose_text_reaches_the_omr_column_is_refused(tmp_path, run):
    from publipost.templates.design import DESIGNS

    campaign = copy_example("vente-couette", tmp_path, "\nprint:\n  marks: omr\n")
    design = (DESIGNS / "classic.toml").read_text(encoding="utf-8")
    narrow = design.replace("margin_left = 20 ", "margin_left = 14 ")
    assert narrow != design
    (campaign.parent / "narrow.toml").write_text(narrow, encoding="utf-8")
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace("letter:\n", "letter:\n  design: narrow.toml\n", 1), encoding="utf-8")
    refused = run("render", campaign, "--format", "pdf", "--no-lint")
    assert refused.code == 2
    assert "the design's body starts at x = 14 mm, in the OMR column" in refused.err
