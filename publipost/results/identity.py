"""What an output folder's records belong to, checked in one place.

The manifest and a channel's send journal both record the campaign they belong to, its code,
its control group's share and how its variants split the audience. Two campaigns sharing one
folder would mix their replies; a new code would split them; a control group or a split changed
once someone was mailed would choose the baseline or the variants after the fact. Each record
is checked against the campaign before anything is printed or sent, by this one function, so
the manifest and the journals can never disagree about what they refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publipost.errors import PublipostError, Where

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign

NO_CONTROL = "0%"


def control_share(control: float | None) -> str:
    """The control group's share as the records hold it: '10%', '0%'."""
    return f"{control:.0%}" if control else NO_CONTROL


@dataclass(frozen=True)
class Identity:
    campaign: str
    code: str
    control: str | None = None  # None: not known to the caller (a report opens the folder by name and code)
    split: str | None = None  # "no variants", "A 50% · B 50%", "by segment: …"
    file: str = ""  # the campaign file, named when another campaign's records are found
    stem: str = "CAMPAIGN"  # for the hint: --out out/STEM

    @classmethod
    def of(cls, campaign: Campaign) -> Identity:
        return cls(
            campaign.name,
            campaign.code,
            control_share(campaign.control),
            campaign.split,
            str(campaign.path),
            campaign.path.stem,
        )

    def recorded(self) -> dict[str, str]:
        """What a new record holds."""
        values = {"campaign": self.campaign, "code": self.code, "control": self.control, "split": self.split}
        if self.file:
            values["campaign file"] = self.file
        return {key: value for key, value in values.items() if value is not None}

    def check(self, recorded: Mapping[str, str], where: Where, *, what: str, mailed: bool) -> None:
        """Refuse `recorded` (a manifest's or a journal's, `what` names it) when it is another
        campaign's or this one under another code; once someone was `mailed`, when the control
        group's share or the variants' split changed. A record not yet bound passes."""
        if "campaign" not in recorded and "code" not in recorded:
            return
        if recorded.get("campaign") != self.campaign:
            other = f" ({recorded['campaign file']})" if recorded.get("campaign file") else ""
            owner = recorded.get("campaign")
            raise PublipostError(
                f"this {what} belongs to the campaign '{owner}'{other}, not to '{self.campaign}'",
                where,
                f"give each campaign its own output folder: --out out/{self.stem}",
            )
        before = recorded.get("code")
        if before and before != self.code:  # whatever --accept-changes says
            raise PublipostError(
                f"this campaign was already printed or sent under the code {before}, not {self.code}: its "
                "replies and links would split between two codes, and the first recipients' unsubscribe "
                "links would no longer match",
                where,
                f"keep 'code: {before}' for this campaign (a new code is for a new campaign: another --out)",
            )
        if not mailed:
            return
        held = recorded.get("control")
        if self.control is not None and held is not None and held != self.control:
            said = "no control group" if held == NO_CONTROL else f"a control group of {held}"
            raise PublipostError(
                f"this campaign was already printed or sent with {said}; a control group of {self.control} "
                "now would choose the baseline after the fact",
                where,
                "put 'control:' back as it was; a control group is set before the first send (another --out)",
            )
        split = recorded.get("split")
        if self.split is not None and split is not None and split != self.split:
            raise PublipostError(
                f"this campaign was already printed or sent with variants split as '{split}'; "
                f"splitting them as '{self.split}' now would move recipients between variants",
                where,
                "put the variants' weights, values and names back as they were (their copy may change); "
                "a new split is a new test (another --out)",
            )
