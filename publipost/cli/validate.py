"""`publipost validate`: check a campaign and count its audience."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from publipost import i18n
from publipost.cli.common import (
    ALLOW_OUTSIDE,
    EXIT_OK,
    EXIT_PROBLEMS,
    local_path,
    out_folder,
    reading_bar,
)
from publipost.cli.printing import print_audience, print_authentication, print_replies_to_fix, print_window

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--out", type=local_path, help="folder for rejects.csv (default: out/ beside the campaign)"
    )
    command.add_argument("--allow-outside", action="store_true", help=ALLOW_OUTSIDE)
    command.set_defaults(run=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    from publipost.api import prepare
    from publipost.campaigns.paths import repository_root

    boundary = None if args.allow_outside else repository_root(args.campaign)
    with reading_bar() as told:
        prepared = prepare(args.campaign, boundary=boundary, keep=out_folder(args), progress=told)
    i18n.activate(prepared.campaign.language)
    out_dir = args.out or prepared.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    print_audience(prepared, out_dir)
    print_window(prepared)
    print_authentication(prepared)
    if prepared.campaign.reply:
        print_replies_to_fix(prepared)
    return EXIT_OK if len(prepared.audience) else EXIT_PROBLEMS
