"""Which Jinja2 fields a user's MJML template may hold, checked before it is compiled once.

MJML computes the layout (table widths, image sizes, columns) when it compiles; the
template is compiled once per campaign and filled per recipient. A field in text, a
link, a colour or an image source survives compilation unchanged. A field that sizes
something (an `mj-image` width, a column's width, a padding), or a loop or condition
around MJML elements, would be laid out once for everyone with the placeholder text:
such templates are refused, with the place and what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

from publipost.errors import TemplateError, Where

LAYOUT_ATTRIBUTES = {
    "width",
    "height",
    "padding",
    "padding-top",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "border-radius",
    "font-size",
    "line-height",
    "border",
    "icon-size",
}
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*')""")
_TAG = re.compile(r"<mj-[\w-]+\b[^>]*>", re.DOTALL)
_BLOCK = re.compile(r"\{%-?\s*(for|if)\b.*?%\}(.*?)\{%-?\s*end\1\s*-?%\}", re.DOTALL)


def check_layout_fields(source: str, path: Path) -> None:
    """Raise TemplateError at the first field or block that would change the compiled layout."""
    for tag in _TAG.finditer(source):
        for attribute in _ATTRIBUTE.finditer(tag.group(0)):
            name, value = attribute.group(1).lower(), attribute.group(2)
            if name in LAYOUT_ATTRIBUTES and ("{{" in value or "{%" in value):
                raise TemplateError(
                    f"the field in {name}={value} of <{tag.group(0)[1:].split()[0].rstrip('>')}> changes the "
                    "layout MJML computes once for every recipient",
                    _where(source, path, tag.start() + attribute.start()),
                    "give sizes as fixed values; fields belong in text, links, colours and image sources",
                )
    for block in _BLOCK.finditer(source):
        if "<mj-" in block.group(2):
            raise TemplateError(
                f"a {{% {block.group(1)} %}} block around MJML elements changes the layout compiled once",
                _where(source, path, block.start()),
                "keep loops and conditions inside mj-text or mj-raw, or make one template per variant",
            )


def _where(source: str, path: Path, offset: int) -> Where:
    line = source.count("\n", 0, offset) + 1
    return Where(path, line, offset - (source.rfind("\n", 0, offset) + 1) + 1)
