"""Case- and accent-insensitive matching, shared by headers, aliases and filters."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """'  Prénom ' → 'prenom'."""
    if text.isascii():  # most cells: NFKD changes no ASCII text, and casefold is lower there
        return text.strip().lower()
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_words(value: str) -> str:
    """Folded, punctuation gone, spaces single: '12, rue des  Lilas' and '12 RUE DES LILAS' match."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(value)).split())
