"""The social profiles of mailing-rules.md §8, by their English and French names.

Its own small module: the campaign schema and the linter both read it, and the linter must
not pay for importing the schema (pydantic) to lint a letter.
"""

from __future__ import annotations

from typing import Any

NAMES = {  # each profile's name in the copy's language
    "analytical": {"en": "analytical", "fr": "analytique"},
    "driver": {"en": "driver", "fr": "meneur"},
    "amiable": {"en": "amiable", "fr": "aimable"},
    "expressive": {"en": "expressive", "fr": "expressif"},
}
PROFILES = {name: profile for profile, names in NAMES.items() for name in names.values()}


def profile_name(value: Any) -> Any:
    """analytical, driver, amiable, expressive, or their French names (anything else: as given)."""
    return PROFILES.get(str(value).lower(), value) if value is not None else None
