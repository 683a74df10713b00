"""`publipost init`: a starter campaign to edit (never overwrites)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
    comma_list,
    shown_path,
)

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("folder", type=Path, help="the folder to write it in (created if need be)")
    command.add_argument(
        "--language", choices=["en", "fr"], default="en", help="the copy's language (default: en)"
    )
    command.add_argument(
        "--channels",
        help="letter, email or letter,email (default: both; a complaint-reply starter is a letter)",
    )
    command.add_argument(
        "--kind",
        choices=["sales", "complaint-reply"],
        default="sales",
        help="sales (default): an offer to sell; complaint-reply: one reply per row of a complaints file",
    )
    command.set_defaults(run=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from publipost.campaigns.starter import write_starter

    channels = comma_list([args.channels]) if args.channels is not None else None
    written = write_starter(args.folder, args.language, channels, args.kind)
    campaign = args.folder / "campaign.yaml"
    print(f"wrote {len(written)} files in {shown_path(args.folder)}:")
    for path in written:
        print(f"  {shown_path(path)}")
    print(f"\nnext: publipost validate {shown_path(campaign)}  (then lint, preview, render, send)")
    return EXIT_OK
