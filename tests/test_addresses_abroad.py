"""Issue 29, 4: addresses outside France and the US as each country's post expects them, the
home country never printed on domestic mail, and a spreadsheet's lost zero restored only on
domestic postcodes (a Belgian 1000 is Brussels, not Bourg-en-Bresse's 01000).

Expected blocks from the posts' published guidance: Royal Mail "How to address your mail"
(town in capitals, then the postcode with its space, on its own line), PostNL (1012 LG), bpost
and Deutsche Post (postcode then town), Swiss Post (no "CH-" when the country line says it),
USPS Publication 28 (CITY, ST ZIP); the country last, in the sender's language (UPU)."""

from __future__ import annotations

import pytest

from publipost.campaigns.postal import FR, US, AddressError, format_address


def _fields(first, last, street, postcode, city, country, civility="", state=""):
    return {
        "civility": civility,
        "first_name": first,
        "last_name": last,
        "address1": street,
        "postcode": postcode,
        "city": city,
        "country": country,
        "state": state,
    }


@pytest.mark.parametrize(
    ("fields", "block"),
    [
        (
            _fields("John", "Smith", "10 Downing Street", "SW1A2AA", "London", "Royaume-Uni", "M."),
            ["Monsieur John Smith", "10 Downing Street", "LONDON", "SW1A 2AA", "ROYAUME-UNI"],
        ),
        (
            _fields("Jan", "Jansen", "Damrak 1", "1012LG", "Amsterdam", "Pays-Bas", "M."),
            ["Monsieur Jan Jansen", "Damrak 1", "1012 LG AMSTERDAM", "PAYS-BAS"],
        ),
        (
            _fields("Marie", "Dubois", "Rue de la Loi 16", "1000", "Bruxelles", "Belgique", "Mme"),
            ["Madame Marie Dubois", "Rue de la Loi 16", "1000 BRUXELLES", "BELGIQUE"],
        ),
        (
            _fields("Anna", "Schmidt", "Platz der Republik 1", "11011", "Berlin", "Deutschland", "Mme"),
            ["Madame Anna Schmidt", "Platz der Republik 1", "11011 BERLIN", "ALLEMAGNE"],
        ),
        (
            _fields("Hans", "Muster", "Bundesplatz 3", "3005", "Bern", "CH", "M."),
            ["Monsieur Hans Muster", "Bundesplatz 3", "3005 BERN", "SUISSE"],
        ),
        (
            _fields("Jane", "Doe", "1600 Pennsylvania Avenue NW", "20500", "Washington", "USA", state="DC"),
            ["Jane Doe", "1600 Pennsylvania Avenue NW", "WASHINGTON, DC 20500", "ETATS-UNIS"],
        ),
    ],
    ids=["uk", "nl", "be", "de", "ch", "us"],
)
def test_mail_from_france_is_addressed_as_the_destination_s_post_expects(fields, block):
    assert format_address(fields, FR) == block


def test_mail_from_the_us_names_the_country_in_english():
    fields = _fields("Claire", "Martin", "12 rue de la République", "75008", "Paris", "France")
    assert format_address(fields, US) == ["Claire Martin", "12 rue de la République", "75008 PARIS", "FRANCE"]


@pytest.mark.parametrize("written", ["France", "FRANCE", "france", "FR", "fra", " France "])
def test_domestic_mail_has_no_country_line_however_the_column_writes_it(written):
    fields = _fields("Jeanne", "Dupont", "12 rue des Lilas", "69003", "Lyon", written, "Mme")
    assert format_address(fields, FR) == ["Madame Jeanne Dupont", "12 rue des Lilas", "69003 LYON"]
    us = _fields(
        "Ann",
        "Smith",
        "1 Main St",
        "78701",
        "Austin",
        {"France": "USA"}.get(written, "United States"),
        state="TX",
    )
    assert format_address(us, US)[-1] == "AUSTIN TX 78701"


def test_an_unknown_country_or_a_postcode_of_the_wrong_shape_is_a_reason_not_a_guess():
    with pytest.raises(AddressError, match="country 'Atlantis' is not one publipost knows"):
        format_address(_fields("Paul", "Roy", "2 rue X", "1234", "Nowhere", "Atlantis"), FR)
    for union in ("EU", "Union européenne", "United Nations"):  # CLDR territories, not countries
        with pytest.raises(AddressError, match=f"country '{union}' is not one publipost knows"):
            format_address(_fields("Paul", "Roy", "2 rue X", "1000", "Bruxelles", union), FR)
    with pytest.raises(AddressError, match="not an address the post of NL accepts: postcode '12345' invalid"):
        format_address(_fields("Jan", "Jansen", "Damrak 1", "12345", "Amsterdam", "Nederland"), FR)


def test_a_lost_zero_is_restored_on_domestic_postcodes_only(campaign_dir, run):
    csv = (
        "id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;Pays\n"
        "1;Mme;Marie;Dubois;Rue de la Loi 16;1000;Bruxelles;Belgique\n"
        "2;Mme;Léa;Martin;3 rue Neuve;1000;Bourg-en-Bresse;FRANCE\n"
        "3;M.;Paul;Roy;8 rue Haute;1000;Bourg-en-Bresse;\n"
    )
    campaign = campaign_dir(csv=csv)
    assert run("validate", campaign).code == 0
    corrections = (campaign.parent / "out" / "corrections.csv").read_text(encoding="utf-8-sig")
    assert "3;postcode;1000;01000;" in corrections and "4;postcode;1000;01000;" in corrections
    assert "2;postcode" not in corrections  # the Belgian postcode is left as written
    assert run("render", campaign, "--format", "text", "--no-lint").code == 0
    brussels = (campaign.parent / "out" / "letters" / "1.txt").read_text(encoding="utf-8")
    assert "1000 BRUXELLES" in brussels and "BELGIQUE" in brussels and "01000" not in brussels
    bourg = (campaign.parent / "out" / "letters" / "2.txt").read_text(encoding="utf-8")
    assert "01000 BOURG EN BRESSE" in bourg and "FRANCE" not in bourg


def _us(street, extra=""):
    return {
        "first_name": "Ann",
        "last_name": "Smith",
        "address1": street,
        "address2": extra,
        "postcode": "78701",
        "city": "Austin",
        "state": "TX",
    }


@pytest.mark.parametrize(
    ("street", "extra", "delivery"),
    [
        ("12 North Main Street Apartment 5", "", "12 N MAIN ST APT 5"),  # pre-directional, suffix, unit
        ("1600 Pennsylvania Avenue Northwest", "", "1600 PENNSYLVANIA AVE NW"),  # post-directional
        ("55 North Avenue #5", "", "55 NORTH AVE # 5"),  # NORTH is the street's name; # kept (Pub. 28's form)
        ("12 Oak Street", "Suite 200", "12 OAK ST STE 200"),  # the unit ends the delivery line
    ],
)
def test_us_delivery_lines_take_publication_28_s_abbreviations_always(street, extra, delivery):
    """Issue 29, 4: USPS abbreviations were applied only past 40 characters, and "#5" lost its #."""
    assert format_address(_us(street, extra), US) == ["ANN SMITH", delivery, "AUSTIN TX 78701"]


def test_bp_cs_tsa_go_on_line_five_and_cedex_stays_on_the_last():
    """Issue 29, 4: NF Z 10-011 puts a special distribution service under the street (line 5),
    not above the company line; « LYON CEDEX 02 » is the last line as written."""
    company = {
        "civility": "M.",
        "first_name": "Paul",
        "last_name": "Roy",
        "company": "Literie Martin",
        "address1": "BP 45",
        "address2": "12 rue de la République",
        "postcode": "69002",
        "city": "Lyon Cedex 02",
    }
    assert format_address(company, FR) == [
        "Literie Martin",
        "Monsieur Paul Roy",
        "12 rue de la République",
        "BP 45",
        "69002 LYON CEDEX 02",
    ]
    person = {
        "civility": "Mme",
        "first_name": "Léa",
        "last_name": "Roy",
        "address1": "3 rue Neuve",
        "address2": "TSA 30012",
        "postcode": "75008",
        "city": "Paris Cedex 08",
    }
    assert format_address(person, FR) == [
        "Madame Léa Roy",
        "3 rue Neuve",
        "TSA 30012",
        "75008 PARIS CEDEX 08",
    ]
