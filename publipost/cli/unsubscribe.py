"""`publipost unsubscribe serve|import`: the one-click endpoint, and mailto unsubscribes."""

from __future__ import annotations

import argparse
from pathlib import Path

from publipost.cli.common import EXIT_OK
from publipost.cli.stores import (
    MAILBOX_HELP,
    STORE_HELP,
    mailbox_arg,
    mailbox_source,
    note_unreadable,
    print_unreadable,
    store_of,
    unsubscribe_secret,
)
from publipost.extras import needs
from publipost.store.db import Entry, Store, shown


def arguments(command: argparse.ArgumentParser) -> None:
    unsubscribe_actions = command.add_subparsers(required=True, metavar="ACTION")
    serve = unsubscribe_actions.add_parser(
        "serve", help="serve one-click unsubscribes (RFC 8058) into the store, behind your reverse proxy"
    )
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (the proxy forwards to it)")
    serve.add_argument("--port", type=int, default=8025, help="default: 8025")
    serve.add_argument("--store", help=STORE_HELP)
    serve.add_argument(
        "--spool",
        type=Path,
        help="where unsubscribes wait while the store cannot take them, replayed into it "
        "(default: unsubscribe-spool.jsonl in the user's publipost data folder)",
    )
    serve.set_defaults(run=cmd_serve)
    mailto = unsubscribe_actions.add_parser(
        "import", help="read unsubscribe e-mails (the mailto: of List-Unsubscribe) from a Maildir or mbox"
    )
    mailto.add_argument("mailbox", type=mailbox_arg, metavar="MAILBOX", help=MAILBOX_HELP)
    mailto.add_argument("--store", help=STORE_HELP)
    mailto.set_defaults(run=cmd_unsubscribe_import)


def cmd_serve(args: argparse.Namespace) -> int:
    needs("serve", "publipost unsubscribe serve")
    import uvicorn

    from publipost.unsubscribe.app import create_app

    secret, location = unsubscribe_secret(), store_of(args)
    Store(location).close()  # created, or checked to be a store, before the first request
    app = create_app(secret, location, args.spool)
    print(f"unsubscribe endpoint on http://{args.host}:{args.port}/ → store {shown(location)}")
    print("  GET shows a confirmation page; POST List-Unsubscribe=One-Click unsubscribes at once")
    print(f"  while the store cannot take a write: spooled to {app.state.writer.spool}, replayed")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def cmd_unsubscribe_import(args: argparse.Namespace) -> int:
    """The mailto variant: a message whose subject is "unsubscribe CODE KEY TOKEN" (what the
    List-Unsubscribe mailto asks mail clients to send), with a valid token. Each unsubscribe is
    stored as it is read: a message further on that cannot be read loses nothing before it."""
    import re

    from publipost.mailer.message import check_token
    from publipost.store.mailboxes import mailbox_name, read_mailbox

    secret = unsubscribe_secret()
    token = r"[0-9a-f]{32}|test-[0-9a-f]{27}"
    pattern = re.compile(rf"unsubscribe\s+([A-Z0-9]{{2,12}})\s+([0-9a-f]{{64}})\s+({token})")
    new = present = invalid = skipped = 0
    unreadable: list[tuple[str, str]] = []
    name, source = "unsubscribe:" + mailbox_name(args.mailbox), mailbox_source(args.mailbox)
    with Store(store_of(args)) as store:
        seen = store.seen(name)
        for mail in read_mailbox(args.mailbox, seen.__contains__):
            try:
                subject = str(mail.message.get("Subject", "")) if mail.message is not None else ""
            except Exception as exc:  # a header the parser cannot take: this message alone
                mail = type(mail)(mail.key, None, f"cannot be read ({type(exc).__name__})")
            if mail.message is None:
                note_unreadable(store, mail.key, mail.problem, source, unreadable)
            elif (found := pattern.search(subject)) is None:
                skipped += 1
            elif check_token(secret, found[1], found[2], found[3]) != "valid":
                invalid += 1
            else:
                added, there = store.add(
                    [Entry(found[2], "email", "unsubscribed", f"{found[1]}, mailto {mail.key}")]
                )
                new, present = new + added, present + there
            store.mark_seen(name, [mail.key])
    print(
        f"{args.mailbox}: {new} unsubscribed, {present} already, {invalid} with an invalid or test token, "
        f"{skipped} other messages skipped"
    )
    print_unreadable(unreadable)
    return EXIT_OK
