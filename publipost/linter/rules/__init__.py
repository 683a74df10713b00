"""Every rule, by family: PP1 structure, PP2 length, PP3 wording, PP4 reader focus, PP5 readability,
PP6 e-mail, PP7 replies to complaints, PP9 meta (suppression comments)."""

from publipost.linter.rule import Rule
from publipost.linter.rules import action, email, focus, length, meta, readability, reply, structure, wording

RULES: list[type[Rule]] = sorted(
    (
        cls
        for module in (structure, action, length, wording, focus, readability, email, reply, meta)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, Rule) and "code" in vars(cls)
    ),
    key=lambda cls: cls.code,
)


def all_rules() -> list[type[Rule]]:
    """Every rule, in code order: the catalogue --list-rules, --explain and the README show."""
    return RULES
