"""Run the rules over documents; turn hits into findings; apply suppressions; score the copy.

from publipost.linter import lint_paths
result = lint_paths([Path("lettre.md")])
for finding in result.findings: print(finding.line, finding.name, finding.message)
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from publipost.campaigns.paths import (
    check_path,
    check_resolved,
    check_size,
    git_work_tree,
    inside,
    repository_root,
    resolved_root,
)
from publipost.errors import PublipostError, Where
from publipost.linter import suppress
from publipost.linter.config import LintConfig, apply, config_for
from publipost.linter.document import LintDoc, email_from_markup, letter_from_markdown
from publipost.linter.rule import SEVERITIES, Context, Hit, Rule
from publipost.linter.score import Score, score
from publipost.linter.text import WordList
from publipost.linter.words import word_list
from publipost.patterns import later

RANK = {s: i for i, s in enumerate(SEVERITIES)}
LETTER_SUFFIXES = {".md", ".markdown", ".txt", ".text"}
EMAIL_SUFFIXES = {".mjml", ".html", ".htm"}
CAMPAIGN_SUFFIXES = {".yaml", ".yml"}
SKIP_DIRS = {"out", "node_modules", "__pycache__", "venv", ".venv", "build", "dist"}


@cache
def documentation() -> str | None:
    """Where the installed package says its documentation is (pyproject's
    [project.urls] Documentation), or None: a rule's URL is given only when it resolves, never
    a guess at a repository that may not exist.

    Read from the first publipost dist-info folder on sys.path, where importlib.metadata would
    find it too: importing and asking importlib.metadata cost 20 ms of every lint run."""
    for entry in sys.path:
        try:
            names = sorted(n for n in os.listdir(entry or ".") if _DIST_INFO.fullmatch(n))
        except OSError:
            continue
        if not names:
            continue
        try:
            metadata = (Path(entry or ".") / names[0] / "METADATA").read_text(encoding="utf-8")
        except OSError:
            return None
        headers = (line.partition(":") for line in metadata.partition("\n\n")[0].splitlines())
        urls = [value for name, _, value in headers if name.strip().lower() == "project-url"]
        found = [
            url.strip()
            for label, _, url in (u.partition(",") for u in urls)
            if label.strip().lower() == "documentation"
        ]
        return found[0] if found else None
    return None


_DIST_INFO = re.compile(r"publipost-[^-]+\.dist-info", re.IGNORECASE)


def rule_url(code: str) -> str | None:
    """The rule's entry in the documentation (`publipost lint --explain CODE` needs none)."""
    base = documentation()
    return f"{base.split('#')[0]}#{code.lower()}" if base else None


@dataclass
class Finding:
    rule: str
    name: str
    severity: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    language: str
    source: str
    url: str | None  # None: the installed package names no documentation to link to
    suppressed: bool = False
    justification: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None  # the campaign's variant(s) it applies to; None: the campaign, or all of them

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    scores: dict[str, Score] = field(default_factory=dict)  # path → score
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files named but not linted, and why
    custom: dict[str, type[Rule]] = field(default_factory=dict)  # the house's own rules that ran
    notes: list[str] = field(default_factory=list)  # what was linted besides the copy (merged letters)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]


CampaignDocuments = Callable[[Path, "Path | None", bool], list[LintDoc]]


def lint_paths(
    paths: Iterable[Path],
    *,
    overrides: dict[str, Any] | None = None,
    config_path: Path | None = None,
    isolated: bool = False,
    allow_outside: bool = False,
    data: bool = True,
    enforce_law: bool = False,
    campaign_documents: CampaignDocuments | None = None,
    letter_kind: str | None = None,
) -> LintResult:
    """Lint files and folders. A campaign may name only files inside its repository unless
    `allow_outside`; with `data` false, no customer file is opened (copy is linted unmerged).
    `campaign_documents(path, boundary, data)` turns a campaign into documents (default: its
    letter and e-mail; the command line goes through the campaign's channels)."""
    result = LintResult()
    found = collect(
        list(paths),
        allow_outside=allow_outside,
        config_path=config_path,
        isolated=isolated,
        skipped=result.skipped,
    )
    for path, kind in found:
        boundary = _boundary(path, allow_outside)
        if kind == "campaign" and campaign_documents is not None:
            docs = campaign_documents(path, boundary, data)
        else:
            docs = documents(path, kind, boundary=boundary, data=data, letter_kind=letter_kind)
        merge(
            result,
            lint_docs(
                path,
                docs,
                overrides=overrides,
                config_path=config_path,
                isolated=isolated,
                enforce_law=enforce_law,
            ),
        )
    result.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    return result


def lint_docs(
    path: Path,
    docs: list[LintDoc],
    *,
    overrides: dict[str, Any] | None = None,
    config_path: Path | None = None,
    isolated: bool = False,
    enforce_law: bool = False,
) -> LintResult:
    """The documents of one file (a campaign's letter and e-mail, a letter…), linted under the
    configuration found for `path`, with its suppression comments applied and its scores."""
    result = LintResult(files=1)
    config = config_for(path, explicit=config_path, isolated=isolated)
    if overrides:
        config = apply(config, overrides, Where("command line"))
    result.custom = {r.code: r for r in config.custom}
    language = "en"
    by_variant: list[tuple[LintDoc, list[Finding]]] = []
    templates = [d for d in docs if d.merged_for is None]
    merged = [d for d in docs if d.merged_for is not None]
    # per template, once (not once per merged reply): its configuration, the rules that fired on
    # it, and its text folded, which the merged documents' findings are compared with
    made: dict[str, Template] = {}
    for doc in templates:
        language = doc.language
        if doc.assumed:
            result.notes.append(doc.assumed)
        doc_config = apply(config, doc.overrides, Where(doc.path)) if doc.overrides else config
        findings, hits = lint_doc(doc, doc_config, config, enforce_law=enforce_law)
        key = _score_key(path, doc)
        result.scores[key] = score(doc, hits)
        made[key] = Template(doc_config, {code for code, _hit in hits}, _folded(doc.offer_text))
        if doc.variant:
            by_variant.append((doc, findings))
        else:
            result.findings += findings
    result.findings += _variant_findings(by_variant)
    for doc in merged:
        key = _score_key(path, doc)
        _lint_merged(result, doc, made.get(key) or Template(config, set(), ""), key, config, enforce_law)
    if merged:
        kind = "replies" if merged[0].kind == "reply" else f"{merged[0].kind}s"
        how = (
            "every one"
            if merged[0].kind == "reply"
            else "a sample: the longest and commonest of each text column"
        )
        result.notes.append(f"merged {kind} linted too: {len(merged)} ({how})")
    sources = {str(where.path) for doc in templates for unit in doc.units if (where := unit.locate(0)).path}
    texts = {str(file): text for doc in templates for file, text in doc.sources.items()}
    result.findings += _suppressions(path, sources, result, config, language, texts)
    result.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    return result


def _score_key(path: Path, doc: LintDoc) -> str:
    return f"{path}#{doc.kind}" + (f"@{doc.variant}" if doc.variant else "")


@dataclass(frozen=True)
class Template:
    """What the merged documents of one template are linted against, worked out once."""

    config: LintConfig  # the template's configuration (its campaign's `lint:` applied)
    fired: set[str]  # the rules that fired on it
    written: str  # its copy, folded


def _lint_merged(
    result: LintResult, doc: LintDoc, template: Template, key: str, config: LintConfig, enforce_law: bool
) -> None:
    """A merged document's findings the template does not have (a rule that fired on the
    template, on text the template holds, is the template's: reported once, there), each naming
    whom it is for; the copy's score becomes the worst merged one's when that is lower."""

    def own(code: str, hit: Hit) -> bool:
        if code not in template.fired:
            return True
        return hit.unit is not None and _folded(hit.unit.text[hit.start : hit.end]) not in template.written

    findings, hits = lint_doc(doc, template.config, config, enforce_law=enforce_law, keep=own)
    word = "pour" if doc.language == "fr" else "for"
    for finding in findings:
        finding.message += f" ({word} {doc.merged_for})"
        finding.context = {**finding.context, "recipient": doc.merged_for, "row": doc.row}
    result.findings += findings
    merged = score(doc, hits)
    current = result.scores.get(key)
    if current is None or merged.overall < current.overall:
        result.scores[key] = replace(merged, of=doc.merged_for)


def _folded(text: str) -> str:
    return " ".join(text.casefold().replace("\u2019", "'").split())


def _variant_findings(linted: list[tuple[LintDoc, list[Finding]]]) -> list[Finding]:
    """The findings of a campaign's variants, once each: a finding in copy the variants share is
    reported once for all of them; one only some variants have names them."""
    variants: dict[str, list[str]] = {}  # document kind → its variants
    found: dict[tuple[Any, ...], tuple[Finding, list[str]]] = {}
    for doc, findings in linted:
        assert doc.variant is not None
        variants.setdefault(doc.kind, []).append(doc.variant)
        for finding in findings:
            key = (doc.kind, finding.rule, finding.path, finding.line, finding.column, finding.message)
            found.setdefault(key, (finding, []))[1].append(doc.variant)
    out = []
    for (kind, *_), (finding, names) in found.items():
        if len(names) < len(variants[kind]):  # every output format shows the message: it names them
            finding.variant = ", ".join(names)
            word = ("variante" if finding.language == "fr" else "variant") + ("s" if len(names) > 1 else "")
            finding.message += f" ({word} {finding.variant})"
        out.append(finding)
    return out


def merge(into: LintResult, other: LintResult) -> None:
    into.findings += other.findings
    into.files += other.files
    into.scores.update(other.scores)
    into.custom.update(other.custom)
    into.notes += other.notes


def _boundary(path: Path, allow_outside: bool) -> Path | None:
    return None if allow_outside else repository_root(path)


def _repository_of_link(path: Path) -> Path:
    """The repository a named file sits in, found from where its name is, not from where a
    link leads (repository_root resolves links first: a link's target would always be inside)."""
    folder = os.path.dirname(os.path.abspath(path))
    return Path(os.path.realpath(git_work_tree(folder) or folder))


def collect(
    paths: list[Path],
    *,
    allow_outside: bool = False,
    config_path: Path | None = None,
    isolated: bool = False,
    skipped: list[tuple[str, str]] | None = None,
) -> list[tuple[Path, str]]:
    """Files to lint, and what each is. Copy a campaign uses is linted in its campaign (named
    alone, as pre-commit names a changed file, it would lack the hook, signature and P.S. the
    campaign adds). Files the configuration excludes, and Markdown that is documentation
    rather than a letter, are left out; a file named but left out is listed in `skipped`. A
    file met while walking a folder that is a link to outside the repository is an error."""
    configs: dict[str, LintConfig] = {}
    skipped = [] if skipped is None else skipped
    loaded: dict[Path, set[Path]] = {}

    def uses(campaign: Path) -> set[Path]:
        """The files a campaign uses, each campaign loaded once per run (pre-commit hands many
        copy files of one campaign over at once)."""
        key = campaign.resolve()
        if key not in loaded:
            loaded[key] = _campaign_files(campaign, _boundary(campaign, allow_outside))
        return loaded[key]

    def wanted(path: Path, kind: str, named: bool) -> bool:
        folder = os.path.dirname(os.path.abspath(path))  # a cache key: no link resolved (15 µs)
        if folder not in configs:
            configs[folder] = config_for(path, explicit=config_path, isolated=isolated)
        config = configs[folder]
        reason = "excluded by the configuration" if config.excludes(path) else None
        if reason is None and kind == "letter" and not config.includes(path):
            reason = not_a_letter(_read(path), walking=not named)
        if reason and named:
            skipped.append((str(path), reason))
        return reason is None

    # Each folder listed once per run: pre-commit names every changed file (all of them with
    # --all-files), and a folder of 3,000 letters was listed 3,000 times.
    listed = cache(_campaigns_in)
    found: list[tuple[Path, str]] = []
    for path in paths:
        if not path.exists():
            raise PublipostError("no such file or folder", Where(path), "check the path")
        if path.is_dir():
            boundary = _boundary(path, allow_outside)
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and not (set(child.relative_to(path).parts[:-1]) & SKIP_DIRS)
                    and not any(p.startswith(".") for p in child.relative_to(path).parts)
                ):
                    kind = _kind(child, walking=True)
                    if kind:
                        check_path(child, boundary, Where(child), "this file (a link)")  # before reading it
                        if wanted(child, kind, named=False):
                            found.append((child, kind))
        else:
            # Resolved once, and its work tree found once, for the check and for its campaign.
            resolved = os.path.realpath(path)
            top = resolved_root(resolved)
            if not allow_outside:  # a named link to outside: refused before it is read, as when walking
                # Where no link leads anywhere (the name is the file's own), the repository of the
                # name is the file's: the same walk up from the same folder.
                named_in = top if os.path.abspath(path) == resolved else _repository_of_link(path)
                check_resolved(resolved, named_in, Where(path), "this file (a link)")
            kind = _kind(path, walking=False)
            if kind is None and path.suffix.lower() in CAMPAIGN_SUFFIXES:
                continue  # YAML that is not a campaign: nothing to lint in it
            if kind is None:
                raise PublipostError(
                    f"cannot lint '{path.suffix}' files",
                    Where(path),
                    "lint Markdown, text, MJML or HTML copy, or a campaign YAML file",
                )
            owner = _owner(resolved, top, uses, listed) if kind in ("letter", "email") else None
            if owner is not None:
                found.append((owner, "campaign"))
            elif wanted(path, kind, named=True):
                found.append((path, kind))
    used_by_campaigns = set()
    for path, kind in found:
        if kind == "campaign":
            used_by_campaigns |= uses(path)
    unique: dict[Path, tuple[Path, str]] = {}
    for path, kind in found:
        key = path.resolve()
        if kind == "campaign" or key not in used_by_campaigns:
            unique.setdefault(key, (path, kind))
    return list(unique.values())


def _owner(
    resolved: str, top: str, uses: Callable[[Path], set[Path]], campaigns_in: Callable[[Path], list[Path]]
) -> Path | None:
    """The campaign that uses this copy file (`resolved`: its path, links resolved): a campaign
    YAML in its folder or a folder above, up to the repository's root `top`, whose copy it is."""
    folder = os.path.dirname(resolved)
    while True:
        for candidate in campaigns_in(Path(folder)):
            try:
                files = uses(candidate)
            except PublipostError:
                continue  # a campaign that does not load is not known to own it
            if Path(resolved) in files:
                shown = os.path.relpath(candidate) if candidate.is_relative_to(Path.cwd()) else str(candidate)
                return Path(shown)
        parent = os.path.dirname(folder)
        if folder == top or not inside(folder, top) or parent == folder:
            return None
        folder = parent


def _campaigns_in(folder: Path) -> list[Path]:
    """The campaign files of a folder, in order: one listing of names (two globs cost 0.4 ms in
    a folder of 300 letters, on every file pre-commit names; os.scandir 0.29 ms, os.listdir
    0.19 ms), then a look at the YAML files alone."""
    try:  # names as bytes, decoded when they are YAML: 0.16 instead of 0.23 ms for 300 letters
        names = [
            os.fsdecode(name)
            for name in os.listdir(os.fsencode(folder))
            if name.endswith((b".yaml", b".yml"))
        ]
    except OSError:
        return []
    files = [folder / name for name in sorted(names)]
    return [path for path in files if path.is_file() and _kind(path, walking=True) == "campaign"]


_HEADING = re.compile(r"^ {0,3}#{1,6}\s")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LETTER_MARK = later(
    r"\{\{|\{%|^\s*(?:P\.?\s?-?S\.?|PS)\b|"
    r"^\s*(?:madame|monsieur|messieurs|mesdames|cher|chère|chers|chères|bonjour|dear|hello|hi)\b.*[,:]\s*$",
    re.IGNORECASE,
)
_TABLE_RULE = later(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")


def not_a_letter(text: str, *, walking: bool = False) -> str | None:
    """Why a Markdown file is documentation rather than a letter, or None. A letter has one
    heading at most (its hook), no code and no tables; front matter makes a file a letter.
    Met while walking a folder, a file must also look like a letter: a salutation, a merge
    field or a P.S. (a named file is linted: it may be a letter's first draft)."""
    if text.startswith("---\n") or text.startswith("---\r\n"):
        return None
    lines = text.splitlines()
    if any(_FENCE.match(line) for line in lines):
        return "Markdown with code blocks, not a letter"
    if any(_TABLE_RULE().match(line) for line in lines):
        return "Markdown with a table, not a letter"
    headings = sum(bool(_HEADING.match(line)) for line in lines)
    if headings > 1:
        return f"Markdown with {headings} headings, not a letter"
    if walking and not any(_LETTER_MARK().search(line) for line in lines):
        return "Markdown with no salutation, merge field or P.S., not a letter"
    return None


def _kind(path: Path, *, walking: bool) -> str | None:
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".j2", ".jinja", ".jinja2")]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in LETTER_SUFFIXES:
        return (
            None
            if walking and path.name.lower() in ("readme.md", "license.txt", "changelog.md")
            else "letter"
        )
    if suffix in EMAIL_SUFFIXES:
        return "email"
    if suffix in CAMPAIGN_SUFFIXES:
        # Other YAML (a CI workflow, .pre-commit-config.yaml, which pre-commit hands over with
        # the rest) is not a campaign. Named on the command line, a file with any campaign key
        # is one, so that a campaign missing its objective is linted and says so.
        text = path.read_text(encoding="utf-8", errors="replace")
        walked = r"objective\s*:|kind\s*:\s*complaint-reply\b"  # a sales campaign, or replies
        named = r"(?:objective|offer|target|letter|email|sender|kind)\s*:"
        return "campaign" if re.search(rf"^(?:{walked if walking else named})", text, re.M) else None
    return None


def _campaign_files(path: Path, boundary: Path | None) -> set[Path]:
    """The copy a campaign lints itself, and its data files, which are not copy at all."""
    from publipost.campaigns.load import load_campaign

    campaign = load_campaign(path, boundary=boundary)
    files = {Path(c.origin.path or path).resolve() for c in campaign.copies.values()}
    files |= {campaign.resolve(campaign.target.source or ".")} | {
        campaign.resolve(e.path) for e in campaign.target.exclude
    }
    return files - {campaign.path}


def documents(
    path: Path, kind: str, *, boundary: Path | None = None, data: bool = True, letter_kind: str | None = None
) -> list[LintDoc]:
    """A file's lint documents; `letter_kind` (sales, complaint-reply) overrides what a
    Markdown letter's front matter says it is."""
    if kind == "campaign":
        from publipost.linter.campaign import campaign_documents

        return campaign_documents(path, boundary=boundary, data=data)
    text = _read(path)
    if kind == "email":
        return [email_from_markup(path, text)]
    return [letter_from_markdown(path, text, letter_kind=letter_kind)]


def _read(path: Path) -> str:
    check_size(path, Where(path), "this file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PublipostError(f"not UTF-8 (byte {exc.start})", Where(path), "save the file as UTF-8") from None


def lint_doc(
    doc: LintDoc,
    config: LintConfig,
    base: LintConfig | None = None,
    *,
    enforce_law: bool = False,
    keep: Callable[[str, Hit], bool] | None = None,
) -> tuple[list[Finding], list[tuple[str, Hit]]]:
    """The document's findings under `config`, and the hits the score counts: every rule's, so
    that --select, ignore and per-file ignores change what is shown, never the score.

    Rules that guard the law (`Rule.law`) follow `base`, the configuration before the
    campaign's or the front matter's own `lint:`: copy cannot switch off the rule that checks
    it obeys the law. With `enforce_law` (the send gate), they run at error severity whatever
    any configuration says."""
    shown: list[Finding] = []
    scored: list[tuple[str, Hit]] = []

    def lists(name: str) -> WordList:
        return word_list(doc.language, name, config.extra_words(doc.language, name))

    for rule in config.every_rule():
        if doc.kind not in rule.kinds:
            continue
        own = (base or config) if rule.law else config
        if enforce_law and rule.law:
            own = replace(own, select=("ALL",), ignore=(), per_file_ignores={}, severity={rule.code: "error"})
        ctx = Context(own.options_of(rule), lists)
        enabled = own.enabled(rule, doc.path)
        for hit in rule().check(doc, ctx):
            scored.append((rule.code, hit))
            if enabled and (keep is None or keep(rule.code, hit)):
                shown.append(_finding(rule, hit, doc, own))
    return shown, scored


def _finding(rule: type[Rule], hit: Hit, doc: LintDoc, config: LintConfig) -> Finding:
    if hit.unit is None:
        start = end = doc.where()
    else:
        start, end = hit.unit.locate(hit.start), hit.unit.locate(hit.end)
    args = {k: (v.get(doc.language, v.get("en")) if isinstance(v, dict) else v) for k, v in hit.args.items()}
    severity = (
        hit.severity
        if hit.severity and config.severity_of(rule) == rule.severity
        else config.severity_of(rule)
    )
    return Finding(
        rule=rule.code,
        name=rule.name,
        severity=severity,
        path=str(start.path),
        line=start.line or 1,
        column=start.column or 1,
        end_line=end.line or start.line or 1,
        end_column=end.column or start.column or 1,
        message=rule.message[doc.language].format(**args),
        language=doc.language,
        source=rule.source,
        url=rule_url(rule.code),
        context=hit.context,
    )


def _suppressions(
    path: Path,
    sources: set[str],
    result: LintResult,
    config: LintConfig,
    language: str,
    texts: dict[str, str],
) -> list[Finding]:
    """Apply the suppression comments of every file the copy came from (a clean file's unused
    comment is reported too); report the meta findings. A file's comments are read from the
    text that was linted (`texts`), not from the file again: what is suppressed is what was
    seen, even if the file changed meanwhile."""
    meta: list[Finding] = []
    rules = {r.code: r for r in config.every_rule()}
    # a merged document's findings point into the customer file: data, with no comments to read
    files = {f.path for f in result.findings if not f.suppressed and "row" not in f.context}
    files |= sources | {str(path)}
    for name in sorted(files):
        file = Path(name)
        if not file.is_file():
            continue
        text = texts[name] if name in texts else _read(file)
        directives, problems = suppress.parse(file, text, config.custom)
        mine = [f for f in result.findings if f.path == name and not f.suppressed]
        for finding in mine:
            for directive in directives:
                if directive.covers(finding.rule, finding.line):
                    finding.suppressed, finding.justification = True, directive.reason
                    directive.used.add(finding.rule)
        for directive in directives:
            for code in sorted(directive.codes - directive.used):
                problems.append(
                    suppress.Problem(
                        "PP900", file, directive.line, directive.column, directive.end_column, {"codes": code}
                    )
                )
        for problem in problems:
            rule = rules[problem.code]
            if not config.enabled(rule, file):
                continue
            meta.append(
                Finding(
                    rule=rule.code,
                    name=rule.name,
                    severity=config.severity_of(rule),
                    path=name,
                    line=problem.line,
                    column=problem.column,
                    end_line=problem.line,
                    end_column=problem.end_column,
                    message=rule.message[language].format(**problem.args),
                    language=language,
                    source=rule.source,
                    url=rule_url(rule.code),
                )
            )
    return meta


def fails(result: LintResult, config: LintConfig) -> bool:
    active = result.active
    if any(RANK[f.severity] >= RANK[config.fail_on] for f in active):
        return True
    if below_score(result, config):
        return True
    warnings = sum(f.severity == "warning" for f in active)
    return config.max_warnings is not None and warnings > config.max_warnings


def below_score(result: LintResult, config: LintConfig) -> list[str]:
    """The copies whose overall score is under `min-score` (a CI gate on the score)."""
    if config.min_score is None:
        return []
    return [name for name, score in result.scores.items() if score.overall < config.min_score]
