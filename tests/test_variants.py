"""Variants (A/B tests and copy per segment): assigned the same way on every run, rendered per
recipient in every channel, linted each on its own, recorded in the manifest, and measured by
the report through a real print run and a real responses file."""

from __future__ import annotations

import csv
import io
import json
import mailbox
import re
import shutil
from email import policy
from email.parser import BytesParser

import pandas as pd
import pytest
from pypdf import PdfReader

from publipost.api import load_audience, load_campaign
from publipost.campaigns.audience import ID, VARIANT, buckets
from tests.conftest import EXAMPLES, plain

AB = """\
variants:
  - name: A
    weight: 50%
  - name: B
    weight: 50%
    email:
      subject: "Dernier rappel pour votre couette, {{ first_name }}"
    letter:
      ps: "Répondez avant le {{ offer.deadline | date }} : votre taie en lin vous attend."
    offer:
      price: 79.90
"""


@pytest.fixture
def couette(tmp_path):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


def _with(campaign, block: str, before: str = "email:\n"):
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace(before, block + "\n" + before, 1), encoding="utf-8")
    return campaign


def _manifest(run, campaign):
    result = run("manifest", campaign, "--format", "csv")
    assert result.code == 0, result.err
    return list(csv.DictReader(io.StringIO(result.out)))


# --- assignment -----------------------------------------------------------------------------------


def test_a_weighted_split_is_stable_whatever_the_order_and_independent_of_the_control(couette):
    block = AB.replace("50%", "30%", 1).replace("weight: 50%", "weight: 70%")
    campaign = load_campaign(_with(couette, block))
    assert [v.weight for v in campaign.variants] == [30, 70]
    ids = pd.Series([f"C{i:06d}" for i in range(20_000)])
    frame = pd.DataFrame({ID: ids, "_outcome": "targeted"})
    from publipost.campaigns.audience import Audience, _assign_variants

    audience = Audience(source=None, headers={}, frame=frame)  # type: ignore[arg-type]
    _assign_variants(audience, campaign)
    share_a = (frame[VARIANT] == "A").mean()
    assert 0.28 < share_a < 0.32  # 30 % ± 4.9 standard deviations
    shuffled = frame.sample(frac=1, random_state=3).reset_index(drop=True)[[ID, "_outcome"]].copy()
    again = Audience(source=None, headers={}, frame=shuffled)  # type: ignore[arg-type]
    _assign_variants(again, campaign)
    assert dict(zip(shuffled[ID], shuffled[VARIANT], strict=True)) == dict(
        zip(frame[ID], frame[VARIANT], strict=True)
    )
    held = buckets(campaign.code, ids) < 0.10  # the control group's draw
    in_a = frame[VARIANT] == "A"
    # independent draws: the control group holds out as many A as B, in proportion
    assert abs((held & in_a).sum() / held.sum() - share_a) < 0.03


def test_validate_counts_each_variant_and_every_run_assigns_the_same(couette, run):
    _with(couette, AB)
    first = run("validate", couette)
    assert first.code == 0, first.err
    line = next(t for t in first.out.splitlines() if t.strip().startswith("variants"))
    a, b = int(line.split("A ")[1].split()[0]), int(line.split("B ")[1].split()[0])
    targeted = int(first.out.split("targeted")[1].split()[0])
    assert a + b == targeted and a > 0 and b > 0
    assert "by a hash of code and id" in line
    again = run("validate", couette).out.splitlines()  # the second reuses the first's reading, and says so
    assert [line for line in again if "as accounted at" not in line] == first.out.splitlines()


def test_a_split_by_column_follows_the_values_and_rejects_unmapped_rows(couette, run):
    by_segment = """\
variant_by: Segment
variants:
  - name: loyal
    values: [fidèle]
    letter:
      hook: "Merci pour votre fidélité : découvrez votre prix d'ami"
  - name: others
    values: [Occasionnel]
"""
    _with(couette, by_segment)
    result = run("validate", couette)
    assert result.code == 0, result.err
    rejects = (couette.parent / "out" / "rejects.csv").read_text(encoding="utf-8-sig")
    assert "Segment 'prospect' chooses no variant (variants take: Occasionnel, fidèle" in rejects
    audience = load_audience(load_campaign(couette))
    targeted = audience.targeted
    assert set(targeted[VARIANT]) == {"loyal", "others"}
    segments = targeted.groupby(VARIANT)["segment"].agg(set).to_dict()
    assert segments == {"loyal": {"fidèle"}, "others": {"occasionnel"}}  # case and accents folded
    # a default variant takes the values no variant names, instead of rejecting them
    couette.write_text(couette.read_text(encoding="utf-8").replace("values: [Occasionnel]", "default: true"))
    audience = load_audience(load_campaign(couette))
    others = audience.targeted.groupby(VARIANT)["segment"].agg(set)["others"]
    assert others == {"occasionnel", "prospect"}
    assert not any("chooses no variant" in n.reason for n in audience.notes)
    assert run("render", couette, "--format", "text").code == 0
    letters = couette.parent / "out" / "letters"
    printed = audience.reached("letter")
    for rid, variant in zip(printed[ID], printed[VARIANT], strict=True):
        text = (letters / f"{rid}.txt").read_text(encoding="utf-8")
        assert ("prix d’ami" in text or "prix d'ami" in text) == (variant == "loyal")


@pytest.mark.parametrize(
    ("block", "said"),
    [
        (AB.replace("weight: 50%", "weight: 40%", 1), "weights sum to 90 %, not 100 % (40 + 50)"),
        ("variants:\n  - name: A\n    weight: 100%\n", "a weight of 100% is not between 0 and 100"),
        ("variants:\n  - name: A\n    weight: 50\n", "one variant is not a test"),
        ("variants: [{name: A, weight: 50}, {name: a, weight: 50}]\n", "variant name 'a' is used twice"),
        ("variants:\n  - name: A\n  - name: B\n    weight: 50\n", "variant 'A' has no weight"),
        ("variants: [{name: control, weight: 50}, {name: B, weight: 50}]\n", "names the control group"),
        ("variant_by: Segment\n", "variant_by names a column, but the campaign has no variants"),
        (
            "variant_by: Segment\nvariants:\n  - name: A\n    values: [x]\n  - name: B\n    values: [X]\n",
            "the value 'X' is given to variants 'A' and 'B'",
        ),
        (
            "variant_by: Segment\nvariants:\n  - name: A\n    weight: 50\n    values: [x]\n"
            "  - name: B\n    values: [y]\n",
            "variant 'A' has a weight, but the variants are chosen by 'Segment'",
        ),
        (
            "variant_by: Segment\nvariants: [{name: A, default: true}, {name: B, default: true}]\n",
            "2 variants are the default (A, B)",
        ),
        (
            "variants:\n  - name: A\n    weight: 50\n    email:\n      subjet: x\n"
            "  - {name: B, weight: 50}\n",
            "unknown key 'subjet' in variants.0.email",
        ),
    ],
)
def test_bad_variants_are_refused_with_their_line(couette, run, block, said):
    _with(couette, block)
    result = run("validate", couette)
    assert result.code == 2 and said in result.err, result.err
    assert "campaign.yaml:" in result.err and result.out == ""


def test_a_variant_of_a_missing_section_and_a_missing_column(couette, run):
    text = couette.read_text(encoding="utf-8")
    no_cta = text.split("cta:")[0] + "letter:" + text.split("\nletter:", 1)[1]
    couette.write_text(no_cta, encoding="utf-8")
    _with(couette, "variants: [{name: A, weight: 50, cta: {label: Go}}, {name: B, weight: 50}]\n")
    refused = run("validate", couette)
    said = "variant 'A' changes the cta, but the campaign has no 'cta:' section"
    assert refused.code == 2 and said in refused.err
    couette.write_text(text, encoding="utf-8")
    _with(couette, "variant_by: Segmnt\nvariants: [{name: A, values: [x]}, {name: B, default: true}]\n")
    refused = run("validate", couette)
    said = "variant_by names 'Segmnt', which the customer file does not have"
    assert refused.code == 2 and said in refused.err
    assert "Segment" in refused.err  # the closest header suggested


def test_an_error_in_a_variant_points_into_the_variant(couette, run):
    _with(couette, AB.replace("{{ first_name }}", "{{ first_name "))
    result = run("validate", couette)
    lines = couette.read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "Dernier rappel" in t)
    assert result.code == 2 and f"campaign.yaml:{line}:" in result.err, result.err


# --- rendering, manifest, lint ---------------------------------------------------------------------


@pytest.mark.slow  # a whole campaign drawn, or a bound waited for: CI runs it
def test_each_recipient_gets_their_variant_in_print_and_e_mail_and_the_manifest_says_which(couette, run):
    _with(couette, AB)
    assert run("render", couette, "--format", "pdf").code == 0
    sent = run("send", couette)
    assert sent.code == 0, sent.err
    rows = _manifest(run, couette)
    variant_of = {(r["channel"], r["id"]): r["variant"] for r in rows}
    assert {v for (c, _), v in variant_of.items() if c != "none"} == {"A", "B"}
    # the e-mails: B's subject for B, the campaign's for A
    box = mailbox.Maildir(couette.parent / "out" / "maildir", create=False)
    subjects = {}
    for key in box.iterkeys():
        message = BytesParser(policy=policy.default).parsebytes(box.get_bytes(key))
        subjects[message["Message-ID"].split(".")[1]] = str(message["Subject"])
    assert len(subjects) == sum(1 for c, _ in variant_of if c == "email")
    for rid, subject in subjects.items():
        assert subject.startswith("Dernier rappel") == (variant_of[("email", rid)] == "B"), (rid, subject)
    # the letters, in print order: B's price and P.S. on B's letters, with B's coupon
    pdf = PdfReader(couette.parent / "out" / "letters" / "letters.pdf")
    audience = load_audience(load_campaign(couette))
    order = audience.reached("letter")
    texts = _letters(pdf, len(order))
    for (rid, variant), text in zip(zip(order[ID], order[VARIANT], strict=True), texts, strict=True):
        assert variant_of[("letter", rid)] == variant
        flat = " ".join(text.split())
        assert ("79,90" in flat) == (variant == "B") and ("89,90" in flat) == (variant == "A"), rid
        assert ("votre taie en lin vous attend" in flat) == (variant == "B"), rid


def _letters(pdf: PdfReader, count: int) -> list[str]:
    """Each letter's text: its pages up to the coupon, which carries the response code."""
    import re

    letters: list[str] = []
    pending = ""
    for page in pdf.pages:
        pending += "\n" + (page.extract_text() or "")
        if re.search(r"COUDOU\w{3}-C\d{5}-", pending):
            letters.append(pending)
            pending = ""
    assert len(letters) == count and not pending
    return letters


def test_the_split_cannot_change_after_a_print_run_but_the_copy_can(couette, run):
    _with(couette, AB)
    assert run("render", couette, "--format", "pdf").code == 0
    couette.write_text(couette.read_text(encoding="utf-8").replace("Dernier rappel", "Ultime rappel"))
    assert run("render", couette, "--format", "pdf").code == 0  # copy may be corrected
    couette.write_text(
        couette.read_text(encoding="utf-8")
        .replace("weight: 50%", "weight: 60%", 1)
        .replace("weight: 50%", "weight: 40%")
    )
    refused = run("render", couette, "--format", "pdf")
    assert refused.code == 2
    assert "already printed or sent with variants split as 'A 50% · B 50%'" in refused.err
    assert "'A 60% · B 40%'" in refused.err


def test_eml_and_mbox_renders_keep_the_sends_control_and_split(couette, run):
    """Issue 25, 10: `send` refused a changed control share, `render --format eml|mbox` wrote
    messages for former control members."""
    assert run("send", couette, "--limit", "5").code == 0
    text = couette.read_text(encoding="utf-8")
    assert "\ncontrol:" not in text
    couette.write_text(text.replace("\nlanguage:", "\ncontrol: 30%\nlanguage:", 1), encoding="utf-8")
    for fmt in ("eml", "mbox"):
        refused = run("render", couette, "--format", fmt)
        assert refused.code == 2, (fmt, refused.err)
        assert "a control group of 30% now would choose the baseline after the fact" in refused.err
        assert not (couette.parent / "out" / "emails").exists()
    couette.write_text(text, encoding="utf-8")  # the control group as it was sent: fine
    assert run("render", couette, "--format", "mbox").code == 0


def test_each_variant_is_linted_and_findings_name_the_variant(couette, run):
    block = AB.replace(
        'ps: "Répondez avant',
        'ps: "Il est possible que vous puissiez éventuellement envisager de peut-être répondre avant',
    )
    _with(couette, block)
    result = run("lint", couette, "--format", "json")
    findings = json.loads(result.out)
    lines = couette.read_text(encoding="utf-8").splitlines()
    ps_line = next(i for i, t in enumerate(lines, 1) if "Il est possible" in t)
    in_b = [f for f in findings if f["line"] == ps_line]
    assert in_b and all(f["variant"] == "B" and f["message"].endswith("(variante B)") for f in in_b)
    shared = [f for f in findings if f["line"] != ps_line]
    assert all(f["variant"] is None for f in shared)  # copy both variants share: reported once
    keys = [(f["rule"], f["path"], f["line"], f["column"]) for f in shared]
    assert len(keys) == len(set(keys))
    text = run("lint", couette)
    assert "(letter, variant A)" in text.out and "(letter, variant B)" in text.out


# --- the report, through a real print run -----------------------------------------------------------


def test_a_real_a_b_test_is_measured_by_the_report(tmp_path, run):
    """3,000 customers, letters A and B and a 10 % control, printed for real; responses drawn
    from the manifest at known rates (A 3 %, B 9 %, control 1 %, fixed seed); the report finds them."""
    import numpy as np
    from scipy.stats import binomtest

    rng = np.random.default_rng(11)
    n = 3000
    customers = pd.DataFrame(
        {
            "id": [f"K{i:05d}" for i in range(n)],
            "first_name": "Alex",
            "last_name": [f"Doe{i}" for i in range(n)],
            "address": "1 Main St",
            "postcode": "78701",
            "city": "Austin",
            "country": "US",
        }
    )
    customers.to_csv(tmp_path / "customers.csv", index=False)
    (tmp_path / "letter.md").write_text("Dear {{ first_name }},\n\nHere is our offer.\n\nDana Brooks\n")
    (tmp_path / "campaign.yaml").write_text(
        """\
name: Measured test
language: en
objective: sale
code: MEAS27
control: 10%
offer: {product: planner, price: 34, currency: USD}
target: {source: customers.csv}
sender: {name: Dana Brooks, address: [1 Main St, Austin TX 78701]}
costs: {letter: 1.0}
letter:
  date: 2026-11-22
  hook: "Discover the planner"
  body: letter.md
  coupon: false
variants:
  - {name: A, weight: 50%}
  - {name: B, weight: 50%, letter: {hook: "Discover the planner that plans with you"}}
""",
        encoding="utf-8",
    )
    campaign = tmp_path / "campaign.yaml"
    assert run("render", campaign, "--format", "pdf").code == 0
    rows = _manifest(run, campaign)
    rates = {"A": 0.03, "B": 0.09, "control": 0.01}
    drawn = [r for r in rows if rng.random() < rates[r["variant"]]]
    pd.DataFrame({"id": [r["id"] for r in drawn], "amount": "34,00 €", "date": "2026-12-10"}).to_csv(
        tmp_path / "orders.csv", sep=";", index=False
    )
    assert run("responses", "import", campaign, tmp_path / "orders.csv").code == 0
    report = json.loads(run("report", campaign, "--format", "json").out)
    by = {v["name"]: v for v in report["variants"]}
    for name, rate in rates.items():
        mailed = sum(1 for r in rows if r["variant"] == name)
        responded = sum(1 for r in drawn if r["variant"] == name)
        assert (by[name]["mailed"], by[name]["responses"]) == (mailed, responded)
        wilson = binomtest(responded, mailed).proportion_ci(confidence_level=0.95, method="wilson")
        assert (by[name]["ci_low"], by[name]["ci_high"]) == pytest.approx((wilson.low, wilson.high))
        # the true rate is recovered (a 95 % interval misses one time in twenty: checked at 99.9 %)
        wide = binomtest(responded, mailed).proportion_ci(confidence_level=0.999, method="wilson")
        assert wide.low < rate < wide.high, (name, responded, mailed)
        assert by[name]["revenue"] == pytest.approx(34.0 * responded)
    assert 1300 < by["A"]["mailed"] < 1400 and 1300 < by["B"]["mailed"] < 1400
    assert report["between_variants"]["significant"]


def test_the_preview_shows_each_recipient_their_variant(couette):
    from publipost.preview.page import recipient_page
    from publipost.preview.state import Preview

    _with(couette, AB)
    preview = Preview(couette)
    preview.load()
    loaded = preview.loaded
    assert loaded is not None
    audience = load_audience(load_campaign(couette))
    variants = dict(zip(audience.targeted[ID], audience.targeted[VARIANT], strict=True))
    seen = set()
    for rid in loaded.ids[:12]:
        recipient = preview.recipient(rid)
        if "email" not in recipient.channels:
            continue
        view = preview.email(recipient)
        assert view.subject.startswith("Dernier rappel") == (variants[rid] == "B")
        page = recipient_page(preview, loaded, recipient, couette.parent)
        assert f'<span id="variant">variant {variants[rid]}</span>' in page
        seen.add(variants[rid])
    assert seen == {"A", "B"}


def test_a_test_send_shows_every_variant(couette, run):
    _with(couette, AB)
    result = run("send", couette, "--test-to", "seed@example.com")
    assert result.code == 0, result.err
    box = mailbox.Maildir(couette.parent / "out" / "maildir", create=False)
    subjects = [
        plain(str(BytesParser(policy=policy.default).parsebytes(box.get_bytes(k))["Subject"]))
        for k in box.iterkeys()
    ]
    # issue 32, 9: each test message says which variant it shows, in its subject and in the output
    assert all(s.startswith(("[TEST A] ", "[TEST B] ")) for s in subjects)
    assert any(s.startswith("[TEST B] Dernier rappel") for s in subjects)
    assert any(s.startswith("[TEST A] Votre couette d'hiver") for s in subjects)
    assert re.search(r"\(A\)\s+→ seed@example\.com", result.out)
    assert re.search(r"\(B\)\s+→ seed@example\.com", result.out)


def test_envelopes_follow_the_variants_teasers(couette, run):
    _with(couette, AB)  # B changes the P.S., not the hook: one envelope serves every letter
    assert run("render", couette, "--format", "pdf").code == 0
    envelopes = couette.parent / "out" / "letters" / "envelopes-dl.pdf"
    assert len(PdfReader(envelopes).pages) == 1
    shutil.rmtree(couette.parent / "out")
    text = couette.read_text(encoding="utf-8")
    couette.write_text(
        text.replace("    letter:\n      ps:", "    letter:\n      hook: Dernière chance\n      ps:")
    )
    assert run("render", couette, "--format", "pdf").code == 0
    audience = load_audience(load_campaign(couette))
    order = audience.reached("letter")
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(envelopes).pages]
    assert len(pages) == len(order)  # one per letter, in print order, each with its variant's teaser
    for variant, page in zip(order[VARIANT], pages, strict=True):
        assert ("Dernière chance" in page) == (variant == "B")


def test_the_send_journal_holds_the_split_too_when_the_manifest_is_gone(couette, run):
    """Issue 28: one identity check (results/identity.py) for the manifest and the journal; the
    journal records the split as the manifest does, so a lost manifest does not let it move."""
    _with(couette, AB)
    assert run("send", couette, "--limit", "3").code == 0  # the others stay pending
    (couette.parent / "out" / "manifest.sqlite").unlink()
    couette.write_text(
        couette.read_text(encoding="utf-8")
        .replace("weight: 50%", "weight: 60%", 1)
        .replace("weight: 50%", "weight: 40%")
    )
    refused = run("send", couette)
    assert refused.code == 2
    assert "send-journal.sqlite" in refused.err
    assert "already printed or sent with variants split as 'A 50% · B 50%'" in refused.err
