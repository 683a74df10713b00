"""A campaign's own font (brand.font): embedded in its letters, measured for the linter.

Letters are set in the shipped Liberation Serif unless the brand gives a regular and a bold
TrueType font. The font is read once (reportlab), registered for the PDF painter, and its
advance widths given to the layout module, so that the linter counts printed lines in the
font the letter is printed in. E-mails keep a web-safe font stack: a mail app shows the
fonts its reader has.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.errors import TemplateError, Where
from publipost.templates.layout import add_font_metrics

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign

REGULAR, BOLD = "LiberationSerif-Regular", "LiberationSerif-Bold"


def letter_fonts(campaign: Campaign) -> tuple[str, str]:
    """The (regular, bold) font names a campaign's letters are set in."""
    font = campaign.brand.font
    if font is None:
        return REGULAR, BOLD
    names = []
    for style in ("regular", "bold"):
        where = campaign.where(("brand", "font", style))
        names.append(load_font(campaign.resolve(getattr(font, style)), where))
    return names[0], names[1]


@cache
def load_font(path: Path, where: Where) -> str:
    """Register a TrueType font for the PDF and the layout; its name, or an error saying why not."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    data = path.read_bytes()
    name = f"Brand-{hashlib.sha256(data).hexdigest()[:12]}"
    try:
        face = TTFont(name, str(path))
    except Exception as exc:  # reportlab raises TTFError, struct.error, KeyError… on a bad file
        raise TemplateError(
            f"{path.name} is not a font publipost can embed: {exc}",
            where,
            "give a TrueType font (.ttf, or .otf with TrueType outlines), regular and bold",
        ) from None
    pdfmetrics.registerFont(face)
    widths = {chr(code): face.stringWidth(chr(code), 1000) for code in face.face.charToGlyph if code >= 32}
    if not any(c.isalpha() for c in widths):
        raise TemplateError(f"{path.name} has no letters", where, "give a text font")
    add_font_metrics(name, widths, float(face.face.defaultWidth))
    return name
