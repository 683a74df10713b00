"""What a rule is: a code, a slug, a default severity, a source, messages in both languages, its
weight in the score, a check.

Rules report hits as offsets inside units; the engine turns them into findings
with positions, severities and messages. `--list-rules`, `--explain` and the
README's rule table are generated from these classes. A rule registers itself by being defined
in a module of `publipost/linter/rules/` (every module there is loaded): adding a rule is one
class in one file (its weight declared) and its French explanation in explain/fr.toml;
tests/test_rule_registry.py refuses a rule without one of them.
"""

from __future__ import annotations

import functools
import inspect
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from publipost.linter.document import LintDoc, Unit
from publipost.linter.text import WordList

SEVERITIES = ("info", "warning", "error")
ONCE, RATE, READING_EASE = "once", "rate", "reading ease"  # how a rule's findings count in the score
DIMENSIONS = ("structure", "style", "readability")


@dataclass(frozen=True)
class Weight:
    """A rule's weight in the copy's score (linter/score.py): the dimension it lowers, by how many
    points, and whether once (a missing element) or by how often it fires per 100 words."""

    dimension: str
    points: float
    counts: str = ONCE
    cap: float | None = None  # when the rule fires, the overall score stays below this


# Every built-in rule by code, in the order its module defines it (Rule.__init_subclass__).
REGISTRY: dict[str, type[Rule]] = {}


@dataclass(frozen=True)
class Hit:
    unit: Unit | None  # None: the document as a whole
    start: int = 0
    end: int = 0
    args: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None  # a rule may escalate (sentence-too-long past the error limit)
    context: dict[str, Any] = field(default_factory=dict)  # e.g. the recipient whose data was merged

    @classmethod
    def whole(cls, unit: Unit, **args: Any) -> Hit:
        return cls(unit, 0, len(unit.raw), args)


@dataclass
class Context:
    options: dict[str, Any]
    words: Callable[[str], WordList]


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[str] = "warning"
    source: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]] = ("letter", "email")
    options: ClassVar[dict[str, Any]] = {}
    law: ClassVar[bool] = False  # guards the law: no copy's lint: or suppression comment turns it off
    message: ClassVar[dict[str, str]]
    weight: ClassVar[Weight | None]  # declared by every rule: None says on purpose it is not scored
    explanation_fr: ClassVar[str] = ""  # a rule registered from outside (explain/fr.toml is the package's)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in vars(cls) and cls.__module__.startswith("publipost.linter.rules."):
            if cls.code in REGISTRY:
                raise TypeError(f"two rules have the code {cls.code}: {REGISTRY[cls.code]} and {cls}")
            REGISTRY[cls.code] = cls

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        return (inspect.getdoc(cls) or "").split("\n", 1)[0]

    @classmethod
    def explain(cls, language: str = "en") -> str:
        """What --explain prints, in English (the docstring) or French (explain/fr.toml)."""
        options = "".join(f"\n  {k} = {v!r}" for k, v in cls.options.items())
        french = (_explanations("fr").get(cls.code) or cls.explanation_fr) if language == "fr" else None
        if french:
            law = " ; garde la loi : le texte ne peut pas la désactiver" if cls.law else ""
            head = f"{cls.code} {cls.name} (par défaut : {cls.severity} ; {cls.source}{law})"
            return f"{head}\n\n{french.strip()}\n" + (f"\nOptions :{options}\n" if options else "")
        law = "; guards the law: the copy cannot switch it off" if cls.law else ""
        return (
            f"{cls.code} {cls.name} (default: {cls.severity}; {cls.source}{law})\n\n{inspect.getdoc(cls)}\n"
            + (f"\nOptions:{options}\n" if options else "")
        )


@functools.cache
def _explanations(language: str) -> dict[str, str]:
    path = Path(__file__).parent / "explain" / f"{language}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
