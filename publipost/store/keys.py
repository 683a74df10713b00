"""Address keys: what the store keeps instead of addresses.

A key is the SHA-256 of the normalised address, so the store holds no readable personal data,
and a customer who asks to be forgotten (their row deleted everywhere) stays suppressed: the
next file that brings them back hashes to the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

from publipost.folding import fold_words

EMAIL, POSTAL = "email", "postal"


def normal_email(address: str) -> str | None:
    """The address as keys see it: the domain in its IDNA (ASCII) form, all of it case-folded.
    (Local parts are case-sensitive in theory, never in practice: the big providers ignore case.)"""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    return f"{local}@{ascii_domain(domain)}".casefold()


@lru_cache(maxsize=65536)
def ascii_domain(domain: str) -> str:
    """The domain as mail servers read it (IDNA, UTS 46); computed once per domain, since a
    customer file holds a million addresses and a few thousand domains."""
    domain = domain.rstrip(".")
    if domain.isascii():
        return domain.casefold()
    import idna

    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return domain.casefold()


def email_key(address: str | None) -> str | None:
    normal = normal_email(address or "")
    return hashlib.sha256(normal.encode()).hexdigest() if normal else None


def email_keys(addresses: Iterable[str]) -> list[str | None]:
    """email_key of each address already checked and normalised (as audiences hold them), at a
    million a second: an all-ASCII address needs only case-folding (same result, tested)."""
    sha256 = hashlib.sha256
    return [
        (sha256(a.casefold().encode()).hexdigest() if a.isascii() else email_key(a)) if a else None
        for a in addresses
    ]


def postal_text(last_name: str, address1: str, postcode: str) -> str:
    """A postal address as the suppression files and the store match it: the name, the first
    address line and the postcode, folded (case, accents, punctuation)."""
    return "|".join(fold_words(v) for v in (last_name, address1, postcode))


def postal_key(lines: Sequence[str]) -> str | None:
    """The key of (last name, first address line, postcode)."""
    return postal_hash(postal_text(*lines)) if len(lines) == 3 else None


def postal_hash(text: str) -> str | None:
    """The key of a postal address already folded by postal_text."""
    if not text.strip("|"):
        return None
    return hashlib.sha256(f"postal:{text}".encode()).hexdigest()
