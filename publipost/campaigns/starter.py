"""`publipost init`: a starter campaign that validates, lints clean and renders at once.

A marketer learns the campaign file from a working one, in her language, with comments on
every section; the starter files live beside this module as package data (starter/en,
starter/fr) and are tested like the examples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from publipost.errors import PublipostError

LANGUAGES = ("en", "fr")
CHANNELS = ("letter", "email")
# The files of each channel: the others are every channel's.
OWN_FILES = {"letter": ("letter.md", "lettre.md"), "email": ("email.md",)}


def write_starter(folder: Path, language: str = "en", channels: Sequence[str] = CHANNELS) -> list[Path]:
    """Write the starter into `folder` (created if need be) and return the files written.
    Nothing is written when any of them exists already."""
    if language not in LANGUAGES:
        raise PublipostError(
            f"no starter campaign in '{language}'", hint=f"choose one of {', '.join(LANGUAGES)}"
        )
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown or not channels:
        raise PublipostError(
            f"--channels: {', '.join(unknown) or 'none given'}", hint="letter, email or letter,email"
        )
    source = files("publipost.campaigns") / "starter" / language
    wanted: dict[Path, bytes] = {}
    for relative in _walk(source):
        name = relative.rsplit("/", 1)[-1]
        if any(name in OWN_FILES[c] for c in CHANNELS if c not in channels):
            continue
        data = source.joinpath(relative).read_bytes()
        if name == "campaign.yaml":
            data = without_sections(data.decode("utf-8"), [c for c in CHANNELS if c not in channels]).encode()
        wanted[folder / relative] = data
    present = [path for path in wanted if path.exists()]
    if present:
        raise PublipostError(
            f"{present[0]} exists: init writes only new files ({len(present)} would be overwritten)",
            hint="choose an empty folder: publipost init NEW_FOLDER",
        )
    for path, data in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sorted(wanted)


def without_sections(text: str, names: Sequence[str]) -> str:
    """The YAML text without these top-level sections (each from its key to the next line that
    starts in the first column), comments of the other sections kept."""
    for name in names:
        text = re.sub(rf"(?ms)^{name}:.*?(?=^\S|\Z)", "", text)
    return text.rstrip("\n") + "\n"


def _walk(folder: Traversable, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir():
            found += _walk(entry, f"{prefix}{entry.name}/")
        else:
            found.append(prefix + entry.name)
    return found
