"""The social profiles of mailing-rules.md §8, by their English and French names.

Its own small module: the campaign schema and the linter both read it, and the linter must
not pay for importing the schema (pydantic) to lint a letter.
"""

from __future__ import annotations

from typing import Any

PROFILES = {
    "analytical": "analytical",
    "analytique": "analytical",
    "driver": "driver",
    "meneur": "driver",
    "amiable": "amiable",
    "aimable": "amiable",
    "expressive": "expressive",
    "expressif": "expressive",
}


def profile_name(value: Any) -> Any:
    """analytical, driver, amiable, expressive, or their French names (anything else: as given)."""
    return PROFILES.get(str(value).lower(), value) if value is not None else None
