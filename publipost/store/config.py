"""Where the store is: PUBLIPOST_STORE, else `store = …` under [tool.publipost] in the nearest
pyproject.toml (or `store = …` at the top of publipost.toml), else one file per user.

One store for all of a sender's campaigns is the point: the default is not beside a campaign
but in the user's data folder, so that every campaign run by that user consults the same one.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from publipost.errors import PublipostError, Where
from publipost.store.db import is_url

VARIABLE = "PUBLIPOST_STORE"
FILES = ("publipost.toml", ".publipost.toml", "pyproject.toml")


def default_location() -> Path:
    """The platform's data folder (platformdirs: XDG_DATA_HOME on Linux, ~/Library/Application
    Support on macOS, the roaming app data on Windows). A store kept where publipost 0.1 put it
    on every system (XDG's ~/.local/share) stays the one used: a store that moved silently would
    be an empty one, and every suppressed customer mailed again."""
    from platformdirs import user_data_path

    here = user_data_path("publipost", appauthor=False) / "store.sqlite"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    before = Path(base) / "publipost" / "store.sqlite"
    return before if before.exists() and not here.exists() else here


def store_location(start: Path | None = None) -> tuple[str, str]:
    """The store's location, and where that was decided (for reports and errors)."""
    value = os.environ.get(VARIABLE, "").strip()
    if value:
        return _resolved(value, Path.cwd()), VARIABLE
    folder = (start or Path.cwd()).resolve()
    for parent in (folder, *folder.parents):
        for name in FILES:
            path = parent / name
            if not path.is_file():
                continue
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise PublipostError(f"cannot read {name}: {exc}", Where(path)) from None
            table = data.get("tool", {}).get("publipost", {}) if name == "pyproject.toml" else data
            if "store" in table:
                if not isinstance(table["store"], str) or not table["store"].strip():
                    raise PublipostError(
                        "store is a file path or a postgresql:// URL",
                        Where(path),
                        'e.g. store = "../suppressions.sqlite"',
                    )
                return _resolved(table["store"].strip(), path.parent), str(path)
    return str(default_location()), "default"


def _resolved(value: str, base: Path) -> str:
    if is_url(value):
        return value
    return str((base / Path(value).expanduser()).resolve())
