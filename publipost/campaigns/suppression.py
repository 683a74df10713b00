"""Suppression lists (`target.exclude`): every row held, or an error naming it.

Unsubscribe exports come in many shapes: a bare list of addresses, `Name <addr>`,
`mailto:addr`, an address with a trailing dot or a note beside it, a row with one field
too many. An address dropped because a row could not be parsed is a person mailed
against their wish, so each row ends in one place: its entries extracted (e-mail and/or
postal address), or an error with the file and row (exit 2) before anything is printed
or sent. Blank rows hold nothing and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from publipost.campaigns.emails import check_email
from publipost.campaigns.fields import map_headers
from publipost.campaigns.table import ROW, read_table
from publipost.errors import AudienceError, Where, shown, shown_list
from publipost.store.keys import postal_text

# Something that looks like an address inside a cell: 'Ann <ann@x.fr>', 'mailto:ann@x.fr?subject=…'
CANDIDATE = re.compile(r"[^\s<>()\[\]\"',;:?]+@[^\s<>()\[\]\"',;:?]+")
POSTAL_FIELDS = ("last_name", "address1", "postcode")
MAX_LISTED = 10  # bad rows named in one error


@dataclass
class SuppressionList:
    path: Path
    match: list[str]  # "email", "address"
    keys: dict[str, set[str]] = field(default_factory=dict)  # match key → normalised values
    entries: int = 0  # rows holding at least one entry
    suppressed: int = 0  # customer rows this list suppressed


def read_suppression(path: Path, match: Sequence[str] | None, where: Where) -> SuppressionList:
    table = read_table(path)
    columns = [c for c in table.frame.columns if c != ROW]
    frame = table.frame
    if any(CANDIDATE.search(c) for c in columns):  # no header: the first line is an entry too
        first = pd.DataFrame({**{c: [c] for c in columns}, ROW: [1]})
        frame = pd.concat([first, frame], ignore_index=True)
        named = next(c for c in columns if CANDIDATE.search(c))
        frame = frame.rename(
            columns={c: "email" if c == named else f"column_{i}" for i, c in enumerate(columns, 1)}
        )
    else:
        frame = frame.rename(columns=map_headers(columns, {}, where))
    available = [
        k for k, needed in (("email", ("email",)), ("address", POSTAL_FIELDS)) if _has(frame, needed)
    ]
    wanted = match or available
    found = shown_list(columns)
    if not wanted:
        raise AudienceError(
            f"suppression file {path.name} has neither an e-mail column nor a postal address",
            where,
            f"columns found: {found}; name the e-mail column 'email' (or Courriel, E-mail…)",
        )
    for key in wanted:
        if key not in available:
            raise AudienceError(
                f"suppression file {path.name} cannot be matched on {key}: it has no "
                + ("e-mail column" if key == "email" else "last_name, address1 and postcode columns"),
                where,
                f"columns found: {found}",
            )
    listing = SuppressionList(path, list(wanted), {key: set() for key in wanted})
    problems: list[tuple[int, str]] = []
    names = [c for c in frame.columns if c != ROW]
    for values in frame[[ROW, *names]].itertuples(index=False, name=None):
        row, cells = int(values[0]), dict(zip(names, (str(v) for v in values[1:]), strict=True))
        _take(listing, row, cells, list(cells.values()), problems)
    for row, _reason in table.malformed:  # a field too many: a note, or a ';' inside a name
        fields = table.rejected_values.get(row, [])
        _take(listing, row, dict(zip(names, fields, strict=False)), fields, problems)
    if problems:
        raise _bad_rows(path, problems)
    return listing


def _take(
    listing: SuppressionList,
    row: int,
    cells: dict[str, str],
    fields: list[str],
    problems: list[tuple[int, str]],
) -> None:
    """The entries of one row into the list, or the row's problem."""
    if not any(f.strip() for f in fields):
        return
    reasons = []
    for key in listing.match:
        if key == "email":
            cell = cells.get("email", "")
            # A note or a stray separator may have pushed the address out of its column.
            addresses, problem = extract_addresses(cell if CANDIDATE.search(cell) else " ".join(fields))
            listing.keys["email"].update(addresses)
            if not addresses:
                reasons.append(problem)
        else:
            parts = [cells.get(name, "").strip() for name in POSTAL_FIELDS]
            if all(parts):
                listing.keys["address"].add(postal_key(*parts))
            else:
                lacking = ", ".join(n for n, p in zip(POSTAL_FIELDS, parts, strict=True) if not p)
                reasons.append(f"the postal address lacks {lacking}")
    if len(reasons) == len(listing.match):
        problems.append((row, "; ".join(reasons)))
    else:
        listing.entries += 1


def extract_addresses(text: str) -> tuple[list[str], str]:
    """The normalised addresses a cell holds, or ([], why none)."""
    candidates = [c.rstrip(".") for c in CANDIDATE.findall(text)]
    if not candidates and "@" in text:  # 'ann@': check_email says what is wrong with it
        candidates = [text.strip()]
    addresses, problems = [], []
    for candidate in candidates:
        address, problem = check_email(candidate)
        if address:
            addresses.append(address.casefold())
        else:
            problems.append(problem)
    if addresses:
        return addresses, ""
    if problems:
        return [], problems[0]
    return [], f"no e-mail address in '{shown(text.strip(), 60)}'"


def postal_key(last_name: str, address1: str, postcode: str) -> str:
    return postal_text(last_name, address1, postcode)


def _has(frame: pd.DataFrame, needed: tuple[str, ...]) -> bool:
    return all(n in frame.columns for n in needed)


def _bad_rows(path: Path, problems: list[tuple[int, str]]) -> AudienceError:
    problems.sort()
    errors = [
        AudienceError(
            f"suppression file {path.name}: {reason}",
            Where(path, row=row),
            "fix or delete the row: an address publipost cannot read would be mailed",
        )
        for row, reason in problems[:MAX_LISTED]
    ]
    first = errors[0]
    first.others.extend(errors[1:])
    if len(problems) > MAX_LISTED:
        first.others.append(
            AudienceError(f"suppression file {path.name}: {len(problems) - MAX_LISTED} more rows like these")
        )
    return first
