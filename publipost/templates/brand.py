"""The brand's files, checked once per campaign: the logo (and, later, the font)."""

from __future__ import annotations

from pathlib import Path

from publipost.errors import TemplateError, Where
from publipost.templates.email_images import InlineImage, load_image

MAX_LOGO_BYTES = 2_000_000  # a logo is a few dozen kilobytes; megabytes would weigh on every e-mail
MAX_LOGO_PIXELS = 3000  # on its longer side: print needs some 600 px for a 50 mm box at 300 dpi


def check_logo(path: Path, where: Where, boundary: Path | None = None) -> InlineImage:
    """The logo, readable, PNG or JPEG, and not oversized: or an error saying what to do."""
    image = load_image(path, "logo", where, boundary)
    if image.mime == "image/gif":
        raise TemplateError("the logo is a GIF: give a PNG or a JPEG (it is printed too)", where)
    if len(image.data) > MAX_LOGO_BYTES:
        raise TemplateError(
            f"the logo weighs {len(image.data) / 1e6:.1f} MB: every e-mail would carry it",
            where,
            f"resize it to at most {MAX_LOGO_PIXELS} px (a few hundred kilobytes)",
        )
    if max(image.size) > MAX_LOGO_PIXELS:
        raise TemplateError(
            f"the logo is {image.size[0]} × {image.size[1]} px: more than print or e-mail needs",
            where,
            f"resize it to at most {MAX_LOGO_PIXELS} px on its longer side",
        )
    return image
