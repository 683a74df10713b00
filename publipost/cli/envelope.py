"""`publipost envelope list|show`: the window envelopes letters are checked against."""

from __future__ import annotations

import argparse

from publipost.cli.common import EXIT_OK
from publipost.errors import PublipostError


def arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(required=True, metavar="ACTION")
    listed = actions.add_parser("list", help="the catalogue: name, size, window, fold")
    listed.set_defaults(run=cmd_envelope_list)
    show = actions.add_parser("show", help="one envelope, and what its window always shows of the sheet")
    show.add_argument("name", help="an envelope of the list (dl-right, dl-left, c65-left, c5-left, us10)")
    show.set_defaults(run=cmd_envelope_show)


def cmd_envelope_list(args: argparse.Namespace) -> int:
    from publipost.campaigns.envelopes import envelope, envelope_names

    for name in envelope_names():
        e = envelope(name)
        print(f"{name:<10} {e.width:g} × {e.height:g} mm, fold {e.fold:<4}  {e.description}")
    return EXIT_OK


def cmd_envelope_show(args: argparse.Namespace) -> int:
    from publipost.campaigns.envelopes import envelope, envelope_names, window_band

    if args.name not in envelope_names():
        raise PublipostError(f"unknown envelope '{args.name}'", hint=f"one of {', '.join(envelope_names())}")
    e = envelope(args.name)
    w = e.window
    print(f"{e.name}: {e.description}")
    print(f"size       {e.width:g} × {e.height:g} mm")
    print(f"window     {w.width:g} × {w.height:g} mm, {w.x:g} mm from the left, {w.y:g} mm from the bottom")
    for paper in e.paper:
        band = window_band(e, paper)
        marks = ", ".join(f"{m:g}" for m in e.fold_marks(paper)) or "none"
        print(
            f"{paper:<10} folded {e.fold} (marks at {marks} mm); the window always shows "
            f"x {band.left:g}–{band.right:g}, y {band.top:g}–{band.bottom:g} mm of the page"
        )
    return EXIT_OK
