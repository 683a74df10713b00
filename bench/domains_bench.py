"""Domain-aware sending: does one bad domain hold up the good ones? (issue 27)

Run by hand (not in CI), on loopback only:

    python bench/domains_bench.py [RECIPIENTS]

RECIPIENTS (default 10,000) are spread over six domains on one SMTP server on 127.0.0.1
(aiosmtpd, in this process; publipost sends from its own process, as in production):
three accept at once, `slow.example` answers each message after 20 ms, `throttle.example`
answers every RCPT with 421 (slow down), `block.example` refuses with 550 5.7.1 from its
third message on. The same send is run again with the three accepting domains only, holding
the same number of their recipients. Prints, from the server's timestamps: the accepting
domains' throughput in both runs and its ratio (the faulty domains should cost them little:
>= 0.9), the attempts the throttling and the blocking domains saw, and the most connections
open at once to one domain (--per-domain 4).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

GOOD = ["one.example", "two.example", "three.example"]
FAULTY = ["slow.example", "throttle.example", "block.example"]
CAMPAIGN = """\
name: Domains bench
language: en
objective: launch
offer: {product: Planora planner, price: 34, currency: USD}
target: {source: customers.csv}
sender:
  name: Dana Brooks
  company: Planora Inc.
  address: [400 Congress Ave, Austin TX 78701]
  email: dana@planora.example
email:
  subject: "Discover the new planner, {{ first_name }}"
  body: |
    **Discover the new planner that plans your week with you**

    Your pages are undated, {{ first_name }}: start any week you like.

    Dana Brooks

    P.S. Order by Friday: the colour tabs are free.
  unsubscribe: {url: "https://planora.example/unsubscribe"}
"""


class Server:
    """Scripted per domain; counts what each domain saw, with the time and the connections open."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rcpts: Counter[str] = Counter()
        self.accepted: dict[str, list[float]] = {}
        self.open: Counter[str] = Counter()
        self.most: Counter[str] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, options):
        domain = address.rsplit("@", 1)[1]
        with self.lock:
            self.rcpts[domain] += 1
            seen = self.rcpts[domain]
        if domain == "throttle.example":
            return "421 4.7.0 Try again later"
        if domain == "block.example" and seen > 2:
            return "550 5.7.1 Message refused by policy"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        domain = envelope.rcpt_tos[0].rsplit("@", 1)[1]
        with self.lock:
            self.open[domain] += 1
            self.most[domain] = max(self.most[domain], self.open[domain])
        if domain == "slow.example":
            await asyncio.sleep(0.02)
        with self.lock:
            self.open[domain] -= 1
            self.accepted.setdefault(domain, []).append(time.monotonic())
        return "250 2.0.0 Accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(domains: list[str], good_recipients: int, faulty_recipients: int) -> tuple[Server, float]:
    folder = Path(tempfile.mkdtemp())
    (folder / "campaign.yaml").write_text(textwrap.dedent(CAMPAIGN))
    rows = [f"g{i},Ann{i},Smith,g{i}@{GOOD[i % 3]}" for i in range(good_recipients)]
    faulty = [d for d in domains if d in FAULTY]
    rows += (
        [f"f{i},Bob{i},Jones,f{i}@{faulty[i % len(faulty)]}" for i in range(faulty_recipients)]
        if faulty
        else []
    )
    (folder / "customers.csv").write_text("id,First Name,Last Name,Email\n" + "\n".join(rows) + "\n")
    server = Server()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    started = time.monotonic()
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "publipost",
                "send",
                str(folder / "campaign.yaml"),
                "--smtp",
                f"smtp://127.0.0.1:{port}",
                "--concurrency",
                "16",
                "--per-domain",
                "4",
                "--out",
                str(folder / "out"),
                "--no-lint",
            ],
            capture_output=True,
            text=True,
            timeout=1800,
            env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "PUBLIPOST_UNSUBSCRIBE_SECRET": "k" * 32},
        )
    finally:
        controller.stop()
    return server, started


def good_rate(server: Server, started: float) -> float:
    times = [t for d in GOOD for t in server.accepted.get(d, [])]
    return len(times) / (max(times) - started) if times else 0.0


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    good = recipients // 2
    mixed, mixed_start = run(GOOD + FAULTY, good, recipients - good)
    clean, clean_start = run(GOOD, good, 0)
    with_faults, alone = good_rate(mixed, mixed_start), good_rate(clean, clean_start)
    delivered = sum(len(mixed.accepted.get(d, [])) for d in GOOD)
    print(f"{recipients:,} recipients over 6 domains ({good:,} at the 3 accepting ones)")
    print(f"  accepting domains with the faulty ones: {with_faults:,.0f}/s ({delivered:,} delivered)")
    print(f"  accepting domains alone:               {alone:,.0f}/s")
    print(f"  ratio: {with_faults / alone:.2f}" if alone else "  ratio: n/a")
    throttled = mixed.rcpts["throttle.example"]
    share = (recipients - good) // 3
    print(f"  throttle.example (421): {throttled} RCPTs for {share:,} recipients: paused, not hammered")
    print(f"  block.example (5.7.1 from the 3rd): {mixed.rcpts['block.example']} RCPTs")
    print(f"  slow.example (20 ms): {len(mixed.accepted.get('slow.example', [])):,} delivered")
    most = max(mixed.most.values()) if mixed.most else 0
    print(f"  most connections at once to one domain: {most} (--per-domain 4)")


if __name__ == "__main__":
    main()
