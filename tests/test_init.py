"""`publipost init` writes a campaign that works at once; `--version` answers."""

from __future__ import annotations

import mailbox

import pdfplumber
import pytest

import publipost


@pytest.mark.parametrize(
    ("language", "channels", "letter", "expected"),
    [
        ("en", "letter,email", "letter.md", "letters 3 · e-mails 3"),
        ("fr", "letter,email", "lettre.md", "letters 3 · e-mails 3"),
        ("en", "letter", "letter.md", "letters 3"),
        ("fr", "email", None, "e-mails 3"),
    ],
)
def test_the_starter_validates_lints_clean_and_renders(tmp_path, run, language, channels, letter, expected):
    folder = tmp_path / "spring"
    made = run("init", folder, "--language", language, "--channels", channels)
    assert made.code == 0 and "campaign.yaml" in made.out
    campaign = folder / "campaign.yaml"
    assert (folder / "letter.md").exists() == (letter == "letter.md")
    assert (folder / "email.md").exists() == ("email" in channels)
    checked = run("validate", campaign)
    assert checked.code == 0 and expected in checked.out and "rejected           0" in checked.out
    linted = run("lint", campaign)
    assert linted.code == 0 and "0 errors, 0 warnings" in linted.out, linted.out
    if letter:
        assert run("render", campaign, "--format", "pdf", "--out", tmp_path / "pdf").code == 0
        with pdfplumber.open(tmp_path / "pdf" / "letters" / "letters.pdf") as pdf:
            text = "\n".join(page.extract_text() for page in pdf.pages)
        hook = {"en": "Discover the tote bag", "fr": "Découvrez maintenant le sac"}[language]
        assert text.count(hook) >= 3  # one letter per targeted customer, each with its hook
    if "email" in channels:
        assert run("send", campaign, "--out", tmp_path / "sent").code == 0
        assert len(mailbox.Maildir(tmp_path / "sent" / "maildir", create=False)) == 3


@pytest.mark.parametrize(
    ("language", "body", "reference"),
    [("fr", "reponse.md", "réf. R-2291"), ("en", "reply.md", "ref. T-2291")],
)
def test_the_complaint_reply_starter_validates_lints_clean_and_prints(
    tmp_path, run, language, body, reference
):
    """Issue 30: `init --kind complaint-reply` writes replies that work at once: validate lists
    the delays and whom to call, lint finds nothing with the reply rules, one letter per row."""
    folder = tmp_path / "replies"
    made = run("init", folder, "--kind", "complaint-reply", "--language", language)
    assert made.code == 0 and (folder / body).exists() and not (folder / "email.md").exists()
    campaign = folder / "campaign.yaml"
    checked = run("validate", campaign)
    assert (
        checked.code == 0 and "targeted           3" in checked.out and "rejected           0" in checked.out
    )
    assert "call first T-2302" in checked.out or "call first R-2302" in checked.out
    linted = run("lint", campaign)
    assert linted.code == 0 and "0 errors, 0 warnings, 0 info" in linted.out and "(reply)" in linted.out
    assert run("render", campaign, "--format", "pdf").code == 0
    with pdfplumber.open(folder / "out" / "letters" / "letters.pdf") as pdf:
        pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) == 3 and reference in pages[0]
    refused = run("init", tmp_path / "other", "--kind", "complaint-reply", "--channels", "letter,email")
    assert refused.code == 2 and "the complaint-reply starter is a letter" in refused.err


def test_init_never_overwrites_and_refuses_what_it_does_not_know(tmp_path, run):
    folder = tmp_path / "camp"
    folder.mkdir()
    (folder / "letter.md").write_text("my own letter\n")
    refused = run("init", folder)
    assert refused.code == 2 and "letter.md exists: init writes only new files" in refused.err
    assert (folder / "letter.md").read_text() == "my own letter\n" and not (folder / "campaign.yaml").exists()
    assert run("init", tmp_path / "x", "--channels", "fax").code == 2
    with pytest.raises(SystemExit) as usage:
        run("init", tmp_path / "y", "--language", "de")
    assert usage.value.code == 2 and not (tmp_path / "y").exists()


def test_version_prints_the_installed_version(capsys):
    from publipost.cli import main

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"publipost {publipost.__version__}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_objectives_the_starter_lists_are_the_ones_publipost_accepts(tmp_path, run, language):
    run("init", tmp_path / "c", "--language", language)
    campaign = tmp_path / "c" / "campaign.yaml"
    text = campaign.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("objective:"))
    listed = [word.strip() for word in line.split(":", 2)[2].split(",")]
    assert len(listed) == 7  # every objective
    for word in listed:
        campaign.write_text(text.replace(line, f"objective: {word}"), encoding="utf-8")
        assert run("validate", campaign).code == 0, word
