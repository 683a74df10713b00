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
    assert refused.code == 2 and "already sent with the code FIRST" in refused.err
