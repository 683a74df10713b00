"""`publipost domain check`: the records Gmail and Yahoo require of bulk senders, asked of a DNS
server on 127.0.0.1 serving a test zone (PUBLIPOST_DNS), never a real resolver (issue 27, 5)."""

from __future__ import annotations

import re

import pytest

from tests.dnskit import DnsServer
from tests.test_send import CAMPAIGN, _campaign


@pytest.fixture
def signed_campaign(tmp_path, run):
    made = run(
        "dkim", "keygen", "--domain", "planora.example", "--selector", "s2027", "--out", tmp_path / "dkim.pem"
    )
    assert made.code == 0, made.err
    record = re.search(r'IN TXT "([^"]+)"', made.out).group(1)
    _campaign(
        tmp_path, ["ann@example.com"], CAMPAIGN + "  dkim:\n    selector: s2027\n    key_file: dkim.pem\n"
    )
    return tmp_path / "campaign.yaml", record


def test_a_domain_that_publishes_everything(signed_campaign, run, monkeypatch):
    campaign, record = signed_campaign
    zone = {
        "s2027._domainkey.planora.example": [record],
        "planora.example": ["v=spf1 include:relay.planora.example -all", "google-site-verification=x"],
        "_dmarc.planora.example": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@planora.example"],
    }
    with DnsServer(zone) as server:
        monkeypatch.setenv("PUBLIPOST_DNS", server.address)
        result = run("domain", "check", campaign)
    assert result.code == 0, result.out + result.err
    assert "ok   DKIM       key published at s2027._domainkey.planora.example" in result.out
    assert "ok   SPF        v=spf1 include:relay.planora.example -all" in result.out
    assert "ok   DMARC      policy p=quarantine" in result.out
    assert "ok   alignment  d=planora.example and From @planora.example" in result.out
    assert "s2027._domainkey.planora.example" in server.asked  # the test zone was asked, nothing else


def test_missing_and_wrong_records_are_named_with_what_to_publish(
    signed_campaign, run, monkeypatch, tmp_path
):
    campaign, _ = signed_campaign
    other = run(
        "dkim", "keygen", "--domain", "planora.example", "--selector", "s2027", "--out", tmp_path / "o.pem"
    )
    stale = re.search(r'IN TXT "([^"]+)"', other.out).group(1)  # another key under our selector
    zone = {
        "s2027._domainkey.planora.example": [stale],
        "planora.example": ["v=spf1 +all"],
    }
    with DnsServer(zone) as server:
        monkeypatch.setenv("PUBLIPOST_DNS", server.address)
        result = run("domain", "check", campaign)
        bare = run("domain", "check", "planora.example")
    assert result.code == 1
    assert "FIX  DKIM       the key at s2027._domainkey.planora.example is not the campaign's" in result.out
    assert "FIX  SPF        v=spf1 +all (it ends without -all or ~all" in result.out
    assert "FIX  DMARC      no policy at _dmarc.planora.example" in result.out
    assert bare.code == 1 and "no DKIM selector" in bare.out


@pytest.mark.slow  # several processes, or a timeout waited for: CI runs it
def test_an_unanswering_resolver_is_a_clear_error(run, monkeypatch):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        monkeypatch.setenv("PUBLIPOST_DNS", f"127.0.0.1:{silent.getsockname()[1]}")
        result = run("domain", "check", "planora.example")
    assert result.code == 2 and "cannot ask DNS" in result.err


def test_validate_says_whether_the_signature_aligns_with_from(signed_campaign, run, tmp_path):
    """Issue 27: `validate` says whether the DKIM signature aligns with the From domain."""
    campaign, _ = signed_campaign
    checked = run("validate", campaign, "--lang", "en")
    assert checked.code == 0, checked.err
    assert "dkim       d=planora.example (selector s2027), aligned with From @planora.example" in checked.out
    text = campaign.read_text(encoding="utf-8")
    elsewhere = "    selector: s2027\n    domain: mailer.example\n"
    campaign.write_text(text.replace("    selector: s2027\n", elsewhere))
    other = run("validate", campaign, "--lang", "en").out
    assert "d=mailer.example (selector s2027) is NOT aligned with From @planora.example: DMARC fails" in other
    campaign.write_text(text.replace("  dkim:\n    selector: s2027\n    key_file: dkim.pem\n", ""))
    unsigned = run("validate", campaign, "--lang", "en")
    assert "dkim       none: the e-mails go unsigned; set email.dkim" in unsigned.out
