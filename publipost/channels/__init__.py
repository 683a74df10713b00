"""The channels a campaign reaches its recipients through: the printed letter and the e-mail,
each one unit (see base.py). A new channel is a module and a `register` call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from publipost.channels.base import Channel, RenderOptions, Written
from publipost.channels.email import EmailChannel
from publipost.channels.letter import LetterChannel
from publipost.errors import PublipostError

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign
    from publipost.linter.campaign import Samples
    from publipost.linter.document import LintDoc

# The known channels, in the order reports list them (configuration, like the lint rules).
_CHANNELS: dict[str, Channel] = {c.name: c for c in (LetterChannel(), EmailChannel())}


def register(channel: Channel) -> None:
    """Add a channel (or replace the one of its name)."""
    _CHANNELS[channel.name] = channel


def unregister(name: str) -> None:
    _CHANNELS.pop(name, None)


def all_channels() -> list[Channel]:
    return list(_CHANNELS.values())


def channel(name: str) -> Channel:
    return _CHANNELS[name]


def channels_of(campaign: Campaign) -> list[Channel]:
    """The channels this campaign uses, in report order."""
    return [c for c in _CHANNELS.values() if c.enabled(campaign)]


def documents_of(campaign: Campaign, samples: Samples | None) -> list[LintDoc]:
    """What the linter reads of a campaign: each channel's copy, of each variant (whose
    findings name it) or of the campaign itself."""
    return [
        doc
        for version in campaign.each_variant()
        for unit in channels_of(version)
        for doc in unit.lint_documents(version, samples)
    ]


def formats() -> list[str]:
    """Every `render --format` some channel writes."""
    return list(dict.fromkeys(f for c in _CHANNELS.values() for f in c.formats))


def for_format(campaign: Campaign, fmt: str) -> Channel:
    """The campaign's channel that writes `fmt` (the first in report order: text is the letter's
    when the campaign has one)."""
    for candidate in channels_of(campaign):
        if fmt in candidate.formats:
            return candidate
    writers = [c.name for c in _CHANNELS.values() if fmt in c.formats]
    raise PublipostError(
        f"this campaign has no {' or '.join(writers) or 'channel'} to render as {fmt}",
        campaign.where(()),
        f"add a '{writers[0]}:' section, or render another format" if writers else "see --help",
    )


__all__ = [
    "Channel",
    "RenderOptions",
    "Written",
    "all_channels",
    "channel",
    "channels_of",
    "documents_of",
    "for_format",
    "formats",
    "register",
    "unregister",
]
