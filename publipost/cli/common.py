"""What the commands share: exit codes, argument types, paths shown as typed, the progress bar,
the output folder of a campaign."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from publipost import i18n
from publipost.errors import PublipostError
from publipost.i18n import _

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign
    from publipost.prepared import Prepared
    from publipost.results.manifest import Manifest


EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2


EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2


EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT = 0, 1, 2


ALLOW_OUTSIDE = "let the campaign name files outside its repository (only for campaigns you trust)"


def at_least(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `least` (a usage error, exit 2, otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is below {least}")
        return value

    return parse


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration(text: str) -> float:
    """An argparse type: a duration, 90s, 5m, 2h, 4d, or seconds."""
    number, unit = (text[:-1], text[-1]) if text and text[-1] in _UNITS else (text, "s")
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration: write 90s, 5m, 2h or 4d") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return value


def durations(text: str) -> tuple[float, ...]:
    return tuple(duration(part.strip()) for part in text.split(",") if part.strip())


def share(text: str) -> float:
    """An argparse type: a share, written 10% or 0.1."""
    number = text.strip().removesuffix("%")
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a share: write 10% or 0.1") from None
    value = value / 100 if text.strip().endswith("%") else value
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not between 0 and 100%")
    return value


class Formats:
    """What `render --format` offers: every format a channel writes, asked of the channels only
    when render's arguments are checked or help is shown (importing them costs 30 ms that
    `publipost lint` need not pay)."""

    def _all(self) -> list[str]:
        from publipost.channels import formats

        return formats()

    def __contains__(self, value: object) -> bool:
        return value in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


def comma_list(values: list[str] | None) -> list[str] | None:
    return [v.strip() for value in values for v in value.split(",") if v.strip()] if values else None


def local_path(value: str) -> Path:
    """--out is a path: a local folder, or a shared filesystem mounted on every worker. A URL
    (s3://, gs://) is refused rather than written to as a folder named "s3:"."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", value):
        raise argparse.ArgumentTypeError(
            f"{value}: publipost writes to a folder, not to a URL; mount the bucket on every machine "
            "(s3fs, gcsfuse) and give its path"
        )
    return Path(value)


def under_ci() -> bool:
    """CI services set CI=true: lint there reads copy, not customer data (see --data)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def accept_store_change(prepared: Prepared, args: argparse.Namespace) -> None:
    """--store-changed: the operator says another store than the campaign's last is right."""
    if args.store_changed and prepared.audience.store is not None:
        prepared.audience.store.accept_change = True


def manifest_of(path: Path, out: Path | None) -> tuple[Campaign, Path, Manifest]:
    """The campaign, its output folder and its manifest (exit 2 when nothing was printed or sent,
    or when the manifest is another campaign's)."""
    from publipost.api import load_campaign
    from publipost.results.identity import Identity
    from publipost.results.manifest import FILE, Manifest

    campaign = load_campaign(path)
    i18n.activate(campaign.language)
    folder = out or campaign.path.parent / "out"
    manifest = Manifest(folder / FILE, create=False)
    try:
        manifest.bind(Identity(campaign.name, campaign.code, stem=campaign.path.stem))
    except PublipostError:
        manifest.close()
        raise
    return campaign, folder, manifest


def summary_line(label: str, text: str) -> str:
    """A summary line: a label in the first ten columns, then what it says."""
    return f"{label:<10} {text}" if label else f"{'':<11}{text}"


def shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def shown_store(location: str) -> str:
    if "://" in location:
        return location
    home = str(Path.home())
    return "~" + location[len(home) :] if location.startswith(home + "/") else shown_path(Path(location))


def progress_bar(
    total: int, label: str, outcomes: bool = False
) -> AbstractContextManager[Callable[..., None] | None]:
    """A progress bar with the rate and time left on a terminal (and, sending, the count of each
    outcome); silence in pipes and CI logs."""
    import contextlib

    if not sys.stderr.isatty() or os.environ.get("CI"):
        return contextlib.nullcontext(None)
    from collections import Counter

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    @contextlib.contextmanager
    def bar():
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[outcomes]}"),
        )
        seen: Counter[str] = Counter()
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task(label, total=total, rate="", outcomes="")

            def advance(n: int, status: str = "") -> None:
                speed = progress.tasks[0].speed
                if outcomes and status:
                    seen[status] += n
                progress.update(
                    task,
                    advance=n,
                    rate=f"{speed:,.0f}/s" if speed else "",
                    outcomes=" · ".join(f"{k} {v}" for k, v in sorted(seen.items())),
                )

            yield advance

    return bar()


@contextlib.contextmanager
def reading_bar() -> Iterator[Callable[[int, int], None]]:
    """What `prepare` tells of a customer file read a batch at a time (too big for memory:
    campaigns/streamed.py), as a progress bar, shown from the first batch on: a file read at
    once shows none. Silence in pipes and CI logs (progress_bar)."""
    with contextlib.ExitStack() as stack:
        shown: list[int] = []  # the records the bar was told of
        advance: list[Callable[..., None] | None] = []

        def told(read: int, records: int) -> None:
            if not advance:
                advance.append(stack.enter_context(progress_bar(records, _("reading in batches"))))
                shown.append(0)
            if advance[0] is not None:
                advance[0](read - shown[0])
            shown[0] = read

        yield told


def out_folder(args: argparse.Namespace) -> Path:
    """The output folder a command writes: --out, else out/ beside the campaign file (as
    Prepared.out_dir says, known before the campaign is loaded)."""
    return Path(args.out) if args.out else Path(args.campaign).resolve().parent / "out"
