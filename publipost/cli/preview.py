"""`publipost preview`: a local page with each recipient's letter and e-mail, live."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.cli.common import (
    ALLOW_OUTSIDE,
    EXIT_OK,
    at_least,
    shown_path,
)
from publipost.errors import PublipostError
from publipost.extras import needs

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--port", type=at_least(1), help="port to listen on (default: 8642, or a free one when taken)"
    )
    command.add_argument("--no-open", action="store_true", help="do not open the page in a browser")
    command.add_argument(
        "--host",
        help="listen on another address than 127.0.0.1 (the page shows customers' data to all who reach it)",
    )
    command.add_argument("--allow-outside", action="store_true", help=ALLOW_OUTSIDE)
    command.set_defaults(run=cmd_preview)


def cmd_preview(args: argparse.Namespace) -> int:
    """Starts whatever the campaign's state: one that does not load shows its error on the page."""
    needs("preview", "publipost preview")
    from publipost.campaigns.paths import repository_root
    from publipost.preview.server import bind, serve
    from publipost.preview.state import Preview

    if not args.campaign.is_file():
        raise PublipostError(f"{args.campaign}: no such file", hint="publipost preview path/to/campaign.yaml")
    host = args.host or "127.0.0.1"
    loopback = host in ("127.0.0.1", "localhost", "::1")
    if not loopback:
        print(
            f"publipost: warning: listening on {host}: anyone who reaches this address sees your customers' "
            "data; stop with Ctrl-C",
            file=sys.stderr,
        )
    sock = bind(host, args.port)
    boundary = None if args.allow_outside else repository_root(args.campaign)
    preview = Preview(args.campaign, boundary)

    def ready(url: str) -> None:
        print(f"preview of {shown_path(args.campaign)} at {url} (Ctrl-C to stop)", flush=True)
        if args.port is None and ":8642/" not in url:
            print("  (port 8642 was taken: another free port was chosen)", flush=True)
        if not args.no_open:
            import webbrowser

            webbrowser.open(url)

    serve(preview, sock, loopback=loopback, ready=ready)
    return EXIT_OK
