"""Which rows of the customer file a channel can reach, and why not.

The audience asks each of the campaign's channels: a row no channel can reach is
rejected with the reasons, a row some channels cannot reach is targeted for the others
("letter only"). A channel unit (publipost.channels) supplies its reach; the two here are
what a printed letter and an e-mail need, from the postal norms and the address syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from publipost.errors import AudienceError, Where

if TYPE_CHECKING:
    from publipost.campaigns.audience import Audience
    from publipost.campaigns.model import Campaign
    from publipost.campaigns.postal import PostalStyle

ADDRESS_FIELDS = ("address1", "postcode", "city")
BATCH = 50_000  # rows whose address blocks are written at once: 50 MB of Python strings
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


@dataclass(frozen=True)
class PostalReach:
    """A printed letter needs a name, a street, a postcode and a city that the postal norm can
    hold, and (when the printing layer says so) a font that can print them."""

    # why an address block cannot be printed; a question of its characters, wherever they are:
    # asked once of every block's lines together, it is '' when it is '' for each block
    printable: Callable[[list[str]], str] | None = None
    # the campaign → why an address block would leave its envelope's window (templates/window.py)
    window: Callable[[Campaign], Callable[[list[str]], str]] | None = None
    name: str = "letter"
    only: str = "letter only"
    invalid: str | None = None

    def problems(self, audience: Audience, campaign: Campaign) -> pd.Series:
        from publipost.campaigns.postal import FR, french_blocks
        from publipost.campaigns.presets import campaign_preset

        frame = audience.frame
        style = campaign_preset(campaign).address_style
        fits = self.window(campaign) if self.window else None
        names = [n for n in POSTAL_FIELDS if n in frame.columns]
        found: list[str] = []  # a list, made a Series once: writing a Series cell by cell copies it
        for start in range(0, len(frame), BATCH):
            # Python lists, walked once (Arrow strings iterate slowly row by row), a batch at a
            # time: a million rows' blocks as Python strings would hold 1 GB at once
            columns = {name: frame[name].iloc[start : start + BATCH].tolist() for name in names}
            rows = min(BATCH, len(frame) - start)
            blocks: list[list[str] | None] = french_blocks(columns, rows) if style == FR else [None] * rows
            found += self._batch(columns, blocks, style, fits)
        return pd.Series(found, index=frame.index, dtype=object)

    def _batch(
        self,
        columns: dict[str, list[str]],
        blocks: list[list[str] | None],
        style: PostalStyle,
        fits: Callable[[list[str]], str] | None,
    ) -> list[str]:
        found: list[str] = []
        for row, block in enumerate(blocks):
            if block is None:  # the rare row: asked whole, for its reason
                fields = {name: values[row] for name, values in columns.items()}
                found.append(self.problem(fields, style, fits))
            else:
                found.append(fits(block) if fits else "")
        if self.printable:
            printed = [block for block in blocks if block is not None]
            # one question for every line: `printable` asks each character, wherever its line
            if self.printable([line for block in printed for line in block]):
                for row, block in enumerate(blocks):
                    if block is not None:  # the font's reason first, as for the rare rows
                        found[row] = self.printable(block) or found[row]
        return found

    def problem(
        self, fields: dict[str, str], style: PostalStyle, fits: Callable[[list[str]], str] | None
    ) -> str:
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
