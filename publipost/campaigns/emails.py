"""What an e-mail address is to publipost: one check for the customer file, the campaign's
sender and reply-to, suppression lists and --test-to seeds."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)
def check_email(value: str) -> tuple[str, str]:
    """(normalised address, '') or ('', reason). Syntax only: no DNS look-up.

    The address is kept in ASCII (an internationalised domain in its IDNA form), as SMTP
    commands and 7-bit headers carry it; non-ASCII before the @ would need SMTPUTF8 from
    every relay on the way, so such an address is refused with the reason.
    """
    from email_validator import EmailNotValidError, validate_email

    if not value:
        return "", "no e-mail address"
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
        return checked.ascii_email or checked.normalized, ""
    except EmailNotValidError as exc:
        return "", f"e-mail '{value}' is invalid: {exc}"


def ascii_address(value: str) -> str:
    """The IDNA spelling of an internationalised address, for matching; others unchanged."""
    return value if value.isascii() else check_email(value)[0] or value
