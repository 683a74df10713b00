"""What makes the reader act: call-to-act-vague, reply-device-missing, proof-missing, and the
e-mail's subject judged as its hook (subject-no-hook)."""

from __future__ import annotations

import shutil

import pytest

from publipost.linter import lint_paths
from tests.lintkit import GOOD, lint_text

EN_END = (
    "Your price is $34. Until 15 January, you also get a gift: twelve colour tabs. "
    "Not delighted? We refund you within 60 days.\n\nDana Brooks\nFounder, Planora\n\n"
    "P.S. Order by 15 January and your gift ships free."
)
SIGNED = "\n\nDana Brooks\nFounder, Planora\n\n"


def _names(tmp_path, text, name="letter.md"):
    return [f.name for f in lint_text(tmp_path, text, name).active]


def test_the_good_letters_act_reply_and_prove(tmp_path):
    for language in ("fr", "en"):
        names = _names(tmp_path, GOOD[language])
        assert not {"call-to-act-vague", "reply-device-missing", "proof-missing"} & set(names), names


@pytest.mark.parametrize(
    ("new", "missing"),
    [
        # No deadline anywhere: the reader puts it off.
        (
            "Your price is $34. Order it at planora.example."
            + SIGNED
            + "P.S. Order it: your gift ships free.",
            "by when",
        ),
        # No act: "we hope you like it" asks for nothing.
        (
            "Your price is $34 until 15 January." + SIGNED + "P.S. We hope you like it as much as we do.",
            "what to do",
        ),
    ],
)
def test_a_call_to_act_says_what_and_by_when(tmp_path, new, missing):
    assert EN_END in GOOD["en"]
    text = GOOD["en"].replace(EN_END, new)
    found = [f for f in lint_text(tmp_path, text).active if f.name == "call-to-act-vague"]
    assert len(found) == 1 and missing in found[0].message, [f.message for f in found]


def test_a_campaign_letter_with_no_way_to_reply(tmp_path):
    """The couette campaign without its coupon, its QR code's link and its phone number."""
    folder = tmp_path / "c"
    shutil.copytree("examples/vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    yaml = campaign.read_text(encoding="utf-8")
    cta = yaml[yaml.index("cta:") : yaml.index("letter:")]
    campaign.write_text(
        yaml.replace(cta, "").replace("  body: lettre.md", "  body: lettre.md\n  coupon: false")
    )
    letter = folder / "lettre.md"
    phone = "Renvoyez le coupon ci-joint, ou appelez le 04 72 00 00 00."
    original = letter.read_text(encoding="utf-8")
    assert phone in original
    for sentence, fires in ((phone, False), ("Vous allez l'adorer.", True)):
        letter.write_text(original.replace(phone, sentence), encoding="utf-8")
        found = [f for f in lint_paths([campaign], isolated=True).active if f.name == "reply-device-missing"]
        assert bool(found) is fires, sentence
    assert not [f for f in lint_text(tmp_path, GOOD["fr"]).active if f.name == "reply-device-missing"]


def test_proof_is_a_figure_a_guarantee_or_a_customer_s_words(tmp_path):
    bare = (
        GOOD["en"]
        .replace("By March, half its pages were blank.", "Soon, half its pages were blank.")
        .replace(" Not delighted? We refund you within 60 days.", "")
        .replace("twelve colour tabs", "colour tabs")
    )
    assert "proof-missing" in _names(tmp_path, bare)  # a price and a date prove nothing
    for proof in (
        "In our test, 212 readers saved an hour a week.",
        "Send it back within 60 days: we refund every cent.",
        '"It changed my Mondays", says Ann, a reader from Austin.',
    ):
        proven = bare.replace("Soon, half its pages were blank.", f"Soon, half its pages were blank. {proof}")
        assert "proof-missing" not in _names(tmp_path, proven), proof


@pytest.mark.parametrize(
    ("subject", "hook"),
    [
        ("Newsletter - Issue 47", False),  # an issue number is no figure the reader gets
        ("Company news and updates", False),
        ("Information importante", False),
        ("Your planner is waiting", True),
        ("Discover the new planner", True),
        ("Save 20% this week", True),
    ],
)
def test_the_subject_is_the_e_mail_s_hook(tmp_path, subject, hook):
    html = (
        f"<html><head><title>{subject}</title></head><body>"
        "<p><strong>Discover the planner that plans with you</strong></p><p>Hi Sam,</p>"
        "<p>Your week fits on one page. Order by 15 January at planora.example.</p>"
        "<p>Dana Brooks<br>Founder, Planora</p><p>P.S. Your gift ships free.</p>"
        '<p><a href="https://planora.example/unsubscribe">Unsubscribe</a></p></body></html>'
    )
    names = _names(tmp_path, html, "offer.html")
    assert ("subject-no-hook" not in names) is hook, names
