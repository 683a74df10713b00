"""Issue 28: a channel is a unit. A toy SMS channel, written here and touching no module of
publipost, plugs in through the seams every channel uses: its campaign section (checked, a typo
refused with where), its reach (a row without a mobile number is accounted for), its copy
(merged, linted by a length rule of its own), its format (`sms.text`: `text` is the letter's
and the e-mail's too), its preview, and a transport of its own that writes to a local file,
sent with the journal: run again, or resumed after a crash, nobody gets a message twice. The
report counts what it sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from pydantic import BaseModel, ConfigDict, Field

from publipost.campaigns.sections import SectionKind, register_section, unregister_section
from publipost.channels import Channel, register, unregister
from publipost.channels.base import Delivery, Progress, RenderOptions, Written
from publipost.linter.document import LintDoc
from publipost.linter.rule import ONCE, Context, Hit, Rule, Weight
from publipost.linter.rules import register as register_rule
from publipost.linter.rules import unregister as unregister_rule
from publipost.mailer.journal import FAILED, IN_FLIGHT, SENT, Change, Journal
from publipost.mailer.smtp import Limits, NotComposed, Outgoing
from publipost.results.manifest import FILE, Manifest

# ---------------------------------------------------------------------------------------------
# The toy channel: what a team adding SMS would write, in one module of its own.

GSM_LIMIT = 160  # characters of one SMS in the GSM 03.38 alphabet (3GPP TS 23.038)
MOBILE = re.compile(r"^\+?\d{10,15}$")


class SmsSection(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1)
    sender_id: str = Field(default="PUBLIPOST", max_length=11)  # an alphanumeric sender: 11 at most


def _mobile(value: object) -> str:
    digits = re.sub(r"[\s.\-()]", "", str(value or ""))
    return digits if MOBILE.match(digits) else ""


class SmsReach:
    name, only, invalid = "sms", "sms only", None

    def problems(self, audience, campaign) -> pd.Series:
        frame = audience.frame
        if "mobile" not in frame:
            return pd.Series("no mobile column", index=frame.index)
        return frame["mobile"].map(lambda v: "" if _mobile(v) else "no mobile number").astype(str)


class FileTransport:
    """Writes each message as a line of the outbox: claimed in the journal first, the outcome
    recorded after, as the SMTP delivery does. `crash_after` messages, it dies between the claim
    and the write (as a killed process would)."""

    crash_after: ClassVar[int | None] = None

    def __init__(self, outbox: Path):
        self.outbox = outbox
        self.folder: Path | None = outbox.parent

    def __str__(self) -> str:
        return f"file:{self.outbox.name}"

    async def probe(self, timeout: float) -> None:
        self.outbox.parent.mkdir(parents=True, exist_ok=True)

    async def deliver(
        self,
        outgoing: Iterable[Outgoing],
        journal: Journal,
        limits: Limits,
        *,
        stop: asyncio.Event | None = None,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        written = 0
        with self.outbox.open("ab") as box:
            for job in outgoing:
                if stop is not None and stop.is_set():
                    return
                if not journal.apply([Change(job.id, IN_FLIGHT, "", True, claim=True)])[0]:
                    continue
                if FileTransport.crash_after is not None and written == FileTransport.crash_after:
                    raise RuntimeError("the SMS gateway process died")
                try:
                    data = job.data()
                except NotComposed as exc:
                    journal.apply([Change(job.id, FAILED, str(exc))])
                    status = FAILED
                else:
                    box.write(f"{job.recipient}\t".encode() + data + b"\n")
                    box.flush()
                    os.fsync(box.fileno())
                    journal.apply([Change(job.id, SENT, "written to the outbox")])
                    status, written = SENT, written + 1
                if progress:
                    progress(status, 1)


class SmsDelivery(Delivery):
    def __init__(self, prepared, out_dir: Path):
        super().__init__("sms")
        self.prepared, self.out_dir = prepared, out_dir
        self.sender = prepared.campaign.section("sms").sender_id

    def address(self, recipient) -> str:
        return _mobile(recipient.fields.get("mobile"))

    def message(self, recipient, test_to=None) -> bytes:
        merge = self.prepared.of(recipient).merge
        text = merge.render("sms.text", merge.context(recipient, "sms")).strip()
        return (("[TEST] " if test_to else "") + " ".join(text.split())).encode()

    @contextmanager
    def transport(self, relay, out_dir: Path) -> Iterator[FileTransport]:
        yield FileTransport(out_dir / "sms" / "outbox.txt")


class SmsChannel(Channel):
    name = "sms"
    plural = "SMS"
    formats = ("text",)
    produced = ()
    journal_file = "send-journal-sms.sqlite"

    def enabled(self, campaign) -> bool:
        return campaign.section("sms") is not None

    def reach(self) -> SmsReach:
        return SmsReach()

    def lint_documents(self, campaign, samples) -> list[LintDoc]:
        from publipost.linter.campaign import copy_unit

        doc = LintDoc(campaign.path, "sms", campaign.language, variant=campaign.variant_name)
        unit = copy_unit(campaign.copies.get("sms.text"), "body")
        doc.body = [unit] if unit else []
        doc.anchor = campaign.where(("sms",))
        doc.sources[campaign.path] = campaign.path.read_text(encoding="utf-8")
        return [doc]

    def render_one(self, prepared, recipient) -> bytes:
        return SmsDelivery(prepared, prepared.out_dir).message(recipient)

    def write(
        self, prepared, out_dir: Path, fmt: str, options: RenderOptions, progress: Progress | None = None
    ):
        target = out_dir / "sms"
        target.mkdir(parents=True, exist_ok=True)
        report = Written("sms", "SMS", target)
        for recipient in prepared.audience.recipients_of("sms"):
            (target / f"{recipient.id}.txt").write_bytes(self.render_one(prepared, recipient))
            report.written += 1
        return report

    def delivery(self, prepared, out_dir: Path, *, real: bool) -> SmsDelivery:
        return SmsDelivery(prepared, out_dir)


class SmsTooLong(Rule):
    """An SMS longer than one message (160 characters): it is split, billed twice, and may
    arrive in pieces. Merge fields count as ten characters."""

    code, name, severity, source = "SMS01", "sms-too-long", "warning", "3GPP TS 23.038"
    kinds = ("sms",)
    weight = Weight("structure", 1.0, ONCE)
    message = {
        "en": "an SMS of {n} characters (max {max}): it is sent and billed as two",
        "fr": "un SMS de {n} caractères (max {max}) : il part et se facture en deux",
    }
    explanation_fr = "Un SMS de plus de 160 caractères est découpé et facturé deux fois."

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        for unit in doc.body:
            n = len(re.sub(r"\{\{.*?\}\}", "x" * 10, unit.raw))
            if n > GSM_LIMIT:
                yield Hit.whole(unit, n=n, max=GSM_LIMIT)


@pytest.fixture
def sms():
    register_section(SectionKind("sms", SmsSection, ("text",)))
    register(SmsChannel())
    register_rule(SmsTooLong)
    FileTransport.crash_after = None
    yield
    unregister("sms")
    unregister_section("sms")
    unregister_rule("SMS01")


# ---------------------------------------------------------------------------------------------

CAMPAIGN = """\
name: Planner by SMS
language: en
objective: launch
offer: {product: Planora planner, price: 34, currency: USD}
target: {source: customers.csv}
sender: {name: Dana Brooks, company: Planora Inc.}
sms:
  sender_id: PLANORA
  text: "{{ first_name }}, the undated planner is out: {{ offer.price | money }}. Reply STOP to opt out."
"""

ROWS = [
    ("1", "Ann", "+1 512 555 0101"),
    ("2", "Bob", "+1 512 555 0102"),
    ("3", "Cid", ""),  # no mobile: accounted for, never sent
    ("4", "Dee", "+1 (512) 555-0104"),
    ("5", "Eve", "+15125550105"),
]


def _campaign(tmp_path: Path, campaign: str = CAMPAIGN) -> Path:
    lines = "".join(f"{rid},{name},Smith,{mobile}\n" for rid, name, mobile in ROWS)
    (tmp_path / "customers.csv").write_text("id,First Name,Last Name,Mobile\n" + lines)
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    return tmp_path / "campaign.yaml"


def _outbox(folder: Path) -> list[tuple[str, str]]:
    box = folder / "out" / "sms" / "outbox.txt"
    lines = box.read_text().splitlines() if box.exists() else []
    return [tuple(line.split("\t", 1)) for line in lines]  # type: ignore[misc]


def test_the_section_is_checked_like_the_campaign_s_own(sms, tmp_path, run):
    path = _campaign(tmp_path, CAMPAIGN.replace("  text:", "  txt:"))
    result = run("validate", path)
    assert result.code == 2
    assert "unknown key 'txt' in sms" in result.err and "campaign.yaml:9:3" in result.err
    assert "text" in result.err  # did you mean
    path.write_text(CAMPAIGN.replace("sender_id: PLANORA", "sender_id: PLANORA-PLANNERS"))
    result = run("validate", path)
    assert result.code == 2 and "sms.sender_id" in result.err and "11 characters" in result.err


def test_without_the_channel_registered_the_section_is_an_unknown_key(tmp_path, run):
    result = run("validate", _campaign(tmp_path))
    assert result.code == 2 and "unknown key 'sms' in the top level" in result.err


def test_validate_accounts_for_the_row_without_a_mobile(sms, tmp_path, run):
    result = run("validate", _campaign(tmp_path))
    assert result.code == 0, result.err
    rejects = (tmp_path / "out" / "rejects.csv").read_text()
    assert re.search(r"^4,.*no mobile number", rejects, re.MULTILINE), rejects  # row 4 of the file: id 3


def test_lint_reads_the_sms_with_its_own_rule(sms, tmp_path, run):
    path = _campaign(tmp_path)
    result = run("lint", path, "--format", "json")
    assert not [f for f in json.loads(result.out) if f["rule"] == "SMS01"]
    longer = CAMPAIGN.replace(
        "Reply STOP",
        "It plans your week with you, page after page, all year long, "
        "and it never runs out of dates. Reply STOP",
    )
    path.write_text(longer)
    result = run("lint", path, "--format", "json")
    hits = [f for f in json.loads(result.out) if f["rule"] == "SMS01"]
    assert len(hits) == 1, result.out
    assert hits[0]["line"] == 9 and "SMS of 167 characters" in hits[0]["message"]  # merge fields count ten
    assert run("lint", "--explain", "SMS01", "--lang", "fr").out.count("découpé") == 1


def test_render_names_the_channel_of_a_shared_format(sms, tmp_path, run):
    path = _campaign(tmp_path)
    result = run("render", path, "--format", "sms.text")
    assert result.code == 0, result.err
    assert (tmp_path / "out" / "sms" / "1.txt").read_text() == (
        "Ann, the undated planner is out: $34.00. Reply STOP to opt out."
    )
    assert sorted(p.name for p in (tmp_path / "out" / "sms").iterdir()) == [
        "1.txt",
        "2.txt",
        "4.txt",
        "5.txt",
    ]


def test_the_preview_shows_the_sms(sms, tmp_path):
    from publipost.preview.page import recipient_page
    from publipost.preview.state import Preview

    preview = Preview(_campaign(tmp_path))
    preview.load()
    assert preview.loaded is not None, preview.state
    page = recipient_page(preview, preview.loaded, preview.recipient("2"), tmp_path)
    assert 'id="channel-sms"' in page and "Bob, the undated planner is out: $34.00." in page


def test_sent_through_its_transport_with_the_journal_once_each(sms, tmp_path, run):
    path = _campaign(tmp_path)
    result = run("send", path, "--channel", "sms")
    assert result.code == 0, result.err
    assert "file:outbox.txt" in result.out
    sent = _outbox(tmp_path)
    assert sorted(to for to, _ in sent) == ["+15125550101", "+15125550102", "+15125550104", "+15125550105"]
    assert ("+15125550102", "Bob, the undated planner is out: $34.00. Reply STOP to opt out.") in sent
    again = run("send", path, "--channel", "sms")  # run again: nobody twice
    assert again.code == 0 and len(_outbox(tmp_path)) == 4
    with Manifest(tmp_path / "out" / FILE, create=False) as manifest:
        assert {rid: status for rid, (status, _) in manifest.outcomes("sms").items()} == dict.fromkeys(
            ["1", "2", "4", "5"], "sent"
        )
        assert manifest.outcomes("email") == {}


def test_a_dry_run_says_what_it_rendered(sms, tmp_path, run):
    result = run("send", _campaign(tmp_path), "--channel", "sms", "--dry-run")
    assert result.code == 0 and "dry run: 4 SMS rendered, nothing sent" in result.out
    assert not _outbox(tmp_path)


def test_a_crashed_sms_send_resumes_exactly(sms, tmp_path, run):
    path = _campaign(tmp_path)
    FileTransport.crash_after = 2  # dies holding the third recipient's claim
    with pytest.raises(RuntimeError, match="gateway"):
        run("send", path, "--channel", "sms")
    assert [to for to, _ in _outbox(tmp_path)] == ["+15125550101", "+15125550102"]
    FileTransport.crash_after = None
    result = run("send", path, "--channel", "sms")
    # the one the crash left in flight is uncertain: reported, not sent again blindly
    assert re.search(r"uncertain\s+1\b", result.out), result.out
    assert Counter(to for to, _ in _outbox(tmp_path)) == Counter(
        ["+15125550101", "+15125550102", "+15125550105"]
    )
    result = run("send", path, "--channel", "sms", "--retry-uncertain")
    assert result.code == 0, result.out + result.err
    assert Counter(to for to, _ in _outbox(tmp_path)) == Counter(
        ["+15125550101", "+15125550102", "+15125550104", "+15125550105"]
    )


def test_a_changed_sms_text_stops_a_resume(sms, tmp_path, run):
    path = _campaign(tmp_path)
    FileTransport.crash_after = 1
    with pytest.raises(RuntimeError):
        run("send", path, "--channel", "sms")
    FileTransport.crash_after = None
    path.write_text(CAMPAIGN.replace("is out", "is here"))
    result = run("send", path, "--channel", "sms")
    assert result.code == 2 and "sms.text changed" in result.err
    assert len(_outbox(tmp_path)) == 1


def test_the_report_counts_what_the_sms_sent(sms, tmp_path, run):
    pytest.importorskip("statsmodels")
    path = _campaign(tmp_path)
    assert run("send", path, "--channel", "sms").code == 0
    result = run("report", path, "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    channels = {c["name"]: c for c in report["channels"]}
    assert channels["sms"]["mailed"] == 4


def test_a_campaign_without_the_channel_cannot_send_it(sms, tmp_path, run):
    from tests.test_send import CAMPAIGN as EMAIL_CAMPAIGN

    (tmp_path / "customers.csv").write_text(
        "id,Title,First Name,Last Name,Email\n1,Ms,Ann,Smith,ann@example.com\n"
    )
    (tmp_path / "campaign.yaml").write_text(EMAIL_CAMPAIGN)
    result = run("send", tmp_path / "campaign.yaml", "--channel", "sms")
    assert result.code == 2 and "no sms channel that sends" in result.err
