"""The campaign code: what response codes, tracked links, Message-IDs, unsubscribe tokens and the
send journal use to tell one campaign's replies from another's.

Written by the marketer (`code: HIVER26`), or derived from the name: six letters for a person
to recognise, and three characters of a hash of the whole name, so that "Maison Théodore —
promotion d'hiver" and "Maison Théodore — soldes de janvier" do not both print MAITHE.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from publipost.folding import fold

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CODE = re.compile(r"[A-Z0-9]{2,12}")


@lru_cache(maxsize=256)  # asked twice for every message of a send (its response code, its links)
def derived_code(name: str) -> str:
    """'Couette Douillette — offre d'hiver 2026' → 'COUDOU' + three characters of its hash."""
    words = re.findall(r"[A-Z0-9]+", fold(name).upper())
    readable = "".join(w[:3] for w in words[:2]) if len(words) > 1 else (words[0] if words else "PP")
    number = int.from_bytes(hashlib.sha256(" ".join(name.split()).encode()).digest()[:8], "big")
    suffix = ""
    for _ in range(3):
        number, digit = divmod(number, 36)
        suffix += ALPHABET[digit]
    return readable[:6] + suffix


def checked_code(value: str) -> str:
    """A code as written in the campaign, upper-cased; ValueError says what a code is."""
    code = value.strip().upper()
    if not CODE.fullmatch(code):
        raise ValueError(
            f"'{value}' is not a campaign code: 2 to 12 letters or digits (A–Z, 0–9), e.g. HIVER26"
        )
    return code
