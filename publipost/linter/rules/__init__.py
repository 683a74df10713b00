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
