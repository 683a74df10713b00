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
import os
from pathlib import Path

from publipost.errors import PublipostError, Where, shown

SYSTEM = tuple(Path(p) for p in ("/proc", "/sys", "/dev"))


def repository_root(path: Path) -> Path:
    """The git work tree that holds `path` (a file or a folder), or else its folder.

    Walked with os.path on strings: lint asks this of every file it is named, and pathlib's
    objects made it 50 µs of a 3.5 ms letter."""
    return Path(resolved_root(os.path.realpath(path)))


def resolved_root(resolved: str) -> str:
    """repository_root of a path already resolved (os.path.realpath): lint resolves each file
    it is named once, for the boundary check and for finding its campaign."""
    folder = resolved if os.path.isdir(resolved) else os.path.dirname(resolved)
    return git_work_tree(folder) or folder


def git_work_tree(folder: str) -> str | None:
    """The nearest of `folder` and the folders above it that holds a .git, or None."""
    candidate = folder
    while True:
        if os.path.exists(os.path.join(candidate, ".git")):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return None
        candidate = parent


def inside(path: str | Path, folder: str | Path) -> bool:
    """Path.is_relative_to for absolute paths, on strings: `path` is `folder` or below it."""
    path, folder = os.fspath(path), os.fspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_path(path: Path, boundary: Path | None, where: Where | None, what: str) -> Path:
    """The path, resolved, once it is known to be a regular file publipost may read."""
    return check_resolved(os.path.realpath(path), boundary, where, what)


def check_resolved(resolved: str, boundary: str | Path | None, where: Where | None, what: str) -> Path:
    """check_path for a path already resolved (os.path.realpath): lint resolves each file it is
    named once, for this check and for finding its campaign."""
    if boundary is not None and not inside(resolved, boundary):
        raise PublipostError(
            f"{what} lies outside the repository being checked ({shown(str(boundary), 80)})",
            where,
            "lint and validate read only files inside it, so that a campaign cannot make them print "
            "a file of this machine; if you trust this campaign, add --allow-outside",
        )
    if any(inside(resolved, system) for system in SYSTEM) or (
        os.path.exists(resolved) and not os.path.isfile(resolved)
    ):
        raise PublipostError(
            f"{what} is not a regular file",
            where,
            "name a file: publipost reads no folder, pipe, device or /proc file",
        )
    return Path(resolved)


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
