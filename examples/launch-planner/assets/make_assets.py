"""Draw the example's handwritten signature (signature.png) and its leaflet (leaflet.pdf).

Deterministic: no font to install, same files every run.

    python assets/make_assets.py
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent


def signature(path: Path, seed: float) -> None:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = []
    for step in range(400):
        t = step / 400
        x = 40 + 500 * t
        y = 110 + 38 * math.sin(t * 26 + seed) * math.exp(-1.2 * t) + 18 * math.sin(t * 61 + 2 * seed)
        points.append((x, y))
    draw.line(points, fill=(20, 30, 90, 255), width=5, joint="curve")
    draw.line([(60, 160), (520, 150)], fill=(20, 30, 90, 255), width=3)
    image.save(path, optimize=True)


def leaflet(path: Path) -> None:
    """A one-page product leaflet, collated after each letter in the print file."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    from publipost.templates.layout import FONTS  # embedded fonts: print shops refuse unembedded ones

    for name in ("LiberationSerif-Regular", "LiberationSerif-Bold"):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))
    canvas = Canvas(str(path), pagesize=letter, invariant=1, initialFontName="LiberationSerif-Regular")
    canvas.setFont("LiberationSerif-Bold", 28)
    canvas.drawString(72, 700, "Planora 2027")
    canvas.setFont("LiberationSerif-Regular", 14)
    for index, line in enumerate(
        [
            "Undated pages: start any week.",
            "One week per spread.",
            "Lay-flat binding, 120 g paper.",
            "$34 until 15 January 2027.",
        ]
    ):
        canvas.drawString(72, 650 - 24 * index, line)
    canvas.showPage()
    canvas.save()


def logo(path: Path) -> None:
    """The company's logo: a coloured square with its initials, and its name; drawn with shapes
    only, so the file is the same on every machine."""
    image = Image.new("RGB", (480, 160), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    colour = (26, 77, 143)
    draw.rounded_rectangle((8, 8, 152, 152), radius=18, fill=colour)
    draw.ellipse((44, 44, 116, 116), outline=(255, 255, 255), width=10)
    for index in range(3):  # the name as three bars: no font needed
        top = 40 + index * 34
        draw.rectangle((180, top, 180 + (280 - index * 60), top + 18), fill=colour)
    image.save(path, optimize=True)


if __name__ == "__main__":
    signature(HERE / "signature.png", seed=2.3)
    leaflet(HERE / "leaflet.pdf")
    logo(HERE / "logo.png")
