"""Each rule fires on copy that breaks it, at the right place, and stays silent on copy that follows it."""

from __future__ import annotations

import pytest

from publipost.linter import lint_paths
from publipost.linter.rules import all_rules
from tests.lintkit import GOOD, lint_text, position

# Each rule firing where the copy breaks it: a fixture file per rule in tests/rules/ (test_rule_fixtures.py).


@pytest.mark.parametrize("language", ["fr", "en"])
def test_good_letters_are_clean(tmp_path, language):
    assert lint_text(tmp_path, GOOD[language]).active == []


def test_magic_words_missing(tmp_path):
    text = (
        GOOD["fr"]
        .replace("Découvrez maintenant", "Voici")
        .replace("en cadeau", "aussi")
        .replace("votre cadeau vous attend", "votre taie vous attend")
    )
    names = [f.name for f in lint_text(tmp_path, text).active]
    assert "magic-words-missing" in names and "hook-no-magic-word" in names


def test_paragraph_not_linked(tmp_path):
    text = GOOD["fr"].replace("En effet, son", "Son").replace("Mais ce n'est pas tout. ", "")
    (finding,) = [f for f in lint_text(tmp_path, text).active if f.name == "paragraph-not-linked"]
    assert (finding.line, finding.column) == position(text, "Son duvet")
    text = GOOD["en"].replace("What's more, each", "Each").replace(", so you start", ". You start")
    assert [f.rule for f in lint_text(tmp_path, text).active] == ["PP304"]


UNLINKED = """---
language: en
---
**Discover the planner for your week**

Dear {{ first_name }},

You bought a planner last January. By March, half its pages were blank.

Planora has undated pages. Every week fits on one spread.

Our advisers answer questions on 555-0147. Order by 15 January.

Dana Brooks
Founder, Planora
"""


@pytest.mark.parametrize(
    ("before", "after", "linked"),
    [
        ("", "", False),
        ("Planora has undated pages.", "In this planner, the pages are undated.", True),  # opener after "in"
        ("Our advisers answer questions", "Our advisers answer them", True),  # points back mid-sentence
        ("Our advisers answer questions", "Our advisers call those who write", False),  # "those who"
        ("Planora has undated pages.", "Tomorrow, Planora ships with undated pages.", True),
    ],
)
def test_what_links_paragraphs(tmp_path, before, after, linked):
    text = UNLINKED.replace(before, after)
    assert text != UNLINKED or not before
    names = [f.name for f in lint_text(tmp_path, text).active]
    assert ("paragraph-not-linked" not in names) is linked


def test_an_e_mail_button_is_not_a_paragraph(tmp_path):
    """Two paragraphs and a button need no connector; three paragraphs do."""
    email = (
        "<html><head><title>Your month closes in two days, Sam</title></head><body>"
        "<p><strong>Close your month in two days</strong></p><p>Hi Sam,</p>"
        "<p>Month-end takes your team five days.</p><p>Our head of finance shows three checks.</p>"
        '<p><a href="https://ledgerly.example/seat">Save your seat</a></p>'
        "<p>Nina Cole<br>Head of Finance</p>"
        '<p><a href="https://ledgerly.example/unsubscribe">Unsubscribe</a></p></body></html>'
    )
    names = [f.name for f in lint_text(tmp_path, email, name="offer.html").active]
    assert "paragraph-not-linked" not in names
    prose = email.replace('<a href="https://ledgerly.example/seat">Save your seat</a>', "Seats are free.")
    names = [f.name for f in lint_text(tmp_path, prose, name="offer.html").active]
    assert "paragraph-not-linked" in names


def test_a_claim_in_the_hook_is_proven_by_the_body(tmp_path):
    """The hook promises, the body proves: a figure anywhere in the copy backs the hook's claim."""
    hook = GOOD["en"].replace("**Discover the new planner", "**Discover the best planner")
    assert not [f for f in lint_text(tmp_path, hook).active if f.name == "unproven-claim"]
    unproven = hook.replace("We refund you within 60 days.", "We thank you.").replace(
        "twelve colour tabs", "colour tabs"
    )
    (finding,) = [f for f in lint_text(tmp_path, unproven).active if f.name == "unproven-claim"]
    assert finding.message.startswith('"the best"')


def test_a_long_sentence_is_a_warning_unless_the_house_makes_it_an_error(tmp_path):
    """A long sentence weakens a letter; it does not break the mailing: no error by default."""
    long_sentence = "Vous " + "dormez " * 34 + "bien."
    text = GOOD["fr"].replace("Vous dormez à poings fermés.", long_sentence)
    (finding,) = [f for f in lint_text(tmp_path, text).active if f.name == "sentence-too-long"]
    assert finding.severity == "warning" and "36 mots (max 25)" in finding.message
    (tmp_path / "publipost.toml").write_text("[lint.rules.sentence-too-long]\nmax-words-error = 30\n")
    (finding,) = [f for f in lint_paths([tmp_path / "letter.md"]).active if f.name == "sentence-too-long"]
    assert finding.severity == "error"


@pytest.mark.parametrize(("extra", "flagged"), [("", False), (" Extraordinarily.", True)])
def test_reading_ease_needs_min_words_counted_as_words(tmp_path, extra, flagged):
    """A paragraph under `min-words` (12) is too short to score. Words are counted as the
    sentence rules count them: "well-established" is one word, "2,500" one, a dash none."""
    paragraph = (
        "Well-established administrative\nresponsibilities necessitate 2,500 documentations. "
        "Unquestionably — organisational complexity intensifies enormously." + extra
    )  # 11 words; split at white space, 12
    text = GOOD["en"].replace("at a glance.\n", f"at a glance.\n\n{paragraph}\n")
    assert paragraph in text
    names = [f.name for f in lint_text(tmp_path, text).findings]
    assert ("readability-low" in names) is flagged


@pytest.mark.parametrize(
    ("language", "sentence", "fires"),
    [
        ("en", "You eat freely and sugar-free.", False),  # freely, sugar-free: not "free"
        ("en", "It is FREE.", True),
        ("fr", "C'est gratuite.", True),
        ("fr", "Vous découvrirez la nouvelle collection.", True),
        ("fr", "C'est la gratuité.", False),  # gratuité is not a form of gratuit
    ],
)
def test_magic_word_forms(tmp_path, language, sentence, fires):
    base = "**Title for {you}**\n\n{sentence}\n\nName Surname\nRole\n\nP.S. Call 0123.\n"
    text = (
        "---\nlanguage: "
        + language
        + "\n---\n"
        + base.format(you="vous" if language == "fr" else "you", sentence=sentence)
    )
    names = [f.name for f in lint_text(tmp_path, text).active]
    assert ("magic-words-missing" not in names) is fires


def test_claim_with_a_figure_is_proven(tmp_path):
    text = GOOD["fr"].replace(
        "Vous dormez à poings fermés.", "C'est la meilleure couette selon 2 000 clients."
    )
    assert not [f for f in lint_text(tmp_path, text).active if f.name == "unproven-claim"]


def test_one_future_is_not_heavy(tmp_path):
    text = GOOD["fr"].replace("Vous dormez à poings fermés.", "Vous découvrirez la différence.")
    assert not [f for f in lint_text(tmp_path, text).active if f.name == "tense-not-present"]


def test_fields_count_as_one_word_and_do_not_shift_columns(tmp_path):
    text = GOOD["en"].replace(
        "You see your tasks at a glance.", "{{ first_name }}, you see the best tasks at a glance."
    )
    (finding,) = [f for f in lint_text(tmp_path, text).active if f.name == "unproven-claim"]
    assert (finding.line, finding.column) == position(text, "the best tasks")
    assert finding.message.startswith('"the best"')


def test_every_rule_is_documented_in_both_languages():
    for rule in all_rules():
        assert rule.code.startswith("PP") and len(rule.code) == 5
        assert set(rule.message) == {"en", "fr"}
        assert rule.source and rule.summary()
        assert rule.severity in ("error", "warning", "info")
    slugs = [r.name for r in all_rules()]
    assert len(slugs) == len(set(slugs))


def test_french_verbs_of_the_second_person_speak_to_the_reader(tmp_path):
    """« Découvrez maintenant … » (what --explain PP302 recommends) and « Offrez-vous … » say
    « vous » with the verb: the hook speaks to the reader."""
    from publipost.linter.engine import lint_paths
    from tests.lintkit import GOOD

    written = "**Découvrez maintenant la couette qui vous garde au chaud**"
    assert written in GOOD["fr"]
    path = tmp_path / "lettre.md"
    for hook in ("Découvrez maintenant la couette qui garde la chaleur", "Offrez-vous des nuits au chaud"):
        path.write_text(GOOD["fr"].replace(written, f"**{hook}**"), encoding="utf-8")
        names = [f.name for f in lint_paths([path], isolated=True).active]
        assert "hook-no-benefit" not in names, (hook, names)
    path.write_text(GOOD["fr"].replace(written, "**Notre couette est arrivée**"), encoding="utf-8")
    assert "hook-no-benefit" in [f.name for f in lint_paths([path], isolated=True).active]


def test_elided_french_words_are_read(tmp_path):
    """« lorsqu'il », « qu'il » hold lorsqu and qu: a chain of clauses made of elided words is one."""
    from publipost.linter.engine import lint_paths
    from tests.lintkit import GOOD

    chained = "Lorsqu'il fait froid, vous dormez bien qu'il neige."
    assert "Vous dormez à poings fermés." in GOOD["fr"]
    path = tmp_path / "lettre.md"
    path.write_text(GOOD["fr"].replace("Vous dormez à poings fermés.", chained), encoding="utf-8")
    found = [f for f in lint_paths([path], isolated=True).active if f.name == "sentence-clause-chain"]
    assert len(found) == 1 and "Lorsqu, qu" in found[0].message


def test_the_present_of_verbs_in_erer_is_not_a_future(tmp_path):
    from publipost.linter.engine import lint_paths
    from tests.lintkit import GOOD

    path = tmp_path / "lettre.md"
    for sentence, future in (
        ("Nous espérons et considérons que vous dormez bien.", False),
        ("Nous espérerons et chercherons ensemble.", True),
    ):
        path.write_text(GOOD["fr"].replace("Vous dormez à poings fermés.", sentence), encoding="utf-8")
        names = [f.name for f in lint_paths([path], isolated=True).active]
        assert ("tense-not-present" in names) is future, (sentence, names)


def test_a_closing_formula_is_not_a_claim(tmp_path):
    """ "All the best," before the signature proves nothing and needs not; "the best planner" does."""
    from publipost.linter.engine import lint_paths
    from tests.lintkit import GOOD

    path = tmp_path / "letter.md"
    closing = GOOD["en"].replace("\nDana Brooks\n", "\nAll the best,\n\nDana Brooks\n")
    assert closing != GOOD["en"]
    path.write_text(closing, encoding="utf-8")
    assert "unproven-claim" not in [f.name for f in lint_paths([path], isolated=True).active]
    claim = closing.replace("The new Planora fixes that.", "The best planner fixes that.")
    path.write_text(claim, encoding="utf-8")
    found = [f for f in lint_paths([path], isolated=True).active if f.name == "unproven-claim"]
    assert [f.message.split('"')[1] for f in found] == ["The best"]


@pytest.mark.parametrize(
    ("language", "sentence", "chained"),
    [
        # French relative pronouns and conjunctions are clause markers…
        ("fr", "Le duvet, auquel vous tenez, garde la chaleur où que vous dormiez.", True),
        ("fr", "La couette, laquelle se lave, tient chaud puisqu'elle est épaisse.", True),
        ("fr", "Le magasin où vous passez garde la couette dont vous rêvez.", True),
        # … « que » that opens no clause is not: « en tant que », « ne … que », comparisons.
        ("fr", "En tant que cliente, vous ne payez que 89 € quand il fait froid.", False),
        ("fr", "Elle est plus chaude que la laine, et aussi légère que la plume.", False),
        ("fr", "Je ne pense pas que vous ayez froid quand elle est là.", True),
        # English "that" pointing at a thing is no clause; "that" opening one is.
        ("en", "That is why you plan your week when you like.", False),
        ("en", "You asked for that, and we fixed that when you wrote.", False),
        ("en", "The planner that you carry shows the week that you plan.", True),
    ],
)
def test_clauses_are_counted_by_their_markers(tmp_path, language, sentence, chained):
    old = "Vous dormez à poings fermés." if language == "fr" else "You see your tasks at a glance."
    text = GOOD[language].replace(old, sentence)
    found = [f for f in lint_text(tmp_path, text).active if f.name == "sentence-clause-chain"]
    assert bool(found) is chained, [f.message for f in found]


@pytest.mark.parametrize(
    ("language", "sentence", "flagged"),
    [
        # A conditional sentence (if …, you will …) and a polite request are no tense faults.
        ("en", "If you order today, you will receive it and you will save $10.", False),
        ("en", "Would you like a second planner for your team?", False),
        ("fr", "Si vous commandez aujourd'hui, vous recevrez la couette et vous serez au chaud.", False),
        ("fr", "Pourriez-vous nous dire quelle taille vous convient ?", False),
        # The conditional mood instead of the present still is.
        ("en", "You could sleep better.", True),
        ("fr", "Vous pourriez dormir mieux.", True),
    ],
)
def test_conditional_sentences_and_polite_requests_are_no_tense_faults(tmp_path, language, sentence, flagged):
    old = "Vous dormez à poings fermés." if language == "fr" else "You see your tasks at a glance."
    text = GOOD[language].replace(old, sentence)
    found = [f for f in lint_text(tmp_path, text).active if f.name == "tense-not-present"]
    assert bool(found) is flagged, [f.message for f in found]


@pytest.mark.parametrize(
    ("greeting", "generic"),
    [
        ("Dear Reader:", True),
        ("Messieurs,", True),
        ("Chers amis,", True),
        ("Chère Madame,", True),
        ("Bonjour Claire —", False),
        ("Dear Colleague:", True),
        ("Hi Sam -", False),
    ],
)
def test_greetings_in_other_shapes_are_greetings(tmp_path, greeting, generic):
    from publipost.linter.document import letter_from_markdown

    text = GOOD["en"].replace("Dear {{ first_name }},", greeting)
    doc = letter_from_markdown(tmp_path / "l.md", text)
    assert doc.salutation is not None and doc.salutation.raw == greeting
    names = [f.name for f in lint_text(tmp_path, text).active]
    assert ("personalization-missing" in names) is generic


def test_a_first_name_alone_signs_after_a_closing_formula(tmp_path):
    """« Amitiés, » then « Claire »: a signature, its function missing (a warning, not an unsigned letter)."""
    text = GOOD["en"].replace("Dana Brooks\nFounder, Planora\n", "All the best,\n\nDana\n")
    (finding,) = [f for f in lint_text(tmp_path, text).active if f.name == "signature-missing"]
    assert finding.severity == "warning" and "function" in finding.message
    assert (finding.line, finding.column) == position(text, "Dana\n")


@pytest.mark.parametrize(
    ("sentence", "flagged"),
    [
        ("You will sleep well and you will save time.", True),  # futures, no conditional word
        ("You could sleep well.", True),  # a conditional, no future
        ("You sleep well and you save time.", False),
    ],
)
def test_futures_and_conditionals_are_each_found_without_the_other(tmp_path, sentence, flagged):
    """A paragraph holding no conditional word is not read for them, nor one holding no future
    for futures (WordList.absent_from): each list is still read where the other is absent."""
    from tests.lintkit import GOOD, lint_text

    text = GOOD["en"].replace("What's more, each week fits on one spread.", sentence)
    assert sentence in text
    found = [f for f in lint_text(tmp_path, text).active if f.name == "tense-not-present"]
    assert bool(found) is flagged, [f.message for f in found]
