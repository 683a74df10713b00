"""Plain-text letters: the merged letter laid out for a fixed-width page."""

from __future__ import annotations

import textwrap
from functools import lru_cache

from publipost.templates.markdown import strip_inline
from publipost.templates.merge import MergedEmail, MergedLetter

WIDTH = 72
RIGHT_COLUMN = 40  # where the address and date stand, like the window side of a letter


def render_text_letter(letter: MergedLetter) -> str:
    out: list[str] = [*letter.sender, ""]
    out += [" " * RIGHT_COLUMN + line for line in letter.address]
    out += ["", " " * RIGHT_COLUMN + letter.date_line, ""]
    return "\n".join(out + _copy(letter)).rstrip() + "\n"


def render_text_email(email: MergedEmail) -> str:
    return f"Subject: {email.subject}\n\n{email_text(email)}"


def email_text(email: MergedEmail) -> str:
    """The copy of an e-mail as plain text: its text/plain part, without the footer."""
    return "\n".join(_copy(email)).rstrip() + "\n"


def _copy(merged: MergedLetter | MergedEmail) -> list[str]:
    """Hook, salutation, body, signature and PS: the part letters and e-mails share."""
    out: list[str] = []
    if merged.hook:
        out += [*_paragraph(merged.hook), ""]
    out += [_plain(merged.salutation), ""]
    for paragraph in merged.body:
        out += [*_paragraph(paragraph), ""]
    out += [_plain(line) for line in merged.signature]
    for paragraph in merged.ps:
        out += ["", *_paragraph(paragraph)]
    return out


@lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    return strip_inline(text).strip()


@lru_cache(maxsize=8192)  # the same paragraph for every recipient: wrapped once
def _paragraph(markdown: str) -> tuple[str, ...]:
    """Lines of one paragraph; explicit line breaks are kept, long lines wrapped."""
    lines: list[str] = []
    for line in strip_inline(markdown).split("\n"):
        lines += textwrap.wrap(line.strip(), WIDTH, break_on_hyphens=False) or [""]
    return tuple(lines)
