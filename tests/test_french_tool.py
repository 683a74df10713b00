"""Issue 26, 6: a French marketer reads French around a French campaign: validate's and send's
summaries, the report (text, HTML; JSON keys stay English), the preview, lint --explain, with
Babel's number, money, percent and date formats. The language is the campaign's unless --lang or
PUBLIPOST_LANG says otherwise; the catalogue is complete and compiled."""

from __future__ import annotations

import gettext
import json
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

NBSP, NNBSP = "\u00a0", "\u202f"


def _plain(text: str) -> str:
    """No-break spaces (French typography, CLDR's group separator) as plain ones, for reading."""
    return text.replace(NBSP, " ").replace(NNBSP, " ")


@pytest.fixture
def campaign_language(monkeypatch):
    """The default, as a user has it: no PUBLIPOST_LANG, an English locale."""
    monkeypatch.delenv("PUBLIPOST_LANG")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)


def _copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


def test_validate_speaks_the_french_campaign_s_language(campaign_language, run, tmp_path):
    campaign = _copy("vente-couette", tmp_path)
    result = run("validate", campaign)
    assert result.code == 0, result.err
    out = _plain(result.out)
    assert out.startswith("campagne   Couette Douillette — offre d'hiver 2026 (fr, objectif : vente)\n")
    assert "filtre     opt_in_courrier vaut oui (oui/non)\n" in out
    assert "           dernier_achat ≥ 1 janvier 2022 (date ; cellules lues en jj/mm/aaaa ou ISO)" in out
    counts = dict(re.findall(r"^  (\S[^\d\n]*?) +(\d+)", out, re.M))
    assert counts["ciblés"] == "128" and counts["lignes lues"] == "215" and counts["doublons"] == "10"
    assert "lettres 127 · e-mails 127" in out
    assert "16 lignes non (entièrement) ciblées, avec ligne et raison : out/rejects.csv" in out.replace(
        str(campaign.parent) + "/", ""
    )
    assert "targeted" not in out and "rows read" not in out  # nothing left in English
    # French typography: a no-break space before the colon
    assert f"objectif{NBSP}: vente" in result.out


def test_lang_and_publipost_lang_override_the_campaign_s_language(
    campaign_language, run, tmp_path, monkeypatch
):
    campaign = _copy("vente-couette", tmp_path)
    english = run("validate", campaign, "--lang", "en")
    assert english.out.startswith("campaign   Couette Douillette") and "targeted" in english.out
    assert "dernier_achat ≥ 1 January 2022 (date; cells read as dd/mm/yyyy or ISO)" in english.out
    monkeypatch.setenv("PUBLIPOST_LANG", "en")
    assert run("validate", campaign).out.startswith("campaign   ")
    french = run("validate", _copy("launch-planner", tmp_path), "--lang", "fr")  # an English campaign
    assert french.out.startswith("campagne   Planora 2027 launch (en, objectif") and "ciblés" in french.out
    monkeypatch.setenv("PUBLIPOST_LANG", "fr_FR.UTF-8")  # a locale's spelling is understood
    assert run("validate", campaign, "--lang", "en").out.startswith("campaign   ")  # --lang wins


def test_a_language_publipost_does_not_speak_is_refused_before_anything_runs(run, tmp_path, monkeypatch):
    campaign = _copy("vente-couette", tmp_path)
    bad = run("validate", campaign, "--lang", "de")
    assert bad.code == 2 and bad.out == ""
    assert "--lang: 'de' is not a language publipost speaks" in bad.err and "one of en, fr" in bad.err
    monkeypatch.setenv("PUBLIPOST_LANG", "klingon")
    bad = run("validate", campaign)
    assert bad.code == 2 and "PUBLIPOST_LANG: 'klingon' is not a language" in bad.err
    assert not (campaign.parent / "out").exists()


def test_send_and_render_summaries_in_french(campaign_language, run, tmp_path):
    campaign = _copy("vente-couette", tmp_path)
    printed = run("render", campaign, "--format", "pdf")
    assert printed.code == 0, printed.err
    assert re.search(
        r"127 lettres \(\d+ pages\) écrites dans \S+ en [\d,]+ s \([\d  ]+ lettres/s\)", _plain(printed.out)
    )
    sent = run("send", campaign)
    assert sent.code == 0, sent.err
    out = _plain(sent.out)
    assert re.search(r"^relais     smtp://127\.0\.0\.1:\d+ \(serveur de capture : \S+\)$", out, re.M)
    assert re.search(r"^  envoyés +127$", out, re.M) and re.search(r"^  échecs +0$", out, re.M)
    assert re.search(r"^cette exécution : 127 envoyés en \d+,\d s \([\d ]+/s\)$", out, re.M)


def _responses(campaign: Path) -> Path:
    """Orders as a French shop exports them: cp1252, ';', amounts with a decimal comma."""
    db = sqlite3.connect(campaign.parent / "out" / "manifest.sqlite")
    ids = [row[0] for row in db.execute("SELECT DISTINCT id FROM mailings ORDER BY id LIMIT 6")]
    db.close()
    amounts = ["123,50", "1 234,00", "99,90", "45,00", "12,10", "226,50"]
    lines = ["id;date;montant"] + [
        f"{i};1{n}/12/2026;{a}" for n, (i, a) in enumerate(zip(ids, amounts, strict=True))
    ]
    path = campaign.parent / "commandes.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_the_french_campaign_s_report_is_french_in_text_and_html_and_english_keys_in_json(
    campaign_language, run, tmp_path
):
    campaign = _copy("vente-couette", tmp_path)
    assert run("render", campaign, "--format", "pdf").code == 0
    assert run("send", campaign).code == 0
    imported = run("responses", "import", campaign, _responses(campaign))
    assert imported.code == 0, imported.err
    assert _plain(imported.out).startswith(
        f"{campaign.parent / 'commandes.csv'} : 6 lignes, 6 réponses ajoutées"
    )

    text = _plain(run("report", campaign).out)
    # 123,50 + 1 234,00 + 99,90 + 45,00 + 12,10 + 226,50 = 1 741,00 €, written as Babel writes it
    total = 123.5 + 1234 + 99.9 + 45 + 12.1 + 226.5
    assert f"{total:,.2f}".replace(",", " ").replace(".", ",") == "1 741,00"
    assert text.startswith("Couette Douillette — offre d'hiver 2026 (COUDOUVCM) : résultats\n")
    assert re.search(r"^variante +contactés +remis +réponses +taux +intervalle 95 %", text, re.M)
    assert re.search(r"^main +128 +128 +6 +4,7 % +\d,\d %–\d+,\d % +1 741,00 €", text, re.M)
    assert "verdict    main : 4,69 % ont répondu." in text
    by_channel = dict(re.findall(r"^(lettre|e-mail) +127 +127 +(\d+) ", text, re.M))
    assert sum(map(int, by_channel.values())) == 6 and "chaque réponse une seule fois" in text
    assert "CA            1 741,00 €" in text
    assert "EUR" not in text and "responses" not in text

    document = json.loads(run("report", campaign, "--format", "json").out)
    assert {"variants", "channels", "money", "verdict"} <= set(document)  # English keys
    assert document["verdict"]["sentence"] == "main\u00a0: 4,69\u00a0% ont répondu."
    assert document["money"]["revenue"] == pytest.approx(total)

    assert run("report", campaign, "--format", "html").code == 0
    html = (campaign.parent / "out" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "<h2>Variantes</h2>" in html and "<h2>Canaux</h2>" in html
    assert "<th>contactés</th>" in html and "<td>1\u202f741,00\u00a0€</td>" in html
    assert "<strong>Verdict.</strong> main\u00a0: 4,69\u00a0% ont répondu." in html
    assert "Response rate" not in html and "mailed" not in html


def test_the_verdict_of_an_english_campaign_reported_in_french(run, tmp_path):
    campaign = _copy("launch-planner", tmp_path)
    assert run("render", campaign, "--format", "pdf").code == 0
    assert run("send", campaign).code == 0
    run("responses", "import", campaign, campaign.parent / "data" / "responses.csv")
    english = " ".join(run("report", campaign).out.split())
    assert re.search(
        r"verdict B leads \(\d+\.\d\d% against A's \d+\.\d\d%\), with a probability of \d+%", english
    )
    french = " ".join(_plain(run("report", campaign, "--lang", "fr").out).split())
    assert re.search(
        r"verdict B est en tête \(\d+,\d\d % contre \d+,\d\d % pour A\), avec une probabilité de \d+ % "
        r"d’être la meilleure\. La différence n’est pas encore significative \(95 %\)\.",
        french,
    ), french
    assert "$" in english and re.search(r"\d+,\d\d \$US", french)  # the campaign's currency, in French


def test_the_preview_page_is_french_for_a_french_campaign(campaign_language, tmp_path):
    from publipost.preview.page import recipient_page
    from publipost.preview.state import Preview

    campaign = _copy("vente-couette", tmp_path)
    letter = campaign.parent / "lettre.md"
    long = (  # a sentence too long: a finding, and its explanation on the page
        " Elle vous accompagne toutes les nuits de l'année, car son duvet que nous avons choisi pour vous "
        "chez des producteurs qui travaillent avec soin garde la chaleur sans jamais peser sur vous."
    )
    text = letter.read_text(encoding="utf-8")
    letter.write_text(text.replace("de novembre à mars.", "de novembre à mars." + long), encoding="utf-8")
    preview = Preview(campaign)
    preview.load()
    loaded = preview.loaded
    assert loaded is not None, preview.state
    page = recipient_page(preview, loaded, preview.recipient("C00002"), tmp_path)
    assert '<html lang="fr">' in page
    for said in ("<h2>Audience</h2>", "<h2>Texte et remarques</h2>", "suivant ›<", "lignes lues", "ciblés"):
        assert said in page, said
    assert "<h2>Copy and findings</h2>" not in page and "rows read" not in page
    assert "PP201" in page and "(par défaut : " in page  # the findings' explanations, in French too
    english = Preview(_copy("launch-planner", tmp_path))
    english.load()
    assert english.loaded is not None
    other = recipient_page(english, english.loaded, english.recipient(english.loaded.ids[0]), tmp_path)
    assert '<html lang="en">' in other and "<h2>Copy and findings</h2>" in other


def test_explain_in_french_by_lang(run):
    french = run("lint", "--explain", "PP104", "--lang", "fr")
    assert french.code == 0 and "Pas de post-scriptum" in french.out


# --- the catalogue ---------------------------------------------------------------------------


def _catalogue_tools():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import translations
    finally:
        sys.path.pop(0)
    return translations


def test_every_message_the_code_marks_is_translated_into_french_with_its_placeholders():
    tools = _catalogue_tools()
    template = tools.extracted()
    assert len(template) > 200  # Babel found the code's and the templates' messages
    catalogue = tools.merged("fr", template)
    assert tools.problems(catalogue) == []
    # Babel cannot see inside f-strings on Python 3.11: no marked message may hide there
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "publipost").rglob("*.py"))
    hidden = re.findall(r"""\{_\(["']""", source)
    assert hidden == []


def test_the_compiled_catalogue_is_the_po_file():
    """The .mo gettext reads at run time says what the .po says (scripts/translations.py compiles)."""
    from babel.messages.pofile import read_po

    folder = ROOT / "publipost" / "locale" / "fr" / "LC_MESSAGES"
    with (folder / "publipost.po").open("rb") as file:
        po = read_po(file)
    compiled = gettext.GNUTranslations((folder / "publipost.mo").open("rb"))
    for message in po:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(*message.id, 1) == message.string[0]
            assert compiled.ngettext(*message.id, 2) == message.string[1]
        else:
            assert compiled.gettext(message.id) == message.string, message.id
    assert compiled.ngettext("{n} page", "{n} pages", 0) == "{n} page"  # French: 0 is singular


def test_money_percent_and_dates_are_babel_s_in_each_language():
    import datetime as dt

    from publipost import i18n

    with i18n.speaking("fr"):
        assert i18n.money(741, "EUR") == "741,00\u00a0€"
        assert i18n.percent(0.065, 1) == "6,5\u00a0%"
        assert i18n.percent(0.3, signed=True) == "+30\u00a0%"
        assert i18n.number(1234567) == "1\u202f234\u202f567"
        assert i18n.date(dt.date(2023, 1, 1)) == "1 janvier 2023"
    with i18n.speaking("en"):
        assert i18n.money(741, "EUR") == "€741.00" and i18n.money(153, "USD") == "$153.00"
        assert i18n.percent(0.065, 1) == "6.5%" and i18n.percent(-0.3, signed=True) == "-30%"
        assert i18n.date(dt.date(2023, 1, 1)) == "1 January 2023"
        assert i18n.money(None, "EUR") == "—"


def test_an_error_s_frame_is_in_the_campaign_s_language(campaign_language, run, tmp_path):
    """The frame ("error", "hint") follows the language; the messages are English for now (README)."""
    campaign = _copy("vente-couette", tmp_path)
    wrong = run("render", campaign, "--format", "pdf", "--only", "ZZZ")
    assert wrong.code == 2 and wrong.err.startswith("publipost: erreur: no customer has the id 'ZZZ'")
    assert "\n  conseil: ids are listed by validate" in wrong.err
    english = run("render", campaign, "--format", "pdf", "--only", "ZZZ", "--lang", "en")
    assert "publipost: error: " in english.err and "\n  hint: " in english.err
