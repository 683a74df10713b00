"""Regular expressions compiled the first time they are needed.

`publipost lint letter.md` starts in about a tenth of a second, and compiling patterns
was 16 ms of it. A third of that time went to patterns most letters never reach: HTML
e-mails, suppression comments, dates of a deadline the word list did not find, greetings.
Those are written as `later(...)` and called where they are used: `_DATE().search(text)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache


def later(pattern: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """The pattern, compiled on the first call and the same object on every later one."""
    return cache(lambda: re.compile(pattern, flags))
