"""`publipost domain check`: what the sending domain publishes."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
)
from publipost.errors import PublipostError

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="check the DNS records mailbox providers require of bulk senders"
    )
    check.add_argument(
        "target", metavar="CAMPAIGN|DOMAIN", help="a campaign file (its From and email.dkim), or a domain"
    )
    check.add_argument("--selector", help="the DKIM selector to look for (default: the campaign's)")
    check.set_defaults(run=cmd_domain_check)


def cmd_domain_check(args: argparse.Namespace) -> int:
    """Exit 1 when a record is missing or wrong, each said with what to publish."""
    from publipost.mailer.domain import check_domain, txt_lookup

    selector, signing, public = args.selector, None, None
    if args.target.endswith((".yaml", ".yml")) or Path(args.target).is_file():
        from publipost.api import load_campaign
        from publipost.channels.email import campaign_dkim_key
        from publipost.mailer.dkim import dns_record

        campaign = load_campaign(Path(args.target))
        if not campaign.sender.email:
            raise PublipostError(
                "this campaign has no sender.email: no domain to check", campaign.where(("sender",))
            )
        domain = campaign.sender.email.rsplit("@", 1)[1]
        key = campaign_dkim_key(campaign)
        if key is not None:
            selector, signing = selector or key.selector, key.domain
            pem = os.environ.get("PUBLIPOST_DKIM_KEY", "").encode() or (
                campaign.resolve(campaign.email.dkim.key_file).read_bytes()  # type: ignore[union-attr, arg-type]
            )
            public = dns_record(pem, key.selector, key.domain)[1].split("p=", 1)[1]
    else:
        domain = args.target.strip().lower().rstrip(".")
    try:
        report = check_domain(domain, txt_lookup(), selector=selector, dkim_domain=signing, public=public)
    except LookupError as exc:
        raise PublipostError(
            f"cannot ask DNS: {exc}", hint="check the network, or PUBLIPOST_DNS=host:port"
        ) from None
    print(f"domain     {report.domain}")
    for check in report.checks:
        print(f"  {'ok  ' if check.ok else 'FIX '} {check.what:<10} {check.said}")
    if not selector:
        print("  (no DKIM selector: give --selector, or check a campaign with email.dkim)")
    return EXIT_OK if report.ok else EXIT_PROBLEMS
