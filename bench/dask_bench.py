"""Print runs on Dask: one worker against two, the cost of a partition, memory per worker.

Run by hand (not in CI):

    pip install -e '.[dask]'
    python bench/dask_bench.py [LETTERS] [SMALL]      # speed, and memory at SMALL and LETTERS
    python bench/dask_bench.py --memory SMALL BIG       # memory only (e.g. 10000 100000)

LETTERS (default 20,000) letters are drawn on a LocalCluster of 1 worker, then of 2 (each a
process with one thread, on 127.0.0.1), after a warm-up run; the cluster's start is timed
apart. Then: the scheduler's cost per task (a task that does nothing, the prepared campaign
as its argument), the time to draw one chunk, the rate the driver joins chunks into the print
file at (while the workers draw); and each worker's peak memory after runs of SMALL (default
10,000) and LETTERS letters on 2 workers, to show it stays flat.

The tests run it with tiny numbers so that it cannot rot.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from print_bench import make_campaign  # the same letters as the print bench


def peak_rss_mb() -> int:
    """This process's peak memory since it started: VmHWM, not ru_maxrss, which Linux carries
    over exec from the parent (a worker spawned by a big driver would report the driver's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def nothing(_shared: object, job: int) -> int:
    return job


def timed_run(prepared, out: Path, workers: int) -> dict[str, float]:
    """One print run on a fresh LocalCluster of `workers` processes."""
    from publipost.channels import printing
    from publipost.run.cluster import DaskCluster
    from publipost.templates.combine import Combined

    add, collate = Combined.add, printing._collate
    spent = {"join": 0.0, "tail": 0.0}  # chunks copied into the print file, then its page tree

    def timed(function, what):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[what] += time.perf_counter() - started

        return run

    Combined.add, printing._collate = timed(add, "join"), timed(collate, "tail")
    try:
        started = time.perf_counter()
        with DaskCluster(f"local:{workers}") as cluster:
            up = time.perf_counter() - started
            started = time.perf_counter()
            report = printing.render_pdf(prepared, out, executor=cluster)
            seconds = time.perf_counter() - started
            memory = cluster.client.run(peak_rss_mb)
            remote = cluster.client.scatter(prepared, broadcast=True)
            started = time.perf_counter()
            cluster.client.gather(cluster.client.map(nothing, [remote] * 200, range(200), pure=False))
            per_task = (time.perf_counter() - started) / 200
    finally:
        Combined.add, printing._collate = add, collate
    return {
        "letters": report.letters,
        "seconds": seconds,
        "start": up,
        "join": spent["join"] + spent["tail"],
        "tail": spent["tail"],
        "chunks": -(-report.letters // printing.CHUNK),
        "per_task": per_task,
        "rss": max(memory.values()),
    }


def memory(small: int, big: int) -> None:
    from publipost.api import prepare

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for letters in (small, big):
            prepared = prepare(make_campaign(folder / str(letters), letters))
            run = timed_run(prepared, folder / f"out{letters}", 2)
            took = f"{run['seconds']:.0f} s"
            print(f"peak memory per worker: {run['rss']} MB after {letters:,} letters ({took})")


def main() -> None:
    if sys.argv[1:2] == ["--memory"]:
        memory(int(sys.argv[2]), int(sys.argv[3]))
        return
    letters = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    small = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    from publipost.api import prepare
    from publipost.channels.printing import CHUNK

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        prepared = prepare(make_campaign(folder / "big", letters))
        timed_run(prepared, folder / "warm", 1)  # fonts, caches, imports: not what is measured
        one = timed_run(prepared, folder / "one", 1)
        two = timed_run(prepared, folder / "two", 2)
        print(f"{letters:,} letters, chunks of {CHUNK} ({one['chunks']:.0f}), LocalCluster on 127.0.0.1:")
        for name, run in (("1 worker ", one), ("2 workers", two)):
            rate = run["letters"] / run["seconds"]
            print(
                f"  {name}: {run['seconds']:6.1f} s, {rate:6,.0f} letters/s "
                f"(print file joined as chunks came: {run['join']:.1f} s on the driver, "
                f"{run['tail']:.2f} s after the last; cluster start {run['start']:.1f} s, not counted)"
            )
        print(f"  speed-up, 2 workers over 1: {one['seconds'] / two['seconds']:.2f}x")
        chunk = (one["seconds"] - one["tail"]) / one["chunks"]
        print(
            f"  scheduling cost per task: {two['per_task'] * 1000:.1f} ms; one chunk of {CHUNK} letters: "
            f"{chunk * 1000:.0f} ms (overhead {two['per_task'] / chunk:.1%} of a chunk)"
        )
        join_rate = one["letters"] / one["join"] if one["join"] else float("inf")
        per_worker = one["letters"] / (one["seconds"] - one["tail"])
        print(f"  per worker {per_worker:,.0f} letters/s drawn; joined {join_rate:,.0f} letters/s (driver)")
        for workers in (1, 2, 8, 32):
            # the driver joins while the workers draw: the slower of the two sets the pace
            rate = min(workers * per_worker, join_rate)
            print(f"  estimate, {workers:2d} workers: {3600 * rate:12,.0f} letters/hour")
        prepared_small = prepare(make_campaign(folder / "small", small))
        low = timed_run(prepared_small, folder / "low", 2)
        print(
            f"peak memory per worker: {low['rss']} MB after {small:,} letters, "
            f"{two['rss']} MB after {letters:,} (driver {peak_rss_mb()} MB)"
        )


if __name__ == "__main__":
    main()
