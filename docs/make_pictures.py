"""Make the README's pictures from the bundled examples (run by hand after a change of look):

    .venv/bin/python docs/make_pictures.py

The French and English letters' first pages, the English coupon page, a carrier envelope
(pypdfium2), a reply to a complaint, and the French e-mail at 600 and 375 px (Debian's
chromium through Playwright).
"""

from __future__ import annotations

import base64
import mailbox
import shutil
import subprocess
import sys
import tempfile
from email import message_from_bytes, policy
from pathlib import Path

import pypdfium2

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def publipost(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "publipost", *args], check=True, capture_output=True)


def page_png(pdf: Path, index: int, target: Path, scale: float = 1.4) -> None:
    pypdfium2.PdfDocument(str(pdf))[index].render(scale=scale).to_pil().save(target, optimize=True)


def email_pngs(folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    publipost("send", str(folder / "campaign.yaml"), "--out", str(folder / "out"), "--limit", "1")
    (raw,) = mailbox.Maildir(folder / "out" / "maildir", create=False)
    message = message_from_bytes(raw.as_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        if part["Content-ID"]:
            data = base64.b64encode(part.get_content()).decode()
            html = html.replace(
                f"cid:{part['Content-ID'].strip('<>')}", f"data:{part.get_content_type()};base64,{data}"
            )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        for width in (600, 375):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_content(html, wait_until="load")
            page.screenshot(path=str(DOCS / f"email-vente-couette-{width}.png"), full_page=True)
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("vente-couette", "launch-planner", "reclamations"):
            shutil.copytree(ROOT / "examples" / name, Path(tmp) / name, ignore=shutil.ignore_patterns("out"))
        french, english = Path(tmp) / "vente-couette", Path(tmp) / "launch-planner"
        for folder in (french, english):
            publipost(
                "render", str(folder / "campaign.yaml"), "--format", "pdf", "--out", str(folder / "out")
            )
        page_png(french / "out" / "letters" / "letters.pdf", 0, DOCS / "lettre-vente-couette.png")
        page_png(english / "out" / "letters" / "letters.pdf", 0, DOCS / "letter-launch-planner.png")
        page_png(english / "out" / "letters" / "letters.pdf", 1, DOCS / "letter-launch-planner-coupon.png")
        page_png(french / "out" / "letters" / "envelopes-dl.pdf", 0, DOCS / "envelope-dl.png", scale=1.0)
        email_pngs(french)
        replies = Path(tmp) / "reclamations"
        publipost("render", str(replies / "campaign.yaml"), "--format", "pdf", "--out", str(replies / "out"))
        page_png(replies / "out" / "letters" / "letters.pdf", 0, DOCS / "reponse-reclamation.png", scale=1.2)


if __name__ == "__main__":
    main()
