"""A channel is a unit: a third one, defined here, works through the core without touching it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from publipost.channels import Channel, RenderOptions, Written, register, unregister
from publipost.templates.merge import each_rendered
from tests.conftest import BASE_CSV


@dataclass(frozen=True)
class NameReach:
    """The toy channel reaches rows with a last name."""

    name: str = "json"
    only: str = "JSON only"
    invalid: str | None = None

    def problems(self, audience, campaign) -> pd.Series:
        frame = audience.frame
        return frame["last_name"].map(lambda v: "" if v else "no last name")


class JsonChannel(Channel):
    """One JSON file per recipient: the merged letter's parts, for another system to print."""

    name = "json"
    plural = "JSON files"
    formats = ("json",)

    def enabled(self, campaign) -> bool:
        return True

    def reach(self) -> NameReach:
        return NameReach()

    def render_one(self, prepared, recipient) -> str:
        letter = prepared.merge.letter(recipient)
        return json.dumps({"id": recipient.id, "address": letter.address, "body": letter.body})

    def write(self, prepared, out_dir: Path, fmt: str, options: RenderOptions, progress=None) -> Written:
        target = out_dir / "json"
        target.mkdir(parents=True, exist_ok=True)
        report = Written(self.name, self.plural, target)
        recipients = prepared.audience.recipients_of(self.name)
        for recipient, text in each_rendered(
            recipients, lambda r: self.render_one(prepared, r), report.failed
        ):
            (target / f"{recipient.id}.json").write_text(text, encoding="utf-8")
            report.written += 1
        return report


@pytest.fixture
def json_channel():
    register(JsonChannel())
    yield
    unregister("json")


def test_a_third_channel_is_accounted_for_rendered_and_reported(json_channel, campaign_dir, tmp_path, run):
    csv_text = BASE_CSV + "3;M.;Luc;;5 rue X;69001;Lyon;luc@exemple.fr\n"
    path = campaign_dir(csv=csv_text)
    result = run("validate", path, "--out", tmp_path / "out")
    # row 4 has no last name: no letter, no JSON file, so it is rejected with both reasons
    assert "letters 2 · JSON files 2" in result.out and "rejected           1" in result.out
    rendered = run("render", path, "--format", "json", "--out", tmp_path / "out")
    assert rendered.code == 0 and "2 JSON files written to" in rendered.out
    document = json.loads((tmp_path / "out" / "json" / "1.json").read_text())
    assert document["address"][0] == "Madame Jeanne Dupont" and "Bonjour Jeanne" in document["body"][0]
    assert (
        run("render", path, "--format", "pdf", "--out", tmp_path / "out").code == 0
    )  # the others still work


def test_a_format_no_channel_of_the_campaign_writes_is_a_clear_error(campaign_dir, run):
    result = run("render", campaign_dir(), "--format", "eml")
    assert result.code == 2 and "this campaign has no email to render as eml" in result.err


def test_zero_letters_is_a_clear_problem_not_a_traceback(tmp_path, run):
    """Issue 32, 1: no recipient with a usable postal address ended in pikepdf's JobUsageError."""
    import csv
    import shutil

    import pytest

    import publipost
    from publipost.errors import NothingToProduce
    from tests.conftest import EXAMPLES

    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    data = folder / "data" / "customers.csv"
    rows = list(csv.reader(data.open(encoding="utf-8")))
    for row in rows[1:]:
        row[5] = ""  # no street line anywhere
    with data.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    validated = run("validate", folder / "campaign.yaml")
    assert validated.code == 0
    assert "warning: no recipient gets the letter: postal address incomplete: no address1 (" in validated.err
    rendered = run("render", folder / "campaign.yaml", "--format", "pdf")
    assert rendered.code == 1 and "Traceback" not in rendered.err
    assert "no recipient has a usable postal address: nothing to print" in rendered.err
    with pytest.raises(NothingToProduce):
        publipost.render_letters(publipost.prepare(folder / "campaign.yaml"), tmp_path / "api")
    assert run("send", folder / "campaign.yaml").code == 0  # the e-mails still go


def test_a_format_two_channels_write_is_asked_for_by_channel(tmp_path, run):
    """Issue 28: `text` is the letter's and the e-mail's; `email.text` renders the e-mail's text
    of a campaign that has a letter too (it could not be asked for), `letter.text` the letter's."""
    import shutil

    from publipost import api
    from tests.conftest import EXAMPLES

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    emails = run("render", campaign, "--format", "email.text", "--out", tmp_path / "e")
    assert emails.code == 0 and "127 e-mail texts written to" in emails.out, emails.err
    texts = sorted((tmp_path / "e" / "emails").glob("*.txt"))
    assert len(texts) == 127 and texts[0].read_text(encoding="utf-8").startswith("Subject: Votre couette d")
    assert not (tmp_path / "e" / "letters").exists()
    letters = run("render", campaign, "--format", "letter.text", "--out", tmp_path / "l")
    plain = run("render", campaign, "--format", "text", "--out", tmp_path / "t")
    assert letters.code == plain.code == 0 and "127 letters written to" in letters.out
    assert sorted(p.name for p in (tmp_path / "l" / "letters").iterdir()) == sorted(
        p.name for p in (tmp_path / "t" / "letters").iterdir()
    )
    written = api.render(api.prepare(campaign), "email.text", tmp_path / "api")
    assert written.channel == "email" and written.written == 127
    with pytest.raises(SystemExit) as unknown:  # argparse's own refusal: exit 2, the choices listed
        run("render", campaign, "--format", "sms.text")
    assert unknown.value.code == 2
