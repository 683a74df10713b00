"""The stages composed: what the CLI calls, and what a script or notebook can call too.

prepared = prepare("campaign.yaml")          # campaign + audience + compiled copy
report = render_text(prepared, Path("out"))  # one .txt letter per recipient
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.campaigns.audience import Audience, Recipient, load_audience
from publipost.campaigns.load import load_campaign
from publipost.campaigns.model import Campaign
from publipost.errors import PublipostError
from publipost.templates.merge import Merge, each_rendered

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


def prepare(path: str | Path, *, boundary: Path | None = None) -> Prepared:
    """Load and check everything a run needs; raises PublipostError before any output.
    With a `boundary`, the campaign may only name files inside it (validate on untrusted input)."""
    from publipost.templates.layout import unprintable

    campaign = load_campaign(path, boundary=boundary)
    audience = load_audience(campaign, letter_check=unprintable)
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

    def text(recipient: Recipient) -> str:
        if campaign.letter:
            return render_text_letter(merge.letter(recipient))
        return render_text_email(merge.email(recipient))

    # with a letter, recipients without a postal address are reached by e-mail only
    recipients = (r for r in prepared.audience if r.postal or not campaign.letter)
    for recipient, content in each_rendered(recipients, text, report.failed):
        (target / f"{recipient.id}.txt").write_text(content, encoding="utf-8")
        report.written += 1
        if progress:
            progress(1)
    return report


def render_emails(
    prepared: Prepared, out_dir: Path, mbox: bool = False, progress: Callable[[int], None] | None = None
) -> RenderReport:
    """Every e-mail as sent, for review in a mail client: one .eml per recipient, or one mbox."""
    import mailbox

    from publipost.mailer.message import unsubscribe_secret
    from publipost.sending import Composer, email_recipients

    if prepared.campaign.email is None:
        raise PublipostError(
            "this campaign has no e-mail", prepared.campaign.where(()), "add an 'email:' section"
        )
    composer = Composer(prepared, unsubscribe_secret(out_dir, real_relay=False))
    target = out_dir / "emails"
    target.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(target / "emails.mbox") if mbox else None
    report = RenderReport(target / "emails.mbox" if box is not None else target)
    try:
        for recipient, data in each_rendered(email_recipients(prepared), composer.message, report.failed):
            if box is not None:
                box.add(data)
            else:
                (target / f"{recipient.id}.eml").write_bytes(data)
            report.written += 1
            if progress:
                progress(1)
    finally:
        if box is not None:
            box.close()
    return report
