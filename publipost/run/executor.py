"""Fan-out in one place: the work of a run as picklable jobs, done in this process, by a pool
of local processes (one per core), or by another executor with the same two methods (a
cluster: room is left for one).

A job carries what a worker needs besides the run's `shared` value (the prepared campaign),
which each worker receives once, not once per job: a local pool forks, so its workers
inherit it without copying; another executor would pickle it once per worker (Prepared
pickles without its compiled templates, and rebuilds them once).

Where there is no fork (Windows), the work is done in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

from publipost.cores import cores

S = TypeVar("S")  # what every job of a run shares
J = TypeVar("J")  # one job
R = TypeVar("R")  # what a job returns


class Executor(Protocol):
    workers: int
    # False: workers share this process's memory (forked, or this process itself); True: what a
    # job needs is pickled to them, so a run sends each job its own rows, not the whole file
    ships_data: bool

    def map_unordered(self, work: Callable[[S, J], R], shared: S, jobs: Sequence[J]) -> Iterator[R]:
        """work(shared, job) for every job; results as they come."""
        ...


class Mapped(Sequence[R]):
    """make(item) for each item, made when a job is taken, not before: jobs that carry their
    own rows (for workers that do not share this memory) are built one at a time, so the
    driver does not hold a second copy of the customer file."""

    def __init__(self, items: Sequence[J], make: Callable[[J], R]):
        self.items, self.make = items, make

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.make(item) for item in self.items[index]]
        return self.make(self.items[index])


def can_fork() -> bool:
    return hasattr(os, "fork")


def worker_count(requested: int | None = None) -> int:
    """How many processes a run uses: as asked, else one per core it may run on; one where there
    is no fork."""
    if not can_fork():
        return 1
    return requested or cores()


class InProcess:
    workers = 1
    ships_data = False

    def map_unordered(self, work: Callable[[S, J], R], shared: S, jobs: Sequence[J]) -> Iterator[R]:
        for job in jobs:
            yield work(shared, job)


class LocalProcesses:
    """A pool of forked processes on this machine: today's speed, every core busy."""

    ships_data = False

    def __init__(self, workers: int | None = None):
        self.workers = worker_count(workers)

    def map_unordered(self, work: Callable[[S, J], R], shared: S, jobs: Sequence[J]) -> Iterator[R]:
        if self.workers <= 1 or len(jobs) <= 1:
            yield from InProcess().map_unordered(work, shared, jobs)
            return
        context = multiprocessing.get_context("fork")
        with context.Pool(min(self.workers, len(jobs)), initializer=_receive, initargs=(shared,)) as pool:
            yield from pool.imap_unordered(partial(_call, work), jobs)

    def run_shards(
        self,
        work: Callable[[S, int, Callable[[bytes], None]], int],
        shared: S,
        shards: int,
        on_bytes: Callable[[bytes], None],
    ) -> list[int]:
        """`shards` forked processes for the length of a run, each doing work(shared, shard, emit)
        and exiting with what it returns; returns their exit codes (1 for a child that raised).

        Made for a send: each child holds its own connections and journal connection. What a child
        emits (a byte per outcome) reaches `on_bytes` through a pipe. The children die with this
        process (PR_SET_PDEATHSIG): a killed run never leaves orphans at work. Ctrl-C reaches every
        child, which stops itself; this process ignores it and waits for them.
        """
        reader, writer = os.pipe()
        children = []
        for shard in range(shards):
            pid = os.fork()
            if pid == 0:  # the child: its share, then leave without running the parent's cleanup
                code = 1
                try:
                    os.close(reader)
                    _die_with_parent()
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    code = work(shared, shard, lambda data: _write_all(writer, data))
                except BaseException:  # a child reports through its exit code only
                    code = 1
                os._exit(code)
            children.append(pid)
        os.close(writer)
        codes: list[int] = []

        def forward(signum: int, _frame: object) -> None:
            """Ctrl-C reaches the whole group and each child stops itself; a signal sent to this
            process alone (kill PID, a supervisor's SIGTERM) is passed on so they stop too."""
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)

        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        open_reader: int | None = reader
        try:
            while children:
                open_reader = _relay(open_reader, on_bytes)
                for pid in list(children):
                    finished, status = os.waitpid(pid, os.WNOHANG)
                    if finished:
                        children.remove(pid)
                        codes.append(os.waitstatus_to_exitcode(status))
            while open_reader is not None:  # what the last children said before they left
                open_reader = _relay(open_reader, on_bytes)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if open_reader is not None:
                os.close(open_reader)
        return codes


def _relay(reader: int | None, on_bytes: Callable[[bytes], None]) -> int | None:
    """Wait up to 50 ms for what the children emit and pass it on; None once the pipe is closed."""
    if reader is None:
        time.sleep(0.05)
        return None
    if select.select([reader], [], [], 0.05)[0]:
        data = os.read(reader, 65536)
        if not data:  # every child has closed its end
            os.close(reader)
            return None
        on_bytes(data)
    return reader


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _die_with_parent() -> None:
    """Linux: the kernel sends this process SIGKILL when its parent dies."""
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def local(workers: int | None = None) -> Executor:
    """The executor for this machine: processes where they can fork, else this process."""
    return LocalProcesses(workers) if worker_count(workers) > 1 else InProcess()


# In a pool's worker process only: the run's shared value, received once when the worker starts.
_received: list[Any] = []


def _receive(shared: Any) -> None:
    _received[:] = [shared]


def _call(work: Callable[[Any, Any], Any], job: Any) -> Any:
    return work(_received[0], job)
