"""A real browser for tests: Playwright driving Debian's chromium (its own browser download is not
available here), offline: every request but data: URLs is refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def browser() -> Iterator[object]:
    if not shutil.which("chromium"):
        pytest.fail("Debian's chromium is not installed: .ci/run installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def offline(page) -> None:
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("data:") else route.abort()
    )
