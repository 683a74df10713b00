"""Audience speed: `publipost validate` of a big customer file, against pandas' bare read_csv.

Run by hand (not in CI):

    pip install -e .
    python bench/audience_bench.py [ROWS] [RUNS] [quoted|varied]

ROWS (default 200,000) rows made from the French example's customers (print_bench's generator:
everyone targeted, each with a postal and an e-mail address); with `quoted`, written as a CRM
exports them: every field in quotes, and one address in fifty on two lines (Excel's line break
in a cell, in a file of \r\n rows); with `varied`, as a real file: last purchases spread over
seven years (the campaign's date filter leaves 40 % out), a last name of its own for each
customer and one in twenty twice (deduplicated by name and postcode). Best of RUNS (default 3)
runs of each contender in turns, each in a process of its own. Prints seconds and peak memory (RSS) of:
the floor (pandas.read_csv of the same file, every column as text); a cold `validate` (read,
clean, account every row: reach by letter and e-mail, filters, dedupe, rejects.csv); and a warm
one, which starts from the audience the cold one kept accounted whole in out/.audience
(campaigns/accounted.py), as `render` and `send` do after `validate`; and a warm `render --only`
of one letter, a later command as the issue measures it; and a cold `validate` told the machine
has less memory than accounting it whole takes and more than streamed.need: so it reads it a
batch at a time (campaigns/streamed.py), with the same reports (checked), its own memory
(RssAnon: a mapped file's pages are not its own) against the whole read's. The suppression store is the user's
own (PUBLIPOST_STORE, or the default): none there, none consulted. The tests run it with tiny
numbers so that it cannot rot.

The floor's clock starts after pandas is imported; validate's, in a fresh process, pays
publipost's imports (pandas, pyarrow, pydantic, jinja2: some 0.5 s) and its first-use set-up
(fonts, the envelope catalogue) inside it. So each of validate and render --only is timed a
second way too, "started": in a process that validated the bundled example first, as the
Python API or a long-lived service would be, so that both sides of the ratio leave the
imports out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from print_bench import ROOT, make_campaign  # the print bench's generator, shared

FLOOR = """
import resource, sys, time
import pandas as pd
t = time.perf_counter()
frame = pd.read_csv(sys.argv[1], sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
s = time.perf_counter() - t
print(len(frame), s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""

VALIDATE = """
import contextlib, io, os, resource, sys, tempfile, threading, time
from publipost.cli import main
if os.environ.get("BENCH_ROOM"):  # the memory the machine is said to have: read in batches
    from publipost.campaigns import room
    room.available_memory = lambda: int(os.environ["BENCH_ROOM"])
own = [0]  # the process's own memory (RssAnon): a mapped file's pages are the kernel's to let go
def sample():
    while True:
        with open("/proc/self/status") as status:
            found = [int(line.split()[1]) for line in status if line.startswith("RssAnon:")]
        own[0] = max(own[0], found[0] // 1024 if found else 0)
        time.sleep(0.01)
threading.Thread(target=sample, daemon=True).start()
if sys.argv[1]:  # started: the example validated first, into a folder of its own
    with contextlib.redirect_stdout(io.StringIO()), tempfile.TemporaryDirectory() as out:
        assert main(["validate", sys.argv[1], "--out", out]) == 0
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()) as said:
    code = main([*sys.argv[3:], sys.argv[2]])
s = time.perf_counter() - t
batched = any(line in said.getvalue() for line in ("a batch of rows at a time", "lu par lots de lignes"))
print(code, s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, own[0], int(batched))
"""
# A later command on one recipient, as a marketer checks a letter after validate: what is kept
# is read, filters, suppression and deduplication are done again, one letter is written.
RENDER_ONE = ["render", "--only", "B000000", "--format", "text"]


def batched_room(data: Path) -> int:
    """Memory between what the file takes a batch at a time and what it takes whole."""
    from publipost.campaigns import room, streamed

    need, whole = streamed.need(streamed.estimated_rows(data)), room.NEED * data.stat().st_size
    assert need < whole, f"{data} cannot be read a batch at a time in less than whole"
    return (need + whole) // 2


def child(code: str, *args: str, room: int = 0) -> tuple[str, float, int, int]:
    """(exit code, seconds, peak RSS in MB, peak of the process's own memory in MB) of a child
    process; `room`, the memory it is told the machine has: then the file must be read in
    batches, and the run say so."""
    env = {**os.environ, "BENCH_ROOM": str(room)} if room else None
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    if len(out) > 4:
        assert out[4] == ("1" if room else "0"), f"read in batches: {out[4]}, told {room} bytes"
    return out[0], float(out[1]), int(out[2]), int(out[3]) if len(out) > 3 else 0


def quote_every_field(path: Path) -> None:
    """The file as a CRM exports it: every field quoted, one address line in fifty on two lines."""
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    for number, line in enumerate(lines):
        if line:
            fields = line.split(";")
            if number and number % 50 == 0:
                fields[5] = "Bât. B\nEsc. 2"
            lines[number] = ";".join('"' + field.replace('"', '""') + '"' for field in fields)
    path.write_bytes("\r\n".join(lines).encode("cp1252"))


def vary(path: Path, campaign: Path) -> None:
    """A file as a real one is: last purchases spread over seven years (the campaign's filter, a
    purchase since 2022, leaves about 40 % out; 2,700 distinct dates), a last name of its own
    for each customer, and one row in twenty the customer of the row above again (same name and
    postcode), found by the example's own dedupe: first_name, last_name, postcode."""
    import datetime as dt
    import random
    import string

    rng = random.Random(5)
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    above: list[str] = []
    for number, line in enumerate(lines[1:], start=1):
        fields = line.split(";")
        if len(fields) != 12:
            continue
        fields[10] = (dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2700))).strftime("%d/%m/%Y")
        suffix = "".join(string.ascii_lowercase[number // 26**k % 26] for k in range(4))
        fields[3] = f"{fields[3]}-{suffix.capitalize()}"
        if number % 20 == 0 and above:
            fields[2], fields[3], fields[6] = above[2], above[3], above[6]
        above = fields
        lines[number] = ";".join(fields)
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    yaml = campaign.read_text(encoding="utf-8").replace(
        "  dedupe: [id]", "  dedupe: [first_name, last_name, postcode]"
    )
    campaign.write_text(yaml, encoding="utf-8")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    kind = sys.argv[3] if len(sys.argv) > 3 else ""
    if kind not in ("", "quoted", "varied"):
        raise SystemExit(f"unknown file kind '{kind}': quoted or varied")
    quoted = kind == "quoted"
    with tempfile.TemporaryDirectory() as tmp:
        campaign = make_campaign(Path(tmp), rows)
        data = campaign.parent / "data" / "clients.csv"
        if quoted:
            quote_every_field(data)
        if kind == "varied":
            vary(data, campaign)
        size = data.stat().st_size / 1e6
        example = str(ROOT / "examples" / "vente-couette" / "campaign.yaml")
        timed: dict[str, list[tuple[float, int]]] = {}
        reports = [campaign.parent / "out" / name for name in ("rejects.csv", "corrections.csv")]
        own: dict[str, int] = {}
        for _ in range(runs):  # in turns: the machine's drift falls on all
            read, seconds, rss, _own = child(FLOOR, str(data))
            assert int(read) == rows, read
            timed.setdefault("floor", []).append((seconds, rss))
            for started in ("", example):
                shutil.rmtree(campaign.parent / "out" / ".audience", ignore_errors=True)
                for name, command in (("cold", ["validate"]), ("warm", ["validate"]), ("later", RENDER_ONE)):
                    if started and name == "warm":
                        continue
                    code, seconds, rss, peak = child(VALIDATE, started, str(campaign), *command)
                    assert code == "0", f"{command[0]} exited {code}"
                    timed.setdefault(name + (" started" if started else ""), []).append((seconds, rss))
                    own[name] = min(own.get(name, peak), peak)
            whole = [path.read_bytes() for path in reports]
            # as if the machine's memory held too little to account the file whole (four times
            # it), enough a batch at a time (streamed.need of its rows): the same reports
            shutil.rmtree(campaign.parent / "out" / ".audience", ignore_errors=True)
            room = batched_room(data)
            code, seconds, rss, peak = child(VALIDATE, "", str(campaign), "validate", room=room)
            assert code == "0" and [path.read_bytes() for path in reports] == whole, code
            timed.setdefault("batched", []).append((seconds, rss))
            own["batched"] = min(own.get("batched", peak), peak)
    best = {name: min(figures) for name, figures in timed.items()}
    (f_s, f_rss), (v_s, v_rss), (w_s, w_rss), (r_s, r_rss) = (
        best[name] for name in ("floor", "cold", "warm", "later")
    )
    (vs_s, _), (rs_s, _) = best["cold started"], best["later started"]
    said = {"quoted": ", every field quoted", "varied": ", dates and names varied"}.get(kind, "")
    print(f"customer file: {rows:,} rows, {size:.1f} MB{said}")
    print(f"pandas read_csv (floor): {f_s:.2f} s, {f_rss} MB peak")
    print(f"validate, cold: {v_s:.2f} s, {v_rss} MB peak ({v_rss / size:.1f}x the file's size)")
    print(f"validate, warm (the audience the cold run accounted): {w_s:.2f} s, {w_rss} MB peak")
    print(f"render --only (one letter), warm: {r_s:.2f} s, {r_rss} MB peak")
    b_s = best["batched"][0]
    print(
        f"validate, cold, a batch at a time (campaigns/streamed.py): {b_s:.2f} s, {own['batched']} MB"
        f" of the process's own memory, against {v_s:.2f} s and {own['cold']} MB read whole"
    )
    print(f"validate / read_csv: {v_s / f_s:.1f}x cold, {w_s / f_s:.1f}x warm; warm / cold: {w_s / v_s:.2f}")
    print(f"render --only, warm / validate, cold: {r_s / v_s:.2f}")
    print(
        f"started (imports and set-up paid before the clock, as read_csv's): validate, cold {vs_s:.2f} s"
        f" ({vs_s / f_s:.1f}x read_csv); render --only, warm {rs_s:.2f} s ({rs_s / vs_s:.2f} of cold)"
    )


if __name__ == "__main__":
    main()
