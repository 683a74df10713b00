"""The customer file as read, cleaned and checked by each channel, kept between commands.

Reading a big file, cleaning it and writing every row's address block for the window are most
of what `validate` costs (a 200,000-row file: 5 of 6.5 s). None of it depends on anything but
the campaign file, the customer file, the letter's design and fonts, the channels and
publipost's version: so `validate` keeps it in the output folder (`out/.audience/`), keyed by
the digest of all of them, and `render`, `send` and `preview` start from it while nothing
changed. What may change between two commands without touching those files is done again
every time, after it: filters (a date relative to today), suppression lists, the suppression
store (an unsubscribe of a minute ago), deduplication, ids, the control group, variants.

Kept as data only (a Parquet file and a JSON file, never a pickle): a folder a command reads
may come from anywhere, and reading it must not run anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from publipost._version import __version__

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign

FOLDER = ".audience"
FORMAT = 1  # what is kept; a change here makes every kept audience a stranger


def key(campaign: Campaign, channels: list[str]) -> str | None:
    """The digest of everything the kept part depends on; None when it cannot be kept (a
    campaign handed over as a mapping, a file in parts, or no pyarrow to write Parquet with:
    the base install reads the file every time; the `parquet` extra brings it)."""
    import importlib.util

    from publipost.campaigns.paths import is_partitioned

    try:
        if importlib.util.find_spec("pyarrow") is None:
            return None
    except (ImportError, ValueError):
        return None

    source = campaign.target.source
    base = campaign.path.parent
    if source is None or not campaign.path.is_file() or is_partitioned(base, source):
        return None
    digest = hashlib.sha256(f"{FORMAT} {__version__} {pd.__version__} {','.join(channels)}".encode())
    files = [campaign.path, campaign.resolve(source)]
    letter = campaign.letter
    if letter is not None and letter.design.lower().endswith(".toml"):
        files.append(campaign.resolve(letter.design))
    if campaign.brand.font is not None:
        files += [campaign.resolve(campaign.brand.font.regular), campaign.resolve(campaign.brand.font.bold)]
    for path in files:
        try:
            with path.open("rb") as file:
                digest.update(hashlib.file_digest(file, "sha256").digest())
        except OSError:
            return None  # the command reports the missing file itself
    return digest.hexdigest()


def recall(folder: Path, wanted: str) -> tuple[pd.DataFrame, dict[str, Any], dt.datetime] | None:
    """The kept frame and facts, and when they were kept; None when nothing matching is kept or
    it cannot be read whole (the command then reads the file again)."""
    place = folder / FOLDER / wanted
    try:
        meta = json.loads((place / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("key") != wanted:
            return None
        return pd.read_parquet(place / "frame.parquet"), meta, dt.datetime.fromisoformat(meta["kept"])
    except Exception:  # missing, damaged, not ours (pyarrow raises its own errors): read the file again
        return None


def keep(folder: Path, wanted: str, frame: pd.DataFrame, meta: dict[str, Any]) -> None:
    """Keep them under their key, replacing any other kept audience (one per output folder).
    Written beside and renamed into place: a reader never sees half of it. A folder that
    cannot be written costs only the time next run."""
    root = folder / FOLDER
    staging: Path | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root, prefix=".new-"))
        frame.to_parquet(staging / "frame.parquet")
        stamped = {**meta, "format": FORMAT, "key": wanted, "kept": dt.datetime.now(dt.UTC).isoformat()}
        (staging / "meta.json").write_text(json.dumps(stamped, ensure_ascii=False), encoding="utf-8")
        target = root / wanted
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
        for other in root.iterdir():
            if other.name != wanted:
                shutil.rmtree(other, ignore_errors=True)
    except (OSError, ImportError):
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
