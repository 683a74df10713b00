"""The channels a campaign reaches its recipients through: the printed letter and the e-mail,
each one unit (see base.py). A new channel is a module and a `register` call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from publipost.channels.base import Channel, RenderOptions, Written
from publipost.channels.email import EmailChannel
from publipost.channels.letter import LetterChannel
from publipost.errors import PublipostError

if TYPE_CHECKING:
    from publipost.campaigns.audience import Audience
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


def merged_documents_of(campaign: Campaign, audience: Audience) -> list[LintDoc]:
    """What the linter reads of the merged copy: every reply to a complaint (each goes to one
    person); in a sales campaign, the letters of a sample of rows for each free-text column the
    copy merges (its longest values and its commonest). A copy that does not merge is linted
    as a template only (validate names what stops it)."""
    from publipost.campaigns.table import ROW
    from publipost.errors import PublipostError
    from publipost.linter.merged import prose_fields, sample_rows
    from publipost.prepared import Prepared
    from publipost.templates.merge import Merge

    try:
        prepared = Prepared(
            campaign, audience, Merge(campaign, audience.fields, audience.headers, audience.field_kinds)
        )
        prepared.variants = {
            name: Prepared(
                variant, audience, Merge(variant, audience.fields, audience.headers, audience.field_kinds)
            )
            for name, variant in campaign.by_variant.items()
        }
    except PublipostError:
        return []
    docs: list[LintDoc] = []
    for unit in channels_of(campaign):
        if campaign.reply:
            docs += unit.merged_documents(prepared)
            continue
        copy = "\n".join(
            c.text
            for v in campaign.each_variant()
            for k, c in v.copies.items()
            if k.startswith(f"{unit.name}.")
        )
        fields = prose_fields(copy)
        if fields:
            rows = sample_rows(audience.reached(unit.name), fields, ROW)
            docs += unit.merged_documents(prepared, set(rows)) if rows else []
    return docs


def formats() -> list[str]:
    """Every `render --format` some channel writes; a format two channels write is also offered
    under each channel's name (`letter.text`, `email.text`), so that either can be asked for."""
    plain = list(dict.fromkeys(f for c in _CHANNELS.values() for f in c.formats))
    shared = [f for f in plain if sum(f in c.formats for c in _CHANNELS.values()) > 1]
    return plain + [f"{c.name}.{f}" for f in shared for c in _CHANNELS.values() if f in c.formats]


def for_format(campaign: Campaign, fmt: str) -> tuple[Channel, str]:
    """The campaign's channel that writes `fmt`, and the format as that channel names it.
    `letter.text` names the channel; a bare `text` is the first channel's in report order (the
    letter's when the campaign has one)."""
    name, _, bare = fmt.rpartition(".")
    for candidate in channels_of(campaign):
        if bare in candidate.formats and name in ("", candidate.name):
            return candidate, bare
    writers = [c.name for c in _CHANNELS.values() if bare in c.formats and name in ("", c.name)]
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
