"""How many cores this process may run on: the print run's workers and the audience's slices
count them alike.

os.cpu_count() is the machine's; a container pinned to two cores of a 64-core host (docker
--cpuset-cpus, taskset) would start 64 workers that take turns on two. The affinity mask is
what the scheduler grants.
"""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on (its affinity mask where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
