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
    from publipost.mailer.message import Sender

    campaign = load_campaign(folder / "campaign.yaml")
    sender = Sender(campaign.sender.company or campaign.sender.name, campaign.sender.email)
    return MessageTemplate(sender, campaign.name, campaign.code, WHEN)


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


def test_quoted_printable_line_by_line_is_the_whole_texts_encoding_and_decodes_back():
    """Lines are encoded one at a time (and cached): the bytes of the whole text, within 76 columns."""
    import binascii
    import random

    from publipost.mailer.message import _part

    pieces = ["a", " ", "\t", "=", ".", "é", "From ", "\n", "x" * 80, "€", "\u202f", "--", "\r\n", "=20"]
    chance = random.Random(7)
    for _ in range(1500):
        text = "".join(chance.choice(pieces) for _ in range(chance.randint(0, 60))) + "\n"
        part = _part("plain", text)
        whole = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True).decode()
        encoded = part.partition("\r\n\r\n")[2]
        assert max(map(len, encoded.split("\r\n"))) <= 76  # RFC 2045 (binascii alone allows 78)
        if max(map(len, whole.split("\n"))) <= 76:
            assert encoded == whole.replace("\n", "\r\n"), repr(text)
        decoded = message_from_bytes(part.encode(), policy=policy.default).get_content()
        assert decoded.replace("\r\n", "\n") == text.replace("\r\n", "\n"), repr(text)


def test_html_in_pieces_decodes_to_their_concatenation_within_76_columns():
    """Template pieces are encoded apart and joined with soft breaks where a line would overflow."""
    import random

    from publipost.mailer.message import _part

    pieces = ["<p>", "a" * 30, " ", "\n", "=", "é€", "x" * 90, "</p>\n", "\t", "Name1", '<td style="a">']
    chance = random.Random(11)
    for _ in range(1500):
        chosen = tuple(
            "".join(chance.choice(pieces) for _ in range(chance.randint(0, 4)))
            for _ in range(chance.randint(1, 9))
        )
        part = _part("html", chosen)
        assert max(map(len, part.split("\r\n"))) <= 76, chosen
        decoded = message_from_bytes(part.encode(), policy=policy.default).get_content()
        assert decoded.replace("\r\n", "\n") == "".join(chosen), chosen


def test_subject_and_preheader_show_data_as_typed(tmp_path):
    """They are plain text: the Markdown escapes that keep data literal in the body must not print."""
    import textwrap

    from publipost.api import prepare
    from publipost.channels.email import Composer

    campaign = CAMPAIGN.replace(
        'subject: "Discover the new planner, {{ first_name }}"', 'subject: "#2 [A5] for {{ first_name }}"'
    ).replace("preheader: Undated pages for", 'preheader: "{{ first_name }}: #1 *planner*" #')
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    (tmp_path / "customers.csv").write_text(
        "id,First Name,Last Name,Email\n1,Mary_Kate [*],O'Hara,m@example.com\n"
    )
    prepared = prepare(tmp_path / "campaign.yaml")
    (recipient,) = list(prepared.audience)
    email = prepared.merge.email(recipient)
    assert email.subject == "#2 [A5] for Mary_Kate [*]"
    assert email.preheader == "Mary_Kate [*]: #1 *planner*"
    message = message_from_bytes(Composer(prepared, b"k" * 32).message(recipient), policy=policy.default)
    assert message["Subject"] == "#2 [A5] for Mary_Kate [*]"
    assert message.get_body(("plain",)).get_content().startswith("Mary_Kate [*]: #1 *planner*")
