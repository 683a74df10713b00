"""Case- and accent-insensitive matching, shared by headers, aliases and filters."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """'  Prénom ' → 'prenom'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
