"""Customer files → recipients: real files on disk, every row accounted for."""

from __future__ import annotations

import codecs
import csv
import textwrap

import pandas as pd
import pytest

from publipost.campaigns.audience import Outcome, load_audience
from publipost.campaigns.load import load_campaign
from publipost.campaigns.names import proper_case
from tests.conftest import BASE_CAMPAIGN, BASE_CSV, EXAMPLES

FR_ROWS = [
    ["C1", "Mme", "Jeanne", "DUPONT", "12 rue des Lilas", "1000", "Bourg-en-Bresse", "jeanne@exemple.fr"],
    ["C2", "M.", "françois", "lefèvre", "3 rue Neuve", "69002", "Lyon", "francois@exemple.fr"],
    ["C3", "Mme", "Zoé", "Müller", "5 quai Est", "69001", "Lyon", "zoe@exemple.fr"],
]
FR_HEADER = ["N° client", "Civilité", "Prénom", "NOM", "Adresse", "Code postal", "Ville", "E-mail"]


# The base campaign with an e-mail too (which needs the sender's address).
EMAIL_CAMPAIGN = BASE_CAMPAIGN.replace(
    "letter:", "email:\n  subject: Offre\n  body: lettre.md\nletter:"
).replace("  place: Lyon", "  place: Lyon\n  email: claire.martin@literie-martin.example")


def _audience(path):
    return load_audience(load_campaign(path))


def _write(path, rows, header=FR_HEADER, *, encoding="utf-8", delimiter=";"):
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def _counts_add_up(audience):
    counts = audience.counts
    assert sum(counts.values()) == audience.rows_read
    return counts


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [
        ("cp1252", ";", "cp1252"),
        ("utf-8-sig", ",", "utf-8-sig"),
        ("utf-8", "\t", "utf-8"),
        ("latin-1", ";", "cp1252"),
    ],
)
def test_encodings_and_separators(campaign_dir, encoding, delimiter, expected):
    path = campaign_dir()
    _write(path.parent / "clients.csv", FR_ROWS, encoding=encoding, delimiter=delimiter)
    audience = _audience(path)
    assert audience.source.encoding == expected
    assert audience.source.separator == delimiter
    recipients = {r.id: r for r in audience}
    assert recipients["C3"].fields["first_name"] == "Zoé"
    assert recipients["C3"].fields["last_name"] == "Müller"
    assert recipients["C2"].fields["first_name"] == "François"  # lower case → proper case
    assert recipients["C1"].fields["last_name"] == "Dupont"  # ALL CAPS → proper case


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(campaign_dir):
    raw = ("id;Nom;Adresse;Code postal;Ville\n1;Du\x81ont;1 rue A;69001;Lyon\n").encode("latin-1")
    audience = _audience(campaign_dir(csv=raw))
    assert audience.source.encoding == "latin-1"
    (recipient,) = list(audience)
    assert recipient.fields["last_name"] == "Duont"  # the control character is dropped …
    assert [c.reason for c in audience.corrections] == ["line break or control character"]  # … and reported


def test_headers_are_folded_and_mapped(campaign_dir):
    path = campaign_dir()
    _write(
        path.parent / "clients.csv",
        FR_ROWS,
        header=[" N° CLIENT ", "CIVILITE", "prénom ", "Nom", "ADRESSE", "code_postal", "VILLE", "Courriel"],
    )
    audience = _audience(path)
    assert audience.fields == [
        "id",
        "civility",
        "first_name",
        "last_name",
        "address1",
        "postcode",
        "city",
        "email",
    ]
    assert audience.headers["first_name"] == "prénom "


def test_explicit_column_mapping_and_missing_column(campaign_dir, run):
    campaign = BASE_CAMPAIGN.replace(
        "  source: clients.csv", "  source: clients.csv\n  columns:\n    Prenom: given"
    )
    audience = _audience(campaign_dir(campaign))
    assert "given" in audience.fields and "first_name" not in audience.fields
    bad = campaign_dir(campaign.replace("Prenom: given", "Prenon: given"))
    result = run("validate", bad)
    assert result.code == 2
    assert (
        f"{bad}:10:5: target.columns names a column 'Prenon' that the customer file does not have"
        in result.err
    )
    assert "did you mean 'Prénom'?" in result.err


def test_postcodes_stay_text_with_leading_zeros(campaign_dir):
    path = campaign_dir()
    _write(path.parent / "clients.csv", FR_ROWS)
    recipients = {r.id: r for r in _audience(path)}
    assert recipients["C1"].fields["postcode"] == "01000"  # lost by a spreadsheet, restored and reported
    assert recipients["C2"].fields["postcode"] == "69002"


def test_xlsx_source(campaign_dir):
    path = campaign_dir(BASE_CAMPAIGN.replace("source: clients.csv", "source: clients.xlsx"))
    frame = pd.DataFrame(FR_ROWS, columns=FR_HEADER)
    frame["Code postal"] = [1000, 69002, 69001]  # numbers, as Excel stores them
    frame.to_excel(path.parent / "clients.xlsx", index=False)
    audience = _audience(path)
    assert audience.source.encoding == "xlsx"
    recipients = {r.id: r for r in audience}
    assert recipients["C1"].fields["postcode"] == "01000"
    assert recipients["C3"].row == 4


def test_parquet_source(campaign_dir):
    path = campaign_dir(BASE_CAMPAIGN.replace("source: clients.csv", "source: clients.parquet"))
    pd.DataFrame(FR_ROWS, columns=FR_HEADER).to_parquet(path.parent / "clients.parquet")
    assert [r.id for r in _audience(path)] == ["C1", "C2", "C3"]


def test_unsupported_and_empty_files(campaign_dir, run):
    path = campaign_dir(BASE_CAMPAIGN.replace("source: clients.csv", "source: clients.ods"))
    (path.parent / "clients.ods").write_bytes(b"PK")
    result = run("validate", path)
    assert result.code == 2 and "unsupported customer file type '.ods'" in result.err
    empty = campaign_dir(csv="")
    result = run("validate", empty)
    assert result.code == 2 and "the customer file is empty" in result.err


def test_forced_encoding_that_does_not_fit(campaign_dir, run):
    path = campaign_dir(
        BASE_CAMPAIGN.replace("  source: clients.csv", "  source: clients.csv\n  encoding: utf-8"),
        encoding="cp1252",
    )
    result = run("validate", path)
    assert result.code == 2
    assert f"{path.parent / 'clients.csv'}:1: byte 0xe9 cannot be read as utf-8" in result.err
    assert "remove target.encoding" in result.err


def test_a_utf8_file_with_rows_added_in_cp1252_is_refused_at_its_line(campaign_dir, run):
    """It was a traceback: the BOM says UTF-8, a later row says otherwise."""
    text = textwrap.dedent(BASE_CSV)
    path = campaign_dir(
        csv=codecs.BOM_UTF8
        + text.encode("utf-8")
        + "9;M.;Zoé;Roy;1 rue X;69001;Lyon;z@exemple.fr\n".encode("cp1252")
    )
    result = run("validate", path)
    line = text.count("\n") + 1
    assert result.code == 2 and result.out == ""
    assert (
        f"{path.parent / 'clients.csv'}:{line}: the file starts with UTF-8's mark (BOM) but byte 0xe9"
        in result.err
    )
    assert "save the whole file again as 'CSV UTF-8'" in result.err


def test_utf16_file_is_refused_with_a_hint(campaign_dir, run):
    path = campaign_dir(csv=textwrap.dedent(BASE_CSV).encode("utf-16"))
    result = run("validate", path)
    assert result.code == 2 and "UTF-16" in result.err and "re-export it as 'CSV UTF-8'" in result.err


def test_every_row_ends_in_one_place(campaign_dir, tmp_path):
    csv_text = """\
    id;Civilité;Prénom;Nom;Adresse;Code postal;Ville;E-mail;Segment
    1;Mme;Jeanne;Dupont;12 rue des Lilas;69003;Lyon;jeanne@exemple.fr;or
    2;M.;Paul;Martin;3 rue Neuve;69002;Lyon;paul@exemple.fr;argent
    3;Mme;Jeanne;DUPONT;12 rue des Lilas;69003;Lyon;JEANNE@exemple.fr;or
    4;M.;Luc;Bon;;;;luc@exemple.fr;or
    5;Mme;Ana;Roy;1 place X;69001;Lyon;ana@exemple.fr;or
    6;M.;Tom;Ray;2 place Y;69001;Lyon;tom@exemple.fr;or;extra
    7;M.;Léo;Lin;4 rue Z;69001;Lyon;leo@exemple.fr;or
    """
    (tmp_path / "stop.csv").write_text("email\nana@exemple.fr\n")
    campaign = BASE_CAMPAIGN.replace(
        "  source: clients.csv",
        "  source: clients.csv\n  where: {segment: or}\n  exclude: stop.csv\n  dedupe: email",
    )
    audience = _audience(campaign_dir(campaign, csv_text))
    counts = _counts_add_up(audience)
    assert counts == {"targeted": 2, "filtered out": 1, "duplicate": 1, "suppressed": 1, "rejected": 2}
    assert [r.id for r in audience] == ["1", "7"]
    notes = {n.row: (n.outcome, n.reason) for n in audience.notes}
    assert notes[3] == ("filtered out", "does not match target.where (segment)")
    assert notes[4] == ("duplicate", "same email as row 2")
    assert notes[5] == ("rejected", "postal address incomplete: no address1, postcode, city")
    assert notes[6] == ("suppressed", "email listed in stop.csv")
    assert notes[7][0] == "rejected" and "10 fields where the header has 9" in notes[7][1]

    written = audience.write_rejects(tmp_path / "out" / "rejects.csv")
    with (tmp_path / "out" / "rejects.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert written == len(rows) == 4  # filtered rows are counted, not listed
    assert rows[0]["row"] == "4" and rows[0]["outcome"] == "duplicate" and rows[0]["Prénom"] == "Jeanne"


def test_email_channel_rejects_bad_addresses(campaign_dir):
    campaign = EMAIL_CAMPAIGN
    csv_text = """\
    id;Prénom;Nom;Adresse;Code postal;Ville;E-mail
    1;Jeanne;Dupont;1 rue A;69001;Lyon;jeanne.dupont@
    2;Paul;Martin;;;;paul.martin@exemple.fr
    3;Luc;Bon;;;;pas une adresse
    4;Ana;Roy;2 rue B;69001;Lyon;Ana.Roy@Exemple.FR
    """
    audience = _audience(campaign_dir(campaign, csv_text))
    assert _counts_add_up(audience)["rejected"] == 1
    recipients = {r.id: r for r in audience}
    assert recipients["1"].email is None and recipients["1"].postal
    assert recipients["2"].email == "paul.martin@exemple.fr" and not recipients["2"].postal
    assert recipients["4"].email == "Ana.Roy@exemple.fr"  # the domain is normalised
    notes = {n.row: n for n in audience.notes}
    assert notes[2].outcome == "letter only" and "jeanne.dupont@" in notes[2].reason
    assert notes[3].outcome == "e-mail only"
    assert notes[4].outcome == "rejected" and "'pas une adresse' is invalid" in notes[4].reason
    # each channel's reason, in the campaign's order of channels
    postal, email = notes[4].reason.split("; ", 1)
    assert postal == "postal address incomplete: no address1, postcode, city"
    assert email.startswith("e-mail 'pas une adresse' is invalid")
    assert audience.channel_count("email") == 2 and audience.channel_count("letter") == 2


def test_internationalised_addresses_are_sent_in_ascii_or_refused_with_the_reason(campaign_dir, tmp_path):
    """SMTP commands and 7-bit headers carry ASCII: an IDN domain in its IDNA form; an accent
    before the @ would need SMTPUTF8 all the way, so that address is refused, the letter kept."""
    (tmp_path / "optout.txt").write_text("zoe@xn--exmple-cua.fr\n")
    campaign = EMAIL_CAMPAIGN
    campaign = campaign.replace("  source: clients.csv", "  source: clients.csv\n  exclude: optout.txt")
    csv_text = """\
    id;Prénom;Nom;Adresse;Code postal;Ville;E-mail
    1;Ana;Roy;;;;ana@exämple.fr
    2;Jörg;Bauer;2 rue B;69001;Lyon;jörg@exemple.fr
    3;Zoé;Lenoir;;;;zoe@exämple.fr
    """
    audience = _audience(campaign_dir(campaign, csv_text))
    recipients = {r.id: r for r in audience}
    assert recipients["1"].email == "ana@xn--exmple-cua.fr"
    assert recipients["2"].email is None and recipients["2"].postal
    notes = {n.row: n for n in audience.notes}
    assert notes[3].outcome == "letter only" and "before the @" in notes[3].reason
    assert notes[4].outcome == "suppressed"  # listed under the other spelling of the same domain


def test_suppression_by_address_and_bare_email_list(campaign_dir, tmp_path):
    (tmp_path / "bloctel.csv").write_text(
        "Nom;Adresse;CP\nDUPONT;12, rue des  Lilas;69003\n", encoding="cp1252"
    )
    (tmp_path / "optout.txt").write_text("PAUL.MARTIN@exemple.fr\n")
    campaign = BASE_CAMPAIGN.replace(
        "  source: clients.csv",
        "  source: clients.csv\n  exclude:\n    - {path: bloctel.csv, match: [address]}\n    - optout.txt",
    )
    audience = _audience(campaign_dir(campaign))
    assert audience.counts["suppressed"] == 2 and len(audience) == 0
    assert {n.reason for n in audience.notes} == {
        "address listed in bloctel.csv",
        "email listed in optout.txt",
    }


def test_suppression_file_that_cannot_match(campaign_dir, tmp_path, run):
    (tmp_path / "stop.csv").write_text("Téléphone\n0600000000\n")
    path = campaign_dir(
        BASE_CAMPAIGN.replace("  source: clients.csv", "  source: clients.csv\n  exclude: stop.csv")
    )
    result = run("validate", path)
    assert result.code == 2 and "stop.csv has neither an e-mail column nor a postal address" in result.err


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        ("{segment: OR}", ["1", "3"]),
        ("{segment: [or, bronze]}", ["1", "3", "4"]),
        ("{segment: {not: or}}", ["2", "4"]),
        ("{segment: {not_in: [or, argent]}}", ["4"]),
        ("{age: {gte: 30, lt: 60}}", ["2", "3"]),
        ("{achat: {gte: 2025-01-01}}", ["1", "4"]),
        ("{optin: true}", ["1", "2"]),
        ("{optin: false}", ["3", "4"]),
        ("{segment: or, age: {gt: 40}}", ["3"]),
        ("{telephone: {empty: false}}", ["2"]),
    ],
)
def test_where_filter(campaign_dir, where, ids):
    csv_text = """\
    id;Nom;Adresse;Code postal;Ville;Segment;Age;Achat;Optin;Téléphone
    1;Roy;1 rue A;69001;Lyon;or;25;12/03/2025;oui;
    2;Lin;2 rue B;69001;Lyon;argent;30,5;01/06/2024;yes;0600000000
    3;Bon;3 rue C;69001;Lyon;Or;45;31/12/2024;non;
    4;Ray;4 rue D;69001;Lyon;bronze;n/a;02/01/2026;;
    """
    campaign = BASE_CAMPAIGN.replace("  source: clients.csv", f"  source: clients.csv\n  where: {where}")
    audience = _audience(campaign_dir(campaign, csv_text))
    assert [r.id for r in audience] == ids
    _counts_add_up(audience)


def test_where_on_unknown_field_or_operator(campaign_dir, run):
    path = campaign_dir(
        BASE_CAMPAIGN.replace("  source: clients.csv", "  source: clients.csv\n  where:\n    vile: Lyon")
    )
    result = run("validate", path)
    assert result.code == 2
    assert (
        f"{path}:10:11: target.where filters on 'vile'" in result.err
        and "did you mean 'city' (column 'Ville')?" in result.err
    )
    path = campaign_dir(
        BASE_CAMPAIGN.replace(
            "  source: clients.csv", "  source: clients.csv\n  where:\n    city: {gre: Lyon}"
        )
    )
    result = run("validate", path)
    assert (
        result.code == 2
        and "unknown filter operator 'gre'" in result.err
        and "did you mean 'gte'?" in result.err
    )


def test_dedupe_on_unknown_field(campaign_dir, run):
    path = campaign_dir(
        BASE_CAMPAIGN.replace("  source: clients.csv", "  source: clients.csv\n  dedupe: mail")
    )
    result = run("validate", path)
    assert (
        result.code == 2
        and "target.dedupe names 'mail'" in result.err
        and "did you mean 'email' (column 'E-mail')?" in result.err
    )


def test_values_are_cleaned_and_every_change_reported(campaign_dir):
    csv_text = (
        "id;Prénom;Nom;Adresse;Code postal;Ville\n"
        '1;FranÃ§oise;<b>Roy</b>;"1 rue A\nBât. 2";69001;Lyon\n'
        "2;{{ 7*7 }};  Lin   Chen ;2 rue B;69001;Lyon\n"
    )
    audience = _audience(campaign_dir(csv=csv_text))
    recipients = {r.id: r for r in audience}
    assert recipients["1"].fields["first_name"] == "Françoise"
    assert recipients["1"].fields["address1"] == "1 rue A Bât. 2"
    assert recipients["1"].fields["last_name"] == "<b>Roy</b>"
    assert recipients["2"].fields["first_name"] == "{{ 7*7 }}"
    assert recipients["2"].fields["last_name"] == "Lin Chen"
    reasons = {(c.row, c.field): c.reason for c in audience.corrections}
    assert reasons[(2, "first_name")] == "mis-encoded accents (mojibake)"
    assert reasons[(2, "address1")] == "line break or control character"
    assert reasons[(2, "last_name")] == "template or markup characters: printed as written"
    assert reasons[(3, "first_name")] == "template or markup characters: printed as written"


def test_a_value_that_looks_mis_encoded_and_is_not_is_left_and_the_next_one_fixed(campaign_dir):
    """The cleaning writes each fix back to its own row: a cell that matches the pattern but
    cannot be repaired (a character no Windows code page has) stays as it is, and a repaired
    cell after it lands on its own row, not the first match's."""
    csv_text = (
        "id;Prénom;Nom;Adresse;Code postal;Ville\n"
        "1;Ã© 中;Roy;1 rue A;69001;Lyon\n"
        "2;Anne;Lin;2 rue B;69001;Lyon\n"
        "3;FranÃ§oise;Chen;3 rue C;69001;Lyon\n"
    )
    audience = _audience(campaign_dir(csv=csv_text))
    first_names = {r.id: r.fields["first_name"] for r in audience}
    assert first_names == {"1": "Ã© 中", "2": "Anne", "3": "Françoise"}
    assert [(c.row, c.after) for c in audience.corrections if c.field == "first_name"] == [(4, "Françoise")]


def test_duplicate_ids_are_rejected_not_overwritten(campaign_dir):
    csv_text = (
        "id;Nom;Adresse;Code postal;Ville\n"
        "A 1;Roy;1 rue A;69001;Lyon\nA/1;Lin;2 rue B;69001;Lyon\n;Bon;3 rue C;69001;Lyon\n"
    )
    audience = _audience(campaign_dir(csv=csv_text))
    assert [r.id for r in audience] == ["A_1", "row000004"]
    assert [(n.row, n.reason) for n in audience.notes] == [(3, "id 'A_1' is already used by row 2")]


def test_only_keeps_the_order_given_and_names_each_id_it_cannot_render(campaign_dir):
    """render --only: the targeted recipients of these ids, in the order given, each once; an
    id shared with a rejected row renders the targeted one; any other id is an error with why."""
    from publipost.errors import AudienceError

    csv_text = (
        "id;Nom;Adresse;Code postal;Ville\n"
        "A1;Roy;1 rue A;69001;Lyon\nA1;Lin;2 rue B;69001;Lyon\nB2;Bon;3 rue C;69001;Lyon\n"
        "C3;Cas;;69001;Lyon\n"
    )
    audience = _audience(campaign_dir(csv=csv_text))
    chosen = audience.only(["B2", "A1", "B2"])
    assert [(r.id, r.row) for r in chosen] == [("B2", 4), ("A1", 2)]
    with pytest.raises(AudienceError) as refused:
        audience.only(["A1", "C3", "Z9"])
    assert str(refused.value).startswith("'C3' (row 5) is not targeted (")
    assert "no customer has the id 'Z9'" in str(refused.value)
    assert "A1" not in str(refused.value)


def test_a_name_with_an_ascii_capital_and_an_ascii_small_letter_never_needs_casing():
    """The cleaning asks needs_casing only of names that do not hold both an ASCII capital and
    an ASCII small letter (most names of a real file hold both): on random names, no name that
    holds both needs casing."""
    import random
    import re

    from publipost.campaigns.names import needs_casing

    rng = random.Random(12)
    alphabet = [*"abcdeXYZ", *"éÉèÈßẞǅǄǆœŒıİ", " ", "-", "'", "’", ".", "1", "<", "Σσς"]
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 9))) for _ in range(50_000)]
    mixed = [n for n in names if re.search("[a-z]", n) and re.search("[A-Z]", n)]
    assert len(mixed) > 5_000 and sum(map(needs_casing, names)) > 1_000
    assert not [n for n in mixed if needs_casing(n)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("JEAN-PIERRE", "Jean-Pierre"),
        ("DE LA FONTAINE", "de La Fontaine"),
        ("D'ARTAGNAN", "d'Artagnan"),
        ("o'brien", "O'Brien"),
        ("MCDONALD", "McDonald"),
        ("LE BRIS", "Le Bris"),
        ("VAN DER BERG", "van der Berg"),
        ("ÉLODIE", "Élodie"),
        ("marie-ève", "Marie-Ève"),
        ("McDonald", "McDonald"),
        ("de Gaulle", "de Gaulle"),
        ("<B>ROY</B>", "<B>ROY</B>"),
        ("R2D2", "R2D2"),
    ],
)
def test_proper_case(typed, expected):
    assert proper_case(typed) == expected


@pytest.mark.parametrize("example", ["vente-couette", "launch-planner"])
def test_examples_account_for_every_row(example):
    audience = _audience(EXAMPLES / example / "campaign.yaml")
    counts = _counts_add_up(audience)
    assert audience.rows_read >= 200
    assert counts["targeted"] >= 100
    held = (Outcome.CONTROL, Outcome.STORE)  # set apart by the campaign or the store, not by the file
    assert all(counts[o.value] > 0 for o in Outcome if o not in held)  # messy rows: every outcome


ADDRESSES = [
    "ann@example.com",
    "Ann.Smith@Example.COM",
    "o'brien+tag@mail.example.org",
    "a..b@example.com",
    ".ann@example.com",
    "ann.@example.com",
    "ann@example",
    "ann@localhost",
    "ann@-example.com",
    "ann@example-.com",
    "ann@exa_mple.com",
    "ann@exämple.fr",
    "anné@example.fr",
    "ann@123.123.123.123",
    "ann@[127.0.0.1]",
    '"ann smith"@example.com',
    "ann@example..com",
    "ann@.example.com",
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "ann@" + "a" * 63 + ".com",
    "ann@" + "a" * 64 + ".com",
    "ann@example.test",
    "ann@example.invalid",
    "ann@example.local",
    "ann@EXAMPLE.onion",
    "ann@xn--exmple-cua.fr",
    "ann @example.com",
    "ann@example.com ",
    "@example.com",
    "ann@",
    "ann",
    "ann@example.c",
    "ann@example.123",
    "a{b}c@example.com",
    "ann@sub.example.co.uk",
    "ann@" + ".".join(["a" * 60] * 4) + ".com",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_fast_email_check_agrees_with_email_validator(address):
    """check_email checks a plain local part itself and each domain once: it must say exactly
    what email-validator says of the whole address."""
    from publipost.campaigns.emails import _address, check_email

    assert check_email(address) == _address(address)


def test_a_dataframe_reads_as_a_spreadsheet_shows_it(tmp_path):
    """Issue 32, 2: a ZIP column with one missing value is float64 in pandas, and every US letter
    was refused ("ZIP code '80202.0' is not 5 or 9 digits"); dates read with a midnight time."""
    import datetime as dt

    import numpy as np

    import publipost
    from tests.conftest import EXAMPLES

    campaign = publipost.load_campaign(EXAMPLES / "launch-planner" / "campaign.yaml")
    customers = EXAMPLES / "launch-planner" / "data" / "customers.csv"
    source = pd.read_csv(customers, dtype=str, keep_default_na=False)
    frame = source.copy()
    frame["ZIP"] = pd.to_numeric(frame["ZIP"], errors="coerce").astype("float64")  # as pandas reads it
    frame.loc[frame.index[-1], "ZIP"] = np.nan  # one missing value: the column stays float64
    frame["Customer ID"] = frame["Customer ID"].astype("string")
    frame["Last order"] = pd.to_datetime("2026-10-01") + pd.to_timedelta(np.arange(len(frame)) % 3, unit="D")
    frame["Orders"] = pd.array([i % 4 if i % 5 else None for i in range(len(frame))], dtype="Int64")
    frame["Score"] = np.where(np.arange(len(frame)) % 2, 120.5, 3.0)
    frame["Since"] = [dt.date(2020, 1, 1 + i % 28) for i in range(len(frame))]
    prepared = publipost.prepare(campaign, frame)
    plain = publipost.prepare(campaign, source)
    missing = 1 if plain.audience.frame["postcode"].iloc[-1] else 0  # the row whose ZIP was taken away
    assert prepared.audience.channel_count("letter") >= plain.audience.channel_count("letter") - missing > 90
    cells = prepared.audience.frame
    assert "80202" in set(cells["postcode"]) and not any(z.endswith(".0") for z in cells["postcode"])
    assert "04101" in set(cells["postcode"])  # 4101 as a number: a US ZIP has five digits (Pub. 28)
    assert any(c.reason == "leading zero lost by a spreadsheet" for c in prepared.audience.corrections)
    assert set(cells["last_order"]) == {"2026-10-01", "2026-10-02", "2026-10-03"}
    assert set(cells["orders"]) == {"", "0", "1", "2", "3"}
    assert set(cells["score"]) == {"120.5", "3"}
    assert cells["since"].iloc[0] == "2020-01-01"
    # merged in copy, dates and decimals read in the copy's language, as money is; the rest as written
    assert prepared.audience.field_kinds == {"last_order": "date", "score": "number"}
    shown = "{{ last_order }} · {{ score }} · {{ orders }} · {{ last_order | date('d MMM') }}"
    english = prepared.merge.env.from_string(shown)
    recipient = next(r for r in prepared.audience if r.fields["score"] == "120.5" and r.fields["orders"])
    day, orders = int(recipient.fields["last_order"][-1]), recipient.fields["orders"]
    assert (
        english.render(prepared.merge.context(recipient))
        == f"{day} October 2026 · 120.5 · {orders} · {day} Oct"
    )
    french = publipost.prepare(campaign.model_copy(update={"language": "fr"}), frame)
    said = french.merge.env.from_string("{{ last_order }} · {{ score }}").render(
        french.merge.context(recipient)
    )
    assert said == f"{day} octobre 2026 · 120,5"
    frame["Bad"] = [[1, 2]] * len(frame)
    with pytest.raises(publipost.PublipostError) as refused:
        publipost.prepare(campaign, frame)
    assert "the column 'Bad' holds list values" in str(refused.value)


def test_one_count_and_one_wording_everywhere(couette, run):
    """Issue 32, 8: the CLI said 16 rows not (fully) targeted, the preview 90 (it counted the rows
    target.where filters out); a filtered row with no e-mail at all read "e-mail invalid"."""
    import csv
    import io
    import re

    from publipost.preview.page import recipient_page
    from publipost.preview.state import Preview

    data = couette.parent / "data" / "clients.csv"
    lines = data.read_bytes().decode("cp1252").split("\r\n")
    assert lines[1].startswith("C00001;") and lines[1].endswith(";non")  # not opted in: filtered out
    cells = lines[1].split(";")
    cells[8] = ""  # and no e-mail at all
    lines[1] = ";".join(cells)
    data.write_bytes("\r\n".join(lines).encode("cp1252"))
    result = run("validate", couette)
    said = int(re.search(r"(\d+) rows not \(fully\) targeted", result.out).group(1))
    rows = list(
        csv.reader(
            io.StringIO((couette.parent / "out" / "rejects.csv").read_text(encoding="utf-8-sig")),
            delimiter=";",
        )
    )
    assert len(rows) - 1 == said
    preview = Preview(couette)
    preview.load()
    page = recipient_page(preview, preview.loaded, preview.recipient(preview.loaded.ids[0]), couette.parent)
    assert re.search(rf"<summary>{said}( \(of \d+\))? rows not \(fully\) targeted", page)
    (row,) = [r for r in rows[1:] if r[0] == "2"]
    assert row[1:3] == ["no e-mail", "no e-mail address (the row is filtered out)"]


def test_a_notebook_gets_the_rejects_as_a_dataframe_and_names_the_id_column_as_it_is(tmp_path, run):
    """Issue 32, 6: rejects as a DataFrame (the rows rejects.csv lists); target.id accepts the
    column's own header ("Customer ID", or customer_id) when it names the id field."""
    import shutil

    import publipost
    from tests.conftest import EXAMPLES

    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    text = campaign.read_text(encoding="utf-8")
    for spelling in ("Customer ID", "customer_id"):
        campaign.write_text(
            text.replace(
                "  source: data/customers.csv\n", f"  source: data/customers.csv\n  id: {spelling}\n"
            ),
            encoding="utf-8",
        )
        result = run("validate", campaign)
        assert result.code == 0, result.err
    prepared = publipost.prepare(campaign)
    rejects = prepared.audience.rejects()
    written = (folder / "out" / "rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rejects) == len(written) - 1 > 0
    assert list(rejects.columns[:3]) == ["row", "outcome", "reason"] and "Customer ID" in rejects.columns
    assert set(prepared.audience.targeted["_id"]) >= {"PL-0001", "PL-0002"}  # ids from the column


@pytest.mark.parametrize("country_first", [True, False])
def test_a_lost_zero_is_restored_where_the_country_as_tidied_is_home(campaign_dir, country_first):
    """Columns are tidied side by side; a postcode's lost zero waits for the country column,
    tidied, wherever that stands in the file: "Fr‮ance" (a bidirectional control inside) is
    France once tidied, so 1000 is 01000; in Belgium 1000 is Brussels."""
    header = ["N° client", "NOM", "Adresse", "Code postal", "Ville"]
    rows = [
        ["C1", "Dupont", "1 rue A", "1000", "Bourg-en-Bresse"],
        ["C2", "Peeters", "2 rue B", "1000", "Bruxelles"],
    ]
    countries = ["Fr\u202eance", "Belgique"]
    path = campaign_dir()
    if country_first:
        header, rows = ["Pays", *header], [[c, *row] for c, row in zip(countries, rows, strict=True)]
    else:
        header, rows = [*header, "Pays"], [[*row, c] for c, row in zip(countries, rows, strict=True)]
    _write(path.parent / "clients.csv", rows, header)
    audience = _audience(path)
    postcodes = dict(zip(audience.frame["last_name"], audience.frame["postcode"], strict=True))
    assert postcodes == {"Dupont": "01000", "Peeters": "1000"}
    assert (
        [(c.row, c.field, c.reason) for c in audience.corrections]
        == [
            (2, "postcode", "leading zero lost by a spreadsheet"),
            (2, "country", "bidirectional control character"),
        ]
        if not country_first
        else [
            (2, "country", "bidirectional control character"),
            (2, "postcode", "leading zero lost by a spreadsheet"),
        ]
    )  # listed in the file's order of columns


def test_each_duplicate_names_the_first_row_of_its_key_in_file_order(campaign_dir):
    """Keys interleaved, a key three times, a row that differs only in case and spacing, a row
    with no key at all (never a duplicate), and a filtered-out first row (not a first)."""
    campaign = BASE_CAMPAIGN.replace(
        "  source: clients.csv", "  source: clients.csv\n  dedupe: [last_name, city]"
    )
    campaign = campaign.replace("target:", "target:\n  where: {segment: [a]}", 1)
    rows = [
        ["1", "b", "Dupont", "1 rue A", "69001", "Lyon"],  # row 2: filtered out, so no first
        ["2", "a", "Dupont", "1 rue A", "69001", "Lyon"],  # row 3: Dupont|Lyon's first
        ["3", "a", "Martin", "2 rue B", "69002", "Lyon"],  # row 4: Martin|Lyon's first
        ["4", "a", " DUPONT ", "3 rue C", "69003", "lyon"],  # row 5: as row 3
        ["5", "a", "Martin", "4 rue D", "69004", "Lyon"],  # row 6: as row 4
        ["6", "a", "dupont", "5 rue E", "69005", "LYON"],  # row 7: as row 3
        ["7", "a", "", "6 rue F", "69006", ""],  # row 8: no key (and no name: rejected)
        ["8", "a", "Petit", "7 rue G", "69007", "Lyon"],  # row 9: a key first seen after duplicates
        ["9", "a", "Petit", "8 rue H", "69008", "Lyon"],  # row 10: as row 9
    ]
    path = campaign_dir(campaign)
    _write(path.parent / "clients.csv", rows, ["id", "Segment", "Nom", "Adresse", "Code postal", "Ville"])
    notes = {n.row: (n.outcome, n.reason) for n in _audience(path).notes}
    duplicates = {row: reason for row, (outcome, reason) in notes.items() if outcome == "duplicate"}
    assert duplicates == {
        5: "same last_name+city as row 3",
        6: "same last_name+city as row 4",
        7: "same last_name+city as row 3",
        10: "same last_name+city as row 9",
    }
    assert notes[2][0] == "filtered out"
    # a key made of nothing but empty cells is no key: two such rows are not duplicates
    path = campaign_dir(
        BASE_CAMPAIGN.replace("  source: clients.csv", "  source: clients.csv\n  dedupe: [address2]")
    )
    header = ["id", "Nom", "Adresse", "Complément", "Code postal", "Ville"]
    rows = [["1", "Roy", "1 rue A", "", "69001", "Lyon"], ["2", "Noé", "2 rue B", " ", "69002", "Lyon"]]
    _write(path.parent / "clients.csv", [*rows, ["3", "Zola", "3 rue C", "Bât. A", "69003", "Lyon"]], header)
    assert not [n for n in _audience(path).notes if n.outcome == "duplicate"]


@pytest.mark.parametrize("sort", [False, True])
def test_rejects_are_made_a_slice_at_a_time_as_a_lookup_of_each_row_finds_them(tmp_path, monkeypatch, sort):
    """rejects.csv's rows, made a slice of notes at a time (in slices of 3 here), are each listed
    row's cells as read, found row by row; a row the frame lacks has blank cells. Sorted by
    target.sort too, where the rows are no longer in the file's order."""
    import shutil

    from publipost.api import prepare
    from publipost.campaigns import audience as audience_module
    from publipost.campaigns.table import ROW

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    if sort:
        campaign = folder / "campaign.yaml"
        text = campaign.read_text(encoding="utf-8")
        campaign.write_text(text.replace("  dedupe:", "  sort: [postcode]\n  dedupe:", 1), encoding="utf-8")
    audience = prepare(folder / "campaign.yaml").audience
    assert not sort or audience.frame[ROW].is_monotonic_increasing is False
    audience.notes.add(row=[1], outcome="rejected", reason="a row the frame lacks")  # (the header's line)
    fields = list(audience.headers)
    first_place: dict[int, int] = {}
    for place, row in enumerate(audience.frame[ROW].tolist()):
        first_place.setdefault(int(row), place)
    expected = []
    for note in audience.not_targeted():
        place = first_place.get(note.row)
        cells = (
            [""] * len(fields) if place is None else audience.frame[fields].iloc[place].fillna("").tolist()
        )
        expected.append([note.row, note.outcome, note.reason, *cells])
    assert expected[0] == [1, "rejected", "a row the frame lacks", *[""] * len(fields)]
    monkeypatch.setattr(audience_module, "SLICE", 3)
    assert audience.rejects().values.tolist() == expected


def test_suppression_lists_are_matched_a_slice_of_rows_at_a_time(tmp_path, monkeypatch):
    """Each row's e-mail or postal key is made a slice of rows at a time (ten million at once
    were 420 MB): the same rows suppressed, in slices of 1-3 as at once; an empty list suppresses
    nobody."""
    import shutil

    from publipost.api import prepare
    from publipost.campaigns import audience as audience_module

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))

    def suppressed():
        audience = prepare(folder / "campaign.yaml").audience
        return [n for n in audience.notes if n.outcome == "suppressed"], audience.suppression[0].suppressed

    whole = suppressed()
    assert len(whole[0]) == whole[1] >= 2
    for rows_at_a_time in (1, 2, 3):
        monkeypatch.setattr(audience_module, "STEP_ROWS", rows_at_a_time)
        assert suppressed() == whole
    listing = folder / "data" / "desabonnes.csv"
    listing.write_text(listing.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert suppressed() == ([], 0)
