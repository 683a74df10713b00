"""E-mail blast speed: publipost against mailmerge and a bare precomposed aiosmtplib blaster.

Run by hand (not in CI), on loopback only:

    pip install -e . mailmerge
    apt-get install postfix          # for smtp-sink, a fast C sink (optional)
    python bench/send_bench.py [MESSAGES] [RUNS]

The same ~10 KB messages (text and HTML) go to the same sink, once per sink: Postfix's
smtp-sink when installed, then an aiosmtpd sink (a single Python process, so its own
capacity is the limit there). On each: publipost end to end (merge, render, compose,
journal, send, one process per core), the ceiling (publipost's messages composed
beforehand, blasted by aiosmtplib over 16 reused connections, in one process and in one
per core), and mailmerge (awdeorio's tool, rate limit off, a new connection per message,
the same message as a multipart template, 1,000 of them). Best of RUNS (default 3) runs of
each contender, in turns (who goes first alternates): a single run moved by 10 % on this
shared machine. Prints messages/s and ratios, and the highest peak memory of publipost's
processes.
"""

from __future__ import annotations

import asyncio
import os
import resource
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
SENDER = "dana@planora.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_sink_binary() -> str | None:
    return shutil.which("smtp-sink") or next((p for p in ("/usr/sbin/smtp-sink",) if Path(p).exists()), None)


def start_sink(kind: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if kind == "postfix smtp-sink":
        process = subprocess.Popen([smtp_sink_binary(), "-u", "nobody", f"127.0.0.1:{port}", "1024"])
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
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, port


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


def bench_publipost(path: Path, port: int) -> tuple[float, int, float, float]:
    """Seconds, messages sent, and peak memory (MB) of the sending parent and its children,
    measured in a process of its own."""
    shutil.rmtree(path.parent / "out", ignore_errors=True)  # a fresh journal: everyone is sent
    done = subprocess.run(
        [sys.executable, __file__, "--publipost", str(path), str(port)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, sent, parent, children = done.stdout.split()
    return float(seconds), int(sent), float(parent), float(children)


def publipost_alone(path: Path, port: int) -> None:
    from publipost.api import prepare
    from publipost.channels.sending import send_campaign
    from publipost.mailer.smtp import Limits, Relay

    os.environ["PUBLIPOST_UNSUBSCRIBE_SECRET"] = "bench-key-" * 4
    prepared = prepare(path)
    start = time.perf_counter()
    relay = Relay("127.0.0.1", port)
    report = send_campaign(
        prepared, path.parent / "out", relay=relay, limits=Limits(concurrency=16), lint=False
    )
    seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, from the bench's own process.
    status = Path("/proc/self/status").read_text()
    parent = int(status.split("VmHWM:")[1].split()[0]) / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(seconds, report.counts["sent"], parent, children)


def precomposed(path: Path) -> list[tuple[str, bytes]]:
    from publipost.api import prepare
    from publipost.channels.email import Composer, email_recipients

    prepared = prepare(path)
    composer = Composer(prepared, b"bench")
    return [(r.email, composer.message(r)) for r in email_recipients(prepared)]


def bench_bare(messages: list[tuple[str, bytes]], port: int, processes: int) -> tuple[float, int]:
    """aiosmtplib's sendmail over 16 reused connections, the work split over `processes`."""
    start = time.perf_counter()
    children = []
    for share in range(processes):
        pid = os.fork()
        if pid == 0:
            asyncio.run(_blast(messages[share::processes], port, 16 // processes))
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return time.perf_counter() - start, len(messages)


async def _blast(messages: list[tuple[str, bytes]], port: int, connections: int) -> None:
    import aiosmtplib

    queue: asyncio.Queue = asyncio.Queue()
    for item in messages:
        queue.put_nowait(item)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while not queue.empty():
            to, data = queue.get_nowait()
            await client.sendmail(SENDER, [to], data)
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))


def bench_mailmerge(path: Path, sample: bytes, port: int, count: int) -> tuple[float, int] | None:
    """mailmerge with the same message: a multipart template of publipost's text and HTML."""
    binary = shutil.which("mailmerge") or str(Path(sys.executable).parent / "mailmerge")
    if not Path(binary).exists():
        return None
    from email import message_from_bytes, policy

    folder = path.parent / "mailmerge"
    folder.mkdir(exist_ok=True)
    text, html = (p.get_content() for p in message_from_bytes(sample, policy=policy.default).iter_parts())
    text, html = (part.replace("Name0", "{{first_name}}") for part in (text, html))
    # mailmerge sends the HTML as it is: MJML's lines of over 1,000 characters would be refused
    # ("500 Line too long", RFC 5321 §4.5.3.1.6), so they are broken between tags for it.
    html = html.replace("><", ">\n<")
    (folder / "mailmerge_template.txt").write_text(
        "TO: {{email}}\nSUBJECT: Discover the new planner, {{first_name}}\n"
        f"FROM: Planora Inc. <{SENDER}>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="boundary"\n\n'
        f'--boundary\nContent-Type: text/plain; charset="utf-8"\n\n{text}\n'
        f'--boundary\nContent-Type: text/html; charset="utf-8"\n\n{html}\n--boundary--\n'
    )
    rows = "".join(f"Name{i},r{i}@example.com\n" for i in range(count))
    (folder / "mailmerge_database.csv").write_text("first_name,email\n" + rows)
    (folder / "mailmerge_server.conf").write_text(
        f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\nsecurity = Never\nusername = None\nratelimit = 0\n"
    )
    start = time.perf_counter()
    subprocess.run(
        [binary, "--no-dry-run", "--no-limit", "--output-format", "raw"],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start, count


def main() -> None:
    if sys.argv[1:2] == ["--publipost"]:
        return publipost_alone(Path(sys.argv[2]), int(sys.argv[3]))
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    processes = os.cpu_count() or 1
    sinks = (["postfix smtp-sink"] if smtp_sink_binary() else []) + ["aiosmtpd sink"]
    with tempfile.TemporaryDirectory() as tmp:
        path = make_campaign(Path(tmp), count)
        messages = precomposed(path)
        size = sum(len(data) for _, data in messages) / len(messages)
        print(
            f"{count} messages of {size / 1024:.1f} KB on average, 16 connections where reused"
            f" (best of {runs} runs in turns)\n"
        )
        for name in sinks:
            sink, port = start_sink(name)
            best: dict[str, float] = {}
            parent = children = 0.0
            try:
                for turn in range(runs):
                    for who in CONTENDERS if turn % 2 == 0 else CONTENDERS[::-1]:
                        if who == "publipost":
                            seconds, sent, mother, child = bench_publipost(path, port)
                            rate = sent / seconds
                            parent, children = max(parent, mother), max(children, child)
                        elif who == "mailmerge":
                            theirs = bench_mailmerge(path, messages[0][1], port, min(count, 1000))
                            if not theirs:
                                continue
                            rate = _rate(theirs)
                        else:
                            rate = _rate(bench_bare(messages, port, 1 if who == "one" else processes))
                        best[who] = max(rate, best.get(who, 0.0))
            finally:
                sink.terminate()
                sink.wait()
            ours, one, many = best["publipost"], best["one"], best["many"]
            theirs_rate = best.get("mailmerge")
            ceiling = max(one, many)
            print(f"{name} on 127.0.0.1")
            print(f"  publipost end to end          {ours:7.0f} messages/s ({processes} processes)")
            print(f"  bare aiosmtplib, 1 process    {one:7.0f} messages/s (precomposed)")
            print(f"  bare aiosmtplib, {processes} processes  {many:7.0f} messages/s (precomposed)")
            if theirs_rate:
                rate = theirs_rate
                print(f"  mailmerge                     {rate:7.0f} messages/s (a connection per message)")
                print(f"  publipost / mailmerge         {ours / rate:7.1f}x")
            print(f"  publipost / bare, 1 process   {ours / one:7.2f}")
            print(f"  publipost / best bare         {ours / ceiling:7.2f}")
            print(f"  publipost peak memory         parent {parent:.0f} MB, each sender {children:.0f} MB\n")


# publipost end to end, the bare blaster on one process and on every core, mailmerge
CONTENDERS = ["publipost", "one", "many", "mailmerge"]


def _rate(result: tuple[float, int]) -> float:
    seconds, count = result
    return count / seconds


if __name__ == "__main__":
    main()
