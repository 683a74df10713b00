"""One send at a time per journal: an exclusive lock held for the whole run.

Two sends of one campaign at once (an overlapping cron job, two operators, a CI retry)
would each read the same pending recipients. The lock is an OS file lock (flock, or
msvcrt on Windows) on a file beside the journal: the kernel releases it when the process
dies, so a crash never leaves a stale lock behind. The holder writes its pid into the file
so the second run can say who holds it. Sending processes forked by the holder share it.

Some filesystems (a network share mounted without lock support, some FUSE mounts) accept a lock
and enforce nothing: two sends would both run, and mail people twice. So the lock proves itself
once taken: a child process tries to take it too, and must be refused. If it is not, the send
stops before anything is sent (SQLite's own locks do not work there either).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from publipost.errors import PublipostError, Where


class SendLock:
    def __init__(self, journal: Path):
        self.path = journal.with_name(journal.name + ".lock")
        self.file: IO[str] | None = None

    def __enter__(self) -> SendLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+", encoding="ascii")
        if not _try_lock(file):
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise PublipostError(
                f"a send of this campaign is already running (pid {holder})",
                Where(self.path),
                "wait for it to finish, or stop it; the journal lets the next run resume where it stopped",
            )
        if not _enforced(self.path):
            _unlock(file)
            file.close()
            raise PublipostError(
                "the output folder's filesystem does not enforce file locks: two sends could both run and "
                "mail people twice",
                Where(self.path),
                "give --out a folder on a local disk (the journal, manifest and locks live there)",
            )
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()))
        file.flush()
        self.file = file
        return self

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.seek(0)
            self.file.truncate()
            _unlock(self.file)
            self.file.close()
            self.file = None


def _try_lock(file: IO[str]) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            file.seek(0)
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _enforced(path: Path) -> bool:
    """Whether another process is refused the lock this one holds (POSIX only: forks a child
    that tries, and exits 0 if it was refused)."""
    if not hasattr(os, "fork"):
        return True
    import fcntl

    pid = os.fork()
    if pid == 0:  # the child: try the lock, say whether it was refused, and leave at once
        code = 1
        try:
            with path.open("a", encoding="ascii") as other:
                try:
                    fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _unlock(file: IO[str]) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        file.seek(0)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(file.fileno(), fcntl.LOCK_UN)
