"""Links and the call to action: real <a href> in e-mails, 'text (url)' in text parts, link
annotations and a QR code in letters, tracked links to the campaign's own sites."""

from __future__ import annotations

import re
import textwrap
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest

from publipost.api import prepare
from publipost.campaigns.code import derived_code as campaign_code
from publipost.channels.email import Composer
from publipost.templates.codes import response_code
from tests.test_send import CAMPAIGN

BODY = """\
    **Discover the new planner that plans your week with you**

    Your pages are **undated**. See [the inside pages](https://planora.example/pages?lang=en), \
<https://planora.example/faq> or https://other.example/review for a review.

    Write to <mailto:dana@planora.example> or call <tel:+15125550100>.

    Dana Brooks
    Founder

    P.S. Order now: your gift ships free.
"""


def _campaign(tmp_path, extra="", body=BODY):
    campaign = CAMPAIGN.replace(
        CAMPAIGN[CAMPAIGN.index("  body: |") : CAMPAIGN.index("  unsubscribe:")],
        "  body: |\n" + textwrap.indent(textwrap.dedent(body), "    "),
    )
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign) + extra)
    (tmp_path / "customers.csv").write_text("id,First Name,Last Name,Email\nC1,Ann,Smith,ann@example.com\n")
    return tmp_path / "campaign.yaml"


def _message(path):
    prepared = prepare(path)
    (recipient,) = list(prepared.audience)
    data = Composer(prepared, b"k" * 32).message(recipient)
    message = message_from_bytes(data, policy=policy.default)
    return message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()


CTA = "cta:\n  label: Order your planner\n  url: https://planora.example/launch\n"


def test_links_in_the_html_and_the_text_part_tracked_to_our_sites(tmp_path):
    html, text = _message(_campaign(tmp_path, CTA))
    hrefs = re.findall(r'<a href="([^"]+)"', html)
    ref = response_code(campaign_code("Test e-mail"), "C1")
    pages = next(h for h in hrefs if "/pages" in h).replace("&amp;", "&")
    query = parse_qs(urlsplit(pages).query)
    assert query == {
        "lang": ["en"],
        "utm_source": ["publipost"],
        "utm_medium": ["email"],
        "utm_campaign": [campaign_code("Test e-mail")],
        "ref": [ref],
    }
    assert "https://other.example/review" in hrefs  # not ours: left as it is
    assert "mailto:dana@planora.example" in hrefs and "tel:+15125550100" in hrefs
    assert ">the inside pages</a>" in html and "[the inside pages]" not in html
    # the text part: the link's text, then its URL, never cut across lines
    assert "the inside pages (https://planora.example/pages?lang=en&utm_source=publipost" in " ".join(
        text.split()
    )
    assert any(
        line.strip().startswith("(https://planora.example/pages?lang=en&utm_source")
        for line in text.splitlines()
    ) or ("the inside pages (https://planora.example/pages" in text)
    for url in re.findall(r"https?://\S+", text):
        assert url.rstrip(").,") in text.replace("\n", " ")  # whole on one line
    # the call to action: a button after the body, before the P.S.; a line in the text part
    button = html.index(">Order your planner</a>")
    assert html.index("undated") < button < html.index("Order now: your gift")
    assert (
        "Order your planner: https://planora.example/launch?utm_source=publipost&utm_medium=email&utm_campaign="
        in text
    )
    assert f"&ref={ref}" in text


def test_tracking_can_be_turned_off(tmp_path):
    html, text = _message(_campaign(tmp_path, CTA + "links:\n  track: false\n"))
    assert "utm_" not in html and "utm_" not in text
    assert 'href="https://planora.example/launch"' in html


def test_no_cta_no_button(tmp_path):
    html, _ = _message(_campaign(tmp_path))
    assert "Order your planner" not in html and "cta_url" not in html


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("[x](javascript:alert(1))", "uses 'javascript:': links may be https, http, mailto or tel"),
        ("[x](ftp://planora.example/f)", "uses 'ftp:'"),
        ("[x](https://planora.example/a b)", "has a space in its URL"),
        ("[x](www.planora.example)", "has no scheme: write https://www.planora.example"),
    ],
)
def test_a_link_nobody_can_follow_is_an_error_at_validate(tmp_path, run, link, message):
    path = _campaign(tmp_path, body=BODY.replace("or call <tel:+15125550100>", f"or see {link}"))
    result = run("validate", path)
    assert result.code == 2 and message in result.err
    assert re.search(r"campaign\.yaml:\d+:\d+: email\.body: ", result.err)


def test_a_field_in_a_link_is_the_recipients_value_escaped(tmp_path):
    body = BODY.replace(
        "(https://planora.example/pages?lang=en)", "(https://planora.example/pages?c={{ id }})"
    )
    html, _ = _message(_campaign(tmp_path, body=body))
    assert 'href="https://planora.example/pages?c=C1&amp;utm_source=publipost' in html


def test_the_letter_prints_links_readably_annotates_them_and_a_qr_of_the_cta(campaign_dir, tmp_path, run):
    import pypdf
    import pypdfium2
    import zxingcpp

    from tests.conftest import BASE_CAMPAIGN

    campaign = BASE_CAMPAIGN + (
        "cta:\n  label: Commandez votre couette\n  url: https://literie-martin.example/couette\n"
    ).replace("  place: Lyon", "  place: Lyon")
    campaign = campaign.replace("  place: Lyon", "  place: Lyon\n  email: claire@literie-martin.example")
    letter = "**Découvrez votre cadeau**\n\nBonjour {{ first_name }}, voyez [nos tailles](https://literie-martin.example/tailles).\n"
    path = campaign_dir(campaign, letter=letter)
    assert run("render", path, "--format", "pdf", "--out", tmp_path / "out").code == 0
    pdf = tmp_path / "out" / "letters" / "letters.pdf"
    first = pypdf.PdfReader(pdf).pages[0]
    text = " ".join(first.extract_text().split())
    assert "nos tailles (literie-martin.example/tailles)" in text  # readable on paper
    assert "Commandez votre couette" in text and "literie-martin.example/couette" in text
    uris = [a.get_object()["/A"]["/URI"] for a in first["/Annots"]]
    ref = response_code(campaign_code("Test campaign"), "1")
    assert uris == [
        "https://literie-martin.example/tailles?utm_source=publipost&utm_medium=letter"
        f"&utm_campaign={campaign_code('Test campaign')}&ref={ref}"
    ]
    image = pypdfium2.PdfDocument(str(pdf))[0].render(scale=3).to_pil()
    decoded = sorted(barcode.text for barcode in zxingcpp.read_barcodes(image))
    code = campaign_code("Test campaign")
    cta = f"https://literie-martin.example/couette?utm_source=publipost&utm_medium=letter&utm_campaign={code}"
    assert f"{cta}&ref={ref}" in decoded
    assert ref in decoded  # the coupon's response code, as before
