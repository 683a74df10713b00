"""Print-run speed: publipost against a bare reportlab canvas and WeasyPrint, on the same letters.

Run by hand (not in CI):

    pip install -e . weasyprint      # WeasyPrint is optional: skipped when missing
    python bench/print_bench.py [LETTERS] [SMALL] [ROUNDS]

LETTERS (default 5,000) for the speed figures, SMALL (default 1,000) for the memory baseline
and the peers; the tests run it with tiny numbers so that it cannot rot. Publipost and the two
canvases run in turns, ROUNDS times (default 3), and each keeps its best: on a shared machine one
run of each moved the ratio to the canvas by a tenth.

Prints letters/s for each and publipost's ratios; peak memory (RSS) of publipost runs of
1,000 and of LETTERS letters, to show it stays flat (letters are streamed in chunks).
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_campaign(folder: Path, letters: int) -> Path:
    campaign = folder / "vente-couette"
    shutil.copytree(ROOT / "examples" / "vente-couette", campaign, ignore=shutil.ignore_patterns("out"))
    source = (campaign / "data" / "clients.csv").read_text(encoding="cp1252").splitlines()
    header = source[0]
    rows = [r for r in source[1:] if r.count(";") == 11]
    lines = [header]
    for number in range(letters):
        fields = rows[number % 100].split(";")
        fields[0], fields[8] = f"B{number:06d}", f"client{number}@exemple.fr"
        fields[10], fields[11] = "01/06/2026", "oui"  # everyone targeted
        fields[3] = fields[3] + ("" if number % 7 else "-Durand")
        fields[7] = fields[7] or "Lyon"
        lines.append(";".join(fields))
    (campaign / "data" / "clients.csv").write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    (campaign / "data" / "desabonnes.csv").write_text("E-mail\r\n", encoding="cp1252")
    yaml = (
        (campaign / "campaign.yaml")
        .read_text(encoding="utf-8")
        .replace("  dedupe: [first_name, last_name, postcode]", "  dedupe: [id]")
    )
    (campaign / "campaign.yaml").write_text(yaml, encoding="utf-8")
    return campaign / "campaign.yaml"


def run_publipost(path: Path, jobs: int) -> tuple[int, float, int]:
    """letters, seconds, peak RSS in MB of a child process doing the whole run."""
    code = (
        "import sys, time, resource\n"
        "from pathlib import Path\n"
        "from publipost.api import prepare\n"
        "from publipost.channels.printing import render_pdf\n"
        f"p = prepare({str(path)!r})\n"
        "t = time.perf_counter()\n"
        f"r = render_pdf(p, Path({str(path.parent / 'out')!r}), jobs={jobs})\n"
        "s = time.perf_counter() - t\n"
        "usage = resource.getrusage\n"
        "rss = max(usage(resource.RUSAGE_SELF).ru_maxrss, usage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(r.letters, s, rss // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2])


def bare_canvas(path: Path, letters: int, codes: bool = False) -> float:
    """The ceiling: the same merged letters drawn line by line on one canvas, no layout work.
    With `codes`, each letter's two QR codes too (the tracked link and the response code),
    encoded and drawn by publipost's own painter (LetterPainter._qr): what no drawing of
    this letter can leave out, so that the ratio shows what the rest of publipost's work costs."""
    from reportlab.pdfgen.canvas import Canvas

    from publipost.api import prepare
    from publipost.channels.printing import _painter
    from publipost.templates.inline import plain_text as strip_inline
    from publipost.templates.pdf import REGULAR, register_fonts

    register_fonts()
    prepared = prepare(path)
    painter, cta = _painter(prepared), prepared.campaign.cta
    merged = [prepared.merge.letter(r) for r in prepared.audience.letter_recipients(0, letters)]
    start = time.perf_counter()
    if codes:
        painter.encode_ahead(letter.recipient.id for letter in merged)  # together, as a print chunk's
    canvas = Canvas(str(path.parent / "bare.pdf"), initialFontName=REGULAR)
    for letter in merged:
        y = 800
        canvas.setFont(REGULAR, 11)
        for line in [
            *letter.address,
            letter.date_line,
            strip_inline(letter.hook or ""),
            letter.salutation,
            *map(strip_inline, letter.body),
            *letter.signature,
            *map(strip_inline, letter.ps),
        ]:
            for piece in (line[i : i + 95] for i in range(0, len(line), 95)):
                canvas.drawString(57, y, piece)
                y -= 14
        if codes:
            tracked = painter._linker(letter.recipient.id)(cta.url) if cta else ""
            for x, value in ((430, tracked), (57, prepared.code_of(letter.recipient.id))):
                painter._qr(canvas, value, x, 40, 75)  # as the letter's painter draws them
        canvas.showPage()
    canvas.save()
    return len(merged) / (time.perf_counter() - start)


def weasyprint(path: Path, letters: int) -> float | None:
    """WeasyPrint drawing the same letter from the same merged values: logo, sender, address,
    date, hook, body, signature, PS, the call to action with its tracked QR code, and the reply
    coupon with the return address, the recipient's address and the response code's QR code
    (both QR codes encoded per letter, by the encoder publipost uses, as SVG)."""
    try:
        import weasyprint as wp
    except (ImportError, OSError):
        return None
    from base64 import b64encode
    from html import escape

    import zxingcpp

    from publipost.api import prepare
    from publipost.channels.printing import _painter
    from publipost.templates.inline import plain_text as strip_inline

    prepared = prepare(path)
    campaign, painter = prepared.campaign, _painter(prepared)
    merged = [prepared.merge.letter(r) for r in prepared.audience.letter_recipients(0, letters)]
    logo = campaign.resolve(campaign.brand.logo).as_uri() if campaign.brand.logo else ""
    offer = campaign.offer
    reply = campaign.letter.reply_address if campaign.letter else None
    returned = "<br>".join(map(escape, reply or campaign.sender.block))
    cta = campaign.cta

    def qr(value: str, size: str) -> str:
        code = zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        data = b64encode(code.to_svg().encode()).decode()
        return f"<img style='width:{size};height:{size}' src='data:image/svg+xml;base64,{data}'>"

    def lines(values: list[str]) -> str:
        return "<br>".join(map(escape, values))

    start = time.perf_counter()
    pages = []
    for letter in merged:
        code = prepared.code_of(letter.recipient.id)
        action = ""
        if cta is not None:
            tracked = painter._linker(letter.recipient.id)(cta.url)
            action = (
                f"<div class='cta'>{qr(tracked, '22mm')}<b>{escape(cta.label)}</b><br>{escape(cta.url)}</div>"
            )
        coupon = ""
        if offer is not None:
            coupon = (
                "<div class='coupon'><b>Bon de commande</b><br>"
                f"Oui, je commande {escape(offer.product)}<br>"
                f"<div class='return'>{returned}</div><div>{lines(letter.address)}</div>"
                f"<div class='code'>Code : <b>{escape(code)}</b> {qr(code, '22mm')}</div></div>"
            )
        pages.append(
            "<section>"
            + (f"<img class='logo' src='{logo}'>" if logo else "")
            + f"<p class='sender'>{lines(campaign.sender.block)}</p>"
            + f"<p class='address'>{lines(letter.address)}</p>"
            + f"<p class='date'>{escape(letter.date_line)}</p>"
            + f"<h1>{escape(strip_inline(letter.hook or ''))}</h1>"
            + "".join(f"<p>{escape(strip_inline(p))}</p>" for p in [letter.salutation, *letter.body])
            + f"<p>{lines(letter.signature)}</p>"
            + "".join(f"<p>{escape(strip_inline(p))}</p>" for p in letter.ps)
            + action
            + coupon
            + "</section>"
        )
    style = (
        "@page { size: A4; margin: 15mm 20mm } section { page-break-after: always }"
        " body { font-family: 'Liberation Serif'; font-size: 11pt }"
        " .logo { width: 40mm } .address { margin-left: 100mm } .date { text-align: right }"
        " .cta img { float: right } .coupon { border-top: 1px dashed black; margin-top: 8mm }"
        " .return { float: right; font-size: 9pt } .code img { vertical-align: middle }"
    )
    html = f"<html><head><style>{style}</style></head><body>{''.join(pages)}</body></html>"
    wp.HTML(string=html).write_pdf(str(path.parent / "weasy.pdf"))
    return len(merged) / (time.perf_counter() - start)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    base = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        small = make_campaign(Path(tmp) / "small", base)
        large = make_campaign(Path(tmp) / "large", count)
        rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
        ours_one = ours_two = ceiling = coded = 0.0
        for _ in range(rounds):
            one_letters, one_seconds, _ = run_publipost(large, jobs=1)
            two_letters, two_seconds, two_rss = run_publipost(large, jobs=2)
            ours_one = max(ours_one, one_letters / one_seconds)
            ours_two = max(ours_two, two_letters / two_seconds)
            ceiling = max(ceiling, bare_canvas(small, base))
            coded = max(coded, bare_canvas(small, base, codes=True))
        _, _, small_rss = run_publipost(small, jobs=2)
        print(f"{two_letters} letters, one combined PDF with reply coupons and QR codes (best of {rounds})")
        print(f"  publipost, 1 process      {ours_one:7.0f} letters/s")
        print(f"  publipost, 2 processes    {ours_two:7.0f} letters/s   (peak RSS {two_rss} MB)")
        print(f"  publipost 2 processes / 1: {ours_two / ours_one:.2f}")
        print(f"  peak RSS: {base:,} letters {small_rss} MB, {count:,} letters {two_rss} MB")
        print(f"  bare reportlab canvas     {ceiling:7.0f} letters/s   (1 process, no layout: the ceiling)")
        print(f"  publipost 1 process / bare canvas: {ours_one / ceiling:.2f}")
        print(f"  bare canvas + 2 QR codes  {coded:7.0f} letters/s   (each letter's codes too)")
        print(f"  publipost 1 process / bare canvas with the QR codes: {ours_one / coded:.2f}")
        weasy = weasyprint(small, min(base, 200))
        if weasy:
            print(f"  WeasyPrint                {weasy:7.0f} letters/s")
            print(f"  publipost per core / WeasyPrint: {ours_one / weasy:.1f}x")
        else:
            print("  WeasyPrint: not installed (pip install weasyprint)")
        print(f"  (this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)")


if __name__ == "__main__":
    main()
