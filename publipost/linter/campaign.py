"""A campaign's letter and e-mail as lint documents, with campaign-level facts and merged samples.

Copy may sit in Markdown files or inline in the YAML; each unit points into the
file it comes from. Length-dependent rules also see the body merged with the
longest value of every field in the customer file: that is what decides how
many lines a paragraph takes once printed.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.campaigns.copy import Copy
from publipost.campaigns.load import load_campaign
from publipost.campaigns.model import Campaign
from publipost.errors import Where
from publipost.linter.document import LintDoc, Unit, uses_recipient_field
from publipost.templates.design import design_for
from publipost.templates.fonts import letter_fonts
from publipost.templates.layout import EMAIL
from publipost.templates.markdown import Block, blank_comments, parse_letter

if TYPE_CHECKING:
    from publipost.campaigns.audience import Audience

LINK = re.compile(r"\]\(|<(?:https?|mailto|tel):|https?://")  # a link in Markdown copy
NAME_FIELDS = {"first_name", "last_name", "salutation"}


@dataclass(frozen=True)
class Samples:
    longest: dict[str, str]  # field → its longest value among the targeted recipients
    headers: dict[str, str]  # field → the customer file's header, for hints

    @classmethod
    def of(cls, audience: Audience) -> Samples | None:
        longest = audience.longest_values()
        return cls(longest, audience.headers) if longest is not None else None


def campaign_documents(path: Path, *, boundary: Path | None = None, data: bool = True) -> list[LintDoc]:
    """The campaign's documents; with `data`, also merged with its customer file's longest values.
    (The command line lints through its channels: publipost.api.campaign_documents.)"""
    campaign = load_campaign(path, boundary=boundary)
    samples = _longest_values(campaign) if data else None
    return [
        section_document(version, section, samples)
        for version in campaign.each_variant()
        for section in version.channels
    ]


def section_document(campaign: Campaign, section: str, samples: Samples | None) -> LintDoc:
    """The lint document of a campaign's letter or e-mail."""
    copies = campaign.copies
    body_copy = copies[f"{section}.body"]
    letter = parse_letter(blank_comments(body_copy.text))
    # a letter's lines are counted in its design's column, in the font it is printed in
    column = design_for(campaign).column(*letter_fonts(campaign)) if section == "letter" else EMAIL
    kind = "reply" if campaign.reply else section  # a reply to a complaint: the reply rules (PP7)
    doc = LintDoc(campaign.path, kind, campaign.language, column=column, variant=campaign.variant_name)
    for copy in copies.values():
        source = Path(copy.origin.path or "")
        if source.is_file():  # a campaign handed over as a mapping has no file to point into
            doc.sources[source] = source.read_text(encoding="utf-8-sig")

    def unit(role: str, block: Block | None, copy: Copy = body_copy) -> Unit | None:
        if block is None:
            return None
        return Unit(role, block.text, _locator(copy, block.start))

    hook_copy = copies.get(f"{section}.hook")
    doc.hook = copy_unit(hook_copy, "hook") if hook_copy else unit("hook", letter.hook)
    doc.salutation = unit("salutation", letter.salutation)
    doc.body = [u for b in letter.body if (u := unit("body", b))]
    doc.signature = unit("signature", letter.signature)
    ps_copy = copies.get(f"{section}.ps")
    ps = [copy_unit(ps_copy, "ps")] if ps_copy else [unit("ps", b) for b in letter.ps]
    doc.ps = [u for u in ps if u is not None]
    if section == "email" and campaign.email is not None:
        doc.subject = copy_unit(copies.get("email.subject"), "subject")
        doc.preheader = copy_unit(copies.get("email.preheader"), "preheader")
        doc.unsubscribe = bool(campaign.email.unsubscribe) or unsubscribe_link(
            blank_comments(body_copy.text), campaign.language
        )
        doc.plain_text = True  # publipost writes the text part from the same copy
    sender = campaign.sender
    doc.signer = (
        [line.strip() for line in letter.signature.text.split("\n")]
        if letter.signature
        else [v for v in (sender.name, sender.function) if v]
    )
    section_copy = "\n".join(c.text for key, c in copies.items() if key.startswith(f"{section}."))
    # Without a salutation in the copy, publipost greets from the civility column with the name.
    # With no data read (lint --no-data, the default under CI) that greeting is taken to name the
    # reader, as it does whenever the file has a name: a CI run never finds what a local run
    # cannot reproduce (only a file without names makes the local run the stricter one).
    doc.personalised = uses_recipient_field(section_copy) or (
        letter.salutation is None and (samples is None or bool(NAME_FIELDS & set(samples.longest)))
    )
    doc.place = bool(sender.place) if section == "letter" else None
    doc.coupon = bool(campaign.letter and campaign.letter.coupon) if section == "letter" else None
    doc.offer = campaign.offer.model_dump() if campaign.offer else None
    doc.links = campaign.cta is not None or bool(LINK.search(section_copy))
    doc.legal = bool(campaign.sender.legal)
    doc.objective = str(campaign.objective) if campaign.objective else None
    doc.profile = campaign.profile
    doc.offer_text = section_copy
    doc.overrides = campaign.lint
    doc.anchor = campaign.where((section,))
    if samples:
        doc.samples = _merged_samples(campaign, section, doc, samples)
    return doc


def copy_unit(copy: Copy | None, role: str) -> Unit | None:
    if copy is None:
        return None
    lead = len(copy.text) - len(copy.text.lstrip())
    return Unit(role, copy.text.strip(), _locator(copy, lead))


def _locator(copy: Copy, base: int) -> Callable[[int], Where]:
    text = copy.text
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def locate(offset: int) -> Where:
        absolute = base + offset
        line = bisect.bisect_right(starts, absolute) - 1
        return copy.where(line + 1, absolute - starts[line] + 1)

    return locate


def _longest_values(campaign: Campaign) -> Samples | None:
    """The longest value of every field among the targeted recipients."""
    from publipost.campaigns.audience import load_audience

    return Samples.of(load_audience(campaign))


def _merged_samples(
    campaign: Campaign, section: str, doc: LintDoc, samples: Samples
) -> list[tuple[Unit, str]]:
    """Body paragraphs merged with the longest values, paired with their template paragraphs."""
    from publipost.campaigns.audience import Recipient
    from publipost.templates.merge import Merge, RecipientError

    merge = Merge(campaign, list(samples.longest), samples.headers)
    recipient = Recipient(0, "longest", samples.longest, None, frozenset({"letter", "email"}))
    try:
        merged = parse_letter(merge.render(f"{section}.body", merge.context(recipient, section)))
    except RecipientError:
        return []
    template = [u for u in doc.body if u is not None]
    if len(merged.body) != len(template):
        return []
    return [(unit, block.text) for unit, block in zip(template, merged.body, strict=True)]


_LINKS = re.compile(
    r"\[([^\]]*)\]\(\s*<?([^)\s>]*)"  # Markdown: [text](url)
    r"|<a\b[^<>]*\bhref\s*=\s*[\"']?([^\"'\s>]*)[^<>]*>(.*?)</a\s*>"  # HTML: <a href="url">text</a>
    r"|<?(https?://[^\s<>)\]]+|mailto:[^\s<>)\]]+)",  # a bare address (linkified)
    re.IGNORECASE | re.DOTALL,
)


def unsubscribe_link(copy: str, language: str) -> bool:
    """Whether the copy holds a link whose text or address says unsubscribe: the word alone
    ("never unsubscribe", a comment) lets nobody leave the list."""
    from publipost.linter.document import mentions_unsubscribe

    for found in _LINKS.finditer(copy):
        text, url = (found[1] or found[4] or ""), (found[2] or found[3] or found[5] or "")
        if url and (mentions_unsubscribe(text, language) or _UNSUBSCRIBE_URL.search(url)):
            return True
    return False


_UNSUBSCRIBE_URL = re.compile(r"unsubscribe|d[eé]sabonn|d[eé]sinscri|opt-?out", re.IGNORECASE)
