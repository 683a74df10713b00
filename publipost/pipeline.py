"""The stages composed: what the CLI calls, and what a script or notebook can call too.

prepared = prepare("campaign.yaml")          # campaign + audience + compiled copy
report = render_text(prepared, Path("out"))  # one .txt letter per recipient
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.campaigns.audience import Audience, load_audience
from publipost.campaigns.load import load_campaign
from publipost.campaigns.model import Campaign
from publipost.templates.merge import Merge, RecipientError

if TYPE_CHECKING:
    from publipost.templates.email_html import EmailRenderer


@dataclass
class Prepared:
    campaign: Campaign
    audience: Audience
    merge: Merge
    email: EmailRenderer | None = None  # the e-mail template compiled, its images read: once a run


@dataclass
class RenderReport:
    out_dir: Path
    written: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)


def prepare(path: str | Path) -> Prepared:
    """Load and check everything a run needs; raises PublipostError before any output."""
    campaign = load_campaign(path)
    audience = load_audience(campaign)
    merge = Merge(campaign, audience.fields, audience.headers)
    email = None
    if campaign.email is not None:  # the e-mail template's fields are checked with the copy's
        from publipost.templates.email_html import EmailRenderer

        email = EmailRenderer(campaign, audience.fields)
    return Prepared(campaign, audience, merge, email)


def default_out_dir(campaign: Campaign) -> Path:
    return campaign.path.parent / "out"


def render_text(
    prepared: Prepared, out_dir: Path, progress: Callable[[int], None] | None = None
) -> RenderReport:
    """One plain-text letter per recipient (the e-mail text when the campaign has no letter)."""
    from publipost.templates.text import render_text_email, render_text_letter

    campaign, merge = prepared.campaign, prepared.merge
    target = out_dir / ("letters" if campaign.letter else "emails")
    target.mkdir(parents=True, exist_ok=True)
    report = RenderReport(target)
    for recipient in prepared.audience:
        try:
            if campaign.letter:
                if not recipient.postal:
                    continue  # reached by e-mail only
                text = render_text_letter(merge.letter(recipient))
            else:
                text = render_text_email(merge.email(recipient))
        except RecipientError as exc:
            report.failed.append((recipient.row, str(exc)))
            continue
        (target / f"{recipient.id}.txt").write_text(text, encoding="utf-8")
        report.written += 1
        if progress:
            progress(1)
    return report
