"""`publipost dkim keygen|dns`: a signing key and the record that publishes it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
    shown_path,
)
from publipost.errors import PublipostError, Where

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(required=True, metavar="ACTION")
    keygen = actions.add_parser("keygen", help="a new signing key (0600) and the TXT record to publish")
    dns = actions.add_parser("dns", help="the TXT record that publishes an existing key")
    for action in (keygen, dns):
        action.add_argument("--domain", required=True, help="the signing domain (d=), the From's domain")
        action.add_argument("--selector", required=True, help="the selector (s=), e.g. s2026")
    keygen.add_argument("--type", choices=["rsa", "ed25519"], default="rsa", help="default: rsa (2048 bits)")
    keygen.add_argument("--out", type=Path, default=Path("dkim.pem"), help="the key file (default: dkim.pem)")
    dns.add_argument("key", type=Path, metavar="KEY", help="the PEM key file")
    keygen.set_defaults(run=cmd_dkim_keygen)
    dns.set_defaults(run=cmd_dkim_dns)


def cmd_dkim_keygen(args: argparse.Namespace) -> int:
    """The key is written with 0600 and never printed; an existing file is never overwritten."""
    from publipost.mailer.dkim import dns_record, generate

    if args.out.exists():
        raise PublipostError(
            "this file exists: a key is never overwritten", Where(args.out), "give --out another file"
        )
    pem = generate(args.type)
    name, value = dns_record(pem, args.selector, args.domain)  # checked before it is written
    args.out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    print(f"key written to {shown_path(args.out)} (mode 0600; email.dkim.key_file, or PUBLIPOST_DKIM_KEY)")
    print(f"publish this TXT record, then sign with selector {args.selector}:")
    print(f'{name}. IN TXT "{value}"')
    return EXIT_OK


def cmd_dkim_dns(args: argparse.Namespace) -> int:
    from publipost.mailer.dkim import dns_record

    if not args.key.is_file():
        raise PublipostError(
            "key file not found", Where(args.key), "give the PEM file email.dkim.key_file names"
        )
    name, value = dns_record(args.key.read_bytes(), args.selector, args.domain)
    print(f'{name}. IN TXT "{value}"')
    return EXIT_OK
