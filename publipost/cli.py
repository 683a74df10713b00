"""The `publipost` command: parse arguments, call the library, print, pick the exit code.

Exit codes (design.md): 0 success, 1 the command ran and found problems,
2 bad input or usage. A user's mistake is a message, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publipost import i18n
from publipost.errors import NothingToProduce, PublipostError, Where
from publipost.i18n import N_, _, ngettext

if TYPE_CHECKING:
    import pandas as pd

    from publipost.campaigns.model import Campaign
    from publipost.channels.sending import SendReport
    from publipost.prepared import Prepared
    from publipost.results.manifest import Manifest

EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2
ALLOW_OUTSIDE = "let the campaign name files outside its repository (only for campaigns you trust)"


def main(argv: list[str] | None = None) -> int:
    parser = _parser(argv)
    args = parser.parse_args(argv)
    try:
        i18n.override(getattr(args, "lang", None))
        return args.run(args)
    except NothingToProduce as exc:
        print(f"publipost: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except PublipostError as exc:
        for error in (exc, *exc.others):
            print("publipost: " + _("error") + f": {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `publipost … | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS
    except OSError as exc:  # an output folder that cannot be written, a disk that is full
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"publipost: error: {where}{exc.strerror or exc}", file=sys.stderr)
        print("  hint: choose an output folder you can write to with --out", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("publipost: interrupted", file=sys.stderr)
        return 130
    finally:
        i18n.reset()  # a library user (a notebook, a test) running commands one after another


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line. Only the invoked command is built, with its arguments: building every
    command cost 25 ms on every `publipost lint`, which pre-commit runs on every commit. The
    others are listed when help is asked for or the command is not one of them."""
    parser = argparse.ArgumentParser(
        prog="publipost",
        description="Direct-mail and e-mail campaigns: mail-merged letters and e-mails, checked first.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    given = sys.argv[1:] if argv is None else argv
    invoked = next((arg for arg in given if not arg.startswith("-")), None)
    listed = invoked is None or any(arg in ("-h", "--help") for arg in given[: given.index(invoked)])
    for name, summary, arguments in COMMANDS:
        if name == invoked:
            command = commands.add_parser(name, help=summary)
            arguments(command)
            for leaf in _leaves(command):
                taken = "--language" in leaf._option_string_actions  # init's: the starter's language
                names = ("--lang",) if taken else ("--lang", "--language")  # lint's older name
                leaf.add_argument(*names, dest="lang", metavar="LANG", help=LANG_HELP)
        elif listed or invoked not in COMMAND_NAMES:  # help, or a mistake to list the commands for
            commands.add_parser(name, help=summary)
    return parser


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


def _store_command(name: str) -> Callable[[argparse.ArgumentParser], None]:
    """The suppression store's commands, whose arguments suppress.py defines."""

    def arguments(command: argparse.ArgumentParser) -> None:
        from publipost import suppress

        getattr(suppress, f"{name}_arguments")(command)

    return arguments


def _validate_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--out", type=_local_path, help="folder for rejects.csv (default: out/ beside the campaign)"
    )
    command.add_argument("--allow-outside", action="store_true", help=ALLOW_OUTSIDE)
    command.set_defaults(run=cmd_validate)


def _preview_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--port", type=_count(1), help="port to listen on (default: 8642, or a free one when taken)"
    )
    command.add_argument("--no-open", action="store_true", help="do not open the page in a browser")
    command.add_argument(
        "--host",
        help="listen on another address than 127.0.0.1 (the page shows customers' data to all who reach it)",
    )
    command.add_argument("--allow-outside", action="store_true", help=ALLOW_OUTSIDE)
    command.set_defaults(run=cmd_preview)


def _lint_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "paths", type=Path, nargs="*", help="campaign YAML, Markdown/text letters, MJML/HTML e-mails, folders"
    )
    command.add_argument(
        "--format",
        default="text",
        choices=["text", "concise", "json", "sarif", "github", "gitlab", "auto"],
        help="output format (auto: github under GitHub Actions, else text)",
    )
    command.add_argument("--output-file", type=Path, help="write the report to a file")
    command.add_argument("--select", action="append", help="rules to check: codes, prefixes (PP2) or slugs")
    command.add_argument("--ignore", action="append", help="rules not to check")
    command.add_argument(
        "--fail-on", choices=["error", "warning", "info"], help="lowest severity that fails (exit 1)"
    )
    command.add_argument("--max-warnings", type=_count(0), help="fail when there are more warnings than this")
    command.add_argument(
        "--min-score",
        type=float,
        metavar="SCORE",
        help="fail when a copy's overall score (0-5) is below this",
    )
    command.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (advisory jobs)")
    command.add_argument(
        "--config", type=Path, help="configuration file (default: found from each file upward)"
    )
    command.add_argument("--isolated", action="store_true", help="ignore configuration files")
    command.add_argument(
        "--show-config", action="store_true", help="print the effective configuration and exit"
    )
    command.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    command.add_argument("--explain", metavar="RULE", help="explain a rule (code or slug) and exit")
    command.add_argument("--allow-outside", action="store_true", help=ALLOW_OUTSIDE)
    command.add_argument(
        "--kind",
        choices=["sales", "complaint-reply"],
        help="what the Markdown letters are (default: their front matter's kind:, else sales)",
    )
    command.add_argument(
        "--data",
        action=argparse.BooleanOptionalAction,
        help="read customer files, to lint with their longest values (default: yes; not under CI=true)",
    )
    command.set_defaults(run=cmd_lint)


def _init_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("folder", type=Path, help="the folder to write it in (created if need be)")
    command.add_argument(
        "--language", choices=["en", "fr"], default="en", help="the copy's language (default: en)"
    )
    command.add_argument(
        "--channels",
        default="letter,email",
        help="letter, email or letter,email (default: both)",
    )
    command.set_defaults(run=cmd_init)


def _manifest_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--format", choices=["csv", "json"], default="csv", help="output format (default: csv)"
    )
    command.add_argument(
        "--out", type=_local_path, help="the campaign's output folder (default: out/ beside it)"
    )
    command.set_defaults(run=cmd_manifest)


def _responses_arguments(command: argparse.ArgumentParser) -> None:
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
    removed.add_argument("number", type=_count(1), metavar="IMPORT", help="the import's number (see list)")
    listed.add_argument("campaign", type=Path, help="the campaign YAML file")
    for action in (imported, listed, removed):
        action.add_argument(
            "--out", type=_local_path, help="the campaign's output folder (default: out/ beside it)"
        )
    imported.set_defaults(run=cmd_responses_import)
    listed.set_defaults(run=cmd_responses_list)
    removed.set_defaults(run=cmd_responses_remove)


def _dkim_arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(required=True, metavar="ACTION")
    keygen = actions.add_parser("keygen", help="a new signing key (0600) and the TXT record to publish")
    dns = actions.add_parser("dns", help="the TXT record that publishes an existing key")
    for action in (keygen, dns):
        action.add_argument("--domain", required=True, help="the signing domain (d=), the From's domain")
        action.add_argument("--selector", required=True, help="the selector (s=), e.g. s2026")
    keygen.add_argument("--type", choices=["rsa", "ed25519"], default="rsa", help="default: rsa (2048 bits)")
    keygen.add_argument("--out", type=Path, default=Path("dkim.pem"), help="the key file (default: dkim.pem)")
    dns.add_argument("key", type=Path, metavar="KEY", help="the PEM key file")
    keygen.set_defaults(run=cmd_dkim_keygen)
    dns.set_defaults(run=cmd_dkim_dns)


def cmd_dkim_keygen(args: argparse.Namespace) -> int:
    """The key is written with 0600 and never printed; an existing file is never overwritten."""
    from publipost.mailer.dkim import dns_record, generate

    if args.out.exists():
        raise PublipostError(
            "this file exists: a key is never overwritten", Where(args.out), "give --out another file"
        )
    pem = generate(args.type)
    name, value = dns_record(pem, args.selector, args.domain)  # checked before it is written
    args.out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    print(f"key written to {_show(args.out)} (mode 0600; email.dkim.key_file, or PUBLIPOST_DKIM_KEY)")
    print(f"publish this TXT record, then sign with selector {args.selector}:")
    print(f'{name}. IN TXT "{value}"')
    return EXIT_OK


def cmd_dkim_dns(args: argparse.Namespace) -> int:
    from publipost.mailer.dkim import dns_record

    if not args.key.is_file():
        raise PublipostError(
            "key file not found", Where(args.key), "give the PEM file email.dkim.key_file names"
        )
    name, value = dns_record(args.key.read_bytes(), args.selector, args.domain)
    print(f'{name}. IN TXT "{value}"')
    return EXIT_OK


def _domain_arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="check the DNS records mailbox providers require of bulk senders"
    )
    check.add_argument(
        "target", metavar="CAMPAIGN|DOMAIN", help="a campaign file (its From and email.dkim), or a domain"
    )
    check.add_argument("--selector", help="the DKIM selector to look for (default: the campaign's)")
    check.set_defaults(run=cmd_domain_check)


def cmd_domain_check(args: argparse.Namespace) -> int:
    """Exit 1 when a record is missing or wrong, each said with what to publish."""
    from publipost.mailer.domain import check_domain, txt_lookup

    selector, signing, public = args.selector, None, None
    if args.target.endswith((".yaml", ".yml")) or Path(args.target).is_file():
        from publipost.api import load_campaign
        from publipost.channels.email import campaign_dkim_key
        from publipost.mailer.dkim import dns_record

        campaign = load_campaign(Path(args.target))
        if not campaign.sender.email:
            raise PublipostError(
                "this campaign has no sender.email: no domain to check", campaign.where(("sender",))
            )
        domain = campaign.sender.email.rsplit("@", 1)[1]
        key = campaign_dkim_key(campaign)
        if key is not None:
            selector, signing = selector or key.selector, key.domain
            pem = os.environ.get("PUBLIPOST_DKIM_KEY", "").encode() or (
                campaign.resolve(campaign.email.dkim.key_file).read_bytes()  # type: ignore[union-attr, arg-type]
            )
            public = dns_record(pem, key.selector, key.domain)[1].split("p=", 1)[1]
    else:
        domain = args.target.strip().lower().rstrip(".")
    try:
        report = check_domain(domain, txt_lookup(), selector=selector, dkim_domain=signing, public=public)
    except LookupError as exc:
        raise PublipostError(
            f"cannot ask DNS: {exc}", hint="check the network, or PUBLIPOST_DNS=host:port"
        ) from None
    print(f"domain     {report.domain}")
    for check in report.checks:
        print(f"  {'ok  ' if check.ok else 'FIX '} {check.what:<10} {check.said}")
    if not selector:
        print("  (no DKIM selector: give --selector, or check a campaign with email.dkim)")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _report_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument("--format", choices=["text", "json", "html"], default="text", help="default: text")
    command.add_argument("--by", metavar="COLUMN", help="also by a column of the customer file (a segment)")
    command.add_argument(
        "--out", type=_local_path, help="write the report to this file (html: default report.html)"
    )
    command.add_argument("--data", type=Path, help="the campaign's output folder (default: out/ beside it)")
    command.set_defaults(run=cmd_report)


def _schema_arguments(command: argparse.ArgumentParser) -> None:
    command.set_defaults(run=cmd_schema)


def _design_arguments(command: argparse.ArgumentParser) -> None:
    design_commands = command.add_subparsers(required=True, metavar="ACTION")
    show = design_commands.add_parser("show", help="print a built-in design (TOML)")
    show.add_argument("name", help="classic, modern or business")
    show.set_defaults(run=cmd_design_show)


def _render_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--format",
        choices=_Formats(),
        default="text",
        metavar="FORMAT",  # argparse would list the choices at once, importing every channel
        help="%(choices)s (default: text); eml: one file per e-mail; mbox: one mailbox",
    )
    command.add_argument("--out", type=_local_path, help="output folder (default: out/ beside the campaign)")
    command.add_argument(
        "--per-file",
        type=_count(0),
        default=0,
        metavar="N",
        help="pdf: letters per file (0: one combined print file; 1: one PDF per recipient)",
    )
    command.add_argument(
        "--duplex",
        action="store_true",
        help="pdf: add a blank page after letters with an odd page count (double-sided printing)",
    )
    command.add_argument("--jobs", type=_count(1), help="pdf: processes to draw with (default: one per core)")
    command.add_argument("--only", nargs="+", metavar="ID", help="render these recipients only (by id)")
    command.add_argument(
        "--no-lint", action="store_true", help="pdf, eml, mbox: write even if the copy has lint errors"
    )
    command.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="pdf, eml: draw on a Dask cluster: tcp://SCHEDULER:8786, or local:N for N local workers",
    )
    command.add_argument(
        "--store-changed",
        action="store_true",
        help="print or send although the suppression store is not the one this campaign ran with",
    )
    command.set_defaults(run=cmd_render)


def _send_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--smtp",
        metavar="URL",
        help="relay: smtp://host:port or smtps://user@host:465 "
        "(password from PUBLIPOST_SMTP_PASSWORD); without it, an embedded capture server",
    )
    command.add_argument(
        "--out", type=_local_path, help="output folder: journal, report, capture Maildir (default: out/)"
    )
    command.add_argument(
        "--dry-run", action="store_true", help="render and lint every message, connect to nothing"
    )
    command.add_argument(
        "--show",
        type=_count(1),
        metavar="N",
        help="with --dry-run: print the first N messages (headers, text)",
    )
    command.add_argument(
        "--test-to",
        nargs="+",
        metavar="ADDRESS",
        help="send test messages ([TEST], inert unsubscribe link) to these seed addresses",
    )
    command.add_argument(
        "--test-recipient",
        nargs="+",
        metavar="ID",
        help="with --test-to: whose messages (default: the first one and the one with the longest values)",
    )
    command.add_argument(
        "--limit", type=_count(1), help="send at most N messages this run (the next run goes on from there)"
    )
    command.add_argument("--no-lint", action="store_true", help="send even if the copy has lint errors")
    command.add_argument("--resend", action="store_true", help="send again to recipients already sent to")
    command.add_argument(
        "--retry-uncertain",
        action="store_true",
        help="send again to uncertain recipients: their message went out and no reply came back",
    )
    command.add_argument(
        "--accept-changes",
        action="store_true",
        help="resume although the copy or the customer file changed since the send began",
    )
    command.add_argument(
        "--allow-plain-auth",
        action="store_true",
        help="log in to a relay that does not offer TLS (the password crosses the network in clear)",
    )
    command.add_argument(
        "--concurrency", type=_count(1), default=8, help="SMTP connections at once (default: 8)"
    )
    command.add_argument("--rate", type=_positive, help="at most this many messages per second")
    command.add_argument(
        "--per-domain", type=_count(1), help="at most this many messages at once per recipient domain"
    )
    command.add_argument("--timeout", type=_positive, default=30, help="seconds per message (default: 30)")
    command.add_argument(
        "--store-changed",
        action="store_true",
        help="print or send although the suppression store is not the one this campaign ran with",
    )
    command.add_argument(
        "--wait",
        action="store_true",
        help="when a domain asks to slow down (4xx), wait for its recipients' time in this run "
        "instead of leaving them to the next send",
    )
    command.add_argument(
        "--retry-delays",
        type=_durations,
        default=(60.0, 300.0, 900.0, 1800.0),
        metavar="LIST",
        help="how long a domain is left alone after each 4xx of a run (default: 1m,5m,15m,30m)",
    )
    command.add_argument(
        "--max-retry-time",
        type=_duration,
        default=4 * 86400.0,
        metavar="TIME",
        help="a recipient deferred longer than this fails (default: 4d, as mail servers give up)",
    )
    command.add_argument(
        "--journal-lost",
        action="store_true",
        help="the send journal is lost after a run that crashed: send to those the manifest does not "
        "record (that run's recipients may get a second copy)",
    )
    command.add_argument(
        "--max-bounce-rate",
        type=_share,
        default=0.10,
        metavar="PERCENT",
        help="stop when more than this share of the recipients tried are refused for good, "
        "suppressing nobody (default: 10%%; judged from 20 recipients on)",
    )
    command.set_defaults(run=cmd_send)


COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = [
    ("validate", "check a campaign and count its audience", _validate_arguments),
    (
        "preview",
        "look before you send: a local page with each recipient's letter and e-mail, live",
        _preview_arguments,
    ),
    ("lint", "check copy against the direct-mail rules", _lint_arguments),
    ("init", "write a starter campaign to edit (never overwrites)", _init_arguments),
    ("manifest", "who got what: the campaign's mailing manifest", _manifest_arguments),
    ("responses", "responses: import coupons and orders", _responses_arguments),
    (
        "report",
        "results: response rates with intervals, lift over control, ROI, lifetime value",
        _report_arguments,
    ),
    (
        "suppress",
        "the suppression store: who is never mailed again, across campaigns",
        _store_command("suppress"),
    ),
    ("unsubscribe", "the unsubscribe endpoint, and mailto unsubscribes", _store_command("unsubscribe")),
    ("bounces", "bounces and complaints, read back into the store", _store_command("bounces")),
    ("schema", "print the campaign file's JSON Schema", _schema_arguments),
    ("dkim", "DKIM keys: make one, and the DNS record to publish", _dkim_arguments),
    ("domain", "what the sending domain publishes: DKIM, SPF, DMARC, alignment", _domain_arguments),
    ("design", "letter designs: print a built-in one to start yours from", _design_arguments),
    ("render", "write one document per recipient", _render_arguments),
    ("send", "send the campaign's e-mails (no relay named: a local capture server)", _send_arguments),
]
COMMAND_NAMES = {name for name, _, _ in COMMANDS}


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
        from publipost import __version__

        return __version__


def cmd_validate(args: argparse.Namespace) -> int:
    from publipost.api import prepare
    from publipost.campaigns.paths import repository_root

    boundary = None if args.allow_outside else repository_root(args.campaign)
    prepared = prepare(args.campaign, boundary=boundary)
    i18n.activate(prepared.campaign.language)
    out_dir = args.out or prepared.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    _print_audience(prepared, out_dir)
    return EXIT_OK if len(prepared.audience) else EXIT_PROBLEMS


class _Formats:
    """What `render --format` offers: every format a channel writes, asked of the channels only
    when render's arguments are checked or help is shown (importing them costs 30 ms that
    `publipost lint` need not pay)."""

    def _all(self) -> list[str]:
        from publipost.channels import formats

        return formats()

    def __contains__(self, value: object) -> bool:
        return value in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


def _count(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `least` (a usage error, exit 2, otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is below {least}")
        return value

    return parse


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _duration(text: str) -> float:
    """An argparse type: a duration, 90s, 5m, 2h, 4d, or seconds."""
    number, unit = (text[:-1], text[-1]) if text and text[-1] in _UNITS else (text, "s")
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration: write 90s, 5m, 2h or 4d") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return value


def _durations(text: str) -> tuple[float, ...]:
    return tuple(_duration(part.strip()) for part in text.split(",") if part.strip())


def _share(text: str) -> float:
    """An argparse type: a share, written 10% or 0.1."""
    number = text.strip().removesuffix("%")
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a share: write 10% or 0.1") from None
    value = value / 100 if text.strip().endswith("%") else value
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not between 0 and 100%")
    return value


def cmd_design_show(args: argparse.Namespace) -> int:
    from publipost.templates.design import design_source

    sys.stdout.write(design_source(args.name))
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    """Starts whatever the campaign's state: one that does not load shows its error on the page."""
    from publipost.campaigns.paths import repository_root
    from publipost.preview.server import bind, serve
    from publipost.preview.state import Preview

    if not args.campaign.is_file():
        raise PublipostError(f"{args.campaign}: no such file", hint="publipost preview path/to/campaign.yaml")
    host = args.host or "127.0.0.1"
    loopback = host in ("127.0.0.1", "localhost", "::1")
    if not loopback:
        print(
            f"publipost: warning: listening on {host}: anyone who reaches this address sees your customers' "
            "data; stop with Ctrl-C",
            file=sys.stderr,
        )
    sock = bind(host, args.port)
    boundary = None if args.allow_outside else repository_root(args.campaign)
    preview = Preview(args.campaign, boundary)

    def ready(url: str) -> None:
        print(f"preview of {_show(args.campaign)} at {url} (Ctrl-C to stop)", flush=True)
        if args.port is None and ":8642/" not in url:
            print("  (port 8642 was taken: another free port was chosen)", flush=True)
        if not args.no_open:
            import webbrowser

            webbrowser.open(url)

    serve(preview, sock, loopback=loopback, ready=ready)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from publipost.campaigns.starter import write_starter

    channels = _split([args.channels]) or []
    written = write_starter(args.folder, args.language, channels)
    campaign = args.folder / "campaign.yaml"
    print(f"wrote {len(written)} files in {_show(args.folder)}:")
    for path in written:
        print(f"  {_show(path)}")
    print(f"\nnext: publipost validate {_show(campaign)}  (then lint, preview, render, send)")
    return EXIT_OK


def _manifest_of(path: Path, out: Path | None) -> tuple[Campaign, Path, Manifest]:
    """The campaign, its output folder and its manifest (exit 2 when nothing was printed or sent,
    or when the manifest is another campaign's)."""
    from publipost.api import load_campaign
    from publipost.results.manifest import FILE, Manifest

    campaign = load_campaign(path)
    i18n.activate(campaign.language)
    folder = out or campaign.path.parent / "out"
    manifest = Manifest(folder / FILE, create=False)
    try:
        manifest.bind(campaign.name, campaign.code)
    except PublipostError:
        manifest.close()
        raise
    return campaign, folder, manifest


def cmd_manifest(args: argparse.Namespace) -> int:
    """The manifest as CSV or JSON on standard output: one row per recipient and channel."""
    import csv
    import json

    from publipost.results.manifest import COLUMNS

    _campaign, _folder, manifest = _manifest_of(args.campaign, args.out)
    with manifest:
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in manifest.rows()]
    if args.format == "json":
        print(json.dumps(rows, indent=1, ensure_ascii=False))
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return EXIT_OK


def cmd_responses_list(args: argparse.Namespace) -> int:
    from publipost.errors import shown

    _campaign, _folder, manifest = _manifest_of(args.campaign, args.out)
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
    _campaign, _folder, manifest = _manifest_of(args.campaign, args.out)
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

    campaign, folder, manifest = _manifest_of(args.campaign, args.out)
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
                    path=_show(report.file), parts=", ".join(parts), id=done.id
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
        print(said.format(n=len(problems), more=more, path=_show(path)))
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from publipost.results import formats
    from publipost.results.report import build, per_recipient

    campaign, folder, manifest = _manifest_of(args.campaign, args.data)
    with manifest:
        segments = _segments(campaign, args.by) if args.by else None  # a bad column: exit 2, nothing written
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
        print(_("report written to {path}").format(path=_show(target)))
    return EXIT_OK


def _segments(campaign: Campaign, column: str) -> pd.Series:
    """id → the value of a customer file's column (by field name or header)."""
    import pandas as pd

    from publipost.api import load_audience
    from publipost.campaigns.audience import ID, Outcome

    audience = load_audience(campaign)
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


def cmd_schema(args: argparse.Namespace) -> int:
    """The campaign YAML's schema, for editors (YAML language servers) and other tools."""
    import json

    from publipost.campaigns.model import Campaign

    schema = Campaign.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "publipost campaign"
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_lint(args: argparse.Namespace) -> int:
    from publipost.linter import report
    from publipost.linter.config import apply, config_for
    from publipost.linter.engine import below_score, fails, lint_paths
    from publipost.linter.rules import all_rules

    if args.list_rules or args.explain:
        # The house's own rules too, from the configuration that applies here.
        here = config_for((args.paths or [Path(".")])[0], explicit=args.config, isolated=args.isolated)
        every = [*all_rules(), *here.custom]
    if args.list_rules:
        for rule in every:
            print(f"{rule.code}  {rule.name:<24} {rule.severity:<8} {rule.summary()}")
        return EXIT_OK
    if args.explain:
        explained = next((r for r in every if args.explain in (r.code, r.code.lower(), r.name)), None)
        if explained is None:
            raise PublipostError(f"no rule is named '{args.explain}'", hint="see publipost lint --list-rules")
        print(explained.explain(i18n.current()))
        return EXIT_OK
    paths = args.paths or [Path(".")]
    overrides = {
        k: v
        for k, v in (
            ("select", _split(args.select)),
            ("ignore", _split(args.ignore)),
            ("fail-on", args.fail_on),
            ("max-warnings", args.max_warnings),
            ("min-score", args.min_score),
        )
        if v is not None
    }
    config = config_for(paths[0], explicit=args.config, isolated=args.isolated)
    if overrides:
        config = apply(config, overrides, Where("command line"))
    if args.show_config:
        import json

        print(json.dumps(config.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    data = args.data if args.data is not None else not _under_ci()
    result = lint_paths(
        paths,
        overrides=overrides,
        config_path=args.config,
        isolated=args.isolated,
        allow_outside=args.allow_outside,
        data=data,
        campaign_documents=_campaign_documents,
        letter_kind=args.kind,
    )
    for name, reason in result.skipped:  # on stderr: the report on stdout stays machine-readable
        if reason == "excluded by the configuration":
            continue  # asked for: silent, as ruff's force-exclude (pre-commit names every file)
        print(f"{name}: skipped: {reason} (list it under `include` to lint it)", file=sys.stderr)
    fmt = args.format
    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if fmt == "text":
        output = report.text(
            result, colour=args.output_file is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        )
    else:
        output = report.FORMATS[fmt](result)
    if args.output_file:
        args.output_file.parent.mkdir(parents=True, exist_ok=True)
        args.output_file.write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
    for name in below_score(result, config):  # on stderr: stdout stays machine-readable
        path, kind = name.rsplit("#", 1)
        score = result.scores[name].overall
        print(f"{path} ({kind}): score {score} is below min-score {config.min_score}", file=sys.stderr)
    return EXIT_PROBLEMS if fails(result, config) and not args.exit_zero else EXIT_OK


def _campaign_documents(path: Path, boundary: Path | None, data: bool) -> list:
    """A campaign's documents through its channels; imported only when a campaign is linted, so
    that linting a letter starts fast."""
    from publipost.api import campaign_documents

    return campaign_documents(path, boundary, data)


def _under_ci() -> bool:
    """CI services set CI=true: lint there reads copy, not customer data (see --data)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _split(values: list[str] | None) -> list[str] | None:
    return [v.strip() for value in values for v in value.split(",") if v.strip()] if values else None


def _local_path(value: str) -> Path:
    """--out is a path: a local folder, or a shared filesystem mounted on every worker. A URL
    (s3://, gs://) is refused rather than written to as a folder named "s3:"."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", value):
        raise argparse.ArgumentTypeError(
            f"{value}: publipost writes to a folder, not to a URL; mount the bucket on every machine "
            "(s3fs, gcsfuse) and give its path"
        )
    return Path(value)


def _store_changed(prepared: Prepared, args: argparse.Namespace) -> None:
    """--store-changed: the operator says another store than the campaign's last is right."""
    if args.store_changed and prepared.audience.store is not None:
        prepared.audience.store.accept_change = True


def cmd_render(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from publipost.api import prepare
    from publipost.channels import RenderOptions, for_format
    from publipost.channels.base import LintBlocked

    prepared = prepare(args.campaign)
    i18n.activate(prepared.campaign.language)
    _store_changed(prepared, args)
    # An unknown id is bad input: refused before anything is printed.
    only = prepared.audience.only(args.only) if args.only else None
    channel = for_format(prepared.campaign, args.format)  # before anything is printed or written
    if args.dask and args.format not in ("pdf", "eml"):
        raise PublipostError(
            f"--dask draws print files and .eml files; render --format {args.format} runs here"
        )
    if args.format in channel.produced and not args.no_lint:
        try:
            channel.check_gate(prepared, "nothing was written", "render with --no-lint")
        except LintBlocked as exc:
            print(f"publipost: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
    out_dir = args.out or prepared.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    _print_audience(prepared, out_dir)
    if only is not None:
        prepared = replace(prepared, audience=only)
    options = RenderOptions(
        per_file=args.per_file, duplex=args.duplex, jobs=args.jobs, record=only is None, dask=args.dask
    )
    label = "printing" if args.format == "pdf" else "rendering"
    with _progress(prepared.audience.channel_count(channel.name), label) as advance:
        report = channel.write(prepared, out_dir, args.format, options, advance)
    print("\n" + "\n".join(report.summary(_show)))
    for line in report.failure_lines():
        print(line, file=sys.stderr)
    return EXIT_PROBLEMS if report.failed else EXIT_OK


def cmd_send(args: argparse.Namespace) -> int:
    from publipost.api import prepare
    from publipost.channels.base import LintBlocked
    from publipost.channels.sending import send_campaign
    from publipost.mailer.smtp import Limits, parse_relay

    if args.show and not args.dry_run:
        raise PublipostError("--show prints a dry run's messages", hint="add --dry-run")
    if args.test_recipient and not args.test_to:
        raise PublipostError(
            "--test-recipient chooses whose messages a test send shows", hint="add --test-to ADDRESS"
        )
    relay = parse_relay(args.smtp, allow_plain_auth=args.allow_plain_auth) if args.smtp else None
    prepared = prepare(args.campaign)
    i18n.activate(prepared.campaign.language)
    _store_changed(prepared, args)
    email = prepared.campaign.email
    if relay is not None and not args.dry_run and email is not None and email.dkim is None:
        print(
            "publipost: warning: these messages go to a real relay unsigned: Gmail and Yahoo require "
            "bulk mail to carry a DKIM signature aligned with the From domain (and RFC 8058 the "
            "unsubscribe headers to be signed); set email.dkim (README: DKIM)",
            file=sys.stderr,
        )
    out_dir = args.out or prepared.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    limits = Limits(
        concurrency=args.concurrency,
        rate=args.rate,
        per_domain=args.per_domain,
        timeout=args.timeout,
        max_bounce_rate=args.max_bounce_rate,
        retry_delays=args.retry_delays,
        max_retry_time=args.max_retry_time,
        wait=args.wait,
    )
    total = prepared.audience.channel_count("email")
    try:
        with _progress(min(total, args.limit or total), "sending", outcomes=True) as advance:
            report = send_campaign(
                prepared,
                out_dir,
                relay=relay,
                limits=limits,
                lint=not args.no_lint,
                dry_run=args.dry_run,
                show=args.show or 0,
                test_to=args.test_to,
                test_recipients=args.test_recipient,
                limit=args.limit,
                resend=args.resend,
                retry_uncertain=args.retry_uncertain,
                accept_changes=args.accept_changes,
                journal_lost=args.journal_lost,
                ready=lambda: _print_audience(prepared, out_dir),
                progress=(lambda status, n: advance(n, status)) if advance else None,
            )
    except LintBlocked as exc:
        print(f"publipost: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    _print_send_report(report, args, out_dir)
    if report.tests:
        return EXIT_PROBLEMS if any(status != "sent" for _, _, status in report.tests) else EXIT_OK
    # Not sent: a failure. Uncertain recipients left by this run too; those of an earlier run were
    # reported then, and are reported again above.
    left = ("failed", "deferred") if args.limit else ("failed", "deferred", "pending")  # --limit leaves some
    failed = sum(report.counts.get(status, 0) for status in left) + len(report.not_rendered)
    stopped = report.this_run["uncertain"] or report.interrupted or report.stopped
    return EXIT_PROBLEMS if failed or stopped else EXIT_OK


# The journal's statuses as the report names them, in the order a reader looks for them.
SEND_STATUSES = (
    ("sent", N_("sent")),
    ("failed", N_("failed")),
    ("deferred", N_("deferred")),
    ("in flight", N_("uncertain")),
    ("pending", N_("pending")),
    ("withdrawn", N_("withdrawn")),
)
RUN_OUTCOMES = {
    "sent": N_("{n} sent"),
    "failed": N_("{n} failed"),
    "deferred": N_("{n} deferred"),
    "uncertain": N_("{n} uncertain"),
    "skipped": N_("{n} skipped"),
}


def _print_send_report(report: SendReport, args: argparse.Namespace, out_dir: Path) -> None:
    if args.dry_run:
        for message in report.shown:
            print(_shown(message))
        print(_("dry run: {n} e-mails rendered, nothing sent").format(n=report.counts.get("rendered", 0)))
        for row, reason in report.not_rendered:
            print(
                "  " + _("row {row}: not rendered: {reason}").format(row=row, reason=reason), file=sys.stderr
            )
        return
    capture = _(" (capture server: {path})").format(path=_show(report.maildir)) if report.maildir else ""
    print("\n" + _line(_("relay"), f"{report.relay}{capture}"))
    if report.lint_skipped:
        print(_line(_("lint"), _("skipped (--no-lint)")))
    if report.changes_accepted:
        print(
            _line(
                _("changes"),
                _("accepted (--accept-changes): {changes}").format(
                    changes=", ".join(report.changes_accepted)
                ),
            )
        )
    reconciled = report.reconciled
    if reconciled and reconciled.readdressed:
        said = _("{n} not yet mailed recipients have a new address: mailed there")
        print(_line(_("addresses"), said.format(n=len(reconciled.readdressed))))
    if report.restored:
        said = _(
            "{n} recipients the manifest records as mailed were to send in the journal (lost or restored "
            "from a backup): not mailed again"
        )
        print(_line(_("journal"), said.format(n=report.restored)))
    if reconciled and reconciled.withdrawn:
        said = _("{n} recipients are no longer in the audience: not mailed")
        print(_line(_("withdrawn"), said.format(n=reconciled.withdrawn)))
    labels = {status: _(label) for status, label in SEND_STATUSES}
    if report.tests:
        print(
            _("test messages ([TEST] in the subject, unsubscribe link inert; the send's journal untouched):")
        )
        for rid, seed, status in report.tests:  # "C00002 (B)": the recipient, and the variant shown
            print(f"  {rid:<16} → {seed:<32} {labels.get(status, status)}")
        return
    counts = report.counts
    for status, _label in SEND_STATUSES:
        if counts.get(status) or status in ("sent", "failed", "deferred"):
            print(f"  {labels[status]:<11}{counts.get(status, 0):>7}")
    if report.attempted:
        done = report.this_run
        summary = ", ".join(_(RUN_OUTCOMES[s]).format(n=done[s]) for s in RUN_OUTCOMES if done[s])
        print(
            _("this run: {summary} in {seconds} s ({rate}/s)").format(
                summary=summary or _("nothing"),
                seconds=i18n.number(report.seconds, 1),
                rate=i18n.number(report.rate),
            )
        )
    elif not report.interrupted:
        print(_("this run: nothing new to send: every recipient of the journal has an outcome"))
    if report.suppressed:
        print(
            _("{n} addresses refused for good (5.1.x) are now in the suppression store").format(
                n=report.suppressed
            )
        )
    for why in report.stopped:
        print(_("stopped: {why}").format(why=why), file=sys.stderr)
    if report.stopped:
        print(
            "  "
            + _(
                "nobody was suppressed for it; the recipients not mailed are deferred: fix the relay "
                "(or check the list), then run the same command again"
            ),
            file=sys.stderr,
        )
    if report.expired:
        print(
            _("{n} recipients deferred for too long (--max-retry-time) now failed").format(n=report.expired)
        )
    for domain, said in sorted(report.paused.items()):
        print(
            _("{domain} asked to slow down ({said}): its recipients were deferred, not hammered").format(
                domain=domain, said=said
            )
        )
    if report.next_due and report.counts.get("deferred"):
        import datetime as dt

        when = dt.datetime.fromtimestamp(report.next_due).strftime("%H:%M:%S")
        print(
            _(
                "{n} recipients deferred: the next send from {when} takes those whose time has come "
                "(--wait waits for them in the run)"
            ).format(n=report.counts["deferred"], when=when)
        )
    for domain, said in sorted(report.blocked.items()):
        print(
            _(
                "{domain} refused the campaign ({said}): its other recipients were not tried this run, "
                "and nobody was suppressed"
            ).format(domain=domain, said=said),
            file=sys.stderr,
        )
    if args.limit and report.counts.get("pending"):
        print(
            _("{n} recipients still pending (--limit): the next run goes on with them").format(
                n=report.counts["pending"]
            )
        )
    if report.uncertain:
        print(
            _(
                "{n} recipients are uncertain: their message went out and no reply came back (or a run "
                "stopped), so it may have been accepted; they are not sent again (check the relay's log; "
                "--retry-uncertain sends them)"
            ).format(n=len(report.uncertain))
        )
    if report.failures:
        print(
            _("{n} not (surely) delivered, with the server's reply: {path}").format(
                n=len(report.failures), path=_show(out_dir / "send-failures.csv")
            )
        )
    if report.interrupted:
        print(
            _(
                "interrupted: messages in flight finished; run the same command again to resume "
                "(journal: {path})"
            ).format(path=_show(report.journal or out_dir))
        )


SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "X-Publipost-Campaign")


def _shown(data: bytes) -> str:
    """A message as mailmerge's dry run prints it: its main headers, then its text part."""
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name]]
    text = message.get_body(("plain",))
    body = text.get_content() if isinstance(text, EmailMessage) else ""
    return "\n".join(["─" * 72, *lines, "", body.rstrip(), ""])


def _print_audience(prepared: Prepared, out_dir: Path) -> None:
    from publipost.campaigns.audience import OUTCOME_LABELS, Outcome
    from publipost.channels import channels_of
    from publipost.csvout import separator_for

    campaign, audience = prepared.campaign, prepared.audience
    table = audience.source
    sep = {"\t": "tab", None: None}.get(table.separator, f"'{table.separator}'")
    read_as = ", ".join(p for p in (table.encoding, sep) if p)
    if campaign.reply:
        purpose = _("replies to complaints")
    else:
        purpose = _("objective: {objective}").format(objective=_(str(campaign.objective)))
    print(_line(_("campaign"), f"{campaign.name} ({campaign.language}, {purpose})"))
    print(_line(_("customers"), f"{_show(table.path)} ({read_as})"))
    if audience.keyed_by == "e-mail address":
        print(
            _line(
                _("ids"),
                _("no id column: recipients are known by their e-mail address (target.id names one)"),
            )
        )
    for number, condition in enumerate(audience.conditions):  # target.where, as it was understood
        print(_line(_("where") if number == 0 else "", condition))
    counts = audience.counts
    channels = " · ".join(f"{_(c.plural)} {audience.channel_count(c.name)}" for c in channels_of(campaign))
    print()
    store = audience.store
    for outcome in Outcome:
        if outcome is Outcome.CONTROL and not campaign.control:
            continue
        if outcome is Outcome.STORE and (store is None or not store.consulted):
            continue
        extra = f"   {channels}" if outcome is Outcome.TARGETED else ""
        if outcome is Outcome.CONTROL:
            extra = "   " + _("{share} held out: mailed nothing, to measure what the mailing causes").format(
                share=i18n.percent(campaign.control)
            )
        label = _(OUTCOME_LABELS[outcome])
        if outcome is Outcome.STORE and store is not None:
            label = _("store")
            extra = "   " + _(
                "suppressed (store): {emails} e-mail and {postal} postal addresses found"
            ).format(emails=store.emails, postal=store.postal)
        print(f"  {label:<13}{counts[outcome.value]:>7}{extra}")
        if outcome is Outcome.TARGETED and campaign.variants:
            split = audience.variant_counts()
            shares = " · ".join(f"{v.name} {split.get(v.name, 0)}" for v in campaign.variants)
            if campaign.variant_by:
                how = _("by {column}").format(column=campaign.variant_by)
            else:
                how = _("by a hash of code and id")
            label = _("variants")
            print(f"    {label:<11}{'':>7}   {shares} ({how})")
    label = _("rows read")
    print(f"  {'─' * 20}\n  {label:<13}{audience.rows_read:>7}")
    from publipost.channels.letter import unreached_hint

    for unit in channels_of(campaign):  # a channel that reaches nobody: said now, not at render
        if len(audience) and not audience.channel_count(unit.name):
            why = unreached_hint(prepared, unit.name) or _("see rejects.csv")
            said = _("no recipient gets the {channel}: {why}").format(channel=_(unit.name), why=why)
            print("\npublipost: " + _("warning") + f": {said}", file=sys.stderr)
    if campaign.reply:
        print(
            "\n"
            + _line(_("store"), _("not consulted: a reply to a complaint is a service letter, not marketing"))
        )
    elif store is not None and not store.consulted:
        warning = _line(
            _("store"), _("OFF: this campaign does not consult the suppression store (store: false)")
        )
        print(f"\n\033[1m{warning}\033[0m" if sys.stdout.isatty() else f"\n{warning.upper()}")
    elif store is not None:
        state = _(" ({entries} entries, id {id})").format(entries=i18n.number(store.total), id=store.id[:8])
        state = state if store.id else ""
        state = state if store.entries else _(" (does not exist yet: nothing suppressed)")
        print("\n" + _line(_("store"), f"{_show_store(store.location)}{state}"))
    if audience.suppression:
        print()
        for listing in audience.suppression:
            print(
                _(
                    "suppression list {path}: {entries} entries, {suppressed} customers suppressed "
                    "(matched on {match})"
                ).format(
                    path=_show(listing.path),
                    entries=listing.entries,
                    suppressed=listing.suppressed,
                    match=_(" and ").join(listing.match),
                )
            )
    if audience.complaints is not None:
        _print_complaints(audience.complaints, campaign.target.customers)
    separator = separator_for(table.separator, campaign.language)
    rejects = audience.write_rejects(out_dir / "rejects.csv", separator)
    corrections = audience.write_corrections(out_dir / "corrections.csv", separator)
    print()
    if rejects:
        print(
            _("{n} rows not (fully) targeted, with row and reason: {path}").format(
                n=rejects, path=_show(out_dir / "rejects.csv")
            )
        )
    if corrections:
        print(
            _("{n} values corrected or flagged: {path}").format(
                n=corrections, path=_show(out_dir / "corrections.csv")
            )
        )


def _line(label: str, text: str) -> str:
    """A summary line: a label in the first ten columns, then what it says."""
    return f"{label:<10} {text}" if label else f"{'':<11}{text}"


def _print_complaints(complaints: Any, customers: int | None) -> None:
    """mailing-rules.md §7: the delays, who to call first, and the indicators."""
    from publipost.campaigns.complaints import BANDS, DEADLINE_DAYS, LATER

    rows = complaints.rows
    said = _("{n} complaints, answered on {date}").format(n=len(rows), date=i18n.date(complaints.reply_date))
    print("\n" + _line(_("replies"), said))
    for c in complaints.late:
        said = _("row {row} ({id}): received {when}, {days} days (over {limit})").format(
            row=c.row, id=c.id, when=i18n.date(c.received), days=c.days, limit=DEADLINE_DAYS
        )
        print("  " + _line(_("late"), said))
    for c in complaints.serious:
        said = _("row {row} ({id}) {name}: {phone} (a serious complaint: phone, then write)").format(
            row=c.row, id=c.id, name=c.name, phone=c.phone
        )
        print("  " + _line(_("call first"), said))
    subjects = complaints.by_subject()
    print("  " + _line(_("by subject"), " · ".join(f"{s} {n}" for s, n in subjects.most_common())))
    delays = complaints.by_delay()
    labels = [label for _limit, label in BANDS] + [LATER]
    print("  " + _line(_("by delay"), " · ".join(f"{_(label)} {delays[label]}" for label in labels)))
    if customers:
        print(
            "  "
            + _("complaint rate {rate} of {n} customers").format(
                rate=i18n.percent(len(rows) / customers, 2), n=i18n.number(customers)
            )
        )


def _show_store(location: str) -> str:
    if "://" in location:
        return location
    home = str(Path.home())
    return "~" + location[len(home) :] if location.startswith(home + "/") else _show(Path(location))


def _progress(
    total: int, label: str, outcomes: bool = False
) -> AbstractContextManager[Callable[..., None] | None]:
    """A progress bar with the rate and time left on a terminal (and, sending, the count of each
    outcome); silence in pipes and CI logs."""
    import contextlib

    if not sys.stderr.isatty() or os.environ.get("CI"):
        return contextlib.nullcontext(None)
    from collections import Counter

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    @contextlib.contextmanager
    def bar():
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[outcomes]}"),
        )
        seen: Counter[str] = Counter()
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task(label, total=total, rate="", outcomes="")

            def advance(n: int, status: str = "") -> None:
                speed = progress.tasks[0].speed
                if outcomes and status:
                    seen[status] += n
                progress.update(
                    task,
                    advance=n,
                    rate=f"{speed:,.0f}/s" if speed else "",
                    outcomes=" · ".join(f"{k} {v}" for k, v in sorted(seen.items())),
                )

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
