"""Issue 30, item 2: every merged reply is linted, not only the template. A finding that only a
row's text has (a corrective measure that says « malheureusement », a free column that sells)
names the ticket and the customer and points at the row; the campaign's score is the worst
reply's; the gate holds that reply back and prints the others (--strict refuses the batch)."""

from __future__ import annotations

import csv
import json

import pytest
from pypdf import PdfReader

import publipost
from publipost import api
from tests.conftest import edit_complaints, plain

BAD = "malheureusement les retards arrivent en cette saison, nous vous envoyons votre commande aujourd'hui"


def _pages(campaign) -> list[str]:
    reader = PdfReader(campaign.parent / "out" / "letters" / "letters.pdf")
    return [" ".join((p.extract_text() or "").split()) for p in reader.pages]


def _findings(run, campaign) -> list[dict]:
    result = run("lint", campaign, "--data", "--format", "json", "--lang", "en")
    return json.loads(result.out)


def test_a_row_s_non_apology_is_found_in_its_merged_reply_naming_ticket_and_customer(replies, run):
    assert _findings(run, replies) == []  # the example: five clean replies
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    found = _findings(run, replies)
    assert [(f["rule"], f["path"].endswith("/data/reclamations.csv"), f["line"]) for f in found] == [
        ("PP709", True, 5)
    ]
    assert found[0]["severity"] == "error"
    assert "« malheureusement » n'est pas une excuse" in found[0]["message"]
    assert found[0]["message"].endswith("(pour R-2310, M. Luc Bon)")
    assert found[0]["context"]["recipient"] == "R-2310, M. Luc Bon" and found[0]["context"]["row"] == 5

    text = run("lint", replies, "--data", "--format", "text")
    assert text.code == 1
    # the campaign's score is its worst reply's: a non-apology caps it below "strong"
    assert "overall 3.4/5 moyen" in text.out and "lowest: R-2310, M. Luc Bon" in text.out
    assert "merged replies linted too: 5 (every one)" in text.out


def test_a_finding_of_the_template_is_reported_once_on_the_template(replies, run):
    """Twenty replies of a template saying « malheureusement » are one finding, in reponse.md,
    not twenty: what the template has is fixed in the template."""
    body = replies.parent / "reponse.md"
    text = body.read_text(encoding="utf-8")
    body.write_text(
        text.replace("Merci de nous avoir écrit.", "Merci de nous avoir écrit. Malheureusement, cela arrive.")
    )
    found = _findings(run, replies)
    assert [(f["rule"], f["path"].rsplit("/", 1)[-1]) for f in found] == [("PP709", "reponse.md")]
    # …and the same words in a row as well are the template's too (the template holds them)
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    assert [f["path"].rsplit("/", 1)[-1] for f in _findings(run, replies)] == ["reponse.md"]


def test_the_bad_reply_is_held_back_and_the_others_print(replies, run):
    """Done when: three serious rows lacking a phone and one bad per-row text: validate exits 0
    listing them by ticket; render prints the others; the bad reply is refused with its ticket
    and finding."""
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    edit_complaints(
        replies,
        "Couette livrée déchirée;normale;nous vous envoyons",
        "Couette livrée déchirée;grave;nous vous envoyons",
    )
    edit_complaints(
        replies,
        "06 12 34 56 78;10/11/2026;R-2250;Retard de livraison;normale",
        ";10/11/2026;R-2250;Retard de livraison;grave",
    )
    edit_complaints(replies, "04 72 11 22 33;24/11/2026", ";24/11/2026")
    edit_complaints(replies, "04 78 00 11 22;25/11/2026", ";25/11/2026")
    checked = run("validate", replies, "--lang", "en")
    assert checked.code == 0, checked.err
    for ticket in ("R-2291", "R-2250", "R-2302"):
        assert f"  no phone   {ticket} " in checked.out
    fix = "  to fix     R-2310, M. Luc Bon (row 5): PP709 reply-non-apology: held back at print"
    assert fix in checked.out

    printed = run("render", replies, "--format", "pdf", "--lang", "en")
    assert printed.code == 1  # something was not printed: said, on stderr
    assert "1 recipient held back: their merged copy has a lint error" in printed.err
    assert "data/reclamations.csv:5: PP709 reply-non-apology:" in printed.err
    assert "(pour R-2310, M. Luc Bon)" in printed.err
    pages = _pages(replies)
    assert len(pages) == 4 and not any("R-2310" in page for page in pages)
    assert all(any(t in " ".join(pages) for _ in [0]) for t in ("R-2291", "R-2250", "R-2302", "R-2214"))
    with (replies.parent / "out" / "rejects.csv").open(encoding="utf-8-sig") as file:
        rejects = {row["row"]: row for row in csv.DictReader(file, delimiter=";")}
    assert rejects["5"]["outcome"] == "rejected"
    assert rejects["5"]["reason"].startswith("held back by lint: PP709 reply-non-apology:")
    listed = json.loads(run("manifest", replies, "--format", "json").out)
    assert "R-2310" not in {row["id"] for row in listed if row["status"] == "printed"}

    # the row fixed, --new prints that reply alone
    edit_complaints(replies, BAD, "nous vous envoyons votre commande aujourd'hui en express")
    again = run("render", replies, "--format", "pdf", "--new")
    assert again.code == 0, again.err
    assert [("R-2310" in page) for page in _pages(replies)] == [True]


def test_strict_refuses_the_whole_batch(replies, run):
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    refused = run("render", replies, "--format", "pdf", "--strict", "--lang", "en")
    assert refused.code == 1
    assert "the letter's copy has 1 lint error(s); nothing was written" in refused.err
    assert "data/reclamations.csv:5:1: PP709" in refused.err
    assert not (replies.parent / "out" / "letters" / "letters.pdf").exists()


def test_the_library_holds_the_reply_back_as_the_command_does(replies):
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    prepared = api.prepare(replies)
    written = api.render(prepared, "pdf", replies.parent / "lib")
    assert written.written == 4
    assert [(f.rule, f.context["recipient"]) for f in written.held] == [("PP709", "R-2310, M. Luc Bon")]
    result = api.lint(prepared)
    assert [f.rule for f in result.active] == ["PP709"]
    with pytest.raises(publipost.LintBlocked, match="the letter's copy has 1 lint error"):
        api.render(prepared, "pdf", replies.parent / "lib2", strict=True)
    assert not (replies.parent / "lib2" / "letters" / "letters.pdf").exists()


def test_no_data_lints_the_template_only_and_says_nothing_of_merged_replies(replies, run):
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    result = run("lint", replies, "--no-data")
    assert result.code == 0 and "merged replies" not in result.out


SALES_LETTER = """\
**Votre couette d'hiver vous attend.**

{{ salutation }},

Vous avez aimé votre couette. {{ precision }}

Nous vous offrons 20 % sur la nouvelle. Merci de votre fidélité.

Claire Martin
Directrice

P.S. L'offre vaut jusqu'au 31 décembre.
"""


def test_a_sales_campaign_lints_a_sample_of_the_text_a_column_merges(campaign_dir, run):
    """Issue 30: per-row text in sales campaigns — the longest and a sample of distinct values
    of a free-text column merged into the copy are linted, and the run says so."""
    from tests.conftest import BASE_CAMPAIGN, BASE_CSV

    lines = BASE_CSV.strip().splitlines()
    header = lines[0].rstrip() + ";precision"
    rows = [line.rstrip() + ";Elle est toujours garantie." for line in lines[1:]]
    rows[-1] = lines[-1].rstrip() + (
        ";Elle a été choisie par nos acheteurs parmi plus de quarante modèles venus de toute l'Europe "
        "et testée pendant trois hivers dans nos ateliers de Lyon où chaque couture a été vérifiée "
        "une à une par des couturières qui connaissent leur métier depuis des années."
    )
    path = campaign_dir(BASE_CAMPAIGN, "\n".join([header, *rows]) + "\n", SALES_LETTER)
    result = run("lint", path, "--data", "--format", "json")
    assert result.code in (0, 1), result.err
    found = [f for f in json.loads(result.out) if "row" in f["context"]]
    assert found, result.out
    assert {f["path"].rsplit("/", 1)[-1] for f in found} == {"clients.csv"} and {
        f["line"] for f in found
    } == {len(lines)}
    text = run("lint", path, "--data")
    assert "merged letters linted too:" in text.out and "a sample" in text.out


def _with_email(replies, message_ids: list[str]) -> None:
    """The example with an e-mail section, the customers' addresses and their e-mails' ids."""
    path = replies.parent / "data" / "reclamations.csv"
    lines = path.read_text(encoding="cp1252").splitlines()
    lines[0] += ";E-mail;Message-ID"
    for index in range(1, len(lines)):
        lines[index] += f";client{index}@exemple.fr;{message_ids[index - 1]}"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    campaign = replies.read_text(encoding="utf-8")
    replies.write_text(
        campaign + '\nemail:\n  subject: "Votre réclamation {{ reference }}"\n  body: reponse.md\n',
        encoding="utf-8",
    )


def _sent(replies) -> dict[str, object]:
    import email
    from email import policy

    found = {}
    for path in sorted((replies.parent / "out" / "maildir" / "new").iterdir()):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found[str(message["To"]).split("<")[1].rstrip(">")] = message
    return found


def test_e_mail_replies_thread_under_the_customer_s_message_and_are_service_mail(replies, run):
    """Issue 30: `email:` in a complaint-reply campaign sends each reply to its customer, under
    the customer's own message (In-Reply-To, References) when the file has its Message-ID."""
    _with_email(replies, ["<a1@mail.exemple.fr>", "", "r2302@mail.exemple.fr", "", ""])
    checked = run("validate", replies, "--lang", "en")
    assert checked.code == 0 and "corrected or flagged" not in checked.out  # <…> is no markup here
    sent = run("send", replies, "--lang", "en")
    assert sent.code == 0, sent.err
    messages = _sent(replies)
    assert sorted(messages) == [f"client{i}@exemple.fr" for i in range(1, 6)]  # each once
    first, third = messages["client1@exemple.fr"], messages["client3@exemple.fr"]
    assert first["In-Reply-To"] == first["References"] == "<a1@mail.exemple.fr>"
    assert third["In-Reply-To"] == "<r2302@mail.exemple.fr>"  # the brackets a spreadsheet lost
    assert messages["client2@exemple.fr"]["In-Reply-To"] is None
    assert first["Subject"] == "Votre réclamation R-2291"
    text = plain(first.get_body(("plain",)).get_content())
    assert "Dans votre courrier du 24 novembre 2026 (réf. R-2291)" in text
    for message in messages.values():  # one customer's reply: service mail, not a list's
        assert message["List-Id"] is None and message["List-Unsubscribe"] is None
        assert ":email:service:" in message["Feedback-ID"]


def test_a_bad_message_id_fails_its_reply_alone_and_never_becomes_a_header(replies, run):
    _with_email(replies, ["<a1@mail.exemple.fr>", "<oops> Bcc: x@evil.example", "", "", ""])
    sent = run("send", replies, "--lang", "en")
    assert sent.code == 1
    failures = (replies.parent / "out" / "send-failures.csv").read_text(encoding="utf-8-sig")
    assert (
        "R-2250;client2@exemple.fr;failed;not rendered: message_id: '<oops> Bcc: x@evil.example' is not"
        in failures
    )
    messages = _sent(replies)
    assert len(messages) == 4 and "client2@exemple.fr" not in messages
    assert all(m["Bcc"] is None for m in messages.values())


def test_an_e_mail_reply_with_a_non_apology_is_held_back_and_the_others_are_sent(replies, run):
    _with_email(replies, ["", "", "", "", ""])
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    sent = run("send", replies, "--lang", "en")
    assert sent.code == 1
    assert "1 recipient held back" in sent.err and "(pour R-2310, M. Luc Bon)" in sent.err
    assert sorted(_sent(replies)) == [f"client{i}@exemple.fr" for i in (1, 2, 3, 5)]


def test_a_held_e_mail_reply_once_fixed_is_sent_once_and_no_other_twice(replies, run):
    """Nothing lost, nothing sent twice: the held reply is not in the send's journal; the row fixed
    (the customer file changed: --accept-changes, as the message says), the next send mails it
    and only it. Deliveries counted per recipient."""
    from collections import Counter

    _with_email(replies, ["", "", "", "", ""])
    edit_complaints(replies, "nous vous envoyons votre commande aujourd'hui en express", BAD)
    first = run("send", replies, "--lang", "en")
    assert first.code == 1 and "run send again with --accept-changes" in first.err
    edit_complaints(replies, BAD, "nous vous envoyons votre commande aujourd'hui en express")
    refused = run("send", replies, "--lang", "en")
    assert refused.code == 2 and "--accept-changes" in refused.err  # the journal saw the file change
    again = run("send", replies, "--lang", "en", "--accept-changes")
    assert again.code == 0, again.err
    import email
    from email import policy

    counted = Counter(
        email.message_from_bytes(path.read_bytes(), policy=policy.default)["To"].addresses[0].addr_spec
        for path in (replies.parent / "out" / "maildir" / "new").iterdir()
    )
    assert counted == Counter({f"client{i}@exemple.fr": 1 for i in range(1, 6)})
