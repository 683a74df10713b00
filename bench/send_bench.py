"""E-mail blast speed: publipost against mailmerge and a bare precomposed aiosmtplib blaster.

Run by hand (not in CI), on loopback only:

    pip install -e . mailmerge
    apt-get install postfix          # for smtp-sink, a fast C sink; else an aiosmtpd sink is used
    python bench/send_bench.py [MESSAGES]

The same messages go to the same sink: publipost end to end (merge, render, compose,
journal, send), mailmerge (awdeorio's tool, rate limit off, a new connection per
message), and the ceiling: publipost's messages composed beforehand, blasted by
aiosmtplib over 16 reused connections. Prints messages/s and ratios.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CAMPAIGN = """\
name: Bench launch
language: en
objective: launch
offer: {product: Planora planner, price: 34, currency: USD, gift: a set of colour tabs}
target: {source: customers.csv}
sender:
  name: Dana Brooks
  function: Founder
  company: Planora Inc.
  address: [400 Congress Ave, Austin TX 78701]
  place: Austin
  email: dana@planora.example
email:
  subject: "Discover the new planner, {{ first_name }}"
  preheader: Undated pages for {{ offer.price | money }}
  body: email.md
  unsubscribe: {url: "https://planora.example/unsubscribe", mailto: unsubscribe@planora.example}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink() -> tuple[subprocess.Popen, int, str]:
    port = free_port()
    if shutil.which("smtp-sink") or Path("/usr/sbin/smtp-sink").exists():
        binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        process = subprocess.Popen([binary, "-u", "nobody", f"127.0.0.1:{port}", "1024"])
        name = "postfix smtp-sink"
    else:
        code = textwrap.dedent(f"""
            import time
            from aiosmtpd.controller import Controller
            class Sink:
                async def handle_DATA(self, server, session, envelope):
                    return "250 OK"
            Controller(Sink(), hostname="127.0.0.1", port={port}).start()
            time.sleep(3600)
        """)
        process = subprocess.Popen([sys.executable, "-c", code])
        name = "aiosmtpd sink"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, port, name


def make_campaign(folder: Path, count: int) -> Path:
    body = (
        "**Discover the new planner that plans your week with you**\n\n"
        + "\n\n".join(["You bought a planner last January. By March, half its pages were blank. " * 3] * 8)
        + "\n\nDana Brooks\nFounder\n\nP.S. Order now and your gift ships free.\n"
    )
    (folder / "email.md").write_text(body)
    rows = "".join(f"{i},Ms,Name{i},Smith,r{i}@example.com\n" for i in range(count))
    (folder / "customers.csv").write_text("id,Title,First Name,Last Name,Email\n" + rows)
    (folder / "campaign.yaml").write_text(CAMPAIGN)
    return folder / "campaign.yaml"


def bench_publipost(path: Path, port: int) -> tuple[float, int]:
    from publipost.mailer.smtp import Limits, Relay
    from publipost.pipeline import prepare
    from publipost.sending import send_campaign

    os.environ["PUBLIPOST_UNSUBSCRIBE_SECRET"] = "bench"
    prepared = prepare(path)
    start = time.perf_counter()
    report = send_campaign(
        prepared,
        path.parent / "out",
        relay=Relay("127.0.0.1", port),
        limits=Limits(concurrency=16),
        lint=False,
    )
    return time.perf_counter() - start, report.counts["sent"]


def bench_bare(path: Path, port: int) -> tuple[float, int]:
    import aiosmtplib

    from publipost.pipeline import prepare
    from publipost.sending import Composer, email_recipients

    prepared = prepare(path)
    composer = Composer(prepared, b"bench")
    messages = [(r.email, composer.message(r)) for r in email_recipients(prepared)]

    async def blast() -> None:
        queue: asyncio.Queue = asyncio.Queue()
        for item in messages:
            queue.put_nowait(item)

        async def worker() -> None:
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
            await client.connect()
            while not queue.empty():
                to, data = queue.get_nowait()
                await client.sendmail("dana@planora.example", [to], data)
            await client.quit()

        await asyncio.gather(*(worker() for _ in range(16)))

    start = time.perf_counter()
    asyncio.run(blast())
    return time.perf_counter() - start, len(messages)


def bench_mailmerge(path: Path, port: int, count: int) -> tuple[float, int] | None:
    binary = shutil.which("mailmerge") or str(Path(sys.executable).parent / "mailmerge")
    if not Path(binary).exists():
        return None
    folder = path.parent / "mailmerge"
    folder.mkdir()
    text = (path.parent / "email.md").read_text().replace("**", "")
    (folder / "mailmerge_template.txt").write_text(
        "TO: {{email}}\nSUBJECT: Discover the new planner, {{first_name}}\n"
        "FROM: Planora Inc. <dana@planora.example>\n\nDear {{first_name}},\n\n" + text
    )
    rows = "".join(f"Name{i},r{i}@example.com\n" for i in range(count))
    (folder / "mailmerge_database.csv").write_text("first_name,email\n" + rows)
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\nsecurity = Never\nusername = None\nratelimit = 0\n"
    )
    start = time.perf_counter()
    subprocess.run(
        [
            binary,
            "--no-dry-run",
            "--no-limit",
            "--template",
            "mailmerge_template.txt",
            "--database",
            "mailmerge_database.csv",
            "--config",
            "mailmerge_server.conf",
        ],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start, count


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sink, port, name = start_sink()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            path = make_campaign(folder, count)
            ours_seconds, ours = bench_publipost(path, port)
            bare_seconds, bare = bench_bare(path, port)
            print(f"{count} messages to {name} on 127.0.0.1 (16 connections where reused)")
            print(f"  publipost end to end     {ours / ours_seconds:7.0f} messages/s")
            print(
                f"  bare aiosmtplib blaster  {bare / bare_seconds:7.0f} messages/s (precomposed: the ceiling)"
            )
            theirs = bench_mailmerge(path, port, min(count, 1000))
            if theirs:
                rate = theirs[1] / theirs[0]
                print(f"  mailmerge                {rate:7.0f} messages/s (a connection per message)")
                print(f"  publipost / mailmerge    {ours / ours_seconds / rate:7.1f}x")
            print(f"  publipost / ceiling      {ours / ours_seconds / (bare / bare_seconds):7.2f}")
    finally:
        sink.terminate()


if __name__ == "__main__":
    main()
