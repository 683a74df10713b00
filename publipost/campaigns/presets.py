"""Window-envelope layouts (presets.toml), as typed values the renderer places things with."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.campaigns.postal import FR, US, PostalStyle

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign

PAPER = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    paper: str
    address_field: Box
    address_text_x: float
    return_line: bool
    fold_marks: tuple[float, ...]
    date_line_y: float
    address_style: PostalStyle
    hole_mark: float | None = None

    @property
    def size(self) -> tuple[float, float]:
        return PAPER[self.paper]


@cache
def data_table(name: str) -> dict:
    """One of the TOML tables shipped beside this module (presets.toml, envelopes.toml), read once."""
    with (Path(__file__).parent / name).open("rb") as f:
        return tomllib.load(f)


def _table() -> dict:
    return data_table("presets.toml")


def preset_names() -> list[str]:
    return list(_table())


def preset(name: str) -> Preset:
    data = dict(_table()[name])
    data["address_field"] = Box(**data["address_field"])
    data["fold_marks"] = tuple(data["fold_marks"])
    data["address_style"] = {"fr": FR, "us": US}[data["address_style"]]
    return Preset(name=name, **data)


def default_preset(language: str) -> str:
    return "fr" if language == "fr" else "us"


def campaign_preset(campaign: Campaign) -> Preset:
    """The layout a campaign's letters use: its `letter.layout`, or its language's default."""
    return preset((campaign.letter.layout if campaign.letter else None) or default_preset(campaign.language))
