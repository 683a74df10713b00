"""campaign.yaml → Campaign: valid files load, every bad input exits 2 naming file, line and the fix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from publipost.campaigns.load import load_campaign
from publipost.campaigns.model import Objective
from tests.conftest import BASE_CAMPAIGN, EXAMPLES


def test_examples_load_with_their_objective():
    fr = load_campaign(EXAMPLES / "vente-couette" / "campaign.yaml")
    en = load_campaign(EXAMPLES / "launch-planner" / "campaign.yaml")
    assert (fr.language, fr.objective, fr.channels) == ("fr", Objective.SALE, ["letter", "email"])
    assert (en.language, en.objective, en.channels) == ("en", Objective.LAUNCH, ["letter", "email"])
    assert fr.offer.price == Decimal("89.90") and en.offer.currency == "USD"
    assert fr.copies["letter.body"].origin.path == EXAMPLES / "vente-couette" / "lettre.md"


@pytest.mark.parametrize(
    ("word", "objective"),
    [
        ("vente", Objective.SALE),
        ("Lancement", Objective.LAUNCH),
        ("notoriété", Objective.AWARENESS),
        ("notoriete", Objective.AWARENESS),
        ("fidélisation", Objective.LOYALTY),
        ("relance", Objective.REACTIVATION),
        ("rendez-vous", Objective.APPOINTMENT),
        ("événement", Objective.EVENT),
        ("loyalty", Objective.LOYALTY),
    ],
)
def test_objective_aliases(campaign_dir, word, objective):
    path = campaign_dir(BASE_CAMPAIGN.replace("objective: vente", f"objective: {word}"))
    assert load_campaign(path).objective is objective


def test_malformed_yaml_names_line_and_column(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("  price: 49.90", "  price: [49.90"))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:7:" in result.err and "invalid YAML" in result.err
    assert result.out == ""


def test_unknown_key_suggests_the_right_one(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("  price: 49.90", "  price: 49.90\n  prise: 12"))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:7:3: unknown key 'prise' in offer" in result.err
    assert "did you mean 'price'?" in result.err


def test_an_unknown_key_under_a_key_the_file_spells_otherwise_than_python(campaign_dir, run):
    """`print:` is the field `print_` (and `code:` the field `written_code`): an unknown key
    inside it was a KeyError traceback, and the keys listed were the Python names."""
    path = campaign_dir(BASE_CAMPAIGN + "print: {marks: omr, bogus: 1}\n")
    result = run("validate", path)
    assert result.code == 2 and "Traceback" not in result.err, result.err
    assert "unknown key 'bogus' in print" in result.err
    assert "keys allowed here: marks, output_profile, standard" in result.err
    top = run("validate", campaign_dir(BASE_CAMPAIGN + "envelope: dl\n"))
    assert top.code == 2 and "unknown key 'envelope' in the top level" in top.err
    listed = top.err.split("keys allowed here: ")[1].split(", ")
    assert "print" in listed and "code" in listed and "print_" not in listed and "written_code" not in listed


def test_unknown_top_level_key(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("objective: vente", "objectives: vente"))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:3:1: unknown key 'objectives' in the top level" in result.err
    assert "did you mean 'objective'?" in result.err


def test_two_objectives_as_a_list(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("objective: vente", "objective: [vente, notoriété]"))
    result = run("validate", path)
    assert result.code == 2
    assert (
        f"{path}:3:12: objective: one mailing, one objective: 2 were given (vente, notoriété)" in result.err
    )


def test_two_objective_keys(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("objective: vente", "objective: vente\nobjective: lancement"))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:4:1: key 'objective' is given twice" in result.err
    assert "one mailing, one objective" in result.err


def test_unknown_objective_suggests(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("objective: vente", "objective: vent"))
    result = run("validate", path)
    assert result.code == 2
    assert "unknown objective 'vent'; did you mean 'vente'?" in result.err


def test_sale_without_price(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("  price: 49.90\n", ""))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:4:1: offer.price is required for a 'sale' campaign" in result.err
    assert "price: 49.90" in result.err


def test_awareness_needs_no_price(campaign_dir):
    path = campaign_dir(
        BASE_CAMPAIGN.replace("objective: vente", "objective: notoriété").replace("  price: 49.90\n", "")
    )
    assert load_campaign(path).offer.price is None


def test_bad_price_and_currency(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("price: 49.90", "price: beaucoup\n  currency: EUROS"))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:6:10: offer.price: 'beaucoup' is not a price" in result.err
    assert f"{path}:7:13: offer.currency: 'EUROS' is not an ISO 4217 currency code" in result.err


@pytest.mark.parametrize(
    ("address", "outcome"),
    [
        ("claire at literie.fr", "sender.email: e-mail 'claire at literie.fr' is invalid"),
        ("clàire@literie.fr", "Internationalized characters before the @-sign are not supported"),
        ("claire@litérie.fr", "claire@xn--litrie-dva.fr"),  # sent in its IDNA form
    ],
)
def test_sender_address_is_checked_like_the_customer_files(campaign_dir, run, address, outcome):
    path = campaign_dir(BASE_CAMPAIGN.replace("  place: Lyon", f"  place: Lyon\n  email: {address}"))
    if "@xn--" in outcome:
        assert load_campaign(path).sender.email == outcome
        return
    result = run("validate", path)
    assert result.code == 2 and f"{path}:13:10: " in result.err and outcome in result.err


def test_missing_data_file(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("source: clients.csv", "source: data/absent.csv"))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:8:11: target.source: file not found: {path.parent / 'data' / 'absent.csv'}" in result.err
    assert "relative to the folder of the campaign file" in result.err


def test_missing_copy_file(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("body: lettre.md", "body: lettr.md"))
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:15:9: letter.body: file not found" in result.err


def test_campaign_without_letter_or_email(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.split("letter:")[0])
    result = run("validate", path)
    assert result.code == 2
    assert "neither a letter nor an e-mail" in result.err


def test_language_and_missing_key(campaign_dir, run):
    path = campaign_dir(
        BASE_CAMPAIGN.replace("language: fr", "language: de").replace("  product: couette\n", "")
    )
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:2:11: language is 'fr' or 'en', not 'de'" in result.err
    assert f"{path}:4:1: missing required key 'product' in offer" in result.err


def test_yaml_that_is_not_a_mapping(campaign_dir, run):
    path = campaign_dir("- just\n- a list\n")
    result = run("validate", path)
    assert result.code == 2 and "a campaign file is a YAML mapping" in result.err


def test_missing_campaign_file(tmp_path, run):
    result = run("validate", tmp_path / "nope.yaml")
    assert result.code == 2 and "campaign file not found" in result.err


def test_inline_copy_positions_point_into_the_yaml(campaign_dir):
    campaign = BASE_CAMPAIGN.replace("  body: lettre.md", "  body: |\n    Bonjour,\n\n    Texte.")
    copy = load_campaign(campaign_dir(campaign)).copies["letter.body"]
    assert copy.text == "Bonjour,\n\nTexte.\n"
    assert (copy.where(1, 1).line, copy.where(1, 1).column) == (16, 5)
    assert (copy.where(3, 2).line, copy.where(3, 2).column) == (18, 6)
