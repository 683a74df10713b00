"""The delivered e-mail opened in a real browser at 600 and 375 px: the button is visible and
leads to the tracked URL, links work, no raw Markdown shows, nothing scrolls sideways on a phone."""

from __future__ import annotations

import base64
import mailbox
import re
import shutil
from email import message_from_bytes, policy

import pytest

from tests.browser import browser, offline
from tests.conftest import EXAMPLES, plain


def _html_with_images(message) -> str:
    """The HTML part, its cid: images turned into data: URLs so the browser shows them offline."""
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        cid = part["Content-ID"]
        if cid:
            data = base64.b64encode(part.get_content()).decode()
            html = html.replace(f"cid:{cid.strip('<>')}", f"data:{part.get_content_type()};base64,{data}")
    return html


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser") / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    from publipost.cli import main

    assert main(["send", str(folder / "campaign.yaml"), "--out", str(folder / "out"), "--limit", "3"]) == 0
    box = mailbox.Maildir(folder / "out" / "maildir", create=False)
    return [message_from_bytes(m.as_bytes(), policy=policy.default) for m in box]


@pytest.mark.parametrize("width", [600, 375])
def test_the_email_in_a_browser(delivered, width, tmp_path):
    message = delivered[0]
    html = _html_with_images(message)
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": width, "height": 900})
        offline(page)
        page.set_content(html, wait_until="load")
        button = page.get_by_role("link", name="Commandez votre couette")
        assert button.is_visible()
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        href = button.get_attribute("href")
        assert re.fullmatch(
            r"https://literie-martin\.example/couette-douillette\?utm_source=publipost&utm_medium=email"
            r"&utm_campaign=COUDOU\w{3}&ref=COUDOU\w{3}-[A-Z0-9]+-[A-Z0-9]",
            href,
        ), href
        link = page.get_by_role("link", name="les tailles et les coloris")
        assert link.is_visible() and "utm_medium=email" in link.get_attribute("href")
        text = page.inner_text("body")
        assert "**" not in text and "](" not in text and "__" not in text
        assert "Literie Martin SAS au capital de 50 000 €" in plain(text)  # the legal lines
        logo = page.locator('img[alt="Literie Martin"]')
        assert logo.is_visible() and logo.evaluate("image => image.naturalWidth") > 0
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow} px of horizontal scroll at {width} px"
        page.screenshot(path=str(tmp_path / f"email-{width}.png"), full_page=True)


_CONTRAST = """() => {
  // WCAG 2 contrast of every text's colour against the background behind it, as rendered
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = (c) => !(c === "transparent" || /rgba\\(.*,\\s*0\\)$/.test(c));
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (opaque(c)) return c;
    }
    return getComputedStyle(document.documentElement).backgroundColor === "rgba(0, 0, 0, 0)"
      ? (matchMedia("(prefers-color-scheme: dark)").matches ? "rgb(18, 18, 18)" : "rgb(255, 255, 255)")
      : getComputedStyle(document.documentElement).backgroundColor;
  };
  const worst = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || el.offsetParent === null) continue;
    const fg = lum(getComputedStyle(el).color), bg = lum(behind(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    worst.push([ratio, node.textContent.trim().slice(0, 40)]);
  }
  worst.sort((a, b) => a[0] - b[0]);
  return worst.slice(0, 3);
}"""


def test_the_email_stays_readable_in_dark_mode(delivered):
    """Issue 27, 6: the e-mail says it handles both schemes (color-scheme and
    supported-color-schemes metas, what Apple Mail reads), and with a forced dark palette every
    text keeps a readable contrast (WCAG AA, 4.5:1, measured on the rendered page)."""
    html = _html_with_images(delivered[0])
    assert '<meta name="color-scheme" content="light dark"' in html
    assert '<meta name="supported-color-schemes" content="light dark"' in html
    with browser() as chromium:
        for scheme in ("light", "dark"):
            page = chromium.new_page(viewport={"width": 600, "height": 900}, color_scheme=scheme)
            offline(page)
            page.set_content(html, wait_until="load")
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            worst = page.evaluate(_CONTRAST)
            assert worst and worst[0][0] >= 4.5, (scheme, worst)
            page.close()
