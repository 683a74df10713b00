"""Images an e-mail carries with it: the sender's signature and the template's local images.

A remote image (https://…) is fetched by the mail app, and many apps block those until
the reader allows them; an image carried in the message (multipart/related, RFC 2387)
shows at once. Each one is read once per campaign and referred to from the HTML by its
Content-ID, so every recipient's message carries the same bytes, encoded once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from publipost.errors import TemplateError, Where

TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
# src="…" and background="…" naming a file: no scheme (https:, cid:, data:), no Jinja field
_LOCAL = re.compile(r'\b(src|background)="([^":{}]+)"')
SIGNATURE_BOX = (180, 60)  # pixels: the signature is drawn at most this wide and this high


@dataclass(frozen=True)
class InlineImage:
    cid: str  # Content-ID, without the angle brackets
    filename: str
    mime: str
    data: bytes
    size: tuple[int, int]  # pixels


def load_image(path: Path, cid: str, where: Where, boundary: Path | None = None) -> InlineImage:
    """The image at `path`, or a TemplateError saying what is wrong with it, and where."""
    from PIL import Image, UnidentifiedImageError

    from publipost.campaigns.paths import check_path

    path = check_path(path, boundary, where, f"the image '{path.name}'")
    mime = TYPES.get(path.suffix.lower())
    if mime is None:
        raise TemplateError(
            f"'{path.name}' cannot go in an e-mail: mail apps show PNG, JPEG and GIF images",
            where,
            "convert it to PNG (or JPEG for a photograph)",
        )
    try:
        data = path.read_bytes()
        with Image.open(path) as image:
            size = image.size
    except FileNotFoundError:
        raise TemplateError(
            f"image not found: {path}", where, "check the path (relative to the file)"
        ) from None
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise TemplateError(f"image '{path.name}' cannot be read: {exc}", where) from None
    return InlineImage(cid, path.name, mime, data, size)


def embed_local_images(
    html: str, source: Path, text: str, cid_suffix: str, boundary: Path | None = None
) -> tuple[str, list[InlineImage]]:
    """The compiled HTML with each local image file replaced by `cid:…`, and those images.

    Paths are relative to the template's folder (`source`, whose `text` gives the line of
    an error); one file used twice is carried once.
    """
    images: dict[str, InlineImage] = {}

    def embed(match: re.Match[str]) -> str:
        attribute, value = match.groups()
        if value not in images:
            line = next((n for n, row in enumerate(text.split("\n"), 1) if value in row), 1)
            stem = re.sub(r"[^A-Za-z0-9-]+", "-", Path(value).stem).strip("-") or "image"
            cid = f"{len(images) + 1}.{stem}.{cid_suffix}"
            images[value] = load_image(source.parent / value, cid, Where(source, line), boundary)
        return f'{attribute}="cid:{images[value].cid}"'

    return _LOCAL.sub(embed, html), list(images.values())


def signature_html(image: InlineImage, alt: str) -> str:
    """An <img> of the signature scaled into SIGNATURE_BOX, its size fixed so that the
    layout does not move while the image loads."""
    from html import escape

    width, height = image.size
    scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height, 1)
    return (
        f'<img src="cid:{image.cid}" alt="{escape(alt)}" width="{round(width * scale)}" '
        f'height="{round(height * scale)}" style="display:block;border:0;outline:none;">'
    )
