"""Suppression lists as unsubscribe exports really are: every row held, or an error naming it."""

from __future__ import annotations

import pytest

from publipost.campaigns.audience import load_audience
from publipost.campaigns.load import load_campaign
from tests.conftest import BASE_CAMPAIGN

CUSTOMERS = "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;E-mail\n" + "".join(
    f"{i};Mme;Name{i};Smith;{i} rue des Lilas;69003;Lyon;person{i}@exemple.fr\n" for i in range(1, 13)
)


def _campaign(campaign_dir, tmp_path, listing: str, name="stop.csv", encoding="utf-8"):
    (tmp_path / name).write_bytes(listing.encode(encoding))
    campaign = BASE_CAMPAIGN.replace("  source: clients.csv", f"  source: clients.csv\n  exclude: {name}")
    return campaign_dir(campaign, CUSTOMERS)


def test_messy_unsubscribe_export_suppresses_every_listed_address(campaign_dir, tmp_path, run):
    """Ten unsubscribed people, written the ways exports write them: all ten are suppressed."""
    listing = (
        "E-mail;Date\n"
        "Name One <person1@exemple.fr>;12/03/2026\n"
        "mailto:person2@exemple.fr;12/03/2026\n"
        "person3@exemple.fr.;12/03/2026\n"  # a trailing dot
        "person4@exemple.fr;12/03/2026;par téléphone\n"  # a field too many: a note
        "PERSON5@EXEMPLE.FR (demande écrite);13/03/2026\n"  # a note in the cell
        '"person6@exemple.fr";13/03/2026\n'
        "  person7@exemple.fr  ;13/03/2026\n"
        "mailto:person8@exemple.fr?subject=unsubscribe;14/03/2026\n"
        "Dupont; Jean <person9@exemple.fr>;14/03/2026\n"  # a ';' inside the name
        "<person10@exemple.fr>;14/03/2026\n"
        ";\n"  # blank: holds nothing
    )
    path = _campaign(campaign_dir, tmp_path, listing)
    audience = load_audience(load_campaign(path))
    assert sorted(r.id for r in audience) == ["11", "12"]
    (listing_read,) = audience.suppression
    assert (listing_read.entries, listing_read.suppressed) == (10, 10)
    result = run("validate", path, "--out", tmp_path / "out")
    assert "stop.csv: 10 entries, 10 customers suppressed (matched on email)" in result.out


def test_a_row_without_a_readable_address_is_an_error_naming_the_row(campaign_dir, tmp_path, run):
    listing = "email\nperson1@exemple.fr\nperson2 at exemple.fr\nperson3@\nperson4@exemple.fr\n"
    path = _campaign(campaign_dir, tmp_path, listing)
    result = run("validate", path, "--out", tmp_path / "out")
    assert result.code == 2 and not result.out  # nothing printed, nothing written
    assert (
        f"{tmp_path / 'stop.csv'}, row 3: suppression file stop.csv: no e-mail address in 'person2 at"
        in result.err
    )
    assert (
        f"{tmp_path / 'stop.csv'}, row 4: suppression file stop.csv: e-mail 'person3@' is invalid"
        in result.err
    )
    assert not (tmp_path / "out" / "rejects.csv").exists()


def test_headerless_lists_in_cp1252(campaign_dir, tmp_path):
    listing = "person1@exemple.fr;désinscrit\nperson2@exemple.fr;désinscrit\n"
    path = _campaign(campaign_dir, tmp_path, listing, encoding="cp1252")
    audience = load_audience(load_campaign(path))
    assert audience.suppression[0].entries == 2 and len(audience) == 10


def test_postal_rows_need_the_whole_address(campaign_dir, tmp_path, run):
    listing = "Nom;Adresse;CP\nSMITH;1, rue des  Lilas;69003\nSmith;;69003\n"
    path = _campaign(campaign_dir, tmp_path, listing)
    result = run("validate", path)
    assert (
        result.code == 2
        and "row 3: suppression file stop.csv: the postal address lacks address1" in result.err
    )
    (tmp_path / "stop.csv").write_text("Nom;Adresse;CP\nSMITH;1, rue des  Lilas;69003\n")
    audience = load_audience(load_campaign(path))
    assert audience.counts["suppressed"] == 1 and audience.suppression[0].entries == 1


@pytest.mark.parametrize("bad", ["0600000000", "\x1b[31mredacted\x1b[0m"])
def test_a_list_without_addresses_names_its_columns_escaped(campaign_dir, tmp_path, run, bad):
    path = _campaign(campaign_dir, tmp_path, f"Téléphone;{bad}\n0600000000;x\n")
    result = run("validate", path)
    assert result.code == 2 and "stop.csv has neither an e-mail column nor a postal address" in result.err
    assert "\x1b" not in result.err  # a header cannot drive the terminal or a CI log
