"""Every bench script, run at a tiny size: figures are taken by hand, but none may rot."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, ROOT


def _bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": "/tmp",
            "PUBLIPOST_UNSUBSCRIBE_SECRET": "k" * 32,
            "PUBLIPOST_LANG": "en",
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_lint_bench():
    out = _bench("lint_bench.py", "5", "50", "2", "2")
    assert "5 English letters" in out and "(best of 2 rounds in turns)" in out
    if importlib.util.find_spec("proselint") is not None:  # a peer of the bench, not of the tests
        assert re.search(r"publipost is [\d.]+x proselint's throughput", out)
    assert "publipost lint (fr letter, again)" in out
    assert "publipost lint (en letter, new copy)" in out
    assert "campaign with 50 recipients: linted in" in out


def test_lint_bench_times_each_contender_on_every_letter_in_turns(tmp_path, monkeypatch):
    """proselint's checks are registered once a process: registering them each round ran every
    check twice in the second round and three times in the third, so that its best round was
    always its first while publipost kept the best of all of them."""
    pytest.importorskip("proselint")
    from proselint.registry import CheckRegistry

    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    monkeypatch.setattr(sys, "argv", ["lint_bench.py"])
    import lint_bench

    paths, _ = lint_bench.make_letters(tmp_path, 60)
    lint_bench.proselint_linter(paths)
    registered = len(CheckRegistry().checks)
    lint_bench.proselint_linter(paths)
    lint_bench.proselint_linter(paths)
    assert len(CheckRegistry().checks) == registered > 0
    linted: dict[str, list[str]] = {"a": [], "b": []}
    turns: list[str] = []  # who lints, letter after letter

    def contender(name: str):
        return lambda path: (linted[name].append(path.name), turns.append(name))

    spent = lint_bench.in_turns({name: contender(name) for name in linted}, paths)
    assert linted["a"] == linted["b"] == [path.name for path in paths]
    block = lint_bench.BLOCK
    firsts = [turns[start] for start in range(0, len(turns), 2 * block)]
    assert firsts == ["a", "b", "a"][: len(firsts)] and len(firsts) > 1  # who goes first alternates
    assert set(spent) == {"a", "b"} and all(seconds > 0 for seconds in spent.values())


def test_audience_bench():
    out = _bench("audience_bench.py", "300", "1")
    assert "customer file: 300 rows" in out and "pandas read_csv (floor):" in out
    assert re.search(r"validate, cold: [\d.]+ s, \d+ MB peak", out) and "validate / read_csv:" in out
    assert re.search(r"validate, warm \(the audience the cold run accounted\): [\d.]+ s", out)
    assert re.search(r"render --only \(one letter\), warm: [\d.]+ s, \d+ MB peak", out)
    started = r"started \(.*\): validate, cold [\d.]+ s \([\d.]+x read_csv\); render --only, warm [\d.]+ s"
    assert re.search(started, out)  # imports left out on both sides
    batched = r"a batch at a time \(campaigns/streamed.py\): [\d.]+ s, \d+ MB of the process's own memory"
    assert re.search(batched + r", against [\d.]+ s and \d+ MB read whole", out)  # the reports checked equal
    quoted = _bench("audience_bench.py", "300", "1", "quoted")  # as a CRM exports the file
    assert "customer file: 300 rows" in quoted and "every field quoted" in quoted
    varied = _bench("audience_bench.py", "300", "1", "varied")  # a real file's spread of dates
    assert "dates and names varied" in varied and "render --only (one letter), warm" in varied


def test_print_bench():
    out = _bench("print_bench.py", "40", "20", "2")
    assert "(best of 2)" in out and "publipost, 2 processes" in out and "bare reportlab canvas" in out
    assert re.search(r"publipost 2 processes / 1: [\d.]+", out)
    assert re.search(r"publipost 1 process / bare canvas with the QR codes: [\d.]+", out)
    assert re.search(r"WeasyPrint +\d+ letters/s", out)  # the same letter, QR codes and coupon too


def test_the_weasyprint_letter_carries_what_publipost_s_does(tmp_path):
    """The bench's peer draws the same letter: its PDF holds the address, the hook, the call to
    action's URL, the coupon, and two QR codes that decode to the tracked link and the response code."""
    import pypdfium2 as pdfium
    import zxingcpp

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import print_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    campaign = print_bench.make_campaign(tmp_path, 3)
    assert print_bench.weasyprint(campaign, 1)
    page = pdfium.PdfDocument(str(campaign.parent / "weasy.pdf"))[0]
    text = page.get_textpage().get_text_range()
    assert "CHAMBERY" in text and "Découvrez" in text and "Bon de commande" in text
    found = {b.text for b in zxingcpp.read_barcodes(page.render(scale=3).to_pil())}
    assert any(value.startswith("https://") and "ref=" in value for value in found), found
    assert any(value.startswith("COUDOUVCM-") for value in found), found


def test_the_coded_ceiling_draws_each_letter_s_two_qr_codes(tmp_path):
    """The second ceiling draws what no drawing of the letter can leave out: its two codes,
    which decode to the letter's tracked link and its response code, page by page."""
    import pypdfium2 as pdfium
    import zxingcpp

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import print_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    campaign = print_bench.make_campaign(tmp_path, 3)
    assert print_bench.bare_canvas(campaign, 2, codes=True) > 0
    pages = pdfium.PdfDocument(str(campaign.parent / "bare.pdf"))
    assert len(pages) == 2
    for number, page in enumerate(pages):
        found = {b.text for b in zxingcpp.read_barcodes(page.render(scale=3).to_pil())}
        assert len(found) == 2, found
        assert any(value.startswith("https://") and f"-B{number:06d}-" in value for value in found), found
        assert any(re.fullmatch(rf"COUDOUVCM-B{number:06d}-\w", value) for value in found), found


def test_send_bench():
    out = _bench("send_bench.py", "30", "2")
    assert "(best of 2 runs in turns)" in out
    assert "aiosmtpd sink on 127.0.0.1" in out and "publipost end to end" in out


def test_spam_score():
    if shutil.which("spamassassin") is None:
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "spam_score.py"),
                str(EXAMPLES / "launch-planner" / "campaign.yaml"),
            ],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 1 and "spamassassin is not installed" in done.stderr
        pytest.skip("spamassassin is not installed here: the script's own message was checked")
    out = _bench("spam_score.py", str(EXAMPLES / "launch-planner" / "campaign.yaml"), "2")
    assert "2 messages: max" in out


def test_preview_bench():
    out = _bench("preview_bench.py", "30")
    assert "preview of 30 customers" in out and "first recipient's page" in out


def test_report_bench():
    out = _bench("report_bench.py", "300", "20")
    assert "300 recipients, 20 responses" in out and "report --format html" in out


def test_variants_bench():
    out = _bench("variants_bench.py", "30", "1")
    assert "letters and e-mails, best of 1" in out and "print run" in out and "overhead" in out


def test_store_bench():
    out = _bench("store_bench.py", "2000", "3000", "100")
    assert (
        "2,000 recipients checked against it" in out
        and "(1,000 suppressed)" in out
        and "(40 suppressed)" in out
    )
    assert "one-click POSTs/s on one core" in out


def test_dask_bench():
    pytest.importorskip(
        "distributed", reason="the Dask bench needs dask[distributed] (the test extra has it)"
    )
    out = _bench("dask_bench.py", "30", "20")
    assert "speed-up, 2 workers over 1" in out and "letters/hour" in out
    assert "letters/s (driver)" in out and "after the last" in out
    assert "peak memory per worker" in out


def test_domains_bench():
    out = _bench("domains_bench.py", "120")
    assert "accepting domains with the faulty ones:" in out and "ratio: " in out
    assert "throttle.example (421):" in out and "most connections at once to one domain:" in out
