"""What makes the reader act: call-to-act-vague, reply-device-missing, proof-missing, and the
e-mail's subject judged as its hook (subject-no-hook)."""

from __future__ import annotations

import shutil

import pytest

from publipost.linter import lint_paths
from tests.lintkit import GOOD, lint_text, made_up

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


def _proves_as_it_was(text, number):
    """The former reading: the text on each side copied and searched (n² for n figures)."""
    import re

    from publipost.linter.rules.action import _CURRENCY, _MONTH_AFTER, _MONTHS

    before, after = text[: number.start()], text[number.end() :]
    price = before[-1:] in ("$", "£", "€") or _CURRENCY.match(after)
    date = (
        _MONTH_AFTER.match(after)
        or re.search(rf"(?:{_MONTHS})\s*$", before, re.I)
        or re.match(r"[/h:]\d", after)
    )
    return not (price or date)


@pytest.mark.parametrize("seed", range(300))
def test_which_figures_prove_is_read_as_before(seed):
    """Prices, dates and times prove nothing; whatever stands around a figure, the reading
    that looks only beside it agrees with the one that searched all the text before it."""
    import random

    from publipost.linter.rules.action import _NUMBER, _proves

    rng = random.Random(seed)
    pieces = [
        "12", "3,5", "2026", " ", "  ", "\n", "\u00a0", "€", "$", "£", " euros", " EUR", "/", "h", ":",
        "mars", "MARCH", "Décembre", "septembre", "xmay", "er", "janvier ", "1er", "le ", "clients", ".",
    ]  # fmt: skip
    text = made_up(rng, pieces, 1, 30)
    for number in _NUMBER.finditer(text):
        assert _proves(text, number) == _proves_as_it_was(text, number), (text, number.group())


def test_a_letter_full_of_figures_is_linted_in_linear_time(tmp_path):
    """Lint runs on repositories nobody reviewed: letters of 600–800 KB (under the 1 MB a copy
    file may weigh) are linted in seconds. A 51 KB letter of figures took 72 s; these would
    take hours."""
    import subprocess
    import sys

    paths = []
    # Figures, whose price and date checks searched all the text before each; opening quotes
    # with none closing, each measured to the paragraph's end.
    for name, paragraph in (
        ("figures", " ".join(f"{n} clients." for n in range(60_000))),
        ("quotes", "« " * 300_000),
    ):
        path = tmp_path / f"{name}.md"
        path.write_text(
            GOOD["en"].replace("What's more, each week fits on one spread.", paragraph), encoding="utf-8"
        )
        assert 500_000 < path.stat().st_size < 1_000_000
        paths.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "publipost", "lint", "--isolated", *paths],
        capture_output=True,
        text=True,
        timeout=120,  # a few seconds now; stopped, not waited for, if it ever goes quadratic again
    )
    assert done.returncode == 0 and done.stdout.count("paragraph of") == 2, done.stdout + done.stderr


@pytest.mark.parametrize("seed", range(300))
def test_a_customer_s_words_are_found_as_before(seed):
    """Quoted words prove (15 characters or more between quotes); the oracle is the regular
    expression the search replaced."""
    import random
    import re

    from publipost.linter.rules.action import _quoted

    rng = random.Random(seed)
    pieces = ["«", "»", "“", "”", '"', " ", "mot ", "x", "long enough words", "\n"]
    text = made_up(rng, pieces, 0, 25)
    oracle = re.compile(r"«[^»]{15,}»|“[^”]{15,}”|\"[^\"]{15,}\"")
    assert _quoted(text) == bool(oracle.search(text)), text


@pytest.mark.parametrize(("opening", "closing"), [("«", "»"), ("“", "”"), ('"', '"')])
@pytest.mark.parametrize("length", [14, 15])
def test_fifteen_characters_between_quotes_are_a_customer_s_words(opening, closing, length):
    from publipost.linter.rules.action import _quoted

    assert _quoted(f"Elle dit {opening}{'x' * length}{closing}.") is (length >= 15)
    assert not _quoted(f"{closing} {opening}{'x' * 20}")  # closed before it opens: no words quoted
