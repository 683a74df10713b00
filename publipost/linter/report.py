"""Findings out: for people (text, concise) and for machines (json, sarif, github, gitlab).

Shapes follow lint-conventions.md §3 and §7: the design.md JSON contract, SARIF
2.1.0, GitHub workflow commands with their escaping, GitLab Code Quality.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from publipost._version import __version__
from publipost.linter.engine import Finding, LintResult, documentation, rule_url
from publipost.linter.rules import all_rules

COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
BOLD, RESET = "\033[1m", "\033[0m"
GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
GITLAB_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def show_path(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path


def text(result: LintResult, *, colour: bool = False) -> str:
    out: list[str] = []
    lines_cache: dict[str, tuple[str, ...]] = {}
    for f in result.active:
        c = (lambda code, s: f"{code}{s}{RESET}") if colour else (lambda code, s: s)
        out.append(
            f"{c(BOLD, f'{show_path(f.path)}:{f.line}:{f.column}:')} "
            f"{c(COLOURS[f.severity], f'{f.severity} {f.rule}')} {f.name} {f.message}"
        )
        source = lines_cache.setdefault(f.path, _lines(f.path))
        if 0 < f.line <= len(source):
            line = source[f.line - 1].rstrip("\n")
            width = (f.end_column - f.column) if f.end_line == f.line else len(line) - f.column + 1
            excerpt, column, width = _excerpt(line, f.column, max(1, width))
            out.append(f"  {f.line:>4} | {excerpt}")
            out.append(f"       | {' ' * (column - 1)}{c(COLOURS[f.severity], '^' * width)}")
    out.append(summary(result))
    return "\n".join(out) + "\n"


EXCERPT = 100  # characters of a source line shown under a finding


def _excerpt(line: str, column: int, width: int) -> tuple[str, int, int]:
    """At most EXCERPT characters of the line around the finding, control characters shown as
    '?' (one for one, so the caret stays under its text): the column and width to underline."""
    start = 0
    if len(line) > EXCERPT:
        start = max(0, min(column - 1 - EXCERPT // 4, len(line) - EXCERPT))
    shown = "".join(ch if ch.isprintable() else "?" for ch in line[start : start + EXCERPT])
    lead, tail = ("…" if start else ""), ("…" if start + EXCERPT < len(line) else "")
    column = column - start + len(lead)
    width = max(1, min(width, len(shown) + len(lead) - column + 1))
    return lead + shown + tail, column, width


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8-sig").split("\n"))
    except (OSError, UnicodeDecodeError):
        return ()


def summary(result: LintResult) -> str:
    counts = Counter(f.severity for f in result.active)
    suppressed = len(result.findings) - len(result.active)
    parts = [
        f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}"
        for s in ("error", "warning", "info")
    ]
    line = f"\n{', '.join(parts)} in {result.files} file{'s' if result.files != 1 else ''}"
    if suppressed:
        line += f" ({suppressed} suppressed)"
    for name, score in result.scores.items():
        path, kind = name.rsplit("#", 1)
        kind = kind.replace("@", ", variant ")
        line += (
            f"\nscore {show_path(path)} ({kind}): overall {score.overall}/5 {score.label} · "
            f"structure {score.structure} · style {score.style} · readability {score.readability}"
        )
        if score.of:
            line += f" · lowest: {score.of}"
    for note in result.notes:
        line += f"\n{note}"
    return line


def concise(result: LintResult) -> str:
    return (
        "".join(
            f"{show_path(f.path)}:{f.line}:{f.column}: {f.rule} [{f.severity}] {f.name}: {f.message}\n"
            for f in result.active
        )
        + summary(result).lstrip("\n")
        + "\n"
    )


def as_json(result: LintResult) -> str:
    return (
        json.dumps(
            [{**f.as_dict(), "path": show_path(f.path)} for f in result.findings],
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(result: LintResult) -> str:
    """Workflow commands; GitHub shows 10 errors and 10 warnings per step, so say what is left out."""
    out = []
    for f in result.active:
        props = ",".join(
            f"{k}={_escape_property(str(v))}"
            for k, v in (
                ("file", show_path(f.path)),
                ("line", f.line),
                ("endLine", f.end_line),
                ("col", f.column),
                ("endColumn", f.end_column),
                ("title", f"{f.rule} {f.name}"),
            )
        )
        out.append(f"::{GITHUB_LEVEL[f.severity]} {props}::{_escape_data(f.message)}")
    counts = Counter(GITHUB_LEVEL[f.severity] for f in result.active)
    hidden = sum(max(0, n - 10) for n in counts.values())
    if hidden:
        out.append(
            f"::notice::{hidden} more findings than GitHub shows as annotations: "
            "run publipost lint --format sarif and upload it for the full list"
        )
    return "\n".join(out) + ("\n" if out else "")


def _fingerprint(f: Finding, occurrence: int) -> str:
    """Stable across runs: path, rule, the text of the line and the occurrence, not the line number."""
    lines = _lines(f.path)
    matched = " ".join(lines[f.line - 1].split()) if f.line <= len(lines) else ""
    import hashlib  # GitLab and SARIF reports only: the OpenSSL binding costs 8 ms to load

    return hashlib.sha256(f"{show_path(f.path)}\0{f.rule}\0{matched}\0{occurrence}".encode()).hexdigest()


def _fingerprints(findings: list[Finding]) -> list[str]:
    seen: Counter[tuple[str, str, str]] = Counter()
    prints = []
    for f in findings:
        lines = _lines(f.path)
        key = (f.path, f.rule, lines[f.line - 1] if f.line <= len(lines) else "")
        prints.append(_fingerprint(f, seen[key]))
        seen[key] += 1
    return prints


def gitlab(result: LintResult) -> str:
    findings = result.active
    return (
        json.dumps(
            [
                {
                    "description": f"{f.rule} {f.name}: {f.message}",
                    "check_name": f.rule,
                    "fingerprint": fp,
                    "severity": GITLAB_SEVERITY[f.severity],
                    "location": {"path": show_path(f.path), "lines": {"begin": f.line, "end": f.end_line}},
                }
                for f, fp in zip(findings, _fingerprints(findings), strict=True)
            ],
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def sarif(result: LintResult) -> str:
    rules = [*all_rules(), *result.custom.values()]
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f, fp in zip(result.findings, _fingerprints(result.findings), strict=True):
        entry = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        # a URI reference: spaces and accents percent-encoded (RFC 3986)
                        "artifactLocation": {"uri": quote(show_path(f.path), safe="/")},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        },
                    }
                }
            ],
            "partialFingerprints": {"publipost/v1": fp},
        }
        if f.suppressed:
            entry["suppressions"] = [
                {"kind": "inSource", **({"justification": f.justification} if f.justification else {})}
            ]
        results.append(entry)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "publipost",
                        "version": __version__,
                        **({"informationUri": documentation()} if documentation() else {}),
                        "rules": [
                            {
                                "id": r.code,
                                "name": r.name,
                                "shortDescription": {"text": r.summary()},
                                "fullDescription": {"text": r.explain()},
                                **({"helpUri": url} if (url := rule_url(r.code)) else {}),
                                "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
                                "properties": {"source": r.source},
                            }
                            for r in rules
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
                # each copy's score (0-5), for a dashboard or a gate (lint --min-score)
                "properties": {
                    "scores": {
                        name: {
                            "overall": s.overall,
                            "structure": s.structure,
                            "style": s.style,
                            "readability": s.readability,
                            "words": s.words,
                            **({"of": s.of} if s.of else {}),
                        }
                        for name, s in result.scores.items()
                    }
                },
            }
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


FORMATS = {"concise": concise, "json": as_json, "sarif": sarif, "github": github, "gitlab": gitlab}
