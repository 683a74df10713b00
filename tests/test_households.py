"""Issue 32, item 5: one letter per household. Two customers at one address got two letters,
and `dedupe` on the address dropped the second customer entirely, e-mail included. With
`target.household`, the household gets one letter addressed to both, and each member keeps
their e-mail; « M. et Mme » in a civility column is kept."""

from __future__ import annotations

import csv
import email
from email import policy

import pytest
from pypdf import PdfReader

from publipost.campaigns.households import Person, together
from tests.conftest import BASE_CAMPAIGN

LETTER = "**Découvrez maintenant votre cadeau**\n\n{{ salutation }}\n\nVoici votre offre.\n"
CSV = """\
id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;E-mail
1;M.;Paul;Perret;12 rue des Lilas;69003;Lyon;paul.perret@exemple.fr
2;Mme;Jeanne;Dupont;3 rue Neuve;01000;Bourg-en-Bresse;jeanne.dupont@exemple.fr
3;Mme;Claire;PERRET;12, rue des lilas;69003;Lyon;claire.perret@exemple.fr
4;M. et Mme;Louis;Girard;8 avenue Foch;38000;Grenoble;
5;Mme;Anne;Roy;2 rue Xavier Privas;69002;Lyon;
6;Mme;Léa;Roy;2 rue Xavier Privas;69002;Lyon;
"""
HOUSEHOLD = "  household: [last_name, address1, postcode]\n"


def _campaign(campaign_dir, *, with_email: bool = True) -> object:
    text = BASE_CAMPAIGN.replace("  source: clients.csv\n", "  source: clients.csv\n" + HOUSEHOLD)
    if with_email:
        text = text.replace("  place: Lyon\n", "  place: Lyon\n  email: claire@exemple.fr\n")
        text += 'email:\n  subject: "Votre offre"\n  body: lettre.md\n'
        text += "  unsubscribe:\n    mailto: stop@exemple.fr\n"
    return campaign_dir(text, CSV, LETTER)


def _pages(campaign) -> list[str]:
    reader = PdfReader(campaign.parent / "out" / "letters" / "letters.pdf")
    return [" ".join((p.extract_text() or "").split()) for p in reader.pages]


@pytest.mark.parametrize(
    ("people", "language", "expected"),
    [
        ([("M.", "Paul", "Perret"), ("Mme", "Claire", "PERRET")], "fr", ("M. et Mme", "", "Perret")),
        ([("Mr", "Paul", "Perret"), ("Mrs", "Claire", "Perret")], "en", ("Mr and Mrs", "", "Perret")),
        ([("Mme", "Anne", "Roy"), ("Mme", "Léa", "Roy")], "fr", ("", "Anne et Léa", "Roy")),
        ([("", "A", "Roy"), ("", "B", "Roy"), ("", "C", "Roy")], "en", ("", "", "The Roy family")),
        ([("Mme", "Anne", "Roy"), ("M.", "Luc", "Bon")], "fr", ("", "", "Anne Roy et Luc Bon")),
        # too long for the address line's 38 characters: the first member's own name
        (
            [("Mme", "Marie-Christine", "de La Tour-Maubourg"), ("M.", "Jean-Baptiste", "Fontaine")],
            "fr",
            ("Mme", "Marie-Christine", "de La Tour-Maubourg"),
        ),
    ],
)
def test_how_one_letter_names_a_household(people, language, expected):
    assert together([Person(*p) for p in people], language) == Person(*expected)


def test_one_letter_per_household_addressed_to_both_and_every_e_mail_kept(campaign_dir, run):
    path = _campaign(campaign_dir)
    checked = run("validate", path, "--lang", "en")
    assert checked.code == 0, checked.err
    assert "targeted           5   letters 4 · e-mails 3" in checked.out, checked.out
    with (path.parent / "out" / "rejects.csv").open(encoding="utf-8-sig") as file:
        rejects = {}
        for row in csv.DictReader(file, delimiter=";"):
            rejects.setdefault(row["row"], row)  # its first note (a row without e-mail has a second)
    # Claire Perret keeps her e-mail; her household's letter is Paul's, addressed to both
    assert rejects["4"]["outcome"] == "e-mail only"
    assert rejects["4"]["reason"] == "same household as row 2: its letter is addressed to both"
    # Léa Roy had only the letter: he is in Anne's, listed as such (never dropped silently)
    assert rejects["7"]["outcome"] == "duplicate" and "same household as row 6" in rejects["7"]["reason"]
    corrections = (path.parent / "out" / "corrections.csv").read_text(encoding="utf-8-sig")
    assert (
        "2;household;M. Paul Perret;M. et Mme Perret;one letter for the household (rows 2, 4)" in corrections
    )

    assert run("render", path, "--format", "pdf", "--no-lint").code == 0
    pages = _pages(path)
    assert len(pages) == 4
    perret = next(p for p in pages if "Lilas" in p)
    assert "Monsieur et Madame Perret" in perret and "Madame, Monsieur," in perret
    assert "Claire Perret" not in perret and "Paul" not in perret
    girard = next(p for p in pages if "GRENOBLE" in p)  # « M. et Mme » in the file: kept, not dropped
    assert "Monsieur et Madame Louis Girard" in girard and "Madame, Monsieur," in girard
    roy = next(p for p in pages if "Xavier" in p)
    assert "Anne et Léa Roy" in roy and "Madame, Monsieur," in roy

    sent = run("send", path)
    assert sent.code == 0, sent.err
    mailed = {}
    for file in (path.parent / "out" / "maildir" / "new").iterdir():
        message = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        mailed[message["To"].addresses[0].addr_spec] = message
    assert sorted(mailed) == [
        "claire.perret@exemple.fr",
        "jeanne.dupont@exemple.fr",
        "paul.perret@exemple.fr",
    ]
    # each member's own e-mail greets them alone: the household's name is the letter's
    assert str(mailed["paul.perret@exemple.fr"]["To"]) == "Monsieur Paul Perret <paul.perret@exemple.fr>"
    assert "Cher Monsieur Perret," in mailed["paul.perret@exemple.fr"].get_body(("plain",)).get_content()


def test_without_household_two_letters_go_to_one_address(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN, CSV, LETTER)
    assert run("validate", path, "--lang", "en").code == 0
    assert run("render", path, "--format", "pdf", "--no-lint").code == 0
    assert len(_pages(path)) == 6


def test_a_household_column_the_file_lacks(campaign_dir, run):
    text = BASE_CAMPAIGN.replace(
        "  source: clients.csv\n", "  source: clients.csv\n  household: [nom_famille]\n"
    )
    path = campaign_dir(text, CSV, LETTER)
    refused = run("validate", path, "--lang", "en")
    assert refused.code == 2 and "target.household names 'nom_famille'" in refused.err
