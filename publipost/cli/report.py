"""`publipost report`: the campaign's results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
    local_path,
    manifest_of,
    shown_path,
)
from publipost.errors import PublipostError
from publipost.extras import needs
from publipost.i18n import _

if TYPE_CHECKING:
    import pandas as pd

    from publipost.campaigns.model import Campaign


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument("--format", choices=["text", "json", "html"], default="text", help="default: text")
    command.add_argument("--by", metavar="COLUMN", help="also by a column of the customer file (a segment)")
    command.add_argument(
        "--out", type=local_path, help="write the report to this file (html: default report.html)"
    )
    command.add_argument("--data", type=Path, help="the campaign's output folder (default: out/ beside it)")
    command.set_defaults(run=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    needs("report", "publipost report")  # before anything is read or printed
    from publipost.results import formats
    from publipost.results.report import build, per_recipient

    campaign, folder, manifest = manifest_of(args.campaign, args.data)
    with manifest:
        segments = _segments(campaign, args.by, folder) if args.by else None  # a bad column: exit 2
        responses = manifest.responses()
        people = per_recipient(manifest.mailings(), responses)
    costs = campaign.costs
    report = build(
        people,
        responses,
        campaign=campaign.name,
        code=campaign.code,
        currency=campaign.offer.currency if campaign.offer else "EUR",
        costs=(costs.letter, costs.email, costs.fixed),
        lifetime=campaign.value.lifetime if campaign.value else None,
        average_order=campaign.value.average_order if campaign.value else None,
        segments=segments,
        segment_by=args.by,
    )
    output = {"text": formats.as_text, "json": formats.as_json, "html": formats.as_html}[args.format](report)
    target = args.out or (folder / "report.html" if args.format == "html" else None)
    if target is None:
        sys.stdout.write(output)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(output, encoding="utf-8")
        print(_("report written to {path}").format(path=shown_path(target)))
    return EXIT_OK


def _segments(campaign: Campaign, column: str, folder: Path) -> pd.Series:
    """id → the value of a customer file's column (by field name or header), from the audience
    kept in the campaign's output folder while nothing it depends on changed."""
    import pandas as pd

    from publipost.api import load_audience
    from publipost.campaigns.audience import ID, Outcome

    audience = load_audience(campaign, keep=folder)
    by_header = {header: name for name, header in audience.headers.items()}
    name = column if column in audience.headers else by_header.get(column)
    if name is None:
        raise PublipostError(
            f"--by {column}: the customer file has no such column",
            hint=audience.suggest(column) or f"columns: {', '.join(audience.headers.values())}",
        )
    frame = audience.frame
    # One value per recipient: an id also found on rejected or duplicate rows (the same customer
    # exported twice) is counted once, with the row that was targeted.
    kept = frame["_outcome"].isin([Outcome.TARGETED, Outcome.CONTROL])
    ordered = pd.concat([frame[kept], frame[~kept]])
    return ordered.drop_duplicates(ID).set_index(ID)[name]
