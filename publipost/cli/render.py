"""`publipost render`: one document per recipient."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publipost import i18n
from publipost.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Formats,
    accept_store_change,
    at_least,
    local_path,
    out_folder,
    progress_bar,
    reading_bar,
    shown_path,
)
from publipost.cli.printing import print_audience, print_held
from publipost.errors import PublipostError
from publipost.i18n import _

if TYPE_CHECKING:
    from publipost.prepared import Prepared


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--format",
        choices=Formats(),
        default="text",
        metavar="FORMAT",  # argparse would list the choices at once, importing every channel
        help="%(choices)s (default: text, the letter's when there is one); eml: one file per e-mail; "
        "mbox: one mailbox; letter.text, email.text: that channel's text",
    )
    command.add_argument("--out", type=local_path, help="output folder (default: out/ beside the campaign)")
    command.add_argument(
        "--per-file",
        type=at_least(0),
        default=0,
        metavar="N",
        help="pdf: letters per file (0: one combined print file; 1: one PDF per recipient)",
    )
    command.add_argument(
        "--duplex",
        action="store_true",
        help="pdf: add a blank page after letters with an odd page count (double-sided printing)",
    )
    command.add_argument(
        "--jobs", type=at_least(1), help="pdf: processes to draw with (default: one per core)"
    )
    command.add_argument("--only", nargs="+", metavar="ID", help="render these recipients only (by id)")
    command.add_argument(
        "--no-lint", action="store_true", help="pdf, eml, mbox: write even if the copy has lint errors"
    )
    command.add_argument(
        "--strict",
        action="store_true",
        help="pdf, eml, mbox: refuse the whole batch when one recipient's merged copy has a lint error "
        "(default: that recipient is held back, the others are written)",
    )
    command.add_argument(
        "--group-by",
        choices=["sheets"],
        help="pdf: letters of one sheet count together in the print file (fewest first), for an inserter "
        "that runs each set size in one go; letters/job.csv follows the file",
    )
    command.add_argument(
        "--pdfx",
        action="store_true",
        help="pdf: PDF/X-4 for a print shop: 100%% K text, CMYK colours and images, an output intent "
        "(print.output_profile, default Ghostscript's CMYK profile); print.standard: pdf/x-4 asks always",
    )
    command.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="pdf, eml: draw on a Dask cluster: tcp://SCHEDULER:8786, or local:N for N local workers",
    )
    command.add_argument(
        "--new",
        action="store_true",
        help="pdf: print only the letters the manifest does not record as printed (the day's new "
        "complaints, the customers added to the file); the print file holds those alone",
    )
    command.add_argument(
        "--store-changed",
        action="store_true",
        help="print or send although the suppression store is not the one this campaign ran with",
    )
    command.set_defaults(run=cmd_render)


def not_printed(prepared: Prepared, out_dir: Path) -> list[str]:
    """The ids the letter reaches that the manifest does not record as printed, in print order."""
    from publipost.campaigns.audience import ID
    from publipost.results.manifest import FILE, Manifest

    printed: set[str] = set()
    if (out_dir / FILE).exists():
        with Manifest(out_dir / FILE, create=False) as manifest:
            printed = {
                rid for rid, (status, _at) in manifest.outcomes("letter").items() if status == "printed"
            }
    return [rid for rid in prepared.audience.reached("letter", [ID])[ID].tolist() if rid not in printed]


def cmd_render(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from publipost.api import prepare
    from publipost.channels import RenderOptions, for_format
    from publipost.channels.base import LintBlocked

    with reading_bar() as told:
        prepared = prepare(args.campaign, keep=out_folder(args), progress=told)
    i18n.activate(prepared.campaign.language)
    accept_store_change(prepared, args)
    # An unknown id is bad input: refused before anything is printed.
    only = prepared.audience.only(args.only) if args.only else None
    channel, fmt = for_format(prepared.campaign, args.format)  # before anything is printed or written
    if args.new and (fmt != "pdf" or only is not None):
        raise PublipostError(
            "--new prints the letters not printed before: use it with --format pdf, without --only"
        )
    if args.group_by and (fmt != "pdf" or args.per_file):
        raise PublipostError(
            "--group-by sheets orders one print file: use it with --format pdf, without --per-file"
        )
    if args.pdfx and fmt != "pdf":
        raise PublipostError(f"--pdfx makes print files: use it with --format pdf, not {fmt}")
    if args.dask and fmt not in ("pdf", "eml"):
        raise PublipostError(f"--dask draws print files and .eml files; render --format {fmt} runs here")
    held: list = []
    if fmt in channel.produced and not args.no_lint:
        try:
            prepared, held = channel.check_gate(
                prepared, "nothing was written", "render with --no-lint", strict=args.strict
            )
        except LintBlocked as exc:
            print(f"publipost: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
    out_dir = args.out or prepared.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    print_audience(prepared, out_dir)
    if only is not None:
        prepared = replace(prepared, audience=only)
    if args.new:
        fresh = not_printed(prepared, args.out or prepared.out_dir)
        if not fresh:
            print(
                "\n" + _("nothing new to print: the manifest records every letter of the audience as printed")
            )
            return EXIT_OK
        prepared = replace(prepared, audience=prepared.audience.only(fresh))
    options = RenderOptions(
        per_file=args.per_file,
        duplex=args.duplex,
        jobs=args.jobs,
        record=only is None,
        dask=args.dask,
        pdfx=args.pdfx,
        by_sheets=args.group_by == "sheets",
    )
    label = "printing" if fmt == "pdf" else "rendering"
    with progress_bar(prepared.audience.channel_count(channel.name), label) as advance:
        report = channel.write(prepared, out_dir, fmt, options, advance)
    print("\n" + "\n".join(report.summary(shown_path)))
    for line in report.failure_lines():
        print(line, file=sys.stderr)
    print_held(held, "render")
    return EXIT_PROBLEMS if report.failed or held else EXIT_OK
