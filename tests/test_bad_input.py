"""Bad input found by trying publipost adversarially and as a marketer's first campaign: each a
precise answer (exit 2 with the place, or the row accounted for with its reason)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys

import pytest

from publipost.campaigns.audience import load_audience
from publipost.campaigns.load import load_campaign
from tests.conftest import BASE_CAMPAIGN, BASE_CSV

EMAIL_CAMPAIGN = BASE_CAMPAIGN.replace(
    "letter:", "email:\n  subject: Offre\n  body: lettre.md\nletter:"
).replace("  place: Lyon", "  place: Lyon\n  email: claire.martin@literie-martin.example")


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def test_duplicate_and_blank_headers_are_named_not_a_traceback(campaign_dir, run, tmp_path):
    csv_text = (
        "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;E-mail;;E-mail\n"
        "1;Mme;Jeanne;Dupont;12 rue des Lilas;69003;Lyon;j@exemple.fr;x;k@exemple.fr\n"
    )
    path = campaign_dir(csv=csv_text)
    audience = load_audience(load_campaign(path))
    assert audience.headers["column_i"] == "column I"
    assert audience.headers["e_mail_column_j"] == "E-mail (column J)"
    assert [r.email for r in audience] == ["j@exemple.fr"]  # the first e-mail column is the e-mail
    assert run("validate", path).code == 0


def test_an_unclosed_quote_rejects_its_row_and_keeps_the_rows_below(campaign_dir, run, tmp_path):
    csv_text = (
        "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;E-mail\n"
        '1;Mme;"Jeanne;Dupont;12 rue des Lilas;69003;Lyon;j@exemple.fr\n'
        "2;M.;Paul;Martin;3 rue Neuve;01000;Bourg;p@exemple.fr\n"
        '3;Mme;Anne;"Roy\nBât. B";2 rue X;69001;Lyon;a@exemple.fr\n'  # a real line break in a value
        "4;M.;Luc;Bon;3 rue Neuve;01000;Bourg;l@exemple.fr\n"
    )
    path = campaign_dir(csv=csv_text)
    result = run("validate", path, "--out", tmp_path / "out")
    assert "rows read          4" in result.out and "targeted           3" in result.out
    rows = _rows(tmp_path / "out" / "rejects.csv")
    assert rows[1][:3] == [
        "2",
        "rejected",
        'a quote (") opened in this row is never closed: it would swallow the rows below',
    ]
    assert rows[1][3:6] == ["1", "Mme", '"Jeanne']  # the row as it was written, to find it


def test_a_name_the_font_cannot_print_is_not_a_blank_letter(campaign_dir, tmp_path, run):
    csv_text = (
        BASE_CSV
        + "3;M.;محمد;العلي;5 rue X;69001;Lyon;m@exemple.fr\n4;M.;Wei;王;6 rue Y;69001;Lyon;w@exemple.fr\n"
    )
    path = campaign_dir(EMAIL_CAMPAIGN, csv_text)
    result = run("validate", path, "--out", tmp_path / "out")
    assert result.code == 0 and "letters 2 · e-mails 4" in result.out
    notes = {row[0]: row for row in _rows(tmp_path / "out" / "rejects.csv")[1:]}
    assert notes["4"][1] == "e-mail only" and "no glyph for" in notes["4"][2] and "(Arabic)" in notes["4"][2]
    assert "(Cjk)" in notes["5"][2]


def test_a_merged_value_the_font_cannot_print_fails_that_letter_only(campaign_dir, tmp_path, run):
    csv_text = (
        BASE_CSV.replace("Ville;E-mail", "Ville;E-mail;Ville natale")
        .replace("jeanne.dupont@exemple.fr", "jeanne.dupont@exemple.fr;Lyon")
        .replace("paul.martin@exemple.fr", "paul.martin@exemple.fr;東京")
    )
    path = campaign_dir(csv=csv_text, letter="**Découvrez**\n\nBonjour, née à {{ ville_natale }}.\n")
    result = run("render", path, "--format", "pdf", "--out", tmp_path / "out")
    assert result.code == 1 and "row 3: not printed: the letter's font has no glyph for '京東'" in result.err
    assert "1 letters" in result.out


def test_bidirectional_controls_are_removed_and_recorded(campaign_dir, tmp_path, run):
    path = campaign_dir(csv=BASE_CSV.replace("Jeanne", "Jeanne\u202emoc.knab"))
    audience = load_audience(load_campaign(path))
    assert next(iter(audience)).fields["first_name"] == "Jeannemoc.knab"
    assert any(c.reason == "bidirectional control character" for c in audience.corrections)


def test_an_invalid_email_is_listed_whatever_the_filter(campaign_dir, tmp_path, run):
    csv_text = (
        BASE_CSV.replace("Ville;E-mail", "Ville;E-mail;Segment")
        .replace("jeanne.dupont@exemple.fr", "jeanne.dupont@;or")
        .replace("paul.martin@exemple.fr", "paul@;argent")
    )
    campaign = EMAIL_CAMPAIGN.replace(
        "  source: clients.csv", "  source: clients.csv\n  where: {segment: or}"
    )
    path = campaign_dir(campaign, csv_text)
    run("validate", path, "--out", tmp_path / "out")
    notes = {row[0]: row[1:3] for row in _rows(tmp_path / "out" / "rejects.csv")[1:]}
    assert notes["2"][0] == "letter only"
    assert notes["3"][0] == "e-mail invalid" and notes["3"][1].endswith("(the row is filtered out)")


@pytest.mark.parametrize(
    ("unsubscribe", "message"),
    [
        ('url: "https://x.example/u\\r\\nBcc: victim@example.net"', "one line of ASCII"),
        ("url: https://exämple.fr/désinscription", "percent-encode other characters"),
        ('mailto: "stop@x.example\\r\\nBcc: v@example.net"', "is invalid"),
        ("url: https://x.example/unsubscribe#form", "cannot hold a #fragment"),  # issue 25, 10
    ],
)
def test_unsubscribe_targets_cannot_carry_headers_or_crash_a_send(campaign_dir, run, unsubscribe, message):
    campaign = EMAIL_CAMPAIGN.replace(
        "  body: lettre.md\nletter:", f"  body: lettre.md\n  unsubscribe:\n    {unsubscribe}\nletter:"
    )
    result = run("validate", campaign_dir(campaign))
    assert result.code == 2 and "email.unsubscribe" in result.err and message in result.err


def test_an_email_campaign_needs_the_senders_address(campaign_dir, run):
    campaign = EMAIL_CAMPAIGN.replace("\n  email: claire.martin@literie-martin.example", "")
    result = run("validate", campaign_dir(campaign))
    assert result.code == 2 and "the campaign sends e-mails, but sender.email is missing" in result.err


@pytest.mark.parametrize(("written", "date"), [("15/01/2027", "2027-01-15"), ("2027-01-15", "2027-01-15")])
def test_deadlines_are_read_day_first(campaign_dir, written, date):
    path = campaign_dir(BASE_CAMPAIGN.replace("  price: 49.90", f"  price: 49.90\n  deadline: {written}"))
    assert str(load_campaign(path).offer.deadline) == date


def test_a_deadline_that_is_not_a_date_says_how_to_write_it(campaign_dir, run):
    result = run(
        "validate",
        campaign_dir(BASE_CAMPAIGN.replace("  price: 49.90", "  price: 49.90\n  deadline: bientôt")),
    )
    assert result.code == 2 and "'bientôt' is not a date: write it 2027-01-15" in result.err


def test_reports_are_in_the_customer_files_dialect_and_hold_no_formula(campaign_dir, tmp_path, run):
    csv_text = BASE_CSV + '3;M.;=HYPERLINK("http://x");+Bon;;;;@x\n'
    run("validate", campaign_dir(csv=csv_text), "--out", tmp_path / "out")
    raw = (tmp_path / "out" / "rejects.csv").read_text(encoding="utf-8-sig")
    assert raw.startswith("row;outcome;reason;id;")  # French Excel reads ';'
    row = _rows(tmp_path / "out" / "rejects.csv")[1]
    assert row[5:7] == ['\'=HYPERLINK("http://x")', "'+Bon"]  # shown as text, never run


def test_a_mistyped_relay_url_never_prints_its_password(tmp_path, run, campaign_dir):
    result = run("send", campaign_dir(EMAIL_CAMPAIGN), "--smtp", "smtp//dana:hunter2@relay.example:587")
    assert result.code == 2 and "hunter2" not in result.err + result.out and "***@relay.example" in result.err


def test_a_short_unsubscribe_key_is_refused(campaign_dir, run, monkeypatch):
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", "short")
    result = run("send", campaign_dir(EMAIL_CAMPAIGN), "--smtp", "smtp://127.0.0.1:9")
    assert result.code == 2 and "holds 5 bytes; an unsubscribe key needs at least 32" in result.err
    assert "short" not in result.err.replace("holds 5 bytes", "")


@pytest.mark.slow  # a bound waited for, or every spelling of the paths: CI runs it
@pytest.mark.parametrize(
    "nesting",
    [
        "name: " + "[" * 5000 + "]" * 5000,
        "name: x\n" + "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n",
    ],
    ids=["flow", "block"],
)
def test_deep_yaml_nesting_is_an_error_not_a_traceback(tmp_path, run, nesting):
    """Issue 25, 14."""
    (tmp_path / "campaign.yaml").write_text(nesting)
    result = run("validate", tmp_path / "campaign.yaml")
    assert result.code == 2 and "nests deeper than a campaign ever does" in result.err


def test_urls_with_a_password_are_never_echoed(tmp_path, run, monkeypatch, campaign_dir):
    """Issue 25, 14: `smtp:/user:PASS@host` (one slash) was echoed whole; a PostgreSQL URL with an
    unclosed '[' ended in a traceback holding the password."""
    campaign = campaign_dir()
    result = run("send", campaign, "--smtp", "smtp:/dana:Hunter2Pass@mail.example", "--dry-run")
    assert (
        result.code == 2 and "Hunter2Pass" not in result.err + result.out and "not an SMTP URL" in result.err
    )
    monkeypatch.setenv("PUBLIPOST_STORE", "postgresql://dana:Hunter2Pass@[db.example/campaigns")
    for command in (["suppress", "stats"], ["validate", campaign, "--out", tmp_path / "out"]):
        refused = run(*command)
        assert refused.code == 2 and "the store's URL cannot be read" in refused.err
        assert "Hunter2Pass" not in refused.err + refused.out


@pytest.mark.parametrize(
    "leaflet, said",
    [
        ("text", "depliant.pdf is not a PDF that can be read"),
        ("password", "depliant.pdf is protected by a password"),
        ("empty", "depliant.pdf has no page"),
    ],
)
def test_a_leaflet_that_cannot_be_collated_is_bad_input_before_any_letter(tmp_path, run, leaflet, said):
    """Found when the campaign is read: it used to be a traceback once every letter was drawn."""
    import pikepdf

    from tests.conftest import copy_example

    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8").replace("letter:\n", "letter:\n  leaflet: depliant.pdf\n", 1)
    campaign.write_text(text, encoding="utf-8")
    path = campaign.parent / "depliant.pdf"
    if leaflet == "text":
        path.write_text("not a pdf")
    else:
        with pikepdf.new() as pdf:
            if leaflet == "password":
                pdf.add_blank_page()
                pdf.save(path, encryption=pikepdf.Encryption(user="secret", owner="secret"))
            else:
                pdf.save(path)
    for command in (["validate"], ["render", "--format", "pdf", "--no-lint"]):
        result = run(*command[:1], campaign, *command[1:])
        assert result.code == 2 and f"letter.leaflet: {said}" in result.err, result.err
        assert "Traceback" not in result.err and result.out == ""
    assert not (campaign.parent / "out").exists()  # nothing drawn, nothing written


def test_a_call_to_action_too_long_for_a_qr_code_is_said_before_anything_is_printed(tmp_path, run):
    """The letter prints the call to action's link, tracked, as a QR code: one too long for any
    QR code was a ValueError traceback in the middle of a print run. It is bad input, named at
    its line of the campaign, before a letter is drawn; a long link that fits still prints."""
    from tests.conftest import copy_example

    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8")
    url = "  url: https://literie-martin.example/couette-douillette\n"
    line = text[: text.index(url)].count("\n") + 1
    campaign.write_text(text.replace(url, url.rstrip("\n") + "?x=" + "a" * 2300 + "\n"), encoding="utf-8")
    for command in (["validate"], ["render", "--format", "pdf", "--no-lint"]):
        done = run(*command, campaign)
        assert done.code == 2, done.err
        assert f"campaign.yaml:{line}:" in done.err and "too long for a QR code" in done.err
        assert "Traceback" not in done.err and "shorten the link" in done.err
        assert not (campaign.parent / "out" / "letters" / "letters.pdf").exists()
    campaign.write_text(text.replace(url, url.rstrip("\n") + "?x=" + "a" * 1500 + "\n"), encoding="utf-8")
    done = run("render", campaign, "--format", "pdf", "--no-lint")
    assert done.code == 0, done.err


def test_a_customer_id_too_long_for_the_coupon_s_qr_code_names_its_row(tmp_path, run):
    """The coupon prints the recipient's response code (their id) as a QR code: an id too long
    for any QR code was a ValueError traceback in the middle of a print run, even without a call
    to action. It is bad input at its row of the customer file, before a letter is drawn; an id
    that long on a row the letter does not reach (opted out of mail) is no concern of the letter."""
    import re as regex

    from tests.conftest import copy_example

    campaign = copy_example("vente-couette", tmp_path)
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(regex.sub(r"\ncta:.*?\n(?=\S)", "\n", text, flags=regex.S), encoding="utf-8")
    clients = campaign.parent / "data" / "clients.csv"
    lines = clients.read_bytes().decode("cp1252").split("\r\n")
    row = next(n for n, line in enumerate(lines, start=1) if line.endswith(";oui") and n > 1)
    unreached = next(n for n, line in enumerate(lines, start=1) if line.endswith(";non") and n > 1)
    lines[unreached - 1] = "X" + "AB9" * 1200 + lines[unreached - 1][lines[unreached - 1].index(";") :]
    clients.write_bytes("\r\n".join(lines).encode("cp1252"))
    assert run("render", campaign, "--format", "pdf", "--no-lint").code == 0
    lines[row - 1] = "Y" + "AB9" * 1200 + lines[row - 1][lines[row - 1].index(";") :]
    clients.write_bytes("\r\n".join(lines).encode("cp1252"))
    for command in (["validate"], ["render", "--format", "pdf", "--no-lint"]):
        done = run(*command, campaign)
        assert done.code == 2, done.err
        assert f"clients.csv, row {row}: customer id of 3,601 characters" in done.err, done.err
        assert "too long for a QR code" in done.err and "Traceback" not in done.err
        assert "target.columns" in done.err


@pytest.mark.parametrize(
    ("ids", "row", "length"),
    [
        # the longest id on a later row than the first the letter reaches: only that first row
        # was checked (Audience.longest also yields the fullest row, the file's first on a tie)
        ({5: "Y" + "AB9" * 1200}, 5, "3,601"),
        # 3,000 letters fit (a QR code holds 3,391 letters, digits and - .), 2,399 characters
        # with underscores do not (then it holds 2,331 bytes): the longest id is not the hardest
        ({5: "X" * 3000, 8: "Y_" * 1200}, 8, "2,399"),
    ],
    ids=["longest-on-a-later-row", "hardest-not-longest"],
)
def test_the_id_hardest_to_encode_is_the_one_checked(tmp_path, run, ids, row, length):
    """Each was a traceback in the middle of a print run; now exit 2 at its row, before a
    letter is drawn. Rows 5 and 8 of the example are ones the letter reaches."""
    from tests.conftest import copy_example

    campaign = copy_example("vente-couette", tmp_path)
    clients = campaign.parent / "data" / "clients.csv"
    lines = clients.read_bytes().decode("cp1252").split("\r\n")
    for number, value in ids.items():
        lines[number - 1] = value + lines[number - 1][lines[number - 1].index(";") :]
    clients.write_bytes("\r\n".join(lines).encode("cp1252"))
    for command in (["validate"], ["render", "--format", "pdf", "--no-lint"]):
        done = run(*command, campaign)
        assert done.code == 2, done.err
        assert f"clients.csv, row {row}: customer id of {length} characters" in done.err, done.err
        assert "Traceback" not in done.err and not (campaign.parent / "out" / "letters").exists()


@pytest.mark.parametrize("big", ["file", "parts", "suppression list"])
def test_a_file_larger_than_memory_is_refused_before_it_is_read(campaign_dir, tmp_path, big):
    """A terabyte of customer file, in one file or in parts, or of suppression list (sparse: it
    takes no room on disk), cannot be accounted in this machine's memory: refused at once with
    its size and what the machine has, at its line of the campaign, exit 2, nothing written,
    instead of being read until the kernel kills the process."""
    path = campaign_dir()
    text = path.read_text(encoding="utf-8")
    if big == "file":
        huge, line = [tmp_path / "clients.csv"], "source: clients.csv"
    elif big == "parts":
        (tmp_path / "export").mkdir()
        huge = [tmp_path / "export" / f"part-{n:05d}.csv" for n in range(2)]
        for part in huge:
            part.write_bytes((tmp_path / "clients.csv").read_bytes())
        text, line = text.replace("source: clients.csv", "source: export"), "source: export"
    else:
        huge = [tmp_path / "desabonnes.csv"]
        huge[0].write_text("E-mail\nancien@exemple.fr\n", encoding="utf-8")
        line = "exclude: desabonnes.csv"
        text = text.replace("  source: clients.csv\n", f"  source: clients.csv\n  {line}\n")
    path.write_text(text, encoding="utf-8")
    for file in huge:
        with file.open("r+b") as opened:
            opened.truncate(1024**4 // len(huge))
    # In a process of its own, stopped after five minutes: without the check, validate would
    # go on reading (a terabyte digested, then parsed) until killed.
    result = subprocess.run(
        [sys.executable, "-m", "publipost", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LANG": "C.UTF-8", "PUBLIPOST_LANG": "en"},
    )
    assert result.returncode == 2, result.stderr
    shown = {
        "file": "the customer file is 1024.0 GB",
        "parts": "the customer file's 2 parts are 1024.0 GB",
        "suppression list": "the suppression list is 1024.0 GB",
    }[big]
    assert shown in result.stderr and "4096 GB of memory" in result.stderr
    assert re.search(r"this machine has [\d.]+ GB available", result.stderr)
    number = text.splitlines().index(f"  {line}") + 1
    assert f"campaign.yaml:{number}:" in result.stderr and not (tmp_path / "out").exists()
