"""`publipost responses import|list|remove`: coupons and orders, attributed once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    at_least,
    local_path,
    manifest_of,
    shown_path,
)
from publipost.errors import PublipostError
from publipost.i18n import _, ngettext

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    response_commands = command.add_subparsers(required=True, metavar="ACTION")
    imported = response_commands.add_parser(
        "import", help="attribute responses (CSV/XLSX: response codes, ref, ids or e-mails) to recipients"
    )
    imported.add_argument("campaign", type=Path, help="the campaign YAML file")
    imported.add_argument("files", type=Path, nargs="+", metavar="FILE", help="the responses files")
    imported.add_argument(
        "--replace",
        action="store_true",
        help="take this file's amounts for responses imported before with other amounts (a corrected export)",
    )
    listed = response_commands.add_parser("list", help="the imports: file, when, responses counted, rejected")
    removed = response_commands.add_parser("remove", help="undo one import (its number: see list)")
    removed.add_argument("campaign", type=Path, help="the campaign YAML file")
    removed.add_argument("number", type=at_least(1), metavar="IMPORT", help="the import's number (see list)")
    listed.add_argument("campaign", type=Path, help="the campaign YAML file")
    for action in (imported, listed, removed):
        action.add_argument(
            "--out", type=local_path, help="the campaign's output folder (default: out/ beside it)"
        )
    imported.set_defaults(run=cmd_responses_import)
    listed.set_defaults(run=cmd_responses_list)
    removed.set_defaults(run=cmd_responses_remove)


def cmd_responses_list(args: argparse.Namespace) -> int:
    from publipost.errors import shown

    _campaign, _folder, manifest = manifest_of(args.campaign, args.out)
    with manifest:
        imports = manifest.imports()
    if not imports:
        print(_("no responses imported yet (publipost responses import CAMPAIGN FILE…)"))
        return EXIT_OK
    heads, when = (_("import"), _("rows"), _("counted"), _("rejected")), _("when")
    widths = [max(6, len(h)) for h in heads]
    print(
        f"{heads[0]:>{widths[0]}}  "
        + f"{when:<20} "
        + " ".join(f"{h:>{w}}" for h, w in zip(heads[1:], widths[1:], strict=True))
        + "  "
        + _("file")
    )
    for number, file, at, rows, counted, rejected, replace in imports:
        extra = "  (--replace)" if replace else ""
        figures = " ".join(f"{n:>{w}}" for n, w in zip((rows, counted, rejected), widths[1:], strict=True))
        print(f"{number:>{widths[0]}}  {at[:19]:<20} {figures}  {shown(file, 60)}{extra}")
    return EXIT_OK


def cmd_responses_remove(args: argparse.Namespace) -> int:
    _campaign, _folder, manifest = manifest_of(args.campaign, args.out)
    with manifest:
        removed = manifest.remove_import(args.number)
    if removed is None:
        raise PublipostError(f"there is no import {args.number}", hint="publipost responses list shows them")
    file, before, after = removed
    print(
        _("import {number} ({file}) removed: {before} responses counted before, {after} now").format(
            number=args.number, file=file, before=before, after=after
        )
    )
    return EXIT_OK


def cmd_responses_import(args: argparse.Namespace) -> int:
    """Every file read and checked first (a file without a usable column stops everything, exit 2);
    then each file recorded as an import, its responses counted once whatever file brings them;
    rows not attributed listed with their row and why."""
    from publipost.csvout import write_csv
    from publipost.errors import shown
    from publipost.results.responses import read_responses

    campaign, folder, manifest = manifest_of(args.campaign, args.out)
    with manifest:
        codes, ids, emails = manifest.lookup()
        read = [read_responses(path, campaign.code, codes, ids, emails) for path in args.files]
        problems, corrected = [], 0
        for responses, report in read:
            done = manifest.add_import(
                report.file.name,
                report.digest,
                report.rows,
                len(report.problems),
                responses,
                replace=args.replace,
            )
            parts = [
                _("{n} rows").format(n=report.rows),
                _("{n} responses added").format(n=done.added),
            ]
            if done.duplicates:
                parts.append(_("{n} already imported").format(n=done.duplicates))
            if done.corrected:
                parts.append(_("{n} with another amount than counted").format(n=len(done.corrected)))
            if report.outsiders:
                parts.append(_("{n} not mailed by this campaign (left aside)").format(n=report.outsiders))
            if report.problems:
                parts.append(_("{n} not attributed").format(n=len(report.problems)))
            print(
                _("{path}: {parts} (import {id})").format(
                    path=shown_path(report.file), parts=", ".join(parts), id=done.id
                )
            )
            for row, counted, here in done.corrected[:10]:
                taken = _("taken (--replace)") if done.replaced else _("kept")
                print(
                    "  "
                    + _("row {row}: amount {here} here, {counted} counted: {taken}").format(
                        row=row, here=here, counted=counted, taken=taken
                    )
                )
            corrected += 0 if done.replaced else len(done.corrected)
            problems += [(report.file.name, row, why) for row, why in sorted(report.problems)]
    if corrected:
        print(
            _(
                "{n} responses were imported before with another amount: the first amounts are kept; "
                "import again with --replace to take these (publipost responses list shows the imports)"
            ).format(n=corrected)
        )
    for file, row, why in problems[:20]:  # values from the file: escapes and line breaks shown, not run
        print(
            "  " + _("{file}, row {row}: {why}").format(file=shown(file, 80), row=row, why=shown(why, 300)),
            file=sys.stderr,
        )
    if problems:
        path = folder / "responses-rejects.csv"
        write_csv(path, ["file", "row", "reason"], problems)
        more = _(" (and {n} more)").format(n=len(problems) - 20) if len(problems) > 20 else ""
        said = ngettext(
            "{n} row not attributed{more}, with row and reason: {path}",
            "{n} rows not attributed{more}, with row and reason: {path}",
            len(problems),
        )
        print(said.format(n=len(problems), more=more, path=shown_path(path)))
    return EXIT_PROBLEMS if problems else EXIT_OK
