"""Campaigns of replies to complaints (kind: complaint-reply): one reply per row of a complaints
file, its deadlines and indicators, the letter's subject line, the reply rules, and bad input."""

from __future__ import annotations

import json
import re

import pytest
from pypdf import PdfReader

from tests.conftest import edit_complaints, plain


def test_validate_reports_delays_calls_and_indicators(replies, run):
    result = run("validate", replies)
    assert result.code == 0, result.err
    out = result.out
    assert "(fr, replies to complaints)" in out
    assert "replies    5 complaints, answered on 27 November 2026" in out
    late = re.findall(
        r"late +([\w-]+) ([\w ]+) \(row (\d+)\): received (\d+ \w+ \d{4}), (\d+) days, (\d+) overdue", out
    )
    assert late == [
        ("R-2250", "Paul Martin", "3", "10 November 2026", "17", "10"),
        ("R-2214", "Léa Nguyen", "6", "2 November 2026", "25", "18"),
    ]
    assert "call first R-2302 Anne Roy (row 4): 04 78 00 11 22" in out
    assert "by subject Couette livrée déchirée 2 · Retard de livraison 2 · Facturation en double 1" in out
    assert "by delay   0–2 days 2 · 3–7 days 1 · 8–14 days 0 · over 14 days 2" in out
    assert "complaint rate 0.10% of 4,800 customers" in out
    assert "store      not consulted: a reply to a complaint is a service letter" in out


def test_each_row_gets_its_reply_with_the_subject_line_and_no_coupon(replies, run):
    assert run("render", replies, "--format", "pdf").code == 0
    pages = _pages(replies)
    assert len(pages) == 5  # one page a reply: no coupon page
    first = pages[0]
    assert "Objet : votre réclamation du 24 novembre 2026 (réf. R-2291)" in first
    assert "Dans votre courrier du 24 novembre 2026 (réf. R-2291)" in first
    assert "nous vous offrons une taie d'oreiller en lin" in first and "Sophie Benoît" in first
    assert "Code réponse" not in " ".join(pages) and "Oui, je profite" not in " ".join(pages)
    second = pages[1]
    assert (
        "réf. R-2250" in second and "geste commercial" not in second
    )  # no gesture: the sentence is left out


def test_the_campaign_is_linted_as_replies(replies, run):
    result = run("lint", replies, "--format", "concise")
    assert result.code == 0, result.out
    reply = replies.parent / "reponse.md"
    reply.write_text(
        reply.read_text(encoding="utf-8").replace(
            "Nous vous prions de nous excuser.", "Ce simple retard est réglé."
        ),
        encoding="utf-8",
    )
    found = run("lint", replies, "--format", "concise").out
    assert "PP703 [warning] reply-no-apology" in found and "PP704 [warning] reply-minimises" in found
    assert not re.search(r"PP10[14]|PP30[12]", found)  # no hook, no P.S., no magic words asked


def test_an_english_reply_says_re_your_letter(tmp_path, run):
    (tmp_path / "complaints.csv").write_text(
        "id,First Name,Last Name,Address,Postcode,City,Country,Received,Reference,Subject\n"
        "7,Ann,Smith,1 Main St,78701,Austin,US,2026-11-20,R-7,Torn pages\n",
        encoding="utf-8",
    )
    (tmp_path / "reply.md").write_text(
        "In your letter of {{ received | date }} you told us about {{ subject | lower }}.\n"
    )
    (tmp_path / "campaign.yaml").write_text(
        "name: Replies\nlanguage: en\nkind: complaint-reply\ntarget: {source: complaints.csv}\n"
        "sender: {name: Dana Brooks, function: Head of Care, address: [1 Main St, Austin TX 78701]}\n"
        "letter: {date: 2026-11-23, body: reply.md}\n",
        encoding="utf-8",
    )
    assert run("render", tmp_path / "campaign.yaml", "--format", "text").code == 0
    text = (tmp_path / "out" / "letters" / "R-7.txt").read_text(encoding="utf-8")  # named by its ticket
    assert "Re: your letter of 20 November 2026 (ref. R-7)" in text and "about torn pages" in text


def _pages(campaign) -> list[str]:
    reader = PdfReader(campaign.parent / "out" / "letters" / "letters.pdf")
    return [plain(" ".join((p.extract_text() or "").split())) for p in reader.pages]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "24/11/2026;R-2291",
            "24/12/2026;R-2291",
            "received 2026-12-24, after the reply's date (2026-11-27): reply held back",
        ),
        (
            "24/11/2026;R-2291",
            "le 24 novembre;R-2291",
            "received date 'le 24 novembre' is not a date (write 12/11/2026 or 2026-11-12): reply held back",
        ),
    ],
)
def test_a_row_that_cannot_be_answered_is_held_back_and_the_others_print(replies, run, old, new, said):
    """Issue 30, 3: a batch never blocks on a few rows; the bad one is held back with its reason."""
    edit_complaints(replies, old, new)
    checked = run("validate", replies)
    assert checked.code == 0, checked.err
    assert "held back  1 reply held back, with its reason: rejects.csv" in checked.out
    rejects = (replies.parent / "out" / "rejects.csv").read_text(encoding="utf-8-sig")
    assert re.search(rf"^2;rejected;.*{re.escape(said)}", rejects, re.M), rejects
    printed = run("render", replies, "--format", "pdf")
    assert printed.code == 0, printed.err
    pages = _pages(replies)
    assert len(pages) == 4 and not any("R-2291" in page for page in pages)  # the other four replies


def test_a_serious_complaint_with_no_phone_is_answered_in_writing_and_listed(replies, run):
    """Issue 30, 3: three postal complaints without a phone number blocked the batch (exit 2,
    "add the 'phone' column" though the column was there). By default they are answered in
    writing now and validate lists them; `replies.missing_phone: hold` holds them back, naming
    the empty cell."""
    edit_complaints(replies, "04 78 00 11 22;25/11/2026", ";25/11/2026")
    checked = run("validate", replies)
    assert checked.code == 0, checked.err
    assert (
        "  no phone   R-2302 Anne Roy (row 4): a serious complaint with no phone number: answer in "
        "writing within 24 hours" in checked.out
    )
    assert "call first" not in checked.out  # nobody left to phone
    assert run("render", replies, "--format", "pdf").code == 0
    assert len(_pages(replies)) == 5 and any("R-2302" in page for page in _pages(replies))

    campaign = replies.read_text(encoding="utf-8")
    replies.write_text(campaign + "\nreplies:\n  missing_phone: hold\n", encoding="utf-8")
    held = run("validate", replies)
    assert held.code == 0 and "1 reply held back" in held.out
    rejects = (replies.parent / "out" / "rejects.csv").read_text(encoding="utf-8-sig")
    assert (
        "4;rejected;" in rejects and "its phone cell is empty" in rejects and "missing_phone: hold" in rejects
    )
    assert run("render", replies, "--format", "pdf").code == 0
    pages = _pages(replies)
    assert len(pages) == 4 and not any("R-2302" in page for page in pages)


def test_a_complaints_file_without_its_reference_column(replies, run):
    edit_complaints(replies, "Date de réception;Référence;", "Date de réception;Numéro dossier;")
    result = run("validate", replies)
    assert result.code == 2 and "a complaints file needs a 'reference' column" in result.err
    assert "target.columns" in result.err


def test_a_sales_campaign_still_needs_its_objective(campaign_dir, run):
    from tests.conftest import BASE_CAMPAIGN

    path = campaign_dir(BASE_CAMPAIGN.replace("objective: vente\n", ""))
    result = run("validate", path)
    assert result.code == 2 and "missing required key 'objective' in the top level" in result.err
    assert "kind: complaint-reply" in result.err


def test_replies_are_followed_up_by_ticket_and_the_day_s_new_ones_print_alone(replies, run):
    """Issue 30, 4: the complaint's reference is the reply's id (render --only R-2250); the next
    day's complaint added to the file, render --new prints it alone, and then nothing."""
    one = run("render", replies, "--format", "text", "--only", "R-2250")
    assert one.code == 0, one.err
    assert [p.name for p in (replies.parent / "out" / "letters").glob("*.txt")] == ["R-2250.txt"]
    assert run("render", replies, "--format", "pdf").code == 0
    assert len(_pages(replies)) == 5
    path = replies.parent / "data" / "reclamations.csv"
    text = path.read_text(encoding="cp1252")
    added = (  # Paul Martin (C00877) complains a second time: a reply of its own, not a duplicate
        "C00877;M.;Paul;Martin;3 rue Neuve;01000;Bourg-en-Bresse;06 12 34 56 78;26/11/2026;R-2320;"
        "Facturation en double;normale;nous avons annulé la facture;;Marc Lefèvre\n"
    )
    path.write_text(text + ("" if text.endswith("\n") else "\n") + added, encoding="cp1252")
    new = run("render", replies, "--format", "pdf", "--new")
    assert new.code == 0, new.err
    pages = _pages(replies)
    assert (
        len(pages) == 1 and "réf. R-2320" in pages[0]
    )  # the same customer's second complaint: its own reply
    again = run("render", replies, "--format", "pdf", "--new")
    assert again.code == 0 and "nothing new to print" in again.out
    listed = run("manifest", replies, "--format", "json")
    printed = {row["id"] for row in json.loads(listed.out) if row["status"] == "printed"}
    assert printed == {"R-2291", "R-2250", "R-2302", "R-2310", "R-2214", "R-2320"}
    wrong = run("render", replies, "--format", "text", "--new")
    assert wrong.code == 2 and "--new prints the letters not printed before" in wrong.err
