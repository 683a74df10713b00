"""Campaign codes identify a campaign: written and checked, or derived with a hash of the name."""

from __future__ import annotations

import re

import pdfplumber

from publipost.api import load_campaign
from publipost.campaigns.code import derived_code
from publipost.templates.codes import is_valid, response_code
from tests.conftest import BASE_CAMPAIGN

NAMED = "name: Test campaign\n"


def test_two_campaigns_of_one_company_get_different_codes():
    winter = derived_code("Maison Théodore — promotion d'hiver")
    january = derived_code("Maison Théodore — soldes de janvier")
    assert winter.startswith("MAITHE") and january.startswith("MAITHE") and winter != january
    assert derived_code("Maison Théodore — promotion d'hiver") == winter  # stable from run to run
    assert len(winter) == 9 and winter.isalnum() and winter.isupper()
    assert response_code(winter, "C1") != response_code(january, "C1")


def test_a_written_code_is_used_everywhere_and_checked(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace(NAMED, NAMED + "code: hiver26\n"))
    assert load_campaign(path).code == "HIVER26"
    assert run("render", path, "--format", "pdf").code == 0
    with pdfplumber.open(path.parent / "out" / "letters" / "letters.pdf") as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    printed = re.findall(r"HIVER26-[A-Z0-9]+-[A-Z0-9]", text)  # the coupons' response codes
    assert printed and all(is_valid(code) for code in printed), text[-300:]
    bad = campaign_dir(BASE_CAMPAIGN.replace(NAMED, NAMED + "code: hiver 26!\n"))
    refused = run("validate", bad)
    assert refused.code == 2 and "campaign.yaml:2:7" in refused.err
    assert "2 to 12 letters or digits" in refused.err


def test_changing_the_code_of_a_campaign_that_sent_is_refused(tmp_path, run):
    from tests.test_send import CAMPAIGN, _campaign

    coded = CAMPAIGN.replace("language: en\n", "language: en\ncode: FIRST\n")
    _campaign(tmp_path, ["ann@example.com", "bob@example.com"], coded)
    assert run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out").code == 0
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(campaign.read_text().replace("code: FIRST", "code: SECOND"))
    for extra in ((), ("--accept-changes",)):
        refused = run("send", campaign, "--out", tmp_path / "out", *extra)
        assert refused.code == 2 and "already printed or sent under the code FIRST, not SECOND" in refused.err
        assert "keep 'code: FIRST'" in refused.err


def test_the_journal_refuses_a_new_code_too(tmp_path, run):
    """Without the manifest (deleted, or a journal from before it existed) the journal still knows."""
    from tests.test_send import CAMPAIGN, _campaign

    _campaign(
        tmp_path, ["ann@example.com"], CAMPAIGN.replace("language: en\n", "language: en\ncode: FIRST\n")
    )
    assert run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out").code == 0
    (tmp_path / "out" / "manifest.sqlite").unlink()
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(campaign.read_text().replace("code: FIRST", "code: SECOND"))
    refused = run("send", campaign, "--out", tmp_path / "out")
    assert refused.code == 2 and "already printed or sent under the code FIRST, not SECOND" in refused.err
    assert "send-journal.sqlite" in refused.err  # the journal refused it: the manifest was gone


SHORT_CSV = """\
Civilité;Prénom;Nom;Adresse;Code postal;Ville;E-mail
Mme;Jeanne;Dupont;12 rue des Lilas;69003;Lyon;jeanne.dupont@exemple.fr
M.;Paul;Martin;3 rue Neuve;01000;Bourg-en-Bresse;paul.martin@exemple.fr
Mme;Anne;Roy;2 rue Xavier Privas;69002;Lyon;anne.roy@exemple.fr
"""


def _short_campaign(campaign_dir):
    campaign = BASE_CAMPAIGN.replace(NAMED, NAMED + "code: hiver27\n").replace(
        "  place: Lyon\n", "  place: Lyon\n  email: claire@exemple.fr\n"
    )
    campaign += (
        'email:\n  subject: "Votre offre"\n  body: lettre.md\n  unsubscribe:\n    mailto: stop@exemple.fr\n'
    )
    letter = "**Découvrez votre cadeau**\n\nBonjour,\n\nVoici [votre offre](https://exemple.fr/offre).\n"
    return campaign_dir(campaign, SHORT_CSV, letter)


def _coupons(path) -> list[str]:
    with pdfplumber.open(path.parent / "out" / "letters" / "letters.pdf") as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return re.findall(r"HIVER27-[A-Z0-9]+-[A-Z0-9]", text)


def test_without_customer_numbers_codes_are_a_short_counter_bound_in_the_manifest(campaign_dir, run):
    """Issue 32, 10: without a customer id, codes carried a 12-character hash (HIVER27-MAD7672CE00B3-U).
    Now a per-campaign counter with its check character, bound in the manifest: the letters, the
    e-mails' links and the manifest agree, a reprint keeps them, and a keyed code is attributed."""
    import json

    path = _short_campaign(campaign_dir)
    assert run("render", path, "--format", "pdf", "--no-lint").code == 0
    printed = _coupons(path)
    assert printed == [
        "HIVER27-0001-" + printed[0][-1],
        "HIVER27-0002-" + printed[1][-1],
        "HIVER27-0003-" + printed[2][-1],
    ]
    assert all(is_valid(code) for code in printed)
    listed = json.loads(run("manifest", path, "--format", "json").out)
    assert sorted(row["response_code"] for row in listed) == sorted(printed)
    ids = {row["response_code"]: row["id"] for row in listed}
    assert all(rid.startswith("m") for rid in ids.values())  # the ids stay the address hashes

    # a customer inserted above the others: the reprint keeps every code already given
    csv = path.parent / "clients.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    csv.write_text(
        "\n".join([lines[0], "M.;Luc;Bon;8 avenue Foch;38000;Grenoble;luc.bon@exemple.fr", *lines[1:]])
        + "\n",
        encoding="utf-8",
    )
    assert run("render", path, "--format", "pdf", "--no-lint").code == 0
    again = _coupons(path)
    assert again[1:] == printed and again[0].startswith("HIVER27-0004-")

    # the e-mails' tracked links carry the same codes
    assert run("send", path, "--no-lint").code == 0
    from email import message_from_bytes, policy

    refs = set()
    for file in (path.parent / "out" / "maildir" / "new").iterdir():
        html = message_from_bytes(file.read_bytes(), policy=policy.default).get_body(("html",)).get_content()
        refs |= set(re.findall(r"ref=(HIVER27-[0-9]+-[A-Z0-9])", html))
    assert refs == set(again)

    # a till keys a short code back: attributed to its customer
    responses = path.parent / "responses.csv"
    responses.write_text(
        f"response_code,date,amount\n{printed[1].lower()},2026-12-01,49.90\n", encoding="utf-8"
    )
    imported = run("responses", "import", path, responses)
    assert imported.code == 0, imported.err
    import sqlite3

    with sqlite3.connect(path.parent / "out" / "manifest.sqlite") as db:
        counted = db.execute("SELECT id, matched_by FROM responses").fetchall()
    assert counted == [(ids[printed[1]], "response code")]
