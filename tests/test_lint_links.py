"""The linter's rules for links, images and Markdown that would print as typed, and legal mentions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from publipost.linter.document import LintDoc
from tests.conftest import BASE_CAMPAIGN, BASE_CSV
from tests.lintkit import GOOD, lint_text, position

EMAIL_ONLY = BASE_CAMPAIGN.replace(
    "letter:\n  date: 2026-11-22\n  body: lettre.md\n", "email:\n  subject: Votre offre\n  body: lettre.md\n"
).replace("  place: Lyon", "  place: Lyon\n  email: claire@literie-martin.example")
LETTER = textwrap.dedent("""\
    **Découvrez maintenant votre cadeau, {{ first_name }}**

    Bonjour {{ first_name }},

    Votre couette vous attend. {}

    Claire Martin
    Directrice commerciale

    P.S. Répondez avant le 31 décembre : votre cadeau vous attend.
""")


def _names(result):
    return [f.name for f in result.active]


def _campaign(campaign_dir, sentence, campaign=EMAIL_ONLY):
    return campaign_dir(campaign, BASE_CSV, LETTER.replace("{}", sentence))


def test_an_email_without_a_link_or_a_cta(campaign_dir, run):
    path = _campaign(campaign_dir, "Elle est douce.")
    assert "link-missing" in run("lint", path, "--format", "concise").out
    with_link = _campaign(campaign_dir, "Voyez [les coloris](https://literie-martin.example/c).")
    assert "link-missing" not in run("lint", with_link, "--format", "concise").out
    with_cta = campaign_dir(
        EMAIL_ONLY + "cta:\n  label: Commandez\n  url: https://literie-martin.example/c\n",
        BASE_CSV,
        LETTER.replace("{}", "Elle est douce."),
    )
    assert "link-missing" not in run("lint", with_cta, "--format", "concise").out


def test_vague_link_text_in_both_languages(tmp_path):
    text = GOOD["fr"].replace(
        "Vous dormez à poings fermés.", "Pour la voir, [cliquez ici](https://a.example)."
    )
    (finding,) = [f for f in lint_text(tmp_path, text).active if f.name == "link-text-vague"]
    assert (finding.line, finding.column) == position(
        text, "cliquez ici"
    ) and "« cliquez ici »" in finding.message
    text = GOOD["en"].replace("You see your tasks at a glance.", "See it [here](https://a.example).")
    assert "link-text-vague" in _names(lint_text(tmp_path, text))
    text = GOOD["en"].replace("You see your tasks at a glance.", "See [the inside pages](https://a.example).")
    assert "link-text-vague" not in _names(lint_text(tmp_path, text))


def test_markdown_that_would_print_as_typed_is_an_error(tmp_path):
    for broken, anchor in (
        ("Voyez [les tailles](https://a.example/t", "[les tailles]("),
        ("Un **prix doux.", "**prix"),
    ):
        text = GOOD["fr"].replace("Vous dormez à poings fermés.", broken)
        (finding,) = [f for f in lint_text(tmp_path, text).active if f.name == "markdown-literal"]
        assert finding.severity == "error" and (finding.line, finding.column) == position(text, anchor)


@pytest.mark.parametrize("seed", range(200))
def test_unclosed_links_are_found_as_before(seed):
    """A link is unclosed when no ")" follows it on its line. Found with one look ahead shared by
    a unit's links (a copy of the rest of the text per link was n² for n links); the oracle is
    that former reading."""
    import random

    from publipost.linter.document import Unit
    from publipost.linter.rules.structure import _LINK_START, MarkdownLiteral

    rng = random.Random(seed)
    text = "".join(
        rng.choice(["[a](", "[b](", ")", "\n", "x ", "[", "]", "("]) for _ in range(rng.randint(0, 40))
    )
    unit = Unit("body", text, lambda offset: None)
    expected = [
        (m.start(), m.end())
        for m in _LINK_START.finditer(unit.text)
        if ")" not in unit.text[m.end() :].split("\n", 1)[0]
    ]
    doc = LintDoc(Path("letter.md"), "letter", "fr", body=[unit])
    found = [(h.start, h.end) for h in MarkdownLiteral().check(doc, None) if "link" in h.args["what"]["en"]]
    assert found == expected, text


def test_underline_in_an_email(campaign_dir, run):
    path = _campaign(
        campaign_dir, "Elle est __garantie dix ans__. [Voyez](https://literie-martin.example/c)."
    )
    result = run("lint", path, "--format", "concise")
    assert "underline-in-email" in result.out


def test_an_image_without_alt_text(tmp_path):
    from tests.test_lint_inputs import _mjml

    (tmp_path / "offer.txt").write_text("text part")
    text = _mjml().replace(
        "<mj-section>",
        '<mj-section><mj-column><mj-image src="img/hero.png" /></mj-column></mj-section><mj-section>',
        1,
    )
    findings = [f for f in lint_text(tmp_path, text, "offer.mjml").active if f.name == "image-alt-missing"]
    assert len(findings) == 1 and "img/hero.png" in findings[0].message
    decorative = text.replace('<mj-image src="img/hero.png" />', '<mj-image src="img/hero.png" alt="" />')
    assert "image-alt-missing" not in _names(lint_text(tmp_path, decorative, "offer.mjml"))


def test_a_french_sale_campaign_without_legal_mentions(campaign_dir, run):
    path = _campaign(campaign_dir, "[Voyez](https://literie-martin.example/c).", BASE_CAMPAIGN)
    assert "legal-mentions-missing" in run("lint", path, "--format", "concise").out
    legal = BASE_CAMPAIGN.replace(
        "  place: Lyon", "  place: Lyon\n  legal: Literie Martin SAS, RCS Lyon 812 345 678"
    )
    path = _campaign(campaign_dir, "[Voyez](https://literie-martin.example/c).", legal)
    assert "legal-mentions-missing" not in run("lint", path, "--format", "concise").out


def test_a_url_counts_as_one_word(tmp_path):
    long_url = "https://literie-martin.example/" + "/".join(["couette-douillette-quatre-saisons"] * 6)
    text = GOOD["fr"].replace("Vous dormez à poings fermés.", f"Tout est sur {long_url} pour vous.")
    names = _names(lint_text(tmp_path, text))
    assert "sentence-too-long" not in names and "readability-low" not in names
