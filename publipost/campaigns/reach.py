"""Which rows of the customer file a channel can reach, and why not.

The audience asks each of the campaign's channels: a row no channel can reach is
rejected with the reasons, a row some channels cannot reach is targeted for the others
("letter only"). A channel unit (publipost.channels) supplies its reach; the two here are
what a printed letter and an e-mail need, from the postal norms and the address syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from publipost.errors import AudienceError, Where

if TYPE_CHECKING:
    from publipost.campaigns.audience import Audience
    from publipost.campaigns.model import Campaign
    from publipost.campaigns.postal import PostalStyle

ADDRESS_FIELDS = ("address1", "postcode", "city")
BATCH = 50_000  # our choice: rows asked whole at once (as Python strings); a million would hold 1 GB
POSTAL_FIELDS = (  # every field campaigns/postal.py reads to write an address block
    "civility",
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "postcode",
    "city",
    "state",
    "country",
)


class Reach(Protocol):
    @property
    def name(self) -> str:  # the channel: "letter", "email"
        ...

    @property
    def only(self) -> str:  # a row this channel alone reaches: "letter only"
        ...

    @property
    def invalid(self) -> str | None:  # its problem listed even on rows filtered out: "e-mail invalid"
        ...

    def problems(self, audience: Audience, campaign: Campaign) -> pd.Series:
        """Per row of `audience.frame`: '' when the channel can reach it, else why not."""
        ...


class BlockFit(Protocol):
    """Why an address block would not fit where it is printed ('' when it does): the number of
    its lines and each line, asked apart or together (templates/window.py's WindowFit)."""

    def __call__(self, lines: list[str]) -> str: ...

    def too_many(self, count: int) -> str: ...

    def too_wide(self, line: str) -> str: ...

    def too_wide_of(self, lines: list[str]) -> dict[str, str]: ...

    def too_wide_in(self, values: Any) -> dict[str, str]: ...  # an Arrow array of lines


@dataclass(frozen=True)
class PostalReach:
    """A printed letter needs a name, a street, a postcode and a city that the postal norm can
    hold, and (when the printing layer says so) a font that can print them."""

    # why an address block cannot be printed; a question of its characters, wherever they are:
    # asked once of every block's lines together, it is '' when it is '' for each block
    printable: Callable[[list[str]], str] | None = None
    # the campaign → why an address block would leave its envelope's window (templates/window.py)
    window: Callable[[Campaign], BlockFit] | None = None
    name: str = "letter"
    only: str = "letter only"
    invalid: str | None = None

    def problems(self, audience: Audience, campaign: Campaign) -> pd.Series:
        from publipost.campaigns.blocks import french_lines
        from publipost.campaigns.postal import FR
        from publipost.campaigns.presets import campaign_preset
        from publipost.campaigns.table import on_every_core

        frame = audience.frame
        style = campaign_preset(campaign).address_style
        fits = self.window(campaign) if self.window else None
        found = np.full(len(frame), "", dtype=object)  # by position: label alignment costs
        sure = np.zeros(len(frame), dtype=bool)
        if style == FR:  # the ordinary rows, column by column (campaigns/blocks.py), on every core
            sliced = on_every_core(frame, french_lines)
            vouched, lines = sliced[0]
            if len(sliced) > 1:
                vouched = pd.concat([v for v, _ in sliced])
                lines = [pd.concat(line) for line in zip(*(ls for _, ls in sliced), strict=True)]
            sure = vouched.to_numpy(dtype=bool)
            if sure.any():
                found[sure] = self._said([line[sure] for line in lines], fits)
        names = [n for n in POSTAL_FIELDS if n in frame.columns]
        rest = np.flatnonzero(~sure)
        for start in range(0, len(rest), BATCH):  # the others asked whole, for their reason
            batch = rest[start : start + BATCH]
            columns = [frame[name].iloc[batch].tolist() for name in names]
            rows = zip(*columns, strict=True) if columns else [()] * len(batch)
            found[batch] = [
                self.problem(dict(zip(names, values, strict=True)), style, fits) for values in rows
            ]
        return pd.Series(found, index=frame.index, dtype=object)

    def _said(self, lines: list[pd.Series], fits: BlockFit | None) -> np.ndarray:
        """What the font, then the window, says of blocks given as columns of lines: each
        question asked once per distinct line, or per distinct number of lines."""
        from publipost.campaigns.table import in_arrow, mostly_distinct

        said = np.full(len(lines[0]), "", dtype=object)
        arrow = all(map(in_arrow, lines))  # (in Arrow, asked without a Python string per line)
        # once, for the window and the font; a column of name lines (mostly distinct) as it is
        distinct = [line.array if arrow and mostly_distinct(line) else line.unique() for line in lines]
        if fits is not None:
            # the first line too wide in the block's order: written last
            for line, values in zip(reversed(lines), reversed(distinct), strict=True):
                if arrow:
                    wide = fits.too_wide_in(values.__arrow_array__())
                else:
                    wide = fits.too_wide_of(values.tolist())
                if wide:
                    hit = line.isin(list(wide)).to_numpy(dtype=bool)
                    said[hit] = [wide[value] for value in line[hit].tolist()]
            count = sum(line.ne("").to_numpy(dtype=int) for line in lines)
            many = {n: why for n in set(count.tolist()) if (why := fits.too_many(n))}
            if many:  # the number of lines is said first
                hit = np.isin(count, list(many))
                said[hit] = [many[n] for n in count[hit].tolist()]
        if self.printable and self.printable(_characters(distinct) if arrow else _values(distinct)):
            # a glyph missing somewhere: the blocks it is in, asked one by one, say so first
            for position, block in enumerate(zip(*(line.tolist() for line in lines), strict=True)):
                if why := self.printable([v for v in block if v]):
                    said[position] = why
        return said

    def problem(self, fields: dict[str, str], style: PostalStyle, fits: BlockFit | None) -> str:
        """One row's problem, '' when the letter reaches it: what `problems` gives every row."""
        from publipost.campaigns.postal import AddressError, format_address

        lacking = [name for name in ADDRESS_FIELDS if not fields.get(name)]
        if not fields.get("last_name") and not fields.get("company"):
            lacking.insert(0, "last_name or company")
        if lacking:
            return "postal address incomplete: no " + ", ".join(lacking)
        try:
            block = format_address(fields, style)
        except AddressError as exc:
            return str(exc)
        return (self.printable(block) if self.printable else "") or (fits(block) if fits else "")


def _values(distinct: list[Any]) -> list[str]:
    return [value for values in distinct for value in values.tolist()]


def _characters(distinct: list[Any]) -> list[str]:
    """Every character of these Arrow arrays, each once, as one line: what the font is asked."""
    from publipost.campaigns.table import code_points

    seen, byte = np.zeros(0x110000, dtype=bool), np.zeros(256, dtype=bool)
    for values in distinct:
        characters = code_points(values.__arrow_array__())
        byte[characters.data] = True  # (a byte beyond ASCII is part of a character: of the points)
        seen[characters.points] = True
    seen[:128] |= byte[:128]
    return ["".join(map(chr, np.flatnonzero(seen).tolist()))]


@dataclass(frozen=True)
class EmailReach:
    """An e-mail needs an address that passes the syntax check (see campaigns/emails.py)."""

    name: str = "email"
    only: str = "e-mail only"
    invalid: str | None = "e-mail invalid"

    def problems(self, audience: Audience, campaign: Campaign) -> pd.Series:
        frame = audience.frame
        if "email" not in frame.columns:
            raise AudienceError(
                "the campaign sends e-mails but the customer file has no e-mail column",
                Where(audience.source.path, 1),
                "name the column in target.columns, e.g. {Courriel: email}",
            )
        return frame["_email_problem"].astype(str)


def default_reach(campaign: Campaign) -> list[Reach]:
    """The campaign's own channels, as a customer file sees them."""
    reach: list[Reach] = []
    if campaign.letter is not None:
        reach.append(PostalReach())
    if campaign.email is not None:
        reach.append(EmailReach())
    return reach
