"""`publipost lint`: the copy against the direct-mail rules."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publipost import i18n
from publipost.cli.common import (
    ALLOW_OUTSIDE,
    EXIT_OK,
    EXIT_PROBLEMS,
    at_least,
    comma_list,
    under_ci,
)
from publipost.errors import PublipostError, Where

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
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
    command.add_argument(
        "--max-warnings", type=at_least(0), help="fail when there are more warnings than this"
    )
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
            ("select", comma_list(args.select)),
            ("ignore", comma_list(args.ignore)),
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
    data = args.data if args.data is not None else not under_ci()
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
