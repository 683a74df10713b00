"""Every rule, by family: PP1 structure, PP2 length, PP3 wording, PP4 reader focus, PP5 readability,
PP6 e-mail, PP7 replies to complaints, PP9 meta (suppression comments). Every module of this
package is loaded, and its rules register themselves (linter/rule.py): a new family is a new file."""

import importlib
import pkgutil

from publipost.linter.rule import REGISTRY, Rule

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

RULES: list[type[Rule]] = sorted(REGISTRY.values(), key=lambda cls: cls.code)


def all_rules() -> list[type[Rule]]:
    """Every rule, in code order: the catalogue --list-rules, --explain and the README show."""
    return RULES


def register(rule: type[Rule]) -> type[Rule]:
    """A rule defined outside this package (a channel's own, for its own document kind), added
    to the catalogue as the built-in ones are; its French explanation is its `explanation_fr`.
    Usable as a class decorator."""
    if REGISTRY.get(rule.code, rule) is not rule:
        raise TypeError(f"two rules have the code {rule.code}: {REGISTRY[rule.code]} and {rule}")
    REGISTRY[rule.code] = rule
    RULES[:] = sorted(REGISTRY.values(), key=lambda cls: cls.code)
    return rule


def unregister(code: str) -> None:
    REGISTRY.pop(code, None)
    RULES[:] = sorted(REGISTRY.values(), key=lambda cls: cls.code)
