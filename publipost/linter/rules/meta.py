"""PP9: suppression comments that do nothing, name no rule, or are malformed.

The engine reports these while applying `{# publipost: … #}` comments; they are rules
so they can be listed, explained, selected and ignored like any other.
"""

from __future__ import annotations

from collections.abc import Iterator

from publipost.linter.document import LintDoc
from publipost.linter.rule import Context, Hit, Rule


class _Meta(Rule):
    source = "lint-conventions.md §7"
    weight = None  # about suppression comments, not the copy: not scored

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        return iter(())


class UnusedSuppression(_Meta):
    """A suppression comment that suppresses nothing: remove it, or it will hide a future finding."""

    code, name, severity = "PP900", "unused-suppression", "warning"
    message = {
        "en": "suppression of {codes} is unused: remove it",
        "fr": "la suppression de {codes} ne sert pas : retirez-la",
    }


class UnknownRule(_Meta):
    """A suppression comment names a rule that does not exist."""

    code, name, severity = "PP901", "unknown-rule", "warning"
    message = {
        "en": "unknown rule '{code}' in a suppression comment",
        "fr": "règle inconnue « {code} » dans un commentaire de suppression",
    }


class BadSuppression(_Meta):
    """A suppression comment that cannot be read, or a `disable` range that is never closed."""

    code, name, severity = "PP902", "bad-suppression", "warning"
    message = {"en": "{problem}", "fr": "{problem}"}
