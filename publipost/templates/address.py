"""The recipient's postal address block, as lines.

The postal norms (NF Z 10-011, USPS Pub. 28: line counts, widths, capitals) are
applied by the print renderer; here the block is assembled in the order both
norms share: person, company, delivery point, street, postcode and locality,
country.
"""

from __future__ import annotations

from publipost.campaigns.names import gender

CIVILITY = {"fr": {"m": "Monsieur", "f": "Madame"}, "en": {"m": "Mr", "f": "Ms"}}


def recipient_name(fields: dict[str, str], language: str) -> str:
    who = gender(fields.get("civility", ""))
    title = CIVILITY[language].get(who or "", "")
    parts = [title, fields.get("first_name", ""), fields.get("last_name", "")]
    return " ".join(p for p in parts if p)


def address_lines(fields: dict[str, str], language: str) -> list[str]:
    city_line = " ".join(p for p in (fields.get("postcode", ""), fields.get("city", "")) if p)
    if language == "en" and fields.get("state"):
        city_line = f"{fields.get('city', '')} {fields['state']} {fields.get('postcode', '')}".strip()
    lines = [
        recipient_name(fields, language),
        fields.get("company", ""),
        fields.get("address2", ""),
        fields.get("address1", ""),
        city_line,
        fields.get("country", ""),
    ]
    return [line for line in lines if line]
