"""The `publipost` command: parse arguments, call the library, print, pick the exit code.

Exit codes (design.md): 0 success, 1 the command ran and found problems,
2 bad input or usage. A user's mistake is a message, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from publipost.errors import PublipostError

EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except PublipostError as exc:
        for error in (exc, *exc.others):
            print(f"publipost: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # an output folder that cannot be written, a disk that is full
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"publipost: error: {where}{exc.strerror or exc}", file=sys.stderr)
        print("  hint: choose an output folder you can write to with --out", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("publipost: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="publipost",
        description="Direct-mail and e-mail campaigns: mail-merged letters and e-mails, checked first.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a campaign and count its audience")
    validate.add_argument("campaign", type=Path, help="the campaign YAML file")
    validate.add_argument(
        "--out", type=Path, help="folder for rejects.csv (default: out/ beside the campaign)"
    )
    validate.set_defaults(run=cmd_validate)

    render = commands.add_parser("render", help="write one document per recipient")
    render.add_argument("campaign", type=Path, help="the campaign YAML file")
    render.add_argument("--format", choices=["text"], default="text", help="output format (default: text)")
    render.add_argument("--out", type=Path, help="output folder (default: out/ beside the campaign)")
    render.set_defaults(run=cmd_render)
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    from publipost.pipeline import default_out_dir, prepare

    prepared = prepare(args.campaign)
    out_dir = args.out or default_out_dir(prepared.campaign)
    out_dir.mkdir(parents=True, exist_ok=True)
    _print_audience(prepared, out_dir)
    return EXIT_OK if len(prepared.audience) else EXIT_PROBLEMS


def cmd_render(args: argparse.Namespace) -> int:
    from publipost.pipeline import default_out_dir, prepare, render_text

    prepared = prepare(args.campaign)
    out_dir = args.out or default_out_dir(prepared.campaign)
    out_dir.mkdir(parents=True, exist_ok=True)
    _print_audience(prepared, out_dir)
    with _progress(len(prepared.audience), "rendering") as advance:
        report = render_text(prepared, out_dir, advance)
    print(f"\n{report.written} letters written to {_show(report.out_dir)}")
    for row, reason in report.failed:
        print(f"  row {row}: not rendered: {reason}", file=sys.stderr)
    if report.failed:
        print(f"{len(report.failed)} recipients could not be rendered (see above)", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _print_audience(prepared, out_dir: Path) -> None:
    from publipost.campaigns.audience import Outcome

    campaign, audience = prepared.campaign, prepared.audience
    table = audience.source
    sep = {"\t": "tab", None: None}.get(table.separator, f"'{table.separator}'")
    read_as = ", ".join(p for p in (table.encoding, sep) if p)
    print(f"campaign   {campaign.name} ({campaign.language}, objective: {campaign.objective})")
    print(f"customers  {_show(table.path)} ({read_as})")
    counts = audience.counts
    channels = " · ".join(
        f"{'letters' if c == 'letter' else 'e-mails'} {audience.channel_count(c)}" for c in campaign.channels
    )
    print()
    for outcome in Outcome:
        extra = f"   {channels}" if outcome is Outcome.TARGETED else ""
        print(f"  {outcome.value:<13}{counts[outcome.value]:>7}{extra}")
    print(f"  {'─' * 20}\n  {'rows read':<13}{audience.rows_read:>7}")
    rejects = audience.write_rejects(out_dir / "rejects.csv")
    corrections = audience.write_corrections(out_dir / "corrections.csv")
    print()
    if rejects:
        print(f"{rejects} rows not (fully) targeted, with row and reason: {_show(out_dir / 'rejects.csv')}")
    if corrections:
        print(f"{corrections} values corrected or flagged: {_show(out_dir / 'corrections.csv')}")


def _progress(total: int, label: str):
    """A progress bar with the rate on a terminal; silence in pipes and CI logs."""
    import contextlib

    if not sys.stderr.isatty() or os.environ.get("CI"):
        return contextlib.nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    @contextlib.contextmanager
    def bar():
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task(label, total=total, rate="")

            def advance(n: int) -> None:
                speed = progress.tasks[0].speed
                progress.update(task, advance=n, rate=f"{speed:,.0f}/s" if speed else "")

            yield advance

    return bar()


def _show(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
