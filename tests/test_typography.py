"""Issue 32, item 11: French typography everywhere. Typed copy and merged values get the
typographic apostrophe, elision before a merged name, and no-break spaces where French
typography forbids a line break (templates/typography.py, after the Imprimerie nationale)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pdfplumber
import pytest

from publipost.api import prepare
from publipost.channels.email import Composer
from publipost.templates.typography import NARROW, NBSP, typeset
from tests.test_brand import BRANDED, _logo


@pytest.mark.parametrize(
    ("typed", "set_"),
    [
        ("client de Au Fil du Lin", "client d’Au Fil du Lin"),  # elision before a merged name
        ("parce que Anne", "parce qu’Anne"),
        ("de Lyon", "de Lyon"),  # a consonant: nothing to elide
        ("RCS Annecy 901 234 567", f"RCS{NBSP}Annecy{NBSP}901{NARROW}234{NARROW}567"),
        ("(réf. TK-48100)", f"(réf.{NBSP}TK-48100)"),
        ("-30 % sur tout", f"-30{NBSP}% sur tout"),
        ("lavable à 60 °C", f"lavable à{NBSP}60{NBSP}°C"),
        ("04 78 00 11 22", f"04{NARROW}78{NARROW}00{NARROW}11{NARROW}22"),
        ("avant le 31 décembre", f"avant le{NBSP}31{NBSP}décembre"),
        ("l'offre : profitez-en !", f"l’offre{NARROW}: profitez-en{NARROW}!"),
        ("« Bonjour »", f"«{NARROW}Bonjour{NARROW}»"),
        ("M. Dupont", f"M.{NBSP}Dupont"),
        # a link's target, a URL and an e-mail address are not prose
        ("[l'offre](https://x.fr/l'offre)", "[l’offre](https://x.fr/l'offre)"),
        ("écrivez à jean.o'neil@x.fr", "écrivez à jean.o'neil@x.fr"),
    ],
)
def test_french_typography(typed, set_):
    assert typeset(typed, "fr") == set_
    assert typeset(set_, "fr") == set_  # twice is once


def test_english_gets_the_apostrophe_only():
    assert typeset("It's 30 % off: Anne's", "en") == "It’s 30 % off: Anne’s"


def test_the_e_mail_is_typeset_footer_included(campaign_dir, tmp_path):
    _logo(tmp_path)
    campaign = BRANDED.replace("company: Literie Martin", "company: Au Fil du Lin")
    path = campaign_dir(campaign, letter="Bonjour,\n\nL'offre vaut jusqu'au 31 décembre : 30 % de remise.\n")
    prepared = prepare(path)
    recipient = next(iter(prepared.audience))
    message = message_from_bytes(Composer(prepared, b"k" * 32).message(recipient), policy=policy.default)
    for part in (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()):
        assert f"L’offre vaut jusqu’au{NBSP}31{NBSP}décembre{NARROW}: 30{NBSP}% de remise." in part
        assert "client d’Au Fil du Lin" in part and "client de Au" not in part


def test_a_logo_is_not_followed_by_the_company_name_it_shows(campaign_dir, tmp_path, run):
    def head(campaign: str) -> str:
        path = campaign_dir(campaign)
        assert run("render", path, "--format", "pdf", "--out", tmp_path / "out", "--no-lint").code == 0
        with pdfplumber.open(tmp_path / "out" / "letters" / "letters.pdf") as pdf:
            page = pdf.pages[0]
            return page.crop((0, 0, page.width / 2, 45 * 72 / 25.4)).extract_text()  # the letterhead

    _logo(tmp_path)
    with_address = BRANDED.replace(
        "  company: Literie Martin\n", "  company: Literie Martin\n  address: 12 rue Neuve, 69002 Lyon\n"
    )
    assert "Literie Martin" in head(with_address)  # a logo may be a symbol: the name stays
    spelled = with_address.replace("  logo: logo.png\n", "  logo: logo.png\n  logo_shows_name: true\n")
    assert "Literie Martin" not in head(spelled) and "12 rue Neuve" in head(spelled)
    without_logo = spelled.replace("  logo: logo.png\n", "")
    assert "Literie Martin" in head(without_logo)
