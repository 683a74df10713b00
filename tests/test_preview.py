"""`publipost preview`: a real server process on a loopback port, a real browser (Debian's
chromium through Playwright), real edits on disk followed by the page."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from publipost.preview.page import _segments
from publipost.preview.state import Preview
from tests.browser import browser
from tests.conftest import EXAMPLES, ROOT

LONG = (
    " Elle vous accompagne toutes les nuits de l'année, car son duvet que nous avons choisi pour vous "
    "chez des producteurs qui travaillent avec soin garde la chaleur sans jamais peser sur vous."
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served(str):
    """The preview's address (…/, to add paths to), with `entry`: the URL it printed, with its token."""

    entry: str


# A client that keeps the preview's cookie, as a browser does once it opened the printed link.
_opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())


def _open(url: str, request: urllib.request.Request | None = None):
    return _opener.open(request or url, timeout=10)


@contextmanager
def serving(campaign: Path, *args: str) -> Iterator[Served]:
    """`publipost preview` in its own process; yields its address once listening."""
    command = [sys.executable, "-u", "-m", "publipost", "preview", str(campaign), "--no-open", *args]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("preview of "), line + process.stderr.read()
        printed = line.split(" at ", 1)[1].split()[0].replace("localhost", "127.0.0.1")
        served = Served(printed.split("?", 1)[0])
        served.entry = printed
        yield served
    finally:
        process.terminate()
        process.wait(timeout=10)


def _when_read(url: str) -> str:
    """The page once the campaign is read (the server answers at once, "Reading…" until then)."""
    for _ in range(300):
        body = _open(getattr(url, "entry", url)).read().decode()
        if "Reading the campaign" not in body:
            return body
        time.sleep(0.1)
    raise AssertionError("the campaign was never read")


def _copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder, ignore=shutil.ignore_patterns("out"))
    return folder


def test_a_marketer_steps_through_recipients_and_sees_her_edits_live(tmp_path):
    folder = _copy("vente-couette", tmp_path)
    letter = folder / "lettre.md"
    original = letter.read_text(encoding="utf-8")
    letter.write_text(original.replace("de novembre à mars.", "de novembre à mars." + LONG), encoding="utf-8")
    with serving(folder / "campaign.yaml", "--port", str(_free_port())) as url, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url.entry)
        first = page.locator("#current").inner_text()
        assert first.startswith("1 / 128") and "C00002" in first  # the same count as validate
        assert "targeted" in page.locator("#audience").inner_text()

        second = page.get_attribute("#next", "href")
        page.click("#next")
        page.wait_for_url("**" + second)
        assert page.locator("#current").inner_text().startswith("2 / 128")
        rid = second.rsplit("/", 1)[1]
        # the letter's real pages and its envelope, drawn from the PDF
        page.wait_for_function("document.querySelector('img[alt=\"letter page 1\"]').naturalWidth > 400")
        page.wait_for_function("document.getElementById('envelope').naturalWidth > 400")
        # the window's always-visible band drawn over page 1, inside the page's picture
        window, sheet = (
            page.locator("#window").bounding_box(),
            page.locator('img[alt="letter page 1"]').bounding_box(),
        )
        assert (
            window
            and sheet
            and sheet["x"] < window["x"]
            and window["x"] + window["width"] < sheet["x"] + sheet["width"]
        )
        assert abs((window["y"] - sheet["y"]) / sheet["height"] - 46 / 297) < 0.01  # 46 mm down an A4 page
        # the e-mail at 600 and 375 px, with its button; the inbox line
        for frame in ("#frame-600", "#frame-375"):
            assert page.frame_locator(frame).get_by_text("Commandez votre couette").is_visible()
        # issue 32, 12: each frame as tall as its e-mail, so that a full-page capture shows it whole
        for frame in ("frame-600", "frame-375"):
            page.wait_for_function(
                f"(() => {{ const f = document.getElementById('{frame}'), d = f.contentDocument;"
                " return d && d.readyState === 'complete' && d.documentElement.scrollHeight > 900"
                " && Math.abs(f.clientHeight - d.documentElement.scrollHeight) <= 4; })()",
                timeout=10_000,
            )
        assert page.locator("#subject").inner_text().startswith("Votre couette d’hiver, ")
        # the finding in place on the copy, its message on hover and on click
        mark = page.locator('mark[title*="PP201"]').first
        assert "phrase de " in mark.get_attribute("title") and "Elle vous accompagne" in mark.inner_text()
        mark.click()
        active = page.locator(".finding.active").filter(has_text="phrase de ")
        assert "lettre.md:3:" in active.inner_text()
        assert "PP201 sentence-too-long" in active.locator("details pre").inner_text()  # the --explain text

        # saved on disk: the page follows without a manual reload
        letter.write_text(
            original.replace("Je vous souhaite", "Nouvelle ligne. Je vous souhaite"), encoding="utf-8"
        )
        page.wait_for_function(
            "[...document.querySelectorAll('pre.copy')].some(p => p.innerText.includes('Nouvelle ligne.'))",
            timeout=10_000,
        )
        assert page.locator('mark[title*="PP201"]').count() == 0  # the finding is gone
        assert rid in page.locator("#current").inner_text()  # still the same recipient

        campaign = folder / "campaign.yaml"
        good = campaign.read_text(encoding="utf-8")
        campaign.write_text(good.replace("objective: vente", "objective: [vente"), encoding="utf-8")
        page.wait_for_selector("#errors", timeout=10_000)
        assert "campaign.yaml:" in page.locator("#errors").inner_text()
        campaign.write_text(good, encoding="utf-8")
        page.wait_for_selector("#current", timeout=10_000)

        missing = page.goto(url + "r/NOPE")
        assert missing.status == 404 and "No recipient 'NOPE'" in page.inner_text("body")
        page.goto(url + "search?q=dupont")
        assert "Dupont" in page.locator("#current").inner_text()
        from publipost.api import prepare

        longest = prepare(folder / "campaign.yaml").audience.longest_id()
        page.click("#longest")
        page.wait_for_url(f"**/r/{longest}")
        assert f'<span id="rid">{longest}</span>' in page.locator("#current").inner_html()  # the name first
        # issue 32, 12: the recipient by name, then the id; glyphs every font has (no ⏮ ⏭)
        assert page.locator("#current b").inner_text() != longest
        assert page.locator("#last").inner_text() == "last »"
        assert page.locator("#first").inner_text() == "« first"


def test_a_campaign_that_does_not_load_still_serves_its_error(tmp_path):
    folder = _copy("launch-planner", tmp_path)
    campaign = folder / "campaign.yaml"
    campaign.write_text(campaign.read_text().replace("source: data/customers.csv", "source: data/nope.csv"))
    with serving(campaign, "--port", str(_free_port())) as url:
        body = _when_read(url)
        assert "The campaign does not load" in body and "nope.csv" in body
        # Another site's page (DNS rebinding) cannot read the customers' data through the preview.
        request = urllib.request.Request(url.entry, headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            _open(url, request)
        assert refused.value.code == 400


def test_a_port_in_use_is_a_clear_error(tmp_path):
    folder = _copy("launch-planner", tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "publipost",
                "preview",
                str(folder / "campaign.yaml"),
                "--no-open",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2 and result.stdout == ""
    assert (
        f"--port {port}: cannot listen on 127.0.0.1:{port}" in result.stderr
        and "choose another" in result.stderr
    )


def test_findings_are_cut_into_marked_segments():
    from publipost.linter.engine import Finding

    def finding(line, column, end_line, end_column, severity="warning"):
        return Finding("PP1", "x", severity, "f.md", line, column, end_line, end_column, "m", "en", "s", "u")

    text = "one two\nthree four\n"
    segments = _segments(text, [(0, finding(2, 1, 2, 6)), (1, finding(2, 4, 2, 11, "error"))])
    assert "".join(s.text for s in segments) == text  # nothing lost, nothing doubled
    marked = [(s.text, s.findings, s.severity) for s in segments if s.findings]
    assert marked == [("thr", [0], "warning"), ("ee", [0, 1], "error"), (" four", [1], "error")]


def test_the_state_renders_one_recipient_on_demand(tmp_path):
    folder = _copy("vente-couette", tmp_path)
    preview = Preview(folder / "campaign.yaml")
    preview.load()
    loaded = preview.loaded
    assert loaded is not None and len(loaded.ids) == 128 and not preview._cache and not loaded.first_look
    assert preview.search(loaded.ids[5]) == loaded.ids[5]
    assert preview.search("léa") == preview.search("LEA")  # any case, any accent
    recipient = preview.recipient("C00002")
    pages = preview.letter_pages(recipient)
    assert len(pages) >= 1 and all(p.startswith(b"\x89PNG") for p in pages)
    view = preview.email(recipient)
    assert view.subject == "Votre couette d’hiver, Mathis" and "/r/C00002/cid/" in view.html
    assert "t=test-" not in view.html  # the preview's tokens are not a real customer's either…
    assert {k for k, _, _ in preview._cache} == {preview.version}
    before = preview.version
    preview.load()
    assert preview.version == before + 1 and not preview._cache  # a change on disk drops the renders


def test_the_preview_starts_from_the_audience_validate_accounted(tmp_path, run, monkeypatch):
    """After validate, the preview's load reads no customer file: the audience accounted whole
    is kept in out/ (campaigns/accounted.py), and an edit of the copy reloads from it too."""
    import publipost.campaigns.audience as audience

    folder = _copy("vente-couette", tmp_path)
    assert run("validate", folder / "campaign.yaml").code == 0

    def not_again(*args, **kwargs):
        raise AssertionError("the customer file was read again")

    monkeypatch.setattr(audience, "_read_and_check", not_again)
    preview = Preview(folder / "campaign.yaml")
    preview.load()
    assert preview.loaded is not None and len(preview.loaded.ids) == 128
    assert preview.loaded.prepared.audience.settled
    letter = folder / "lettre.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    preview.load()
    assert preview.loaded is not None and len(preview.loaded.ids) == 128


def test_a_big_customer_file_is_shown_from_its_first_rows_then_whole(tmp_path, monkeypatch):
    import publipost.preview.state as state

    monkeypatch.setattr(state, "FIRST_LOOK_BYTES", 1_000)  # the example's 20 KB file counts as big
    monkeypatch.setattr(state, "FIRST_LOOK_ROWS", 50)
    preview = Preview(_copy("vente-couette", tmp_path) / "campaign.yaml")
    seen = []
    preview.load(lambda: seen.append((preview.loaded.first_look, len(preview.loaded.ids), preview.version)))
    ((first_look, first_ids, first_version),) = seen
    assert first_look == 50 and 0 < first_ids < 128  # shown from the first 50 rows…
    assert preview.loaded.first_look is None and len(preview.loaded.ids) == 128  # …then the whole file
    assert preview.version == first_version + 1


def test_the_preview_reads_nothing_outside_the_campaigns_folder(tmp_path):
    """A campaign that names a customer file outside its folder (not a git work tree here) shows
    the refusal, not the file's content."""
    folder = _copy("launch-planner", tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("id,first_name,last_name,email\n1,Top,Secret,top.secret@example.com\n")
    campaign = folder / "campaign.yaml"
    campaign.write_text(campaign.read_text().replace("source: data/customers.csv", "source: ../secret.csv"))
    with serving(campaign, "--port", str(_free_port())) as url:
        body = _when_read(url)
    assert "The campaign does not load" in body and "outside" in body
    assert "top.secret" not in body and "Secret" not in body


def test_the_preview_answers_only_with_its_token_and_is_never_framed_elsewhere(tmp_path):
    """Issue 25, 7: while the preview runs, another site's page could frame /search?q=… and count
    the frames it got back to learn who is a customer. Now a request without this run's token is
    refused, and every answer forbids other origins to frame or load it."""
    folder = _copy("vente-couette", tmp_path)
    with serving(folder / "campaign.yaml", "--port", str(_free_port())) as url:
        _when_read(url)
        for path in ("", "search?q=dupont", "r/C00002", "events"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url + path, timeout=10)  # no token, no cookie
            assert refused.value.code == 403
            assert "Dupont" not in refused.value.read().decode()
        page = _open(url + "r/C00002")  # the cookie the printed link set
        assert page.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        framed = _open(url + "r/C00002/email.html")  # the page frames the e-mail itself
        assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
        assert "script-src 'none'" in framed.headers["Content-Security-Policy"]
        assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"

        # Another site (localhost is not 127.0.0.1 to a browser) frames two searches, one for a
        # customer: in a browser that has the preview open, both frames come back alike, empty.
        attacker = tmp_path / "attacker"
        attacker.mkdir()
        preview = str(url)
        (attacker / "index.html").write_text(
            f'<iframe id="a" src="{preview}search?q=dupont"></iframe>'
            f'<iframe id="b" src="{preview}search?q=zzzzzz"></iframe>'
        )
        port = _free_port()
        site = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=attacker,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with browser() as chromium:
                context = chromium.new_context()
                own = context.new_page()
                own.goto(url.entry)  # the marketer's tab: the preview open, its cookie set
                assert own.locator("#current").inner_text()
                other = context.new_page()
                for _ in range(100):
                    try:
                        other.goto(f"http://localhost:{port}/index.html")
                        break
                    except Exception:  # the attacker's server is still starting
                        time.sleep(0.1)
                other.wait_for_timeout(1500)
                counts = other.evaluate("[window.frames[0].length, window.frames[1].length]")
                assert counts[0] == counts[1] == 0
        finally:
            site.terminate()
            site.wait(timeout=10)


def test_an_error_names_its_file_as_the_command_line_does(tmp_path, monkeypatch):
    """Issue 32, 12: the complaints error showed the campaign's absolute path in the preview."""
    from tests.conftest import edit_complaints

    folder = _copy("reclamations", tmp_path)
    edit_complaints(folder / "campaign.yaml", "Date de réception;Référence;", "Date de réception;Dossier;")
    monkeypatch.chdir(folder)
    preview = Preview(Path("campaign.yaml"))
    preview.load()
    (error,) = preview.state.errors
    assert error.startswith("campaign.yaml:9:11: a complaints file needs a 'reference' column"), error
