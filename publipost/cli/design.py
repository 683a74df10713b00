"""`publipost design show`: a built-in letter design, to start one's own from."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
)

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    design_commands = command.add_subparsers(required=True, metavar="ACTION")
    show = design_commands.add_parser("show", help="print a built-in design (TOML)")
    show.add_argument("name", help="classic, modern or business")
    show.set_defaults(run=cmd_design_show)


def cmd_design_show(args: argparse.Namespace) -> int:
    from publipost.templates.design import design_source

    sys.stdout.write(design_source(args.name))
    return EXIT_OK
