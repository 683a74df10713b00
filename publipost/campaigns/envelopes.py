"""Window envelopes as data, and what their window shows of a folded sheet.

A folded sheet moves in its envelope: A4 in three (99 mm) in a DL (110 mm) has 11 mm of play up
and down and 10 mm across. The address must be readable with the insert "moved to its limits"
(USPS, norms.md §1.1), so what counts is the band of the sheet the window shows in *every*
position: for a sheet of panel height P and play p in an envelope whose window stands b above
the bottom and is h high, the page's y (from its top) is always shown for P + p − b − h ≤ y ≤
P − b; across, x is always shown for left ≤ x ≤ left + width − play. `window_band` computes it;
the letter channel checks every recipient's address block against it (channels/letter.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from publipost.campaigns.presets import PAPER, Box, data_table

FOLDS = {"tri": 3, "half": 2, "none": 1}  # panels a sheet is folded into


@dataclass(frozen=True)
class Envelope:
    name: str
    description: str
    width: float
    height: float
    window: Box  # from the envelope's bottom-left corner
    fold: str  # tri, half, none
    paper: tuple[str, ...]

    def panel(self, paper: str) -> float:
        """The height of the folded sheet's address panel."""
        return PAPER[paper][1] / FOLDS[self.fold]

    def fold_marks(self, paper: str) -> tuple[float, ...]:
        panel = self.panel(paper)
        return tuple(round(panel * n, 1) for n in range(1, FOLDS[self.fold]))


@dataclass(frozen=True)
class Band:
    """What the window always shows of the sheet, in mm from the page's top-left corner."""

    left: float
    right: float
    top: float
    bottom: float

    def holds(self, box: Box) -> bool:
        return (
            box.x >= self.left - 0.05
            and box.x + box.width <= self.right + 0.05
            and box.y >= self.top - 0.05
            and box.y + box.height <= self.bottom + 0.05
        )


def window_band(envelope: Envelope, paper: str, panel: float | None = None) -> Band:
    """`panel`: the address panel's height as the letter folds it (its first fold mark; DIN 5008
    folds A4 at 105 mm, NF at 99); default: the paper in equal panels."""
    width = PAPER[paper][0]
    panel = panel or envelope.panel(paper)
    play_x, play_y = envelope.width - width, envelope.height - panel
    window = envelope.window
    return Band(
        left=window.x,
        right=window.x + window.width - play_x,
        top=panel + play_y - window.y - window.height,
        bottom=panel - window.y,
    )


def envelope_names() -> list[str]:
    return list(data_table("envelopes.toml"))


def envelope(name: str) -> Envelope:
    data = dict(data_table("envelopes.toml")[name])
    return Envelope(
        name=name,
        description=data["description"],
        width=float(data["size"]["width"]),
        height=float(data["size"]["height"]),
        window=Box(**data["window"]),
        fold=data["fold"],
        paper=tuple(data["paper"]),
    )
