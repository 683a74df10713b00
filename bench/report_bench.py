"""`publipost report` on a big campaign: RECIPIENTS recipients (two variants and a 10 % control
group) and RESPONSES responses in the manifest.

Run by hand (not in CI):

    python bench/report_bench.py [RECIPIENTS] [RESPONSES]     # default 1,000,000 and 50,000

Prints the time and peak memory of `publipost report --format json` and of `--format html`
(each a process of its own), and the time to write the manifest.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from publipost.results.identity import Identity  # noqa: E402
from publipost.results.manifest import FILE, Mailing, Manifest, Response  # noqa: E402


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    answers = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    folder = Path(tempfile.mkdtemp()) / "launch-planner"
    shutil.copytree(ROOT / "examples" / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    rng = np.random.default_rng(1)
    groups = rng.choice(["A", "B", "control"], size=recipients, p=[0.45, 0.45, 0.10])
    started = time.perf_counter()
    mailings = (
        Mailing(f"R{i:07d}", i + 2, "none", "control", None, "held out")
        if g == "control"
        else Mailing(f"R{i:07d}", i + 2, "letter", str(g), f"PLAN27-R{i:07d}-X", "printed")
        for i, g in enumerate(groups)
    )
    chosen = rng.choice(recipients, size=min(answers, recipients), replace=False)
    responses = [
        Response(
            "bench", int(i), "orders.csv", f"R{i:07d}", "id", "2026-12-10", 34.0, f"R{i:07d}|2026-12-10|#1"
        )
        for i in chosen
    ]
    with Manifest(folder / "out" / FILE) as manifest:
        manifest.bind(Identity("Planora 2027 launch", "PLAN27"))
        manifest.record(mailings)
        manifest.add_import("orders.csv", "bench", len(responses), 0, responses, replace=False)
    written = time.perf_counter() - started
    print(f"{recipients:,} recipients, {len(chosen):,} responses (manifest written in {written:.1f} s)")
    for fmt in ("json", "html"):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "publipost",
                "report",
                str(campaign),
                "--format",
                fmt,
                "--out",
                str(folder / f"r.{fmt}"),
            ],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        if done.returncode:
            raise SystemExit(done.stderr)
        print(f"  report --format {fmt:<5} {seconds:6.2f} s, peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
