"""A piece of copy (hook, body, subject…) and where its first line stands.

Copy comes from a Markdown file or inline from the campaign YAML; template and
lint errors must point into whichever file the marketer edits.
"""

from __future__ import annotations

from dataclasses import dataclass

from publipost.errors import Where


@dataclass(frozen=True)
class Copy:
    key: str  # "letter.body", "email.subject", …
    text: str
    origin: Where  # where line 1, column 1 of `text` stands
    indent: int = 0  # columns removed from every later line (YAML block scalars)
    plain: bool = False  # text without Markdown (a subject line, an SMS): merged values not escaped

    def where(self, line: int = 1, column: int = 1) -> Where:
        """Map a 1-based position inside `text` to the file the user edits."""
        first_column = self.origin.column or 1
        return Where(
            self.origin.path,
            (self.origin.line or 1) + line - 1,
            first_column + column - 1 if line == 1 else self.indent + column,
        )

    @property
    def name(self) -> str:
        """How messages name this copy: its file, or the YAML key."""
        return f"{self.key} ({self.origin.path})"
