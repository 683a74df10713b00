"""Rules a house writes as data, Vale's way: `[tool.publipost.lint.rules.NAME]` with a `kind`.

    [tool.publipost.lint.rules.house-no-jargon]
    kind = "existence"                  # existence | substitution | occurrence | capitalization
    tokens = ["synergy", "leverage"]    # words or phrases, whole words, any case
    patterns = ['\\bROI\\b']             # and/or regular expressions (Python syntax)
    message = "'{match}' is jargon: say what the reader gets"   # or { en = "…", fr = "…" }
    severity = "warning"                # default warning
    language = "en"                     # en | fr; default: both
    scope = ["hook", "body", "ps"]      # parts of the copy; default: all of it

Why data, not code: a house's wording (its brand names, its banned words, its preferred
terms) changes with its marketing, not with publipost; a marketer edits TOML, not Python.
Each table becomes a rule like the built-in ones: named by its NAME in select, ignore,
severity, per-file ignores and suppression comments; scored as style.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from publipost.errors import PublipostError, Where, did_you_mean
from publipost.linter.document import LintDoc, Unit
from publipost.linter.rule import SEVERITIES, Context, Hit, Rule
from publipost.linter.text import WordList
from publipost.patterns import later

KINDS = ("existence", "substitution", "occurrence", "capitalization")
ROLES = ("subject", "preheader", "hook", "salutation", "body", "signature", "ps")
NAME = later(r"[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*")
COMMON = {"kind", "message", "severity", "language", "scope"}
KEYS = {
    "existence": {"tokens", "patterns"},
    "substitution": {"swap"},
    "occurrence": {"tokens", "patterns", "min", "max"},
    "capitalization": {"tokens"},
}
DEFAULT_MESSAGE = {
    "existence": {"en": "'{match}': the house style avoids it", "fr": "« {match} » : la charte l'évite"},
    "substitution": {
        "en": "'{match}': write '{replacement}'",
        "fr": "« {match} » : écrivez « {replacement} »",
    },
    "occurrence": {
        "en": "{count} × '{what}' (house style: {bounds})",
        "fr": "{count} × « {what} » (charte : {bounds})",
    },
    "capitalization": {
        "en": "'{match}': write '{replacement}'",
        "fr": "« {match} » : écrivez « {replacement} »",
    },
}


class UserRule(Rule):
    """A rule of the house's own, from its configuration."""

    kind: ClassVar[str]
    language: ClassVar[str | None] = None
    scope: ClassVar[tuple[str, ...]] = ROLES
    spec: ClassVar[dict[str, Any]]
    kinds = ("letter", "email", "reply")
    severity = "warning"

    def units(self, doc: LintDoc) -> list[Unit]:
        return [u for u in doc.units if u.role in self.scope]

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if self.language and doc.language != self.language:
            return
        yield from getattr(self, f"_{self.kind}")(self.units(doc))

    def _matches(self, unit: Unit) -> Iterator[tuple[int, int, str]]:
        for token in self.spec["words"].find(unit.plain):
            yield token.start, token.end, token.text
        for pattern in self.spec["compiled"]:
            try:
                for found in pattern.finditer(unit.plain, timeout=PATTERN_SECONDS):
                    if found.end() > found.start():
                        yield found.start(), found.end(), found.group(0)
            except TimeoutError:
                raise PublipostError(
                    f"rules.{self.name}: pattern {pattern.pattern!r} took over {PATTERN_SECONDS} s on one "
                    "paragraph: it backtracks (a repetition whose parts can match the same text in many "
                    "ways, as (a|aa)+)",
                    self.spec["where"],
                    "write a+ or (ab)+: each character matched one way only",
                ) from None

    def _existence(self, units: list[Unit]) -> Iterator[Hit]:
        for unit in units:
            for start, end, text in sorted(self._matches(unit)):
                yield Hit(unit, start, end, {"match": text})

    def _substitution(self, units: list[Unit]) -> Iterator[Hit]:
        swaps = {word.lower(): better for word, better in self.spec["swap"].items()}
        for unit in units:
            for token in self.spec["swaps"].find(unit.plain):
                yield Hit(
                    unit,
                    token.start,
                    token.end,
                    {"match": token.text, "replacement": swaps[token.text.lower()]},
                )

    def _capitalization(self, units: list[Unit]) -> Iterator[Hit]:
        spelled = {word.lower(): word for word in self.spec["tokens"]}
        for unit in units:
            for token in self.spec["words"].find(unit.plain):
                right = spelled[token.text.lower()]
                if token.text != right:
                    yield Hit(unit, token.start, token.end, {"match": token.text, "replacement": right})

    def _occurrence(self, units: list[Unit]) -> Iterator[Hit]:
        found = [(unit, start, end) for unit in units for start, end, _ in self._matches(unit)]
        low, high = self.spec.get("min"), self.spec.get("max")
        what = ", ".join([*self.spec.get("tokens", []), *self.spec.get("patterns", [])])
        bounds = " – ".join(
            str(b)
            for b in (f"≥ {low}" if low is not None else None, f"≤ {high}" if high is not None else None)
            if b
        )
        args = {"count": len(found), "what": what, "bounds": bounds}
        if high is not None and len(found) > high:
            unit, start, end = found[high]  # the first one too many
            yield Hit(unit, start, end, args)
        elif low is not None and len(found) < low:
            yield Hit(None, args=args)


# A house rule's pattern runs under a time limit per paragraph: lint may run on untrusted
# repositories, and a pattern that backtracks exponentially ((a|aa)+$ on "aaaa…!") must not hang CI.
# The `regex` module (mrab-regex, Python's re syntax and Unicode \b and \w) stops a match after
# `timeout` seconds; RE2 would be linear by construction, but its \b and \w are ASCII-only, and
# a French house rule such as \bété\b would silently stop matching.
PATTERN_SECONDS = 0.25


def build(name: str, table: dict[str, Any], where: Where) -> type[Rule]:
    """The rule a configuration table describes; a precise error for anything it cannot be."""

    def bad(problem: str, hint: str | None = None) -> PublipostError:
        return PublipostError(f"rules.{name}: {problem}", where, hint)

    if not NAME().fullmatch(name):
        raise bad("a rule of your own is named in lower case, with - or . (house.no-jargon)")
    kind = table.get("kind")
    if kind not in KINDS:
        raise bad(f"kind is '{kind}'", f"kind is one of: {', '.join(KINDS)}")
    for key in table:
        if key not in COMMON | KEYS[kind]:
            raise bad(f"unknown key '{key}' for kind {kind}", did_you_mean(key, COMMON | KEYS[kind]))
    import regex

    spec: dict[str, Any] = {"compiled": [], "where": where}
    for key in ("tokens", "patterns"):
        if key in table:
            value = table[key]
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) and v.strip() for v in value)
            ):
                raise bad(f"{key} is a list of non-empty strings")
            spec[key] = value
    for pattern in spec.get("patterns", []):
        try:  # V0: the syntax of Python's re, which the README promises
            spec["compiled"].append(regex.compile(pattern, regex.IGNORECASE | regex.V0))
        except regex.error as exc:
            raise bad(f"pattern {pattern!r} is not a regular expression: {exc}") from None
    if kind in ("existence", "occurrence") and not (spec.get("tokens") or spec.get("patterns")):
        raise bad(f"a rule of kind {kind} needs tokens or patterns")
    if kind == "capitalization" and "tokens" not in spec:
        raise bad("a rule of kind capitalization needs tokens, written as they must be spelled")
    if kind == "substitution":
        swap = table.get("swap")
        if not isinstance(swap, dict) or not swap or not all(isinstance(v, str) for v in swap.values()):
            raise bad("swap is a table of wording = preferred wording", 'swap = { "utilize" = "use" }')
        spec["swap"] = swap
    if kind == "occurrence":
        for key in ("min", "max"):
            if key in table and (
                not isinstance(table[key], int) or isinstance(table[key], bool) or table[key] < 0
            ):
                raise bad(f"{key} is a whole number, 0 or more")
            spec[key] = table.get(key)
        if spec["min"] is None and spec["max"] is None:
            raise bad("a rule of kind occurrence needs min, max or both")
        if spec["min"] is not None and spec["max"] is not None and spec["min"] > spec["max"]:
            raise bad(f"min ({spec['min']}) is above max ({spec['max']})")
    severity = table.get("severity", "warning")
    if severity not in SEVERITIES:
        raise bad(f"severity is '{severity}'", f"use one of: {', '.join(SEVERITIES)}")
    language = table.get("language")
    if language not in (None, "en", "fr"):
        raise bad(f"language is '{language}'", "en or fr; leave it out for both")
    scope = table.get("scope", list(ROLES))
    if not isinstance(scope, list) or not all(s in ROLES for s in scope):
        raise bad(f"scope is {scope!r}", f"a list of: {', '.join(ROLES)}")
    message = table.get("message", DEFAULT_MESSAGE[kind])
    if isinstance(message, str):
        message = {"en": message, "fr": message}
    if (
        not isinstance(message, dict)
        or set(message) - {"en", "fr"}
        or not message
        or not all(isinstance(m, str) for m in message.values())
    ):
        raise bad("message is a string, or a table with en and fr strings")
    message = {"en": message.get("en") or message.get("fr"), "fr": message.get("fr") or message.get("en")}
    for text in message.values():
        try:
            text.format(match="", replacement="", count=0, what="", bounds="")
        except (KeyError, IndexError, ValueError) as exc:
            raise bad(
                f"message {text!r} names an unknown field {exc}", "fields: {match} {replacement} {count}"
            ) from None
    source = Path(where.path).name if where.path else "configuration"
    spec["words"] = WordList(spec.get("tokens", []))
    spec["swaps"] = WordList(list(spec.get("swap", {})))
    return type(
        name,
        (UserRule,),
        {
            "__doc__": f"A {kind} rule of this house ({source}): {_described(spec)}.",
            "code": name,
            "name": name,
            "kind": kind,
            "severity": severity,
            "language": language,
            "scope": tuple(scope),
            "spec": spec,
            "source": source,
            "message": message,
        },
    )


def _described(spec: dict[str, Any]) -> str:
    if "swap" in spec:
        return ", ".join(f"{a} → {b}" for a, b in spec["swap"].items())
    found = ", ".join([*spec.get("tokens", []), *spec.get("patterns", [])])
    bounds = [
        f"at least {spec['min']}" if spec.get("min") is not None else "",
        f"at most {spec['max']}" if spec.get("max") is not None else "",
    ]
    return found + "".join(f", {b}" for b in bounds if b)
