"""One exception family for every user mistake.

Each error knows where it happened (file, line, column or data row) and what the
user should do about it, so the CLI can print one precise message and exit 2
instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Where:
    """A place in a file the user edits: 1-based line and column, or a data row."""

    path: Path | str | None = None
    line: int | None = None
    column: int | None = None
    row: int | None = None

    def __str__(self) -> str:
        parts = [str(self.path)] if self.path is not None else []
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        text = ":".join(parts)
        if self.row is not None:
            text = f"{text}, row {self.row}" if text else f"row {self.row}"
        return text


class PublipostError(Exception):
    """A bad input: the CLI prints it and exits 2."""

    def __init__(self, message: str, where: Where | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.others: list[PublipostError] = []

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where and str(self.where) else self.message
        return f"{head}\n  hint: {self.hint}" if self.hint else head


class CampaignError(PublipostError):
    """The campaign YAML is unreadable or does not fit the schema."""


class AudienceError(PublipostError):
    """The customer file cannot be read or does not have what the campaign needs."""


class TemplateError(PublipostError):
    """A template does not compile or uses a field the audience does not have."""


class NothingToProduce(PublipostError):
    """The input is fine, and reaches nobody by this channel: the command ran and found a
    problem (exit 1), not bad input (exit 2)."""


def did_you_mean(word: str, choices: list[str] | set[str]) -> str | None:
    """A 'did you mean …' phrase for the closest choice, or None."""
    from difflib import get_close_matches  # only on a mistake: difflib is not paid on every run

    match = get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def shown(text: str, limit: int = 40) -> str:
    """Text from a user's file as a message may print it: control characters escaped, cut short.

    Headers and values of a file named by an untrusted campaign could hold anything, and
    messages end up in terminals and CI logs: no escape sequence, no line break, no flood.
    """
    escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def shown_list(values: list[str], most: int = 12) -> str:
    """Several such values, comma-separated; at most `most` of them."""
    listed = ", ".join(shown(v) for v in values[:most])
    return listed + (f" (and {len(values) - most} more)" if len(values) > most else "")
