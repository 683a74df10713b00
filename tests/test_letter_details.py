"""The letter's own details: the envelope's teaser is the letter's hook, a greeting setting, the
coupon's return address as the postal norm prints it."""

from __future__ import annotations

import pypdf
import pytest

from publipost.api import prepare
from tests.conftest import BASE_CAMPAIGN

NO_CIVILITY = """\
id;Prénom;Nom;Adresse;Code postal;Ville;E-mail
1;Noël;Martin;3 rue Neuve;01000;Bourg-en-Bresse;noel@exemple.fr
"""
LETTER = "**Découvrez maintenant votre cadeau**\n\nVoici votre offre.\n"


def _text(path):
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages)


def test_the_envelope_teaser_is_the_hook_the_letter_prints(campaign_dir, tmp_path, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("  body: lettre.md", "  body: lettre.md\n  envelope: dl"))
    assert run("render", path, "--format", "pdf", "--out", tmp_path / "out").code == 0
    envelopes = tmp_path / "out" / "letters" / "envelopes-dl.pdf"
    assert "Découvrez maintenant votre cadeau" in _text(envelopes)  # the copy's first bold block
    assert len(pypdf.PdfReader(envelopes).pages) == 1  # the same for everyone: one page


@pytest.mark.parametrize(
    ("greeting", "letter", "email"),
    [
        ("", "Madame, Monsieur,", "Bonjour Noël,"),  # defaults: a formal letter, an e-mail by name
        ("  greeting: familiar\n", "Bonjour Noël,", "Bonjour Noël,"),
        ("  greeting: {style: formal, fallback: 'Cher client,'}\n", "Cher client,", "Bonjour Noël,"),
    ],
)
def test_a_greeting_setting_per_campaign(campaign_dir, greeting, letter, email):
    campaign = (
        BASE_CAMPAIGN.replace("letter:\n", "letter:\n" + greeting).replace(
            "  place: Lyon", "  place: Lyon\n  email: claire@literie-martin.example"
        )
        + "email:\n  subject: Offre\n  body: lettre.md\n"
    )
    prepared = prepare(campaign_dir(campaign, NO_CIVILITY, LETTER))
    (recipient,) = list(prepared.audience)
    assert prepared.merge.letter(recipient).salutation == letter
    assert prepared.merge.email(recipient).salutation == email


def test_english_letters_fall_back_on_sir_or_madam(campaign_dir):
    campaign = BASE_CAMPAIGN.replace("language: fr", "language: en")
    csv = "id,First Name,Last Name,Address,ZIP,City,State\n1,Sam,Lee,12 Oak St,80202,Denver,CO\n"
    campaign = campaign.replace("  source: clients.csv", "  source: clients.csv")
    prepared = prepare(campaign_dir(campaign + "", csv, LETTER))
    (recipient,) = list(prepared.audience)
    assert prepared.merge.letter(recipient).salutation == "Dear Sir or Madam,"


def test_the_coupons_return_address_follows_the_postal_norm(campaign_dir, tmp_path, run):
    campaign = BASE_CAMPAIGN.replace(
        "  body: lettre.md", "  body: lettre.md\n  reply_address: [Service clients, BP 12, 69002 Lyon Cédex]"
    )
    path = campaign_dir(campaign)
    assert run("render", path, "--format", "pdf", "--out", tmp_path / "out").code == 0
    text = _text(tmp_path / "out" / "letters" / "letters.pdf")
    assert "69002 LYON CEDEX" in text and "Lyon Cédex" not in text
    too_long = BASE_CAMPAIGN.replace(
        "  body: lettre.md",
        "  body: lettre.md\n  reply_address: [Service clients, " + "x" * 50 + ", 69002 Lyon]",
    )
    result = run("validate", campaign_dir(too_long))
    assert result.code == 2 and "the coupon's return address: address line 2" in result.err
