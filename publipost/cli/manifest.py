"""`publipost manifest`: who got what."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
    local_path,
    manifest_of,
)

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--format", choices=["csv", "json"], default="csv", help="output format (default: csv)"
    )
    command.add_argument(
        "--out", type=local_path, help="the campaign's output folder (default: out/ beside it)"
    )
    command.set_defaults(run=cmd_manifest)


def cmd_manifest(args: argparse.Namespace) -> int:
    """The manifest as CSV or JSON on standard output: one row per recipient and channel."""
    import csv
    import json

    from publipost.results.manifest import COLUMNS

    _campaign, _folder, manifest = manifest_of(args.campaign, args.out)
    with manifest:
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in manifest.rows()]
    if args.format == "json":
        print(json.dumps(rows, indent=1, ensure_ascii=False))
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return EXIT_OK
