"""What the suppression store's commands share: where the store is, how addresses are keyed,
how a mailbox is named."""

from __future__ import annotations

import argparse
from pathlib import Path

from publipost.errors import PublipostError
from publipost.store.db import Entry, Store

MAILBOX_HELP = (
    "a Maildir folder, an mbox file, or imaps://USER@HOST[:PORT]/FOLDER (password: PUBLIPOST_IMAP_PASSWORD)"
)


def mailbox_arg(value: str) -> Path | str:
    return value if value.startswith("imaps://") else Path(value)


STORE_HELP = "the store: a SQLite file or a postgresql:// URL (default: PUBLIPOST_STORE or config)"


def store_of(args: argparse.Namespace) -> str:
    from publipost.store.config import store_location

    return args.store if args.store else store_location()[0]


def email_keys(addresses: list[str]) -> list[tuple[str, str]]:
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


def entry_said(entry: Entry | None) -> str:
    return f"{entry.reason} on {entry.at[:10]} ({entry.source})" if entry else ""


def existing_store(args: argparse.Namespace, nothing: str) -> Store | None:
    """The store, or None (said) when it does not exist yet: a look creates no store."""
    location = store_of(args)
    if not store_exists(location):
        print(f"store {location}: does not exist yet ({nothing})")
        return None
    return Store(location)


def exists_file(path: Path) -> None:
    from publipost.errors import Where

    if not path.is_file():
        raise PublipostError("file not found", Where(path), "give the path of a CSV or XLSX file")


def store_exists(location: str) -> bool:
    from publipost.store.db import is_url

    return is_url(location) or Path(location).exists()


def mailbox_source(mailbox: Path | str) -> str:
    return mailbox.name if isinstance(mailbox, Path) else str(mailbox).rsplit("/", 1)[-1]


def note_unreadable(store: Store, key: str, why: str, source: str, done: list[tuple[str, str]]) -> None:
    """A message that could not be read: listed now, set aside for review, never a traceback."""
    from publipost.store.db import Review

    done.append((key, why))
    store.to_review([Review(key, "", "unreadable", "", why, source)])


def print_unreadable(unreadable: list[tuple[str, str]]) -> None:
    if not unreadable:
        return
    print(f"  {len(unreadable)} messages could not be read (set aside; see publipost bounces review):")
    for key, why in unreadable[:10]:
        print(f"    {key}: {why}")
    if len(unreadable) > 10:
        print(f"    … and {len(unreadable) - 10} more")


def unsubscribe_secret() -> bytes:
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
