"""Issue 31: the memory a customer file may take, as the kernel tells it (campaigns/room.py).
A container's limit is what the process may take, though /proc/meminfo shows the host's: the
cgroup files are read as the kernel lays them out, v2 and v1 (written here in a folder)."""

from __future__ import annotations

from publipost.campaigns import room

MB = 1024**2


def _groups(tmp_path, text: str, files: dict[str, str]):
    (tmp_path / "cgroup").write_text(text, encoding="utf-8")
    for name, value in files.items():
        path = tmp_path / "fs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value, encoding="ascii")
    return room._group_room(tmp_path / "cgroup", tmp_path / "fs")


def test_a_cgroup_v2_limit_whatever_the_page_cache_holds(tmp_path):
    """memory.current counts the page cache, which the kernel gives back: a container that had
    read its files would have refused the smallest one."""
    files = {"app/memory.max": f"{512 * MB}\n", "app/memory.current": f"{512 * MB}\n"}
    assert _groups(tmp_path, "0::/app\n", files) == 512 * MB


def test_no_limit_is_no_room_of_its_own(tmp_path):
    assert _groups(tmp_path, "0::/\n", {"memory.max": "max\n", "memory.current": "5\n"}) is None
    huge = {"memory/memory.limit_in_bytes": "9223372036854771712\n", "memory/memory.usage_in_bytes": "7\n"}
    assert _groups(tmp_path, "4:memory:/\n", huge) is None
    assert _groups(tmp_path, "0::/gone\n", {}) is None  # a group whose files are not there
    assert _groups(tmp_path, "garbled\n", {}) is None


def test_a_cgroup_v1_memory_controller_among_others(tmp_path):
    text = "9:name=systemd:/\n4:cpu,memory:/docker/abc\n0::/\n"
    files = {
        "memory/docker/abc/memory.limit_in_bytes": f"{2048 * MB}\n",
        "memory/docker/abc/memory.usage_in_bytes": f"{48 * MB}\n",
    }
    assert _groups(tmp_path, text, files) == 2048 * MB


def test_the_machine_s_room_is_what_the_kernel_says_is_available():
    available = room.available_memory()
    with open("/proc/meminfo", encoding="ascii") as file:
        total = next(int(line.split()[1]) * 1024 for line in file if line.startswith("MemTotal:"))
    assert available is not None and 0 < available <= total


def test_a_file_s_data_is_its_size_and_a_damaged_parquet_file_s_too(tmp_path):
    """(A Parquet file's own is what its first row group decodes to, for all its rows:
    test_streamed.) One that is not Parquet at all is left to its reader to say so."""
    text = tmp_path / "clients.csv"
    text.write_text("id;name\n1;Dupont\n", encoding="utf-8")
    damaged = tmp_path / "clients.parquet"
    damaged.write_bytes(b"PAR1 not really")
    assert room.data_size(text) == text.stat().st_size
    assert room.data_size(damaged) == damaged.stat().st_size
