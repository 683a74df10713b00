"""How soon `publipost preview` shows a recipient, on a campaign of N customers.

Run by hand (not in CI), on loopback only:

    python bench/preview_bench.py [ROWS]      # default 100,000

Starts `publipost preview` on the French example grown to ROWS customers (print_bench's
campaign), then times, from the process's start: the server answering, the first
recipient's page (its letter pages and e-mail rendered on demand, one recipient), and the
page once the whole customer file is accounted for (the first look is the file's first
rows; the audience counts arrive when the whole file is read). The peer: `publipost
validate`, which accounts for the whole file before printing anything.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from print_bench import make_campaign

# Keeps the preview's cookie, as a browser does once it opened the link the command printed.
_opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())


def _get(url: str) -> str:
    with _opener.open(url, timeout=120) as response:
        return response.read().decode("latin-1")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    campaign = make_campaign(Path(tempfile.mkdtemp()), rows)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    command = [sys.executable, "-m", "publipost", "preview", str(campaign), "--no-open", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        printed = server.stdout.readline()  # "preview of … at http://localhost:PORT/?token=… (Ctrl-C…)"
        answering = time.perf_counter() - started
        _get(url + "?token=" + printed.split("?token=", 1)[1].split()[0])
        while "Reading the campaign" in (body := _get(url)):
            time.sleep(0.05)
        first = time.perf_counter() - started
        current = body.split('id="current"', 1)[1]  # the id after the name, or alone when there is none
        recipient = (re.search(r'id="rid">([^<]+)<', current) or re.search(r"<b>([^<]+)</b>", current)).group(
            1
        )
        _get(f"{url}r/{recipient}/letter/1.png")  # the page's images, as a browser fetches them
        _get(f"{url}r/{recipient}/email.html")
        shown = time.perf_counter() - started
        while 'id="first-look"' in body:
            time.sleep(0.2)
            body = _get(url)
        whole = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "publipost", "validate", str(campaign)], capture_output=True, check=False
    )
    validate = time.perf_counter() - started
    print(f"preview of {rows:,} customers (from the process's start)")
    print(f"  server answering          {answering:6.2f} s")
    print(f"  first recipient's page    {first:6.2f} s ({first - answering:.2f} s after the server answered)")
    print(f"  …with its letter, e-mail  {shown:6.2f} s")
    print(f"  whole file accounted for  {whole:6.2f} s")
    print(f"publipost validate          {validate:6.2f} s (the whole file before anything)")


if __name__ == "__main__":
    main()
