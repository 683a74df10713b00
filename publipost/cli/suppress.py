"""`publipost suppress …`: who is never mailed again, across campaigns."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from publipost.cli.common import EXIT_OK, EXIT_PROBLEMS
from publipost.cli.stores import (
    STORE_HELP,
    email_keys,
    entry_said,
    existing_store,
    exists_file,
    store_exists,
    store_of,
)
from publipost.store.db import REASONS, Entry, Store, shown


def arguments(command: argparse.ArgumentParser) -> None:
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


def cmd_add(args: argparse.Namespace) -> int:
    keys = email_keys(args.addresses)
    with Store(store_of(args)) as store:
        new, present = store.add(Entry(key, "email", args.reason, args.source) for _, key in keys)
    print(f"{new} added, {present} already suppressed ({shown(store_of(args))})")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    keys = email_keys(args.addresses)
    location = store_of(args)
    if not store_exists(location):
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
        exists_file(path)
    listings = [read_suppression(path, None, Where(path)) for path in args.files]
    with Store(store_of(args)) as store:
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
    keys = email_keys(args.addresses)
    location = store_of(args)
    found: dict[str, Entry] = {}
    if store_exists(location):
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

    exists_file(args.match)
    table = read_table(args.match)
    columns = [c for c in table.frame.columns if c != ROW]
    frame = table.frame.rename(columns=map_headers(columns, {}, Where(args.match)))
    location = store_of(args)
    hit = pd.Series(False, index=frame.index)
    reasons = pd.Series("", index=frame.index)
    if store_exists(location):
        with Store(location) as store:
            if "email" in frame:
                keys = frame["email"].astype(str).map(lambda a: email_key(check_email(a)[0] or ""))
                found = store.find(keys.dropna(), "email")
                reasons = keys.map(lambda k: entry_said(found.get(k)) if k else "")
            if all(n in frame for n in POSTAL_FIELDS):
                parts = zip(*(frame[n].astype(str) for n in POSTAL_FIELDS), strict=True)
                postal = pd.Series([postal_key(p) for p in parts], index=frame.index)
                found = store.find(postal.dropna(), "postal")
                more = postal.map(lambda k: entry_said(found.get(k)) if k else "")
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


def cmd_stats(args: argparse.Namespace) -> int:
    location = store_of(args)
    if (opened := existing_store(args, "nothing suppressed")) is None:
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
