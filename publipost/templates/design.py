"""Letter designs as data: where the logo, the sender block, the body column, the references
and the legal lines stand on the page (TOML, templates/designs/ or the campaign's own file).

The PDF painter draws what a design says and the linter counts printed lines in its body
column, so the two never disagree. A design is checked when it is loaded, against the
campaign's window-envelope preset: every region inside the page, nothing over the address
window or the fold marks, a body column wide enough to read; an error names the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publipost.campaigns.presets import Box, Preset
from publipost.errors import PublipostError, Where, did_you_mean
from publipost.templates.layout import MM, Column

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign

DESIGNS = Path(__file__).parent / "designs"
REGULAR, BOLD = "LiberationSerif-Regular", "LiberationSerif-Bold"
MARKS_EDGE = 12.0  # mm: fold and hole marks stand in the left margin, up to here
MIN_BODY = 100.0  # mm: a column narrower than this reads like a newspaper's


@dataclass(frozen=True)
class Design:
    name: str
    description: str
    margin_left: float
    margin_top: float
    margin_bottom: float
    logo: Box
    sender: Box  # x, y (top), and sizes as width = text size, height = name size
    body_width: float
    body_size: float
    body_leading: float
    hook_size: float
    hook_leading: float
    footer_y: float
    footer_size: float
    band: float = 0.0  # mm of brand colour across the top
    reference: Box | None = None  # a references line (business)

    def column(self, regular: str = REGULAR, bold: str = BOLD) -> Column:
        return Column("letter", regular, bold, self.body_size, self.body_leading, self.body_width * MM)

    def hook_column(self, bold: str = BOLD) -> Column:
        return Column("hook", bold, bold, self.hook_size, self.hook_leading, self.body_width * MM)


def builtin_designs() -> list[str]:
    return sorted(p.stem for p in DESIGNS.glob("*.toml"))


def design_source(name: str) -> str:
    """A built-in design's TOML, to start one's own from (`publipost design show NAME`)."""
    path = DESIGNS / f"{name}.toml"
    if not path.is_file():
        raise PublipostError(
            f"no built-in design is named '{name}'", hint=f"designs: {', '.join(builtin_designs())}"
        )
    return path.read_text(encoding="utf-8")


@cache
def load_design(path: Path) -> Design:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PublipostError(
            f"the design cannot be read: {exc}", Where(path), "a design is a TOML file"
        ) from None
    return _design(path, data)


def _design(path: Path, data: dict[str, Any]) -> Design:
    def number(section: str, key: str, default: float | None = None) -> float:
        value = data.get(section, {}).get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise PublipostError(
                f"{section}.{key} is {'missing' if value is None else repr(value)}: a number of millimetres"
                " (points for sizes) is expected",
                Where(path),
                "compare with: publipost design show classic",
            )
        return float(value)

    def box(section: str) -> Box:
        return Box(
            number(section, "x"), number(section, "y"), number(section, "width"), number(section, "height")
        )

    known = {"description", "page", "logo", "sender", "body", "hook", "footer", "band", "reference"}
    for key in data:
        if key not in known:
            raise PublipostError(
                f"unknown section '{key}' in the design", Where(path), f"sections: {', '.join(sorted(known))}"
            )
    return Design(
        name=path.stem,
        description=str(data.get("description", "")),
        margin_left=number("page", "margin_left"),
        margin_top=number("page", "margin_top"),
        margin_bottom=number("page", "margin_bottom"),
        logo=box("logo"),
        sender=Box(
            number("sender", "x"),
            number("sender", "y"),
            number("sender", "size"),
            number("sender", "name_size"),
        ),
        body_width=number("body", "width"),
        body_size=number("body", "size"),
        body_leading=number("body", "leading"),
        hook_size=number("hook", "size"),
        hook_leading=number("hook", "leading"),
        footer_y=number("footer", "y"),
        footer_size=number("footer", "size"),
        band=number("band", "height", 0.0),
        reference=box("reference") if "reference" in data else None,
    )


def check_design(design: Design, preset: Preset, where: Where) -> None:
    """Every region on the page, clear of the address window and the fold marks, a body column
    one can read: or an error naming the key."""
    width, height = preset.size
    window = preset.address_field
    regions = {"logo": design.logo}
    if design.reference is not None:
        regions["reference"] = design.reference
    regions["body"] = Box(design.margin_left, design.margin_top, design.body_width, 1)

    def fail(message: str) -> PublipostError:
        return PublipostError(
            f"design '{design.name}': {message}", where, "compare with: publipost design show classic"
        )

    for key, region in regions.items():
        if region.x + region.width > width + 0.01 or region.y + region.height > height:
            raise fail(f"{key} leaves the page ({width:g} × {height:g} mm)")
        if region.x < MARKS_EDGE:
            raise fail(f"{key} starts at x = {region.x:g} mm, over the fold marks (keep x ≥ {MARKS_EDGE:g})")
        if key != "body" and overlaps(region, window):
            raise fail(
                f"{key} covers the address window (x {window.x:g}–{window.x + window.width:g}, "
                f"y {window.y:g}–{window.y + window.height:g} mm of the '{preset.name}' layout)"
            )
    if design.body_width < MIN_BODY:
        raise fail(f"body.width is {design.body_width:g} mm: a body column needs at least {MIN_BODY:g} mm")
    if design.margin_left + design.body_width > width - 10:
        room = width - design.margin_left - design.body_width
        raise fail(f"the body column ends {room:g} mm from the edge: keep 10 mm")
    if not 7 <= design.body_size <= 14:
        raise fail(f"body.size is {design.body_size:g} pt: letters read at 10 to 12 pt")
    if design.body_leading < design.body_size:
        raise fail("body.leading is smaller than body.size: lines would overlap")
    if design.sender.x < MARKS_EDGE:
        raise fail(f"sender starts at x = {design.sender.x:g} mm, over the fold marks")


def design_for(campaign: Campaign) -> Design:
    """The campaign's letter design (built-in or its own file), checked against its layout."""
    from publipost.campaigns.presets import campaign_preset

    name = campaign.letter.design if campaign.letter else "classic"
    where = campaign.where(("letter", "design"))
    if name.lower().endswith(".toml"):
        path = campaign.resolve(name)
    elif name in builtin_designs():
        path = DESIGNS / f"{name}.toml"
    else:
        suggestion = did_you_mean(name, builtin_designs())
        raise PublipostError(
            f"unknown design '{name}'",
            where,
            (suggestion + " " if suggestion else "")
            + f"built in: {', '.join(builtin_designs())}; or a .toml file",
        )
    design = load_design(path)
    check_design(design, campaign_preset(campaign), where)
    return design


def overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height
