"""Whether a customer file can be accounted in this machine's memory: asked before it is read.

The audience is read and accounted in memory (Arrow and pandas). Ten million rows of the print
bench's file (1.25 GB) peaked at 7.53 GB, six times the file (2026-12-05); a million rows (120
MB) at 935 MB, nearly eight. A file that cannot fit used to be read until the kernel killed
the process, minutes later and without a word, and a file that is not a customer file at all
(a disk image saved as clients.csv, a sparse file) the same. Such a file is now refused before
a byte of it is read, with its size, what accounting it needs and what the machine has (exit 2).

Only what cannot fit is refused: the file at NEED times its size, two thirds of the least peak
measured. A file between that and six times may still run out of memory. A customer file over
it is read a batch at a time instead (streamed.py), which needs memory per row, not per byte
(streamed.need): a file larger than the machine's memory can be read so.
"""

from __future__ import annotations

from pathlib import Path

from publipost.errors import AudienceError, Where

# rows a step reads a column of at a time where a row's result is its own (target.where, the
# window check's measures, the suppression lists): what target.where made of ten million rows
# at once was 0.9 GB
STEP_ROWS = 1 << 20
NEED = 4  # times the file's size: two thirds of the least peak measured (6 times, ten million rows)
GB = 1024**3


def check_room(files: list[Path], where: Where | None, name: str = "customer file") -> None:
    """Refuse a customer file (or a suppression list: `name`) whose accounting cannot fit in the
    memory this process may use."""
    refusal = too_big(files, where, name)
    if refusal is not None:
        raise refusal


def too_big(files: list[Path], where: Where | None, name: str = "customer file") -> AudienceError | None:
    """Why these files' accounting cannot fit in memory; None when it may."""
    size = sum(data_size(path) for path in files if path.is_file())
    available = available_memory()
    if available is None or size * NEED <= available:
        return None
    what = f"the {name} is" if len(files) == 1 else f"the {name}'s {len(files)} parts are"
    return AudienceError(
        f"{what} {size / GB:.1f} GB: accounting it takes at least {size * NEED / GB:.0f} GB of memory "
        f"({NEED} times its size), and this machine has {available / GB:.1f} GB available",
        where,
        f"check the campaign names the {name}; split a file this large (by region or date) "
        "and run a campaign for each part",
    )


def data_size(path: Path) -> int:
    """The bytes a file's data takes once read: the file's size; a Parquet file's first row
    group as Arrow decodes it, for all its rows (compressed, its repeated values written
    once, a Parquet file can be a tenth of what it holds)."""
    size = path.stat().st_size
    if path.suffix.lower() != ".parquet":
        return size
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # read by nothing else either: the reader says so
        return size
    try:
        file = pq.ParquetFile(path)
        if not file.metadata.num_row_groups or not file.metadata.row_group(0).num_rows:
            return size
        first = file.read_row_group(0)
    except (OSError, pa.ArrowException):  # not Parquet after all: the reader says what is wrong
        return size
    return max(size, first.nbytes * file.metadata.num_rows // first.num_rows)


def available_memory() -> int | None:
    """Bytes this process may take: the kernel's estimate of what can be had without swapping
    (/proc/meminfo's MemAvailable), or less under a container's memory limit, which
    MemAvailable does not show. None where neither is known (not Linux)."""
    found = [room for room in (_meminfo(), _group_room()) if room is not None]
    return min(found) if found else None


def _meminfo() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _group_room(groups: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """The process's memory cgroup limit (v2's memory.max, v1's memory.limit_in_bytes). The
    limit itself, not less the group's use: that counts the page cache, which the kernel gives
    back on demand, and a container that had read a few files would refuse the smallest one."""
    try:
        lines = groups.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, path = fields
        if not controllers:
            limit_file = root / path.lstrip("/") / "memory.max"
        elif "memory" in controllers.split(","):
            limit_file = root / "memory" / path.lstrip("/") / "memory.limit_in_bytes"
        else:
            continue
        try:
            limit = limit_file.read_text(encoding="ascii").strip()
        except OSError:
            continue
        if limit.isdigit() and int(limit) < 2**60:  # v1 writes "no limit" as a huge number, v2 as max
            return int(limit)
    return None
