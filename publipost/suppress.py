"""The commands that keep the suppression store: `publipost suppress …`, `publipost unsubscribe …`
and `publipost bounces import`. cli.py lists them; their arguments are
defined here, built only when one of them runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from publipost.errors import PublipostError
from publipost.store.db import REASONS, Entry, Store, shown

EXIT_OK, EXIT_PROBLEMS = 0, 1
MAILBOX_HELP = (
    "a Maildir folder, an mbox file, or imaps://USER@HOST[:PORT]/FOLDER (password: PUBLIPOST_IMAP_PASSWORD)"
)


def _mailbox(value: str) -> Path | str:
    return value if value.startswith("imaps://") else Path(value)


STORE_HELP = "the store: a SQLite file or a postgresql:// URL (default: PUBLIPOST_STORE or config)"


def suppress_arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(required=True, metavar="ACTION")

    add = actions.add_parser("add", help="suppress e-mail addresses by hand")
    add.add_argument("addresses", nargs="+", metavar="ADDRESS")
    add.add_argument("--reason", choices=REASONS, default="manual", help="default: manual")
    add.add_argument("--source", default="by hand", help="where the request came from (default: by hand)")
    add.add_argument("--store", help=STORE_HELP)
    add.set_defaults(run=cmd_add)

    remove = actions.add_parser("remove", help="lift the suppression of e-mail addresses")
    remove.add_argument("addresses", nargs="+", metavar="ADDRESS")
    remove.add_argument("--store", help=STORE_HELP)
    remove.set_defaults(run=cmd_remove)

    imported = actions.add_parser(
        "import", help="suppress the addresses in files (CSV/XLSX: other tools' unsubscribe lists)"
    )
    imported.add_argument("files", type=Path, nargs="+", metavar="FILE")
    imported.add_argument("--reason", choices=REASONS, default="unsubscribed", help="default: unsubscribed")
    imported.add_argument("--store", help=STORE_HELP)
    imported.set_defaults(run=cmd_import)

    check = actions.add_parser("check", help="is this address suppressed, why and since when")
    check.add_argument("addresses", nargs="+", metavar="ADDRESS")
    check.add_argument("--store", help=STORE_HELP)
    check.set_defaults(run=cmd_check)

    export = actions.add_parser(
        "export", help="the rows of a file you supply whose addresses are suppressed (the store keeps hashes)"
    )
    export.add_argument("--match", type=Path, required=True, metavar="FILE", help="a customer file")
    export.add_argument("--output", type=Path, help="write CSV here (default: standard output)")
    export.add_argument("--store", help=STORE_HELP)
    export.set_defaults(run=cmd_export)

    stats = actions.add_parser("stats", help="entries by channel and reason")
    stats.add_argument("--store", help=STORE_HELP)
    stats.set_defaults(run=cmd_stats)


def unsubscribe_arguments(command: argparse.ArgumentParser) -> None:
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
    mailto.add_argument("mailbox", type=_mailbox, metavar="MAILBOX", help=MAILBOX_HELP)
    mailto.add_argument("--store", help=STORE_HELP)
    mailto.set_defaults(run=cmd_unsubscribe_import)


def bounces_arguments(command: argparse.ArgumentParser) -> None:
    bounce_actions = command.add_subparsers(required=True, metavar="ACTION")
    read = bounce_actions.add_parser(
        "import", help="read bounces (RFC 3464 and older shapes) and complaints (ARF) from a Maildir or mbox"
    )
    read.add_argument("mailbox", type=_mailbox, metavar="MAILBOX", help=MAILBOX_HELP)
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


def _location(args: argparse.Namespace) -> str:
    from publipost.store.config import store_location

    return args.store if args.store else store_location()[0]


def _email_keys(addresses: list[str]) -> list[tuple[str, str]]:
    """(address as given, key): every address checked before anything is written."""
    from publipost.campaigns.emails import check_email
    from publipost.store.keys import email_key

    keys, bad = [], []
    for given in addresses:
        address, problem = check_email(given)
        key = email_key(address) if address else None
        if key is None:
            bad.append(f"'{given}': {problem or 'not an e-mail address'}")
        else:
            keys.append((given, key))
    if bad:
        raise PublipostError("; ".join(bad), hint="nothing was changed: correct the addresses, run it again")
    return keys


def cmd_add(args: argparse.Namespace) -> int:
    keys = _email_keys(args.addresses)
    with Store(_location(args)) as store:
        new, present = store.add(Entry(key, "email", args.reason, args.source) for _, key in keys)
    print(f"{new} added, {present} already suppressed ({shown(_location(args))})")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    keys = _email_keys(args.addresses)
    location = _location(args)
    if not _exists(location):
        print(f"0 removed: the store {location} does not exist yet")
        return EXIT_OK
    with Store(location) as store:
        removed = store.remove((key for _, key in keys), "email")
    print(f"{removed} removed, {len(keys) - removed} were not suppressed")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Every file read and checked first (a bad row stops everything, exit 2, with its row)."""
    from publipost.campaigns.suppression import read_suppression
    from publipost.errors import Where
    from publipost.store.keys import email_key, postal_hash

    for path in args.files:
        _exists_file(path)
    listings = [read_suppression(path, None, Where(path)) for path in args.files]
    with Store(_location(args)) as store:
        for listing in listings:
            entries = [
                Entry(key, "email", args.reason, listing.path.name)
                for address in sorted(listing.keys.get("email", set()))
                if (key := email_key(address))
            ]
            entries += [
                Entry(key, "postal", args.reason, listing.path.name)
                for text in sorted(listing.keys.get("address", set()))
                if (key := postal_hash(text))
            ]
            new, present = store.add(entries)
            print(f"{listing.path}: {listing.entries} rows, {new} new, {present} already suppressed")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 1 when one of the addresses is suppressed (a script can ask before mailing by hand)."""
    keys = _email_keys(args.addresses)
    location = _location(args)
    found: dict[str, Entry] = {}
    if _exists(location):
        with Store(location) as store:
            found = store.find((key for _, key in keys), "email")
    for given, key in keys:
        entry = found.get(key)
        if entry:
            print(f"{given}: suppressed: {entry.reason} on {entry.at[:10]} ({entry.source})")
        else:
            print(f"{given}: not suppressed")
    return EXIT_PROBLEMS if found else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """The store holds hashes only: the plain list is the marketer's own file, filtered."""
    import pandas as pd

    from publipost.campaigns.emails import check_email
    from publipost.campaigns.fields import map_headers
    from publipost.campaigns.suppression import POSTAL_FIELDS
    from publipost.campaigns.table import ROW, read_table
    from publipost.csvout import write_csv
    from publipost.errors import Where
    from publipost.store.keys import email_key, postal_key

    _exists_file(args.match)
    table = read_table(args.match)
    columns = [c for c in table.frame.columns if c != ROW]
    frame = table.frame.rename(columns=map_headers(columns, {}, Where(args.match)))
    location = _location(args)
    hit = pd.Series(False, index=frame.index)
    reasons = pd.Series("", index=frame.index)
    if _exists(location):
        with Store(location) as store:
            if "email" in frame:
                keys = frame["email"].astype(str).map(lambda a: email_key(check_email(a)[0] or ""))
                found = store.find(keys.dropna(), "email")
                reasons = keys.map(lambda k: _said(found.get(k)) if k else "")
            if all(n in frame for n in POSTAL_FIELDS):
                parts = zip(*(frame[n].astype(str) for n in POSTAL_FIELDS), strict=True)
                postal = pd.Series([postal_key(p) for p in parts], index=frame.index)
                found = store.find(postal.dropna(), "postal")
                more = postal.map(lambda k: _said(found.get(k)) if k else "")
                reasons = reasons.where(reasons != "", more)
        hit = reasons != ""
    listed = table.frame.loc[hit, columns].copy()
    listed.insert(0, "suppressed", reasons[hit])
    header = ["suppressed", *columns]
    rows = listed.astype(str).values.tolist()
    if args.output:
        write_csv(args.output, header, rows, separator=table.separator or ",")
        print(f"{len(rows)} of {len(frame)} rows suppressed, written to {args.output}", file=sys.stderr)
    else:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        from publipost.csvout import cell

        writer.writerow(header)
        writer.writerows([cell(v) for v in row] for row in rows)
    return EXIT_OK


def _said(entry: Entry | None) -> str:
    return f"{entry.reason} on {entry.at[:10]} ({entry.source})" if entry else ""


def _existing(args: argparse.Namespace, nothing: str) -> Store | None:
    """The store, or None (said) when it does not exist yet: a look creates no store."""
    location = _location(args)
    if not _exists(location):
        print(f"store {location}: does not exist yet ({nothing})")
        return None
    return Store(location)


def cmd_stats(args: argparse.Namespace) -> int:
    location = _location(args)
    if (opened := _existing(args, "nothing suppressed")) is None:
        return EXIT_OK
    with opened as store:
        counts, soft = store.stats(), store.soft_counts()
    print(f"store {shown(location)}")
    for channel in ("email", "postal"):
        total = sum(n for (c, _), n in counts.items() if c == channel)
        parts = ", ".join(f"{reason} {n}" for (c, reason), n in sorted(counts.items()) if c == channel)
        print(f"  {channel:<7}{total:>9}" + (f"   {parts}" if parts else ""))
    print(f"  addresses with soft bounces counted: {soft}")
    return EXIT_OK


def _exists_file(path: Path) -> None:
    from publipost.errors import Where

    if not path.is_file():
        raise PublipostError("file not found", Where(path), "give the path of a CSV or XLSX file")


def _exists(location: str) -> bool:
    from publipost.store.db import is_url

    return is_url(location) or Path(location).exists()


def _secret() -> bytes:
    import os

    from publipost.mailer.message import MIN_SECRET_BYTES, SECRET_VARIABLE

    value = os.environ.get(SECRET_VARIABLE, "").encode()
    if len(value) < MIN_SECRET_BYTES:
        raise PublipostError(
            f"{SECRET_VARIABLE} must hold the key the campaigns were sent with (at least "
            f"{MIN_SECRET_BYTES} bytes)" + ("; it is not set" if not value else f"; it holds {len(value)}"),
            hint="set it in the endpoint's environment, the same value as where you run publipost send",
        )
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from publipost.unsubscribe.app import create_app

    secret, location = _secret(), _location(args)
    Store(location).close()  # created, or checked to be a store, before the first request
    app = create_app(secret, location, args.spool)
    print(f"unsubscribe endpoint on http://{args.host}:{args.port}/ → store {shown(location)}")
    print("  GET shows a confirmation page; POST List-Unsubscribe=One-Click unsubscribes at once")
    print(f"  while the store cannot take a write: spooled to {app.state.writer.spool}, replayed")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def _source(mailbox: Path | str) -> str:
    return mailbox.name if isinstance(mailbox, Path) else str(mailbox).rsplit("/", 1)[-1]


def _unreadable(store: Store, key: str, why: str, source: str, done: list[tuple[str, str]]) -> None:
    """A message that could not be read: listed now, set aside for review, never a traceback."""
    from publipost.store.db import Review

    done.append((key, why))
    store.to_review([Review(key, "", "unreadable", "", why, source)])


def _print_unreadable(unreadable: list[tuple[str, str]]) -> None:
    if not unreadable:
        return
    print(f"  {len(unreadable)} messages could not be read (set aside; see publipost bounces review):")
    for key, why in unreadable[:10]:
        print(f"    {key}: {why}")
    if len(unreadable) > 10:
        print(f"    … and {len(unreadable) - 10} more")


def cmd_unsubscribe_import(args: argparse.Namespace) -> int:
    """The mailto variant: a message whose subject is "unsubscribe CODE KEY TOKEN" (what the
    List-Unsubscribe mailto asks mail clients to send), with a valid token. Each unsubscribe is
    stored as it is read: a message further on that cannot be read loses nothing before it."""
    import re

    from publipost.mailer.message import check_token
    from publipost.store.mailboxes import mailbox_name, read_mailbox

    secret = _secret()
    token = r"[0-9a-f]{32}|test-[0-9a-f]{27}"
    pattern = re.compile(rf"unsubscribe\s+([A-Z0-9]{{2,12}})\s+([0-9a-f]{{64}})\s+({token})")
    new = present = invalid = skipped = 0
    unreadable: list[tuple[str, str]] = []
    name, source = "unsubscribe:" + mailbox_name(args.mailbox), _source(args.mailbox)
    with Store(_location(args)) as store:
        seen = store.seen(name)
        for mail in read_mailbox(args.mailbox, seen.__contains__):
            try:
                subject = str(mail.message.get("Subject", "")) if mail.message is not None else ""
            except Exception as exc:  # a header the parser cannot take: this message alone
                mail = type(mail)(mail.key, None, f"cannot be read ({type(exc).__name__})")
            if mail.message is None:
                _unreadable(store, mail.key, mail.problem, source, unreadable)
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
    _print_unreadable(unreadable)
    return EXIT_OK


def cmd_bounces_import(args: argparse.Namespace) -> int:
    """Each message read alone, its effect stored at once, and remembered: the next import
    reads only what arrived since."""
    from publipost.store.bounces import Imported, read_report, store_report
    from publipost.store.mailboxes import mailbox_name, read_mailbox

    if args.soft_limit < 1:
        raise PublipostError("--soft-limit is at least 1", hint="e.g. --soft-limit 3")
    secret = _secret()
    done = Imported()
    name, source = "bounces:" + mailbox_name(args.mailbox), _source(args.mailbox)
    with Store(_location(args)) as store:
        seen = store.seen(name)
        for mail in read_mailbox(args.mailbox, seen.__contains__):
            if mail.message is None:
                _unreadable(store, mail.key, mail.problem, source, done.unreadable)
            else:
                try:
                    report = read_report(mail.message, mail.key)
                except Exception as exc:  # a hostile message (a header, a structure): this one alone
                    _unreadable(
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
    _print_unreadable(done.unreadable)
    return EXIT_OK


def cmd_bounces_review(args: argparse.Namespace) -> int:
    """The reports that acted on nobody, and why: forged, forwarded, or older than signed IDs."""
    location = _location(args)
    if (opened := _existing(args, "nothing to review")) is None:
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
