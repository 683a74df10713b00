"""`publipost init`: a starter campaign that validates, lints clean and renders at once.

A marketer learns the campaign file from a working one, in her language, with comments on
every section; the starter files live beside this module as package data (starter/en,
starter/fr; replies to complaints in starter/complaint-reply/en and /fr) and are tested like
the examples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from publipost.errors import PublipostError

LANGUAGES = ("en", "fr")
KINDS = ("sales", "complaint-reply")
CHANNELS = ("letter", "email")
# The files of each channel: the others are every channel's.
OWN_FILES = {"letter": ("letter.md", "lettre.md"), "email": ("email.md",)}


def write_starter(
    folder: Path, language: str = "en", channels: Sequence[str] | None = None, kind: str = "sales"
) -> list[Path]:
    """Write the starter into `folder` (created if need be) and return the files written.
    Nothing is written when any of them exists already."""
    if language not in LANGUAGES:
        raise PublipostError(
            f"no starter campaign in '{language}'", hint=f"choose one of {', '.join(LANGUAGES)}"
        )
    if kind not in KINDS:
        raise PublipostError(f"no starter of kind '{kind}'", hint=f"choose one of {', '.join(KINDS)}")
    if kind == "complaint-reply":
        if channels and list(channels) != ["letter"]:
            raise PublipostError(
                "the complaint-reply starter is a letter",
                hint="leave out --channels",
            )
        return _write(files("publipost.campaigns") / "starter" / "complaint-reply" / language, folder, {})
    channels = CHANNELS if channels is None else channels
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown or not channels:
        raise PublipostError(
            f"--channels: {', '.join(unknown) or 'none given'}", hint="letter, email or letter,email"
        )
    left_out = [c for c in CHANNELS if c not in channels]
    return _write(
        files("publipost.campaigns") / "starter" / language, folder, {c: OWN_FILES[c] for c in left_out}
    )


def _write(source: Traversable, folder: Path, skipped: dict[str, tuple[str, ...]]) -> list[Path]:
    """The starter's files from `source`, but those of the channels left out (and their sections)."""
    wanted: dict[Path, bytes] = {}
    for relative in _walk(source):
        name = relative.rsplit("/", 1)[-1]
        if any(name in names for names in skipped.values()):
            continue
        data = source.joinpath(relative).read_bytes()
        if name == "campaign.yaml":
            data = without_sections(data.decode("utf-8"), list(skipped)).encode()
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
