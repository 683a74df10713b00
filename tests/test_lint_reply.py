# ruff: noqa: E501  (letters are fixtures: one paragraph a line, as written)
"""Replies to complaints (kind: complaint-reply): their own rules, PP7, in French and English;
the sales rules off; the style rules on."""

from __future__ import annotations

import json

import pytest

GOOD_FR = """\
---
kind: complaint-reply
language: fr
---
Madame Dupont,

Dans votre courrier du 12 novembre (réf. R-2291), vous nous signalez que votre couette est arrivée déchirée. Nous vous prions de nous excuser pour ce désagrément. Vous l'attendiez pour l'hiver.

Merci de nous avoir écrit aussitôt. Votre message nous a permis de retrouver le colis et de comprendre ce qui s'est passé chez notre transporteur.

Nous vous envoyons une couette neuve dès demain, sans frais. Nous avons pris des mesures avec notre transporteur pour que cela ne se reproduise plus.

Votre fidélité compte beaucoup pour nous, et nous tenons à votre confiance.

Claire Martin
Directrice du service clients
"""

GOOD_EN = """\
---
kind: complaint-reply
language: en
---
Dear Ms Brooks,

In your letter of 12 November (ref. R-2291), you tell us your planner arrived with torn pages. We are sorry. You had planned to start it this week.

Thank you for writing to us so quickly. Your letter helped us find the box and understand what happened at our printer.

We will send you a new planner tomorrow, free of charge. We have changed how our printer checks each batch, so this does not happen again.

Your trust matters to us, and we value your loyalty.

Dana Brooks
Head of Customer Care
"""

BAD_FR = """\
---
kind: complaint-reply
language: fr
---
**Découvrez maintenant notre nouvelle collection**

Madame,

Nous avons bien reçu votre réclamation. Ce simple retard n'a malgré tout eu aucune conséquence.

Profitez de notre offre exclusive sur les oreillers.

Le service clients
"""

BAD_EN = """\
---
kind: complaint-reply
language: en
---
**Discover our new collection**

Dear customer,

We have received your complaint. Unfortunately you felt the delay was an issue. It was only a minor delay.

Don't miss our exclusive offer on pillows.

The customer care team
"""

REPLY_RULES = ["PP701", "PP702", "PP703", "PP704", "PP705", "PP706", "PP707", "PP708", "PP709"]
SALES_RULES = ["PP101", "PP104", "PP105", "PP106", "PP107", "PP301", "PP302", "PP402"]


def _findings(run, tmp_path, text: str, *extra: str, name: str = "reply.md") -> list[dict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run("lint", path, "--format", "json", "--isolated", *extra)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


@pytest.mark.parametrize("good", [GOOD_FR, GOOD_EN], ids=["fr", "en"])
def test_a_good_reply_passes_the_reply_rules_and_no_sales_rule_fires(run, tmp_path, good):
    found = _findings(run, tmp_path, good)
    rules = {f["rule"] for f in found}
    assert not rules & set(REPLY_RULES), found
    assert not rules & set(SALES_RULES)  # no hook, no P.S., no magic words asked of a reply


@pytest.mark.parametrize(("bad", "language"), [(BAD_FR, "fr"), (BAD_EN, "en")], ids=["fr", "en"])
def test_a_bad_reply_is_told_each_fault_in_its_language(run, tmp_path, bad, language):
    found = _findings(run, tmp_path, bad)
    rules = {f["rule"] for f in found}
    assert set(REPLY_RULES) - {"PP707", "PP709"} <= rules, sorted(
        rules
    )  # its closing sells: no importance either
    assert "PP103" in rules  # signed by a team, not a person
    assert all(f["language"] == language for f in found)
    minimising = sorted(f["message"].lower() for f in found if f["rule"] == "PP704")
    if language == "fr":
        assert any("« simple »" in m for m in minimising) and any("« malgré tout »" in m for m in minimising)
    else:
        assert any('"you felt"' in m for m in minimising) and any('"only"' in m for m in minimising)
        # "Unfortunately" puts the trouble on fate: a non-apology now (issue 30), not a minimiser
        assert any(f["rule"] == "PP709" and '"unfortunately"' in f["message"].lower() for f in found)
    selling = [f for f in found if f["rule"] == "PP708"]
    assert len(selling) >= 3  # the hook, and the sales words of the body
    assert not {f["rule"] for f in found} & {"PP101", "PP104", "PP301"}


@pytest.mark.parametrize(
    ("rule", "language", "good", "bad"),
    [
        ("PP701", "fr", "Dans votre courrier du 12 novembre,", "Nous avons bien reçu votre réclamation,"),
        ("PP701", "en", "In your letter of 12 November,", "We have received your complaint,"),
        ("PP703", "fr", "Nous vous prions de nous excuser.", "Nous prenons note."),
        ("PP703", "en", "We are sorry.", "We take note."),
        ("PP705", "fr", "Merci de nous avoir écrit.", "Vous nous avez écrit."),
        ("PP705", "en", "Thank you for writing.", "You wrote to us."),
        ("PP706", "fr", "Nous allons remplacer votre couette.", "Votre couette est arrivée."),
        ("PP706", "en", "We will replace your planner.", "Your planner arrived."),
    ],
)
def test_each_reply_rule_passes_and_fails(run, tmp_path, rule, language, good, bad):
    base = GOOD_FR if language == "fr" else GOOD_EN
    anchor = {
        "PP701": (
            "Dans votre courrier du 12 novembre (réf. R-2291),",
            "In your letter of 12 November (ref. R-2291),",
        ),
        "PP703": ("Nous vous prions de nous excuser pour ce désagrément.", "We are sorry."),
        "PP705": ("Merci de nous avoir écrit aussitôt.", "Thank you for writing to us so quickly."),
        "PP706": (
            "Nous vous envoyons une couette neuve dès demain, sans frais. Nous avons pris des mesures avec "
            "notre transporteur pour que cela ne se reproduise plus.",
            "We will send you a new planner tomorrow, free of charge. We have changed how our printer checks "
            "each batch, so this does not happen again.",
        ),
    }[rule][0 if language == "fr" else 1]
    assert anchor in base
    passing = {f["rule"] for f in _findings(run, tmp_path, base.replace(anchor, good))}
    failing = {f["rule"] for f in _findings(run, tmp_path, base.replace(anchor, bad))}
    assert rule not in passing and rule in failing


def test_the_kind_comes_from_the_command_line_too(run, tmp_path):
    plain = GOOD_EN.split("---\n", 2)[2]  # no front matter: read as a reply by its content
    as_sales = {f["rule"] for f in _findings(run, tmp_path, plain, "--kind", "sales")}
    assert "PP101" in as_sales and "PP701" not in as_sales
    as_reply = {f["rule"] for f in _findings(run, tmp_path, plain, "--kind", "complaint-reply")}
    assert "PP101" not in as_reply and not as_reply & set(REPLY_RULES)
    wrong = tmp_path / "wrong.md"
    wrong.write_text("---\nkind: complaint\n---\nHello.\n", encoding="utf-8")
    refused = run("lint", wrong)
    assert refused.code == 2 and "unknown letter kind 'complaint'" in refused.err


def test_explain_shows_a_reply_rule(run):
    explained = run("lint", "--explain", "reply-minimises")
    assert explained.code == 0 and "PP704 reply-minimises" in explained.out and "malgré tout" in explained.out


def _listed(language: str, name: str) -> list[str]:
    import tomllib
    from pathlib import Path

    import publipost.linter

    path = Path(publipost.linter.__file__).parent / "words" / f"{language}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))[name]


NON_APOLOGIES = [("fr", p) for p in _listed("fr", "reply-non-apology")] + [
    ("en", p) for p in _listed("en", "reply-non-apology")
]


@pytest.mark.parametrize(
    ("language", "phrase"), NON_APOLOGIES, ids=[f"{lang}-{p}" for lang, p in NON_APOLOGIES]
)
def test_each_non_apology_of_the_lists_is_found_in_a_reply(run, tmp_path, language, phrase):
    """Issue 30, 1: every entry of the non-apology lists, written in a reply that otherwise
    apologises well, is a PP709 finding naming it (the lists are data, each entry tested)."""
    good, anchor = (
        (GOOD_FR, "Vous l'attendiez pour l'hiver.")
        if language == "fr"
        else (GOOD_EN, "You had planned to start it this week.")
    )
    text = good.replace(anchor, f"{anchor} Et {phrase}." if language == "fr" else f"{anchor} And {phrase}.")
    found = [f for f in _findings(run, tmp_path, text) if f["rule"] == "PP709"]
    assert len(found) == 1 and phrase.lower() in found[0]["message"].lower(), found


@pytest.mark.parametrize(
    ("language", "apology", "counts"),
    [
        ("fr", "Je vous prie de nous en excuser.", True),  # flagged "no apology" before
        ("fr", "Veuillez nous excuser.", True),
        ("fr", "Nous sommes désolés que vous ayez eu l'impression d'être mal servie.", False),
        ("fr", "Nous sommes désolés si vous avez été gênée.", False),
        ("en", "I am sorry that we sent the wrong edition.", True),
        ("en", "Our apologies.", True),
        ("en", "We are sorry you feel that way.", False),  # counted as an apology before
        ("en", "We apologize if you were upset.", False),
    ],
)
def test_an_apology_takes_responsibility_and_a_non_apology_is_none(run, tmp_path, language, apology, counts):
    good, said = (
        (GOOD_FR, "Nous vous prions de nous excuser pour ce désagrément.")
        if language == "fr"
        else (GOOD_EN, "We are sorry.")
    )
    assert said in good
    rules = {f["rule"] for f in _findings(run, tmp_path, good.replace(said, apology))}
    assert ("PP703" not in rules) == counts, rules
    assert ("PP709" in rules) == (not counts)


@pytest.mark.parametrize("good", [GOOD_FR, GOOD_EN], ids=["fr", "en"])
def test_a_reply_with_a_non_apology_cannot_score_strong(run, tmp_path, good):
    """Issue 30, 1: the non-apology caps the score below "strong" (4 of 5), whatever else is right."""
    path = tmp_path / "reply.md"
    hedged = good.replace(
        "Nous vous prions de nous excuser pour ce désagrément.", "Malheureusement, cela arrive."
    )
    hedged = hedged.replace("We are sorry.", "We are sorry you feel that way.")
    for text, strong in ((good, True), (hedged, False)):
        path.write_text(text, encoding="utf-8")
        result = run("lint", path, "--isolated", "--format", "json", "--min-score", "3.5")
        assert (result.code == 0) == strong, result.out[-400:]


def test_the_replies_corpus_is_held_to_its_expectations():
    """corpus/replies: 20 replies of our own with the findings expected before the rules were
    written; precision and recall of the three apology rules stay at 1.0 on them."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run(
        [sys.executable, str(ROOT / "corpus" / "replies_score.py")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("precision 1.00  recall 1.00") == 3


def _bare(text: str) -> str:
    """The letter without its front matter."""
    return text.split("---\n", 2)[2]


@pytest.mark.parametrize("good", [GOOD_FR, GOOD_EN], ids=["fr", "en"])
def test_a_reply_without_front_matter_is_recognised_by_its_content_and_lint_says_so(run, tmp_path, good):
    """Issue 30: a standalone reply got the sales rules, an error included (no hook). It refers to
    the customer's letter, apologises and quotes no price: it is read as a reply, and said so."""
    found = _findings(run, tmp_path, _bare(good))
    assert not {f["rule"] for f in found} & (set(REPLY_RULES) | {"PP101", "PP103"}), found
    text = run("lint", tmp_path / "reply.md", "--isolated")
    assert "linted as a reply to a complaint" in text.out and "kind: sales" in text.out
    assert "(reply)" in text.out  # its score is a reply's
    forced = _findings(run, tmp_path, "---\nkind: sales\n---\n" + _bare(good))
    assert "PP101" in {f["rule"] for f in forced}  # asked for: the sales rules, no hook


def test_a_sales_letter_quoting_a_price_stays_a_sales_letter(run, tmp_path):
    sales = _bare(GOOD_FR).replace("sans frais.", "sans frais, et 20 % sur votre prochaine commande.")
    path = tmp_path / "reply.md"
    path.write_text(sales, encoding="utf-8")
    text = run("lint", path, "--isolated")
    assert "(letter)" in text.out and "linted as a reply" not in text.out
