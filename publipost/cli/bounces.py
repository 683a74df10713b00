"""`publipost bounces import|review`: bounces and complaints read back into the store."""

from __future__ import annotations

import argparse

from publipost.cli.common import EXIT_OK
from publipost.cli.stores import (
    MAILBOX_HELP,
    STORE_HELP,
    existing_store,
    mailbox_arg,
    mailbox_source,
    note_unreadable,
    print_unreadable,
    store_of,
    unsubscribe_secret,
)
from publipost.errors import PublipostError
from publipost.store.db import Store, shown


def arguments(command: argparse.ArgumentParser) -> None:
    bounce_actions = command.add_subparsers(required=True, metavar="ACTION")
    read = bounce_actions.add_parser(
        "import", help="read bounces (RFC 3464 and older shapes) and complaints (ARF) from a Maildir or mbox"
    )
    read.add_argument("mailbox", type=mailbox_arg, metavar="MAILBOX", help=MAILBOX_HELP)
    read.add_argument(
        "--soft-limit", type=int, default=3, help="soft bounces that suppress an address (default: 3)"
    )
    read.add_argument("--store", help=STORE_HELP)
    read.set_defaults(run=cmd_bounces_import)
    review = bounce_actions.add_parser(
        "review", help="reports set aside, suppressing nobody: unproven, other addresses, unreadable"
    )
    review.add_argument("--store", help=STORE_HELP)
    review.set_defaults(run=cmd_bounces_review)


def cmd_bounces_import(args: argparse.Namespace) -> int:
    """Each message read alone, its effect stored at once, and remembered: the next import
    reads only what arrived since."""
    from publipost.store.bounces import Imported, read_report, store_report
    from publipost.store.mailboxes import mailbox_name, read_mailbox

    if args.soft_limit < 1:
        raise PublipostError("--soft-limit is at least 1", hint="e.g. --soft-limit 3")
    secret = unsubscribe_secret()
    done = Imported()
    name, source = "bounces:" + mailbox_name(args.mailbox), mailbox_source(args.mailbox)
    with Store(store_of(args)) as store:
        seen = store.seen(name)
        for mail in read_mailbox(args.mailbox, seen.__contains__):
            if mail.message is None:
                note_unreadable(store, mail.key, mail.problem, source, done.unreadable)
            else:
                try:
                    report = read_report(mail.message, mail.key)
                except Exception as exc:  # a hostile message (a header, a structure): this one alone
                    note_unreadable(
                        store, mail.key, f"cannot be read ({type(exc).__name__})", source, done.unreadable
                    )
                else:
                    store_report(
                        store, report, done, secret=secret, soft_limit=args.soft_limit, source=source
                    )
            store.mark_seen(name, [mail.key])
    read = ", ".join(f"{n} {kind}s" for kind, n in sorted(done.reports.items())) or "no reports"
    print(f"{args.mailbox}: {read}; {done.skipped} other messages skipped")
    suppressed = ", ".join(f"{n} by {reason}" for reason, n in sorted(done.suppressed.items()) if n)
    print(f"  suppressed now: {suppressed or 'none'}; already suppressed: {done.already}")
    if done.soft_counted:
        print(f"  soft bounces counted, under the limit of {args.soft_limit}: {done.soft_counted}")
    if done.reviewed:
        print(
            f"  {done.reviewed} addresses set aside, suppressing nobody: their report proves no message "
            "publipost sent them (see publipost bounces review)"
        )
    print_unreadable(done.unreadable)
    return EXIT_OK


def cmd_bounces_review(args: argparse.Namespace) -> int:
    """The reports that acted on nobody, and why: forged, forwarded, or older than signed IDs."""
    location = store_of(args)
    if (opened := existing_store(args, "nothing to review")) is None:
        return EXIT_OK
    with opened as store:
        items = store.reviews()
    print(f"store {shown(location)}: {len(items)} set aside for review")
    for item in items:
        who = item.shown or "(no address)"
        print(f"  {item.at[:10]}  {item.kind:<12} {who:<28} {item.reason}")
        print(f"              from {item.source}, message {item.message}")
    if items:
        print("  to suppress one by hand: publipost suppress add ADDRESS --reason 'hard bounce'")
    return EXIT_OK
