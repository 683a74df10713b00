"""Tracked links: what a web shop needs to attribute an order to a mailing and a recipient.

A link to one of the campaign's own sites gets utm_source, utm_medium (email or letter),
utm_campaign (the campaign code) and ref, the recipient's response code (the one printed on
the coupon). Parameters the copy already sets are kept. The link is built once per campaign
with a placeholder for `ref`, which each recipient's response code replaces: only that
varies per recipient. No open-tracking pixel: it is personal data collected without asking,
and Apple Mail's privacy protection opens every message anyway, so opens mean nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from publipost.campaigns.model import Campaign

REF = "\ue000"  # stands for the recipient's response code until the recipient is known


@dataclass(frozen=True)
class Tracking:
    medium: str  # "email" or "letter"
    code: str  # utm_campaign
    source: str  # utm_source
    domains: frozenset[str]

    def href(self, url: str) -> str:
        return _tracked(url, self)

    def ours(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().removeprefix("www.")
        return parts.scheme in ("http", "https") and any(
            host == domain or host.endswith("." + domain) for domain in self.domains
        )


@lru_cache(maxsize=4096)
def _tracked(url: str, tracking: Tracking) -> str:
    if not tracking.ours(url):
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    added = [
        (key, value)
        for key, value in (
            ("utm_source", tracking.source),
            ("utm_medium", tracking.medium),
            ("utm_campaign", tracking.code),
        )
        if key not in present
    ]
    encoded = urlencode(query + added, quote_via=quote, safe="")
    ref = "" if "ref" in present else f"{'&' if encoded else ''}ref={REF}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded + ref, parts.fragment))


def tracking_for(campaign: Campaign, medium: str) -> Tracking | None:
    """The campaign's tracking for a medium, or None when `links.track` is false."""
    links = campaign.links
    if not links.track:
        return None
    domains = {d.lower().removeprefix("www.") for d in links.domains}
    if not domains:
        if campaign.cta:
            domains.add((urlsplit(campaign.cta.url).hostname or "").lower().removeprefix("www."))
        if campaign.sender.email:
            domains.add(campaign.sender.email.rsplit("@", 1)[1].lower())
    return Tracking(medium, campaign.code, links.source, frozenset(d for d in domains if d))


def with_ref(text: str, ref: str) -> str:
    """Text holding tracked links, with the recipient's response code in place."""
    return text.replace(REF, quote(ref, safe="")) if REF in text else text
