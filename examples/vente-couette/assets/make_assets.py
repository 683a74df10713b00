"""Draw the example's handwritten signature (signature.png): deterministic, no font needed.

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


if __name__ == "__main__":
    signature(HERE / "signature.png", seed=1.0)
