"""Suppression comments: Jinja2 comments in copy, `#` comments in campaign YAML.

Jinja2 comments never reach a printed letter or a sent e-mail (renderers strip
them; HTML comments would survive MJML), so they are the one syntax that works
in Markdown, text, MJML and HTML copy alike:

    {# publipost: ignore[PP201] -- accroche validée par le client #}   next block; trailing: same line
    {# publipost: disable[PP201, stock-phrase] #} … {# publipost: enable[PP201, stock-phrase] #}
    {# publipost: file-ignore[PP104] #}
    subject: "Votre cadeau"  # publipost: ignore[PP603]               in campaign YAML
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from publipost.linter.rule import Rule
from publipost.linter.rules import all_rules
from publipost.patterns import later
from publipost.templates.markdown import jinja_spans

_JINJA = later(r"\{#-?\s*publipost:(?P<body>.*?)-?#\}\Z", re.DOTALL)  # matched on one comment
_YAML = later(r"#\s*publipost:(?P<body>.*)$", re.MULTILINE)
_BODY = later(
    r"^\s*(?P<kind>ignore|disable|enable|file-ignore)\[(?P<refs>[^\]]*)\]\s*(?:--\s*(?P<reason>.*?))?\s*$",
    re.DOTALL,
)


@dataclass
class Directive:
    path: Path
    kind: str
    codes: set[str]
    reason: str | None
    line: int
    column: int
    end_column: int
    first: int = 0  # the lines it covers, inclusive
    last: int = 0
    used: set[str] = field(default_factory=set)

    def covers(self, code: str, line: int) -> bool:
        return code in self.codes and self.first <= line <= self.last


@dataclass
class Problem:
    """A finding of the meta family, to report at a directive."""

    code: str
    path: Path
    line: int
    column: int
    end_column: int
    args: dict[str, str]


def parse(
    path: Path, text: str, custom: tuple[type[Rule], ...] = ()
) -> tuple[list[Directive], list[Problem]]:
    yaml = path.suffix in (".yaml", ".yml")
    lines = text.split("\n")
    starts = [0]
    for text_line in lines:
        starts.append(starts[-1] + len(text_line) + 1)
    directives: list[Directive] = []
    problems: list[Problem] = []
    open_ranges: dict[str, Directive] = {}
    block_ends = _block_ends(lines)
    if yaml:
        matches = list(_YAML().finditer(text))
    else:  # each comment found in linear time, then read
        spans = jinja_spans(text, ("{#",))
        matches = [m for start, end in spans if (m := _JINJA().match(text, start, end))]
    for match in matches:
        line = bisect.bisect_right(starts, match.start())
        column = match.start() - starts[line - 1] + 1
        end_column = column + len(match.group(0).split("\n")[0])
        parsed = _BODY().match(match.group("body"))
        if not parsed:
            problems.append(
                Problem(
                    "PP902",
                    path,
                    line,
                    column,
                    end_column,
                    {
                        "problem": (
                            "unreadable suppression comment: write ignore[CODE], disable[CODE], enable[CODE] "
                            "or file-ignore[CODE], with an optional '-- reason'"
                        )
                    },
                )
            )
            continue
        codes = set()
        for ref in filter(None, (r.strip() for r in parsed.group("refs").split(","))):
            rule = _rule(ref, custom)
            if rule is None:
                problems.append(Problem("PP901", path, line, column, end_column, {"code": ref}))
            elif rule.law:
                why = f"{rule.name} guards the law (opt-out in marketing e-mails): it cannot be suppressed"
                problems.append(Problem("PP902", path, line, column, end_column, {"problem": why}))
            else:
                codes.add(rule.code)
        kind = parsed.group("kind")
        directive = Directive(path, kind, codes, parsed.group("reason"), line, column, end_column)
        own_line = not lines[line - 1][: column - 1].strip()
        if kind == "file-ignore":
            directive.first, directive.last = 1, len(lines)
        elif kind == "ignore":
            directive.first, directive.last = _scope(lines, line, own_line, yaml, block_ends)
        elif kind == "disable":
            directive.first, directive.last = line, len(lines)
            for code in codes:
                open_ranges[code] = directive
        else:  # enable: closes the ranges it names
            for code in codes:
                opened = open_ranges.pop(code, None)
                if opened is not None:
                    opened.last = line
            continue
        directives.append(directive)
    for code, opened in open_ranges.items():
        problems.append(
            Problem(
                "PP902",
                path,
                opened.line,
                opened.column,
                opened.end_column,
                {"problem": f"disable[{code}] is never closed by enable[{code}]: it runs to the end"},
            )
        )
    return directives, problems


def _block_ends(lines: list[str]) -> list[int]:
    """For each line (1-based), the last line of the block of non-blank lines from it on;
    computed once, so that many `ignore` comments cost no more than one."""
    ends = [0] * (len(lines) + 2)
    for number in range(len(lines), 0, -1):
        nonblank = lines[number - 1].strip() != ""
        ends[number] = (
            (ends[number + 1] if number < len(lines) and lines[number].strip() else number)
            if nonblank
            else number
        )
    return ends


def _scope(lines: list[str], line: int, own_line: bool, yaml: bool, block_ends: list[int]) -> tuple[int, int]:
    """The lines an `ignore` covers: its own line, or the next block when alone on its line."""
    if not own_line:
        if yaml:  # a key's line, and its value's lines when they are more indented
            indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
            last = line
            while last < len(lines) and (
                not lines[last].strip() or len(lines[last]) - len(lines[last].lstrip()) > indent
            ):
                last += 1
            return line, last
        return line, line
    first = line + 1
    while first <= len(lines) and not lines[first - 1].strip():
        first += 1
    if yaml:
        return _scope(lines, first, False, yaml, block_ends)
    if first > len(lines):
        return first, first
    return first, block_ends[first]


def _rule(ref: str, custom: tuple[type[Rule], ...] = ()) -> type[Rule] | None:
    return next((r for r in (*all_rules(), *custom) if ref.upper() == r.code or ref == r.name), None)
