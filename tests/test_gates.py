"""The lint gates: what stops a print file or a send, and what does not.

An error means a fault that would hurt the mailing (raw Markdown printed as typed, no
signature, no unsubscribe link…); style advice is a warning and never stops anything. Each
channel's gate judges that channel's copy only.
"""

from __future__ import annotations

import shutil

from tests.lintkit import GOOD, lint_text

EXAMPLE = "examples/vente-couette"


def _example(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "c", ignore=shutil.ignore_patterns("out"))
    return tmp_path / "c"


def test_a_letter_fault_stops_the_print_file_not_the_e_mails(tmp_path, run):
    folder = _example(tmp_path)
    letter = folder / "lettre.md"
    # An emphasis never closed would print its asterisks: a real fault, an error.
    bold = "**une chaleur égale toute la nuit**"
    letter.write_text(letter.read_text().replace(bold, "**une chaleur égale"))
    out = tmp_path / "out"
    blocked = run("render", folder / "campaign.yaml", "--format", "pdf", "--out", out)
    assert blocked.code == 1
    assert "lint error" in blocked.err and "markdown-literal" in blocked.err and "--no-lint" in blocked.err
    assert not list(out.glob("**/*.pdf"))
    emails = run("render", folder / "campaign.yaml", "--format", "eml", "--out", out)
    assert emails.code == 0, emails.err  # the letter's fault is not the e-mail's
    assert list(out.glob("**/*.eml"))
    forced = run("render", folder / "campaign.yaml", "--format", "pdf", "--out", out, "--no-lint")
    assert forced.code == 0, forced.err
    assert list(out.glob("**/*.pdf"))


def test_an_e_mail_fault_stops_eml_files_and_the_send_not_the_print_file(tmp_path, run):
    folder = _example(tmp_path)
    email = folder / "email.md"
    email.write_text(email.read_text().replace("**une chaleur égale toute la nuit**", "**une chaleur égale"))
    out = tmp_path / "out"
    assert run("render", folder / "campaign.yaml", "--format", "eml", "--out", out).code == 1
    assert run("render", folder / "campaign.yaml", "--format", "mbox", "--out", out).code == 1
    assert not list(out.glob("**/*.eml"))
    sent = run("send", folder / "campaign.yaml", "--out", out)
    assert sent.code == 1 and "markdown-literal" in sent.err
    assert run("render", folder / "campaign.yaml", "--format", "pdf", "--out", out).code == 0
    previews = run("render", folder / "campaign.yaml", "--format", "text", "--out", out)
    assert previews.code == 0  # a preview is for finding faults: never gated


def test_style_advice_is_a_warning_and_stops_nothing(tmp_path):
    """No P.S., a long paragraph, a 30-word sentence: a weaker letter, not a broken mailing."""
    text = (
        GOOD["fr"]
        .replace("\nP.S. Répondez avant le 31 décembre : votre cadeau vous attend.\n", "")
        .replace(
            "Vous dormez à poings fermés.",
            "Vous dormez à poings fermés, de novembre à mars, dans une chambre fraîche, sous une "
            "couette légère et chaude comme un nid, la fenêtre entrouverte sur le jardin endormi.",
        )
    )
    findings = lint_text(tmp_path, text).active
    assert {f.name for f in findings} >= {"ps-missing", "sentence-too-long"}
    assert all(f.severity == "warning" for f in findings)


def test_what_stays_an_error(tmp_path):
    text = GOOD["en"].replace("Dana Brooks\nFounder, Planora\n", "")
    findings = lint_text(tmp_path, text).active
    errors = [(f.name, f.severity) for f in findings if f.severity == "error"]
    assert errors == [("signature-missing", "error")]


def test_the_library_passes_the_same_gate_as_the_command(tmp_path):
    """Issue 28, 1: `publipost.render(p, "pdf")` wrote all 127 letters of a copy that
    `publipost render --format pdf` refuses."""
    import pytest

    import publipost
    from publipost.channels.base import LintBlocked

    folder = _example(tmp_path)
    letter = folder / "lettre.md"
    letter.write_text(
        letter.read_text().replace("**une chaleur égale toute la nuit**", "**une chaleur égale")
    )
    prepared = publipost.prepare(folder / "campaign.yaml")
    out = tmp_path / "out"
    for call in (
        lambda: publipost.render(prepared, "pdf", out),
        lambda: publipost.render_letters(prepared, out),
    ):
        with pytest.raises(LintBlocked) as blocked:
            call()
        assert "markdown-literal" in str(blocked.value) and "lint=False" in str(blocked.value)
    assert not list(out.glob("**/*.pdf"))
    assert publipost.render(prepared, "eml", out).written  # the letter's fault is not the e-mail's
    assert publipost.render_letters(prepared, out, format="text").written  # a look: never gated
    forced = publipost.render(prepared, "pdf", out, lint=False)
    assert forced.written == 127 and list(out.glob("**/*.pdf"))
