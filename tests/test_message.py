"""Messages composed from the byte template parse back, with the email package, to exactly their inputs."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest

from publipost.campaigns.load import load_campaign
from publipost.mailer.message import MessageTemplate, Unsubscribe
from tests.test_send import CAMPAIGN

WHEN = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
CASES = [
    ("Ann Smith", "Discover the new planner", "Short.\n", "<p>Short.</p>"),
    (
        "Élodie d'Artagnan-Müller",
        "Découvrez « votre » cadeau, Élodie : 89,90 €\u202f!",
        "Café = 3 €\n\n",
        "<b>é</b>",
    ),
    (
        "O'Brien, Jr. (Sales)",
        "A subject " + "that goes on " * 12,
        "x" * 300 + "\n" + "From the start\n.\n",
        "<p>" + "long " * 80 + "</p>",
    ),
    (
        "Ünïcødé 山田",
        "山田さん、新しいプランナー",
        "trailing spaces   \nand tabs\t\nend",
        "<p>=3D not a code</p>",
    ),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("c")
    (folder / "customers.csv").write_text("id,Email\n1,a@example.com\n")
    (folder / "campaign.yaml").write_text(CAMPAIGN)
    return MessageTemplate(load_campaign(folder / "campaign.yaml"), WHEN)


@pytest.mark.parametrize(("name", "subject", "text", "html"), CASES)
def test_parses_back_identically(template, name, subject, text, html):
    unsubscribe = Unsubscribe(
        "https://planora.example/u?c=X&r=1&t=" + "a" * 32, "mailto:u@planora.example?subject=u", "t"
    )
    raw = template.build(
        to_name=name,
        to_address="ann@example.com",
        subject=subject,
        text=text,
        html=html,
        recipient_id="PL-1",
        unsubscribe=unsubscribe,
    )
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    message = message_from_bytes(raw, policy=policy.default)
    assert message.defects == []
    assert message["To"].addresses[0].display_name == name
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    assert message["Subject"] == " ".join(subject.split())
    assert message["From"].addresses[0].addr_spec == "dana@planora.example"
    assert message["Date"].datetime == WHEN
    assert message["Message-ID"].endswith("@planora.example>")
    assert message["List-Unsubscribe"].replace(" ", "") == f"<{unsubscribe.url}>,<{unsubscribe.mailto}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, rich = message.iter_parts()
    assert (plain.get_content_type(), rich.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content().replace("\r\n", "\n") == text.replace("\r\n", "\n")
    assert rich.get_content().replace("\r\n", "\n") == html


def test_newlines_in_data_cannot_add_headers(template):
    raw = template.build(
        to_name="Ann\r\nBcc: victim@example.net",
        to_address="ann@example.com",
        subject="Hi\nBcc: x@example.net",
        text="t",
        html="h",
        recipient_id="1",
        unsubscribe=None,
    )
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Bcc"] is None and message["List-Unsubscribe"] is None
    assert message["Subject"] == "Hi Bcc: x@example.net"
