"""Draw the example's handwritten signature (signature.png) and logo (logo.png): deterministic, no
font needed.

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


def logo(path: Path) -> None:
    """The company's logo: a coloured square with its initials, and its name; drawn with shapes
    only, so the file is the same on every machine."""
    image = Image.new("RGB", (480, 160), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    colour = (138, 59, 18)
    draw.rounded_rectangle((8, 8, 152, 152), radius=18, fill=colour)
    draw.ellipse((44, 44, 116, 116), outline=(255, 255, 255), width=10)
    for index in range(3):  # the name as three bars: no font needed
        top = 40 + index * 34
        draw.rectangle((180, top, 180 + (280 - index * 60), top + 18), fill=colour)
    image.save(path, optimize=True)


if __name__ == "__main__":
    signature(HERE / "signature.png", seed=1.0)
    logo(HERE / "logo.png")
