"""The legal gate reads what is sent (issue 25, 9): a campaign with no email.unsubscribe whose
copy holds the word only (a Jinja comment, "we never unsubscribe anyone") is stopped by lint, and,
lint skipped, each composed message without a way out is refused, never sent. A real link in the
copy passes. Real sends into a real SMTP server on 127.0.0.1; lint's findings read back."""

from __future__ import annotations

import pytest

from tests.smtpkit import ScriptedRelay, SmtpServer
from tests.test_send import CAMPAIGN, _campaign

pytestmark = pytest.mark.usefixtures("send_key")

NO_CONFIG = CAMPAIGN.split("  unsubscribe:\n")[0]
ADDRESSES = [f"r{n}@example.com" for n in range(5)]


@pytest.mark.parametrize(
    "extra",
    ["{# unsubscribe #}", "We never unsubscribe anyone, {{ first_name }}."],
    ids=["jinja-comment", "the-word-alone"],
)
def test_the_word_alone_is_no_way_out(tmp_path, run, extra):
    body_end = "    P.S. Order now: your gift ships free.\n"
    _campaign(tmp_path, ADDRESSES, NO_CONFIG.replace(body_end, f"{body_end}\n    {extra}\n"))
    handler = ScriptedRelay()
    with SmtpServer(handler) as server:
        linted = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", server.url)
        assert linted.code == 1 and "PP604 unsubscribe-missing" in linted.err
        forced = run(
            "send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", server.url, "--no-lint"
        )
    assert forced.code == 1
    assert sum(handler.queued.values()) == 0  # 0 of 5 sent
    failures = (tmp_path / "out" / "send-failures.csv").read_text()
    assert failures.count("offers no way to unsubscribe") == 5


def test_a_real_link_in_the_copy_is_a_way_out(tmp_path, run):
    body_end = "    P.S. Order now: your gift ships free.\n"
    link = "    [Unsubscribe](https://planora.example/leave?id={{ id }})\n"
    _campaign(tmp_path, ADDRESSES, NO_CONFIG.replace(body_end, f"{body_end}\n{link}"))
    handler = ScriptedRelay()
    with SmtpServer(handler) as server:
        result = run("send", tmp_path / "campaign.yaml", "--out", tmp_path / "out", "--smtp", server.url)
    assert result.code == 0, result.err
    assert sorted(handler.queued) == ADDRESSES
