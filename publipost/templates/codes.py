"""Response codes printed on reply coupons, so replies can be counted by campaign and recipient.

A code reads CAMPAIGN-RECIPIENT-C: a short campaign code (key codes are kept short:
long ones are thought to depress response, norms.md §3.3), the recipient id (or, without a
customer number, a per-campaign counter bound in the manifest: `short_code`), and a
check character (ISO/IEC 7064 MOD 37,36) that catches a mistyped character or two
swapped ones when an operator keys the code back in.
"""

from __future__ import annotations

from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_character(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 over the letters and digits of `payload`."""
    p = 36
    for char in alnum(payload):
        s = (p + ALPHABET.index(char)) % 36 or 36
        p = (s * 2) % 37
    return ALPHABET[(37 - p) % 36]


@lru_cache(maxsize=4096)
def response_code(campaign: str, recipient_id: str) -> str:
    """Cached: a printed letter asks for its code four times (its QR codes encoded ahead, its
    links, its coupon), each check character 4 µs."""
    payload = f"{campaign}-{recipient_id.upper()}"
    return f"{payload}-{check_character(payload)}"


def short_code(campaign: str, number: int) -> str:
    """CAMPAIGN-0042-C: a per-campaign counter a till keys in a few strokes, for campaigns whose
    recipients have no customer number (their ids are hashes of their e-mail addresses)."""
    return response_code(campaign, f"{number:04d}")


def is_valid(code: str) -> bool:
    payload, _, check = code.strip().upper().rpartition("-")
    return bool(payload) and len(check) == 1 and check_character(payload) == check


def alnum(text: str) -> str:
    """The letters and digits of a code, as the check character reads it (and a till keys it)."""
    return "".join(c for c in text.upper() if c in ALPHABET)
