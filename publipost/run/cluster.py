"""A Dask cluster as an executor: the same chunk jobs as the local pool, on the workers of a
cluster the print shop already runs (`tcp://scheduler:8786`), or of a LocalCluster of N
worker processes on this machine (`local:N`), on the loopback address.

The run's shared value (the prepared campaign) is sent to each worker once (scattered,
broadcast); each job is a task. A worker lost mid-run has its tasks recomputed elsewhere by
the scheduler; a chunk's files are named by the chunk, so a recomputed chunk replaces its
files and no letter is missing or doubled. The workers write where the run says (`--out`): a
folder every worker can reach.

A LocalCluster speaks mutual TLS with a key made for the run and held in memory (Dask's
Security.temporary): its workers run whatever their scheduler sends and see the campaign's
secrets, so no other process of the machine may join it or submit to it. It has no dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from publipost.errors import PublipostError

S = TypeVar("S")
J = TypeVar("J")
R = TypeVar("R")

IN_FLIGHT = 4  # jobs per worker submitted ahead: enough to keep each busy, few enough to hold little


class DaskCluster:
    ships_data = True  # workers are other processes, maybe other machines

    def __init__(self, address: str):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise PublipostError(
                "--dask needs Dask's distributed scheduler", hint="pip install 'publipost[dask]'"
            ) from None
        self.cluster: Any = None
        if address.startswith("local:"):
            count = address.removeprefix("local:")
            if not count.isdigit() or int(count) < 1:
                raise PublipostError(f"--dask {address}: write local:N, N workers (e.g. local:2)")
            from distributed.security import Security

            security = Security.temporary()
            self.cluster = LocalCluster(
                n_workers=int(count),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                protocol="tls://",
                security=security,
                dashboard_address=None,
            )
            self.client = Client(self.cluster, security=security)
        elif address.startswith(("tcp://", "tls://")):
            try:
                self.client = Client(address, timeout=10)
            except OSError as exc:
                raise PublipostError(
                    f"cannot reach the Dask scheduler at {address}: {exc}",
                    hint="start it with `dask scheduler`, and workers with `dask worker ADDRESS`",
                ) from None
        else:
            raise PublipostError(
                f"--dask {address}: give a scheduler (tcp://HOST:8786) or local:N", hint="e.g. --dask local:2"
            )
        try:
            self._check_workers(address)
        except BaseException:
            self.close()
            raise
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def _check_workers(self, address: str, wait: float = 30) -> None:
        """At least one worker, each with this publipost: a worker without it would fail every
        task, and one of another version could draw other letters than this run checked."""
        import importlib.metadata

        try:
            self.client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise PublipostError(
                f"no Dask worker joined the scheduler at {address} within {wait:.0f} s",
                hint="start workers with `dask worker ADDRESS` on machines with publipost installed",
            ) from None
        here = importlib.metadata.version("publipost")
        found = self.client.run(importlib.metadata.version, "publipost", on_error="return")
        wrong = {
            worker: "publipost is not installed" if isinstance(version, Exception) else f"publipost {version}"
            for worker, version in sorted(found.items())
            if version != here
        }
        if wrong:
            named = "; ".join(f"{worker}: {problem}" for worker, problem in wrong.items())
            raise PublipostError(
                f"Dask workers that cannot draw this run (publipost {here} here): {named}",
                hint=f"install publipost {here} on every worker (pip install 'publipost[dask]=={here}')",
            )

    def map_unordered(self, work: Callable[[S, J], R], shared: S, jobs: Sequence[J]) -> Iterator[R]:
        """Jobs submitted a few per worker at a time, not all at once: a job carries its rows,
        so the scheduler and the workers hold the rows of the jobs in hand, never the file's."""
        from distributed import as_completed

        remote = self.client.scatter(shared, broadcast=True)
        waiting = iter(jobs)

        def submit(job: J) -> Any:
            return self.client.submit(work, remote, job, pure=False, retries=2)

        running = as_completed([submit(job) for job in islice(waiting, IN_FLIGHT * self.workers)])
        for future in running:
            result = future.result()
            following = next(waiting, None)
            if following is not None:
                running.add(submit(following))
            future.release()
            yield result

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
