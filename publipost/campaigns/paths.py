"""Which files a campaign may make publipost read.

`publipost lint` and `validate` run in CI on repositories nobody reviewed yet. A campaign
is then untrusted input: `target.source: ../.git-credentials` or a copy file that is a
symlink to `~/.ssh/id_rsa` must not make them print what lies outside the repository.
So, for those commands, every path a campaign names (symlinks resolved) must stay inside
the repository (the git work tree holding the campaign, else its folder), unless the
operator says `--allow-outside`. Whatever the command, publipost reads regular files
only: never /proc, /sys or /dev, pipes or folders.
"""

from __future__ import annotations

import glob
from pathlib import Path

from publipost.errors import PublipostError, Where, shown

SYSTEM = tuple(Path(p) for p in ("/proc", "/sys", "/dev"))


def repository_root(path: Path) -> Path:
    """The git work tree that holds `path` (a file or a folder), or else its folder."""
    start = path.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def check_path(path: Path, boundary: Path | None, where: Where | None, what: str) -> Path:
    """The path, resolved, once it is known to be a regular file publipost may read."""
    resolved = path.resolve()
    if boundary is not None and not resolved.is_relative_to(boundary):
        raise PublipostError(
            f"{what} lies outside the repository being checked ({shown(str(boundary), 80)})",
            where,
            "lint and validate read only files inside it, so that a campaign cannot make them print "
            "a file of this machine; if you trust this campaign, add --allow-outside",
        )
    if any(resolved.is_relative_to(system) for system in SYSTEM) or (
        resolved.exists() and not resolved.is_file()
    ):
        raise PublipostError(
            f"{what} is not a regular file",
            where,
            "name a file: publipost reads no folder, pipe, device or /proc file",
        )
    return resolved


MAX_TEXT_BYTES = 1_000_000  # a campaign file or a piece of copy; a letter is some 5 KB


def check_size(path: Path, where: Where | None, what: str) -> None:
    """Copy and campaign files are small: a huge one is a mistake or an attack on the linter's time."""
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise PublipostError(
            f"{what} is {size / 1e6:.1f} MB: publipost reads campaign and copy files up to 1 MB",
            where,
            "a letter or an e-mail is a few kilobytes: check that this is the file you meant",
        )


def is_partitioned(base: Path, source: str) -> bool:
    """Whether `source` (as written in the campaign, relative to `base`) names parts: a folder,
    or a glob. Only what is written counts: a campaign folder named "[draft]" is no glob."""
    return (base / source).is_dir() or glob.has_magic(source)
