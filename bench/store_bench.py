"""The suppression store at size: an audience of RECIPIENTS checked against a store of ENTRIES
(SQLite), and the unsubscribe endpoint's one-click POSTs per second on one core.

Run by hand (not in CI):

    python bench/store_bench.py [RECIPIENTS] [ENTRIES] [POSTS]   # default 1,000,000, 1,000,000, 20,000

The check is what every validate, render, send and preview does: hash each targeted
recipient's address, look the keys up, take the channel away. The endpoint runs on uvicorn in
a process of its own (one core); the load comes from wrk when it is installed (apt-get install
wrk), else from a Python client (slower than the server: the figure is then a floor).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-unsubscribe-key-" * 2


def fill(location: str, entries: int) -> float:
    from publipost.store.db import Entry, Store
    from publipost.store.keys import email_key

    started = time.perf_counter()
    with Store(location) as store:
        for start in range(0, entries, 100_000):
            keys = (
                email_key(f"customer{n}@example.com") for n in range(start, min(entries, start + 100_000))
            )
            store.add(Entry(k, "email", "unsubscribed", "bench") for k in keys if k)
    return time.perf_counter() - started


def check(location: str, recipients: int, entries: int, share: float) -> tuple[float, int]:
    """Seconds to check `recipients` targeted rows (`share` of them in the store), and how many
    were taken."""
    import pandas as pd

    from publipost.api import load_campaign
    from publipost.campaigns.audience import EMAIL, ID, REACH, Audience, Outcome, _consult_store
    from publipost.campaigns.table import ROW

    campaign = load_campaign(
        {
            "name": "Bench",
            "language": "en",
            "objective": "awareness",
            "offer": {"product": "x"},
            "target": {},
            "sender": {"name": "Dana", "email": "dana@example.com"},
            "email": {"subject": "Hello", "body": "Hello {{ first_name }}.\n\nDana\n"},
        }
    )
    offset = entries - int(recipients * share)  # the last `share` of the audience is in the store
    frame = pd.DataFrame(
        {
            ROW: range(2, recipients + 2),
            ID: [f"R{n}" for n in range(recipients)],
            EMAIL: [f"customer{n + offset}@example.com" for n in range(recipients)],
            "_outcome": Outcome.TARGETED.value,
            REACH + "email": True,
        }
    )
    audience = Audience(source=None, headers={}, frame=frame)  # type: ignore[arg-type]
    started = time.perf_counter()
    _consult_store(audience, campaign, (location, "given"))
    seconds = time.perf_counter() - started
    return seconds, int((frame["_outcome"] == Outcome.STORE.value).sum())


def endpoint(location: str, posts: int) -> tuple[float, str]:
    """One-click POSTs per second, and what sent them."""
    from publipost.mailer.message import unsubscribe_for

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    paths = []
    for n in range(2000):  # distinct addresses: each POST a real insert, replays once the list wraps
        key = hashlib.sha256(f"post{n}@example.com".encode()).hexdigest()
        link = unsubscribe_for("https://x.example/u", None, "BENCH", key, SECRET.encode())
        assert link is not None and link.url is not None
        paths.append("/u?" + link.url.split("?", 1)[1])
    env = {**os.environ, "PUBLIPOST_UNSUBSCRIBE_SECRET": SECRET, "PUBLIPOST_STORE": location}
    server = subprocess.Popen(
        [sys.executable, "-m", "publipost", "unsubscribe", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr
                time.sleep(0.1)
        if shutil.which("wrk") and posts >= 1000:
            return _wrk(port, paths, posts), "wrk, 2 threads, 16 connections"
        return _python_client(port, paths, posts), "a Python client (a floor: the client is the bottleneck)"
    finally:
        server.terminate()
        server.wait(10)


def _wrk(port: int, paths: list[str], posts: int) -> float:
    script = Path(tempfile.mkdtemp()) / "post.lua"
    listed = ",\n".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n"
        '  return wrk.format("POST", paths[(n % #paths) + 1], '
        '{["Content-Type"] = "application/x-www-form-urlencoded"}, "List-Unsubscribe=One-Click")\nend\n'
    )
    seconds = max(3, posts // 2000)
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = [line for line in out.splitlines() if "Non-2xx" in line]
    assert not errors, out
    return float(next(line for line in out.splitlines() if line.startswith("Requests/sec")).split()[1])


def _python_client(port: int, paths: list[str], posts: int) -> float:
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        started = time.perf_counter()
        for n in range(posts):
            answer = client.post(paths[n % len(paths)], data={"List-Unsubscribe": "One-Click"})
            assert answer.status_code == 200, answer.text
        return posts / (time.perf_counter() - started)


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    entries = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    posts = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        location = str(Path(tmp) / "store.sqlite")
        filled = fill(location, entries)
        print(f"store of {entries:,} entries written in {filled:.1f} s (SQLite, WAL)")
        for share in (0.02, 0.5):
            seconds, taken = check(location, recipients, entries, share)
            print(f"{recipients:,} recipients checked against it in {seconds:.2f} s ({taken:,} suppressed)")
        rate, how = endpoint(str(Path(tmp) / "endpoint.sqlite"), posts)
        print(f"unsubscribe endpoint: {rate:,.0f} one-click POSTs/s on one core ({how})")


if __name__ == "__main__":
    main()
