"""Lint configuration: `[tool.publipost.lint]` in pyproject.toml, or publipost.toml.

Found by walking up from each linted file (the first file found wins), unless
`--config`, PUBLIPOST_CONFIG or `--isolated` say otherwise. A campaign's `lint:`
key and a letter's front-matter `lint:` apply on top, then command-line flags.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path
from typing import Any

from publipost.campaigns.paths import check_size, repository_root
from publipost.errors import PublipostError, Where, did_you_mean, shown
from publipost.linter.custom import KINDS, build
from publipost.linter.rule import SEVERITIES, Rule
from publipost.linter.rules import all_rules

CONFIG_FILES = ("publipost.toml", ".publipost.toml", "pyproject.toml")
NOT_LINT = ("store",)  # publipost.toml's other settings (store/config.py reads `store`)
KEYS = {
    "select",
    "ignore",
    "per-file-ignores",
    "severity",
    "rules",
    "lang",
    "fail-on",
    "max-warnings",
    "min-score",
    "include",
    "exclude",
    "extend",
}


@dataclass(frozen=True)
class LintConfig:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    lang: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # language → list → extra words
    fail_on: str = "error"
    max_warnings: int | None = None
    min_score: float | None = None  # fail when a copy's overall score (0-5) is below it: a CI gate
    include: tuple[str, ...] = ()  # globs: files linted as letters even where they look like documentation
    exclude: tuple[str, ...] = ()  # globs: files never linted, walked or named (as pre-commit names them)
    custom: tuple[type[Rule], ...] = ()  # the house's own rules (linter/custom.py)
    source: Path | None = None  # the file it was read from
    root: Path = field(default_factory=Path.cwd)  # per-file-ignores globs are relative to it

    def enabled(self, rule: type[Rule], path: Path) -> bool:
        if not _named(rule, self.select) or _named(rule, self.ignore):
            return False
        if not self.per_file_ignores:
            return True
        relative = _relative(path, self.root)
        return not any(
            fnmatch(relative, pattern) and any(matches(rule, ref) for ref in refs)
            for pattern, refs in self.per_file_ignores.items()
        )

    def every_rule(self) -> list[type[Rule]]:
        return [*all_rules(), *self.custom]

    def excludes(self, path: Path) -> bool:
        return _matches_any(path, self.root, self.exclude)

    def includes(self, path: Path) -> bool:
        return _matches_any(path, self.root, self.include)

    def severity_of(self, rule: type[Rule]) -> str:
        return self.severity.get(rule.code) or self.severity.get(rule.name) or rule.severity

    def options_of(self, rule: type[Rule]) -> dict[str, Any]:
        return {**rule.options, **self.rules.get(rule.name, {}), **self.rules.get(rule.code, {})}

    def extra_words(self, language: str, name: str) -> tuple[str, ...]:
        return self.lang.get(language, {}).get(name, ())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source) if self.source else None,
            "select": list(self.select),
            "ignore": list(self.ignore),
            "per-file-ignores": {k: list(v) for k, v in self.per_file_ignores.items()},
            "severity": self.severity,
            "rules": {
                **{r.name: self.options_of(r) for r in all_rules() if r.options},
                **{r.name: {"kind": getattr(r, "kind", "")} for r in self.custom},
            },
            "lang": {k: {n: list(w) for n, w in v.items()} for k, v in self.lang.items()},
            "fail-on": self.fail_on,
            "max-warnings": self.max_warnings,
            "min-score": self.min_score,
            "include": list(self.include),
            "exclude": list(self.exclude),
        }


def _named(rule: type[Rule], refs: tuple[str, ...]) -> bool:
    return _names(rule.code, rule.name, refs)


@lru_cache(maxsize=4096)
def _names(code: str, name: str, refs: tuple[str, ...]) -> bool:
    """Whether any of `refs` names the rule: asked of every rule for every document linted."""
    return any(_is(code, name, ref) for ref in refs)


def matches(rule: type[Rule], ref: str) -> bool:
    """A rule is named by its code, a code prefix (PP2), its slug, or ALL."""
    return _is(rule.code, rule.name, ref)


def _is(code: str, name: str, ref: str) -> bool:
    ref = ref.strip()
    return ref.upper() == "ALL" or code.startswith(ref.upper()) or ref == name


def resolve_ref(ref: str, custom: tuple[type[Rule], ...] = ()) -> bool:
    return any(matches(rule, ref) for rule in (*all_rules(), *custom))


def find_config(start: Path) -> Path | None:
    """The nearest configuration file from `start` up. One inside the repository must really be
    there: a link to a file elsewhere is refused (lint must not read this machine's files for a
    repository nobody reviewed). Above the repository, a user's own file is theirs to keep."""
    folder = start if start.is_dir() else start.parent
    top = repository_root(folder)
    for directory in (folder.resolve(), *folder.resolve().parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if directory.is_relative_to(top) and candidate.is_symlink():
                _within_repository(candidate, top, Where(candidate), "this configuration file (a link)")
            if candidate.is_file() and (name != "pyproject.toml" or _has_lint_table(candidate)):
                return candidate
    return None


def _within_repository(target: Path, top: Path, where: Where, what: str) -> Path:
    """A configuration file a repository names (by extend, or by a link) lies inside it and is a
    small regular file: lint runs on repositories nobody reviewed."""
    resolved = target.resolve()
    if not resolved.is_relative_to(top):
        raise PublipostError(
            f"{what} lies outside the repository ({shown(str(top), 80)})",
            where,
            "name a configuration file inside the repository; for one elsewhere, use --config",
        )
    if not resolved.is_file():
        raise PublipostError(
            f"{what}: no such configuration file: {resolved}",
            where,
            "extend names a file, relative to this one",
        )
    check_size(resolved, where, what)
    return resolved


def _has_lint_table(path: Path) -> bool:
    return "tool" in (data := _read_toml(path)) and "lint" in data["tool"].get("publipost", {})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        check_size(path, Where(path), "this configuration file")
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        line = int(str(exc).rsplit("line ", 1)[-1].split(",")[0]) if "line " in str(exc) else None
        raise PublipostError(
            f"invalid TOML: {exc}", Where(path, line), "fix the configuration file"
        ) from None
    except OSError as exc:
        raise PublipostError(f"cannot read configuration: {exc.strerror}", Where(path)) from None


def load_config(path: Path, extending: tuple[Path, ...] = ()) -> LintConfig:
    """The configuration in `path`; with `extend = "../publipost.toml"`, on top of that file's
    (a subfolder's settings add to the repository's instead of replacing them)."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("publipost", {}).get("lint", {})
    else:
        data = data.get("lint", {key: value for key, value in data.items() if key not in NOT_LINT})
    base = LintConfig()
    if isinstance(data, dict) and "extend" in data:
        data = dict(data)
        target = path.parent / str(data.pop("extend"))
        parent = _within_repository(target, repository_root(path.parent), Where(path), "extend")
        if parent in extending or parent == path.resolve():
            chain = " → ".join(str(p) for p in (*extending, path.resolve(), parent))
            raise PublipostError(f"configuration files extend each other in a loop: {chain}", Where(path))
        base = load_config(parent, (*extending, path.resolve()))
    return apply(replace(base, source=path, root=path.parent), data, Where(path))


def config_for(path: Path, *, explicit: Path | None = None, isolated: bool = False) -> LintConfig:
    if isolated:
        return LintConfig()
    chosen = explicit or (
        Path(os.environ["PUBLIPOST_CONFIG"]) if os.environ.get("PUBLIPOST_CONFIG") else None
    )
    if chosen is not None:
        if not chosen.is_file():
            raise PublipostError(
                "configuration file not found", Where(chosen), "check --config or PUBLIPOST_CONFIG"
            )
        return load_config(chosen)
    found = find_config(path)
    return load_config(found) if found else LintConfig()


def apply(config: LintConfig, data: dict[str, Any], where: Where) -> LintConfig:
    """Overlay settings (a config table, a campaign's lint:, front matter, CLI flags) on a config."""
    if not isinstance(data, dict):
        raise PublipostError("lint settings are a table (select = [...], ignore = [...])", where)
    for key in data:
        if key not in KEYS:
            raise PublipostError(
                f"unknown lint setting '{key}'",
                where,
                did_you_mean(key, KEYS) or f"settings: {', '.join(sorted(KEYS))}",
            )
    changes: dict[str, Any] = {}
    custom = config.custom
    if "rules" in data:  # first: select, ignore and severity may name the house's own rules
        rules = {**config.rules}
        for ref, options in data["rules"].items():
            rule = next((r for r in all_rules() if ref in (r.code, r.name)), None)
            if rule is None:
                if not isinstance(options, dict) or "kind" not in options:
                    raise PublipostError(
                        f"rules.{ref}: no such rule",
                        where,
                        did_you_mean(ref, [r.name for r in all_rules()])
                        or f"a rule of your own has a kind: {', '.join(KINDS)}",
                    )

                built = build(ref, options, where)
                custom = (*(r for r in custom if r.name != ref), built)  # a nearer file redefines it
                continue
            if not isinstance(options, dict):
                raise PublipostError(
                    f"rules.{ref} is {options!r}: a table of options", where, f"[lint.rules.{rule.name}]"
                )
            for option in options:
                if option not in rule.options:
                    raise PublipostError(
                        f"rules.{ref}: unknown option '{option}'",
                        where,
                        f"options of {rule.name}: {', '.join(rule.options) or 'none'}",
                    )
            rules[rule.name] = {**rules.get(rule.name, {}), **options}
        changes["rules"] = rules
        changes["custom"] = custom
    for key, attr in (("select", "select"), ("ignore", "ignore")):
        if key in data:
            changes[attr] = _refs(data[key], key, where, custom)
    if "per-file-ignores" in data:
        changes["per_file_ignores"] = {
            **config.per_file_ignores,
            **{
                glob: _refs(refs, f"per-file-ignores '{glob}'", where, custom)
                for glob, refs in data["per-file-ignores"].items()
            },
        }
    if "severity" in data:
        for ref, level in data["severity"].items():
            _refs([ref], "severity", where, custom)
            if level not in SEVERITIES:
                raise PublipostError(
                    f"severity of {ref} is '{level}'", where, f"use one of: {', '.join(SEVERITIES)}"
                )
        changes["severity"] = {**config.severity, **data["severity"]}
    if "lang" in data:
        from publipost.linter.words import list_names

        lang = {k: dict(v) for k, v in config.lang.items()}
        for language, lists in data["lang"].items():
            if language not in ("fr", "en"):
                raise PublipostError(f"lang.{language}: languages are fr and en", where)
            for name, value in lists.items():
                if name not in list_names():
                    raise PublipostError(
                        f"lang.{language}.{name}: no such word list",
                        where,
                        did_you_mean(name, list_names()) or f"lists: {', '.join(list_names())}",
                    )
                extra = value.get("extend", []) if isinstance(value, dict) else value
                lang.setdefault(language, {})[name] = (*lang.get(language, {}).get(name, ()), *extra)
        changes["lang"] = lang
    if "fail-on" in data:
        if data["fail-on"] not in SEVERITIES:
            raise PublipostError(f"fail-on is '{data['fail-on']}'", where, "use error, warning or info")
        changes["fail_on"] = data["fail-on"]
    if "max-warnings" in data:
        changes["max_warnings"] = data["max-warnings"]
    if "min-score" in data:
        score = data["min-score"]
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 5:
            raise PublipostError(
                f"min-score is {score!r}", where, "a score from 0 to 5, e.g. min-score = 3.5"
            )
        changes["min_score"] = float(score)
    for key in ("include", "exclude"):
        if key in data:
            globs = data[key]
            if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
                raise PublipostError(f"{key} is a list of globs", where, f'e.g. {key} = ["docs/**"]')
            changes[key] = (*getattr(config, key), *globs)
    if "extend" in data:
        raise PublipostError(
            "extend is a configuration file's own setting", where, "set it in publipost.toml"
        )
    return replace(config, **changes)


def _refs(value: Any, key: str, where: Where, custom: tuple[type[Rule], ...] = ()) -> tuple[str, ...]:
    refs = tuple(value) if isinstance(value, list | tuple) else tuple(str(value).split(","))
    for ref in refs:
        if not resolve_ref(ref, custom):
            raise PublipostError(
                f"{key}: no rule is named '{ref}'",
                where,
                did_you_mean(ref, [r.name for r in all_rules()] + [r.code for r in all_rules()])
                or "see publipost lint --list-rules",
            )
    return refs


def _matches_any(path: Path, root: Path, globs: tuple[str, ...]) -> bool:
    """ruff's way: a glob matches the path from the config's folder, or (without a slash) any
    file or folder name on it: `docs` and `docs/**` both skip the docs folder."""
    if not globs:
        return False
    relative = _relative(path, root)
    parts = relative.split("/")
    return any(
        fnmatch(relative, glob.rstrip("/"))
        or ("/" not in glob.rstrip("/") and any(fnmatch(p, glob) for p in parts))
        for glob in globs
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
