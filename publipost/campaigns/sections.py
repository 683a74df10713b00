"""The campaign sections channels add, beside the letter and the e-mail.

A channel of one's own (an SMS, a push notification) names its section in campaign.yaml
(`sms: {text: …}`); the campaign layer cannot import the channels (it lies below them), so a
channel registers its section here: the pydantic model that checks it, and which of its keys
are copy (templates merged per recipient, linted, fingerprinted by a send's journal). The
campaign then refuses a typo in that section as it does in its own, and names where.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class SectionKind:
    name: str  # the key in campaign.yaml, and the channel's name
    model: type[BaseModel]
    copy: tuple[str, ...]  # its keys that are copy, in the order they are read
    plain: bool = True  # copy without Markdown (an SMS's text): merged values are not escaped for it


# The built-in channels' copy keys (their sections are fields of Campaign itself).
BUILT_IN: dict[str, tuple[str, ...]] = {
    "letter": ("hook", "body", "ps"),
    "email": ("subject", "preheader", "body"),
}

_REGISTERED: dict[str, SectionKind] = {}


def register_section(kind: SectionKind) -> None:
    if kind.name in BUILT_IN:
        raise ValueError(f"'{kind.name}' is a built-in section")
    _REGISTERED[kind.name] = kind


def unregister_section(name: str) -> None:
    _REGISTERED.pop(name, None)


def registered() -> dict[str, SectionKind]:
    return dict(_REGISTERED)
