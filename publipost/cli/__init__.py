"""The `publipost` command: parse arguments, call the library, print, pick the exit code.

Exit codes (design.md): 0 success, 1 the command ran and found problems,
2 bad input or usage. A user's mistake is a message, never a traceback.

One module per command (publipost/cli/send.py…), each with `arguments(parser)` and the function
it runs; this table names them, and only the invoked one is imported (pip's `commands_dict`):
`publipost lint` in a pre-commit hook does not pay for the sender's imports.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from publipost import i18n
from publipost.cli.common import EXIT_BAD_INPUT, EXIT_PROBLEMS
from publipost.errors import NothingToProduce, PublipostError
from publipost.i18n import _

# name, summary (the command list), module under publipost.cli
COMMANDS: list[tuple[str, str, str]] = [
    ("validate", "check a campaign and count its audience", "validate"),
    (
        "preview",
        "look before you send: a local page with each recipient's letter and e-mail, live",
        "preview",
    ),
    ("lint", "check copy against the direct-mail rules", "lint"),
    ("init", "write a starter campaign to edit (never overwrites)", "init"),
    ("manifest", "who got what: the campaign's mailing manifest", "manifest"),
    ("responses", "responses: import coupons and orders", "responses"),
    ("report", "results: response rates with intervals, lift over control, ROI, lifetime value", "report"),
    ("suppress", "the suppression store: who is never mailed again, across campaigns", "suppress"),
    ("unsubscribe", "the unsubscribe endpoint, and mailto unsubscribes", "unsubscribe"),
    ("bounces", "bounces and complaints, read back into the store", "bounces"),
    ("schema", "print the campaign file's JSON Schema", "schema"),
    ("dkim", "DKIM keys: make one, and the DNS record to publish", "dkim"),
    ("domain", "what the sending domain publishes: DKIM, SPF, DMARC, alignment", "domain"),
    ("design", "letter designs: print a built-in one to start yours from", "design"),
    ("envelope", "window envelopes: the catalogue, and what a window always shows", "envelope"),
    ("render", "write one document per recipient", "render"),
    ("send", "send the campaign's e-mails (no relay named: a local capture server)", "send"),
]
COMMAND_NAMES = {name for name, _summary, _module in COMMANDS}


def _return_arrow_memory() -> None:
    """Arrow's allocator (mimalloc) gives back the memory each step of the audience frees,
    instead of keeping it for later: `validate` of 200,000 rows peaked at 420 MB, now 300 MB
    (a million rows: 980 → 776 MB), for 7 % more time on the smaller file and 5 % less on
    the larger (bench/audience_bench.py). Read when pyarrow loads, which the command line
    does later; set only here, where publipost owns the process (a notebook keeps its own)."""
    os.environ.setdefault("MIMALLOC_ARENA_EAGER_COMMIT", "0")
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")


def main(argv: list[str] | None = None) -> int:
    _return_arrow_memory()
    parser = _parser(argv)
    args = parser.parse_args(argv)
    try:
        i18n.override(getattr(args, "lang", None))
        return args.run(args)
    except NothingToProduce as exc:
        print(f"publipost: {_framed(exc)}", file=sys.stderr)
        return EXIT_PROBLEMS
    except PublipostError as exc:
        for error in (exc, *exc.others):
            print("publipost: " + _("error") + f": {_framed(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `publipost … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS
    except OSError as exc:  # an output folder that cannot be written, a disk that is full
        where = f"{exc.filename}: " if exc.filename else ""
        print("publipost: " + _("error") + f": {where}{exc.strerror or exc}", file=sys.stderr)
        print(
            "  " + _("hint") + ": " + _("choose an output folder you can write to with --out"),
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("publipost: " + _("interrupted"), file=sys.stderr)
        return 130
    finally:
        i18n.reset()  # a library user (a notebook, a test) running commands one after another


def _framed(error: PublipostError) -> str:
    """The error as it prints, its "hint:" in the reader's language (the messages themselves are
    English for now: README, "The tool's language")."""
    return str(error).replace("\n  hint: ", "\n  " + _("hint") + ": ")


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line. Only the invoked command is built, with its arguments: building every
    command cost 25 ms on every `publipost lint`, which pre-commit runs on every commit. The
    others are listed when help is asked for or the command is not one of them."""
    parser = _Parser(
        prog="publipost",
        description="Direct-mail and e-mail campaigns: mail-merged letters and e-mails, checked first.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    given = sys.argv[1:] if argv is None else argv
    invoked = next((arg for arg in given if not arg.startswith("-")), None)
    listed = invoked is None or any(arg in ("-h", "--help") for arg in given[: given.index(invoked)])
    for name, summary, module in COMMANDS:
        if name == invoked:
            command = commands.add_parser(name, help=summary)
            importlib.import_module(f"publipost.cli.{module}").arguments(command)
            for leaf in _leaves(command):
                taken = "--language" in leaf._option_string_actions  # init's: the starter's language
                names = ("--lang",) if taken else ("--lang", "--language")  # lint's older name
                leaf.add_argument(*names, dest="lang", metavar="LANG", help=LANG_HELP)
        elif listed or invoked not in COMMAND_NAMES:  # help, or a mistake to list the commands for
            commands.add_parser(name, help=summary)
    return parser


class _Formatter(argparse.HelpFormatter):
    """argparse's own, measuring the terminal as shutil.get_terminal_size does without importing
    shutil: argparse imports it on every run, and shutil brings bz2, lzma and zlib (2 ms of the
    30 ms a `publipost lint` spends importing)."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ):
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


class _Parser(argparse.ArgumentParser):
    """Every command's parser (subparsers are made of their parent's class) with _Formatter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def _columns() -> int:
    """The terminal's width: $COLUMNS, else the terminal's, else 80 (shutil's rules)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


LANG_HELP = (
    "the tool's own words (summaries, hints, report) in this language: en or fr; default: "
    "PUBLIPOST_LANG, else the campaign's language, else the locale's"
)


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parsers that take options: a command's, or each of its actions' (`responses import`)."""
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        yield parser
    for action in actions:
        for child in action.choices.values():
            yield from _leaves(child)


class _Version(argparse.Action):
    """--version, looked up only when asked: importlib.metadata costs 40 ms on every lint run."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    """The installed distribution's version (what pip installed), else the package's own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("publipost")
    except PackageNotFoundError:
        from publipost._version import __version__

        return __version__
