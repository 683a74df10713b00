"""Plain-text letters: the merged letter laid out for a fixed-width page."""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache

from publipost.templates.inline import plain_text
from publipost.templates.links import Tracking
from publipost.templates.merge import MergedEmail, MergedLetter

WIDTH = 72
RIGHT_COLUMN = 40  # where the address and date stand, like the window side of a letter


def render_text_letter(letter: MergedLetter, cta: str = "") -> str:
    """The letter for review: sender, address and date where the page has them, then the copy;
    `cta`, the call to action's line, after the body."""
    out: list[str] = [*letter.sender, ""]
    out += [" " * RIGHT_COLUMN + line for line in letter.address]
    out += ["", " " * RIGHT_COLUMN + letter.date_line, ""]
    if letter.subject_line:
        out += [_plain(letter.subject_line), ""]
    return "\n".join(out + _copy(letter, cta=cta)).rstrip() + "\n"


def render_text_email(email: MergedEmail) -> str:
    return f"Subject: {email.subject}\n\n{email_text(email)}"


def email_text(email: MergedEmail, tracking: Tracking | None = None, cta: str = "") -> str:
    """The copy of an e-mail as plain text: its text/plain part, without the footer; the call to
    action (`cta`, a "label: url" line) after the body."""
    return "\n".join(_copy(email, tracking, cta)).rstrip() + "\n"


def _copy(merged: MergedLetter | MergedEmail, tracking: Tracking | None = None, cta: str = "") -> list[str]:
    """Hook, salutation, body, signature and PS: the part letters and e-mails share."""
    out: list[str] = []
    if merged.hook:
        out += [*_paragraph(merged.hook, tracking), ""]
    out += [_plain(merged.salutation), ""]
    for paragraph in merged.body:
        out += [*_paragraph(paragraph, tracking), ""]
    if cta:
        out += [cta, ""]
    out += [_plain(line) for line in merged.signature]
    for paragraph in merged.ps:
        out += ["", *_paragraph(paragraph, tracking)]
    return out


@lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    return _strip_heading(plain_text(text)).strip()


@lru_cache(maxsize=8192)  # the same paragraph for every recipient: wrapped once
def _paragraph(markdown: str, tracking: Tracking | None = None) -> tuple[str, ...]:
    """Lines of one paragraph; explicit line breaks are kept, long lines wrapped, a link's URL
    after its text and never cut (a reader copies it from here)."""
    lines: list[str] = []
    for line in _strip_heading(plain_text(markdown, href=tracking.href if tracking else None)).split("\n"):
        lines += textwrap.wrap(line.strip(), WIDTH, break_on_hyphens=False, break_long_words=False) or [""]
    return tuple(lines)


def _strip_heading(text: str) -> str:
    return re.sub(r"^#{1,6}\s*", "", text, flags=re.MULTILINE)
