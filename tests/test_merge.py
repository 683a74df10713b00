"""Mail merge: preflight errors with positions, data rendered as data, bilingual filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import jinja2
import pytest

from publipost.api import prepare
from publipost.templates.environment import date_line, long_date, money, salutation
from tests.conftest import BASE_CAMPAIGN, plain


def test_unknown_field_names_field_template_and_closest_column(campaign_dir, run):
    path = campaign_dir(letter="**Découvrez votre cadeau**\n\nBonjour {{ prenom }},\n")
    result = run("render", path, "--format", "text")
    assert result.code == 2 and result.out == ""
    assert f"{path.parent / 'lettre.md'}:3:12: letter.body uses the field 'prenom'" in result.err
    assert "the column 'Prénom' is the field 'first_name'" in result.err
    assert not (path.parent / "out" / "letters").exists()


def test_unknown_field_in_inline_yaml_copy(campaign_dir, run):
    campaign = BASE_CAMPAIGN.replace(
        "  body: lettre.md", "  hook: Votre cadeau, {{ first }}\n  body: lettre.md"
    )
    path = campaign_dir(campaign)
    result = run("validate", path)
    assert result.code == 2
    assert f"{path}:15:26: letter.hook uses the field 'first'" in result.err


def test_typo_in_offer_attribute(campaign_dir, run):
    path = campaign_dir(letter="Votre prix : {{ offer.prix | money }}.\n")
    result = run("validate", path)
    assert result.code == 2
    assert f"{path.parent / 'lettre.md'}:1:17: letter.body uses 'offer.prix'" in result.err
    assert "did you mean 'price'?" in result.err


def test_template_syntax_error(campaign_dir, run):
    path = campaign_dir(letter="Bonjour,\n\n{% if first_name %}Salut\n")
    result = run("validate", path)
    assert result.code == 2
    assert f"{path.parent / 'lettre.md'}:" in result.err and "template error in letter.body" in result.err


def test_sandbox_refuses_unsafe_template_code(campaign_dir, run, tmp_path):
    path = campaign_dir(letter="{{ first_name.__class__.__mro__ }}\n")
    result = run("render", path, "--out", tmp_path / "out")
    assert result.code == 1
    assert "not rendered" in result.err and "unsafe" in result.err


def test_customer_data_is_data(campaign_dir, run, tmp_path):
    csv_text = """\
    id;Civilité;Prénom;Nom;Adresse;Code postal;Ville
    1;Mme;{{ 7*7 }};**Roy**;{% raw %}1 rue <b>A</b>;69001;Lyon
    2;M.;<script>alert(1)</script>;Lin_Chen;2 rue B & C;69001;Lyon
    """
    path = campaign_dir(csv=csv_text, letter="Bonjour {{ first_name }} {{ last_name }}, au {{ address1 }}.\n")
    result = run("render", path, "--out", tmp_path / "out")
    assert result.code == 0, result.err
    one = plain((tmp_path / "out" / "letters" / "1.txt").read_text())
    two = plain((tmp_path / "out" / "letters" / "2.txt").read_text())
    assert "Bonjour {{ 7*7 }} **Roy**, au {% raw %}1 rue <b>A</b>." in one
    assert "Chère Madame **Roy**," in one and "49" not in one
    assert "Bonjour <script>alert(1)</script> Lin_Chen, au 2 rue B & C." in two


def test_templates_compile_once_per_campaign(campaign_dir, tmp_path, monkeypatch):
    rows = "".join(f"{i};M.;Paul{i};Martin;{i} rue Neuve;69002;Lyon\n" for i in range(1, 51))
    path = campaign_dir(csv="id;Civilité;Prénom;Nom;Adresse;Code postal;Ville\n" + rows)
    compiled = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment, "compile", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    from publipost.api import render_letters

    prepared = prepare(path)
    report = render_letters(prepared, tmp_path / "out", format="text")
    assert report.written == 50
    assert len(compiled) == len(prepared.campaign.copies) == 1


def test_copy_without_recipient_fields_is_rendered_once(campaign_dir, tmp_path):
    """The same text for everyone is rendered once; copy with a field, for each recipient."""
    rows = "".join(f"{i};M.;Paul{i};Martin;{i} rue Neuve;69002;Lyon\n" for i in range(1, 21))
    campaign = BASE_CAMPAIGN.replace(
        "  body: lettre.md", "  body: lettre.md\n  ps: Offre à {{ offer.price | money }}"
    )
    path = campaign_dir(campaign, csv="id;Civilité;Prénom;Nom;Adresse;Code postal;Ville\n" + rows)
    prepared = prepare(path)
    merge = prepared.merge
    renders = dict.fromkeys(merge.templates, 0)

    def counted(key, render):
        def count(*args, **kwargs):
            renders[key] += 1
            return render(*args, **kwargs)

        return count

    for key, template in merge.templates.items():
        template.render = counted(key, template.render)
    letters = [merge.letter(r) for r in prepared.audience]
    assert renders == {"letter.body": 20, "letter.ps": 1}
    assert letters[0].ps == letters[-1].ps == ["P.S. Offre à\u00a049,90\u00a0€"]
    assert "Paul20" in letters[-1].body[0]


@pytest.mark.parametrize(
    ("value", "currency", "locale", "expected"),
    [
        (Decimal("49.9"), "EUR", "fr_FR", "49,90\u00a0€"),
        ("49,90", "EUR", "fr_FR", "49,90\u00a0€"),
        ("1 234,5", "EUR", "fr_FR", "1\u202f234,50\u00a0€"),
        (49.9, "EUR", "en_GB", "€49.90"),
        ("1,234.50", "USD", "en_GB", "US$1,234.50"),
        (34, "USD", "en_US", "$34.00"),
    ],
)
def test_money(value, currency, locale, expected):
    assert money(value, currency, locale) == expected


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", "USD", "$34.00"),
        ("en", "EUR", "€34.00"),
        ("en", "GBP", "£34.00"),
        ("fr", "USD", "34,00\u00a0$US"),
    ],
)
def test_money_reads_as_the_currency_s_home_writes_it(language, currency, expected):
    from publipost.templates.environment import money_locale

    assert money(34, currency, money_locale(language, currency)) == expected


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (dt.date(2026, 11, 22), "fr_FR", "22 novembre 2026"),
        ("2026-11-22", "en_GB", "22 November 2026"),
        ("22/11/2026", "fr_FR", "22 novembre 2026"),
    ],
)
def test_long_date(value, locale, expected):
    assert long_date(value, locale) == expected


def test_date_line():
    when = dt.date(2026, 11, 22)
    assert date_line("Lyon", when, "fr") == "Lyon, le 22 novembre 2026"
    assert date_line("London", when, "en") == "London, 22 November 2026"
    assert date_line(None, when, "fr") == "Le 22 novembre 2026"


@pytest.mark.parametrize(
    ("fields", "language", "expected"),
    [
        ({"civility": "Mme", "last_name": "Dupont"}, "fr", "Chère Madame Dupont,"),
        ({"civility": "M.", "last_name": "Martin"}, "fr", "Cher Monsieur Martin,"),
        ({"civility": "Mlle", "first_name": "Léa"}, "fr", "Madame,"),
        ({"first_name": "Léa", "last_name": "Roy"}, "fr", "Bonjour Léa,"),
        ({}, "fr", "Madame, Monsieur,"),
        ({"civility": "Mrs", "last_name": "Smith"}, "en", "Dear Mrs Smith,"),
        ({"civility": "Ms.", "last_name": "Smith"}, "en", "Dear Ms Smith,"),
        ({"civility": "Mr", "last_name": "O'Brien"}, "en", "Dear Mr O'Brien,"),
        ({"civility": "Mx", "first_name": "Sam", "last_name": "Moore"}, "en", "Dear Sam,"),
        ({"company": "Acme"}, "en", "Dear customer,"),
    ],
)
def test_salutation(fields, language, expected):
    assert salutation(fields, language) == expected


def test_filters_in_copy(campaign_dir, tmp_path, run):
    letter = "Prix : {{ offer.price | money }}, le {{ letter_date | date }}.\n"
    path = campaign_dir(letter=letter)
    assert run("render", path, "--out", tmp_path / "out").code == 0
    text = plain((tmp_path / "out" / "letters" / "1.txt").read_text())
    assert "Prix : 49,90 €, le 22 novembre 2026." in text
    assert "Lyon, le 22 novembre 2026" in text
