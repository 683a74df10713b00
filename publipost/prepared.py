"""A campaign ready to run: the campaign, its audience, its copy compiled, and what each of its
channels compiles once (the e-mail template). Every stage after `prepare` reads it; nothing
in it is read from disk again.

It pickles (for a worker that is not a fork of this process): compiled templates are left out
and rebuilt once by the worker that unpickles it, never once per recipient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from publipost.campaigns.audience import Audience
from publipost.campaigns.model import Campaign
from publipost.templates.codes import response_code
from publipost.templates.merge import Merge


@dataclass
class Prepared:
    campaign: Campaign
    audience: Audience
    merge: Merge
    compiled: dict[str, Any] = field(default_factory=dict)  # channel name → what it compiled once
    # channel name → how it compiles (a channel's bound method): how a worker rebuilds `compiled`
    compilers: dict[str, Callable[[Prepared], Any]] = field(default_factory=dict, repr=False)
    # variant name → the variant prepared the same way (same audience, its own copy and templates)
    variants: dict[str, Prepared] = field(default_factory=dict, repr=False)
    # recipient id → response code, when bound (short codes: channels/recording.py bind_codes)
    codes: dict[str, str] = field(default_factory=dict, repr=False)

    def code_of(self, recipient_id: str) -> str:
        """The response code this recipient's coupon and links carry."""
        return self.codes.get(recipient_id) or response_code(self.campaign.code, recipient_id)

    def with_codes(self, codes: dict[str, str]) -> None:
        """Bind response codes, for the campaign and its variants alike: in place, so that every
        copy of this prepared campaign (a gate's, a composer's) carries them."""
        self.codes.clear()
        self.codes.update(codes)
        for variant in self.variants.values():
            variant.codes = self.codes

    def of(self, recipient: Any) -> Prepared:
        """What renders this recipient: their variant's, or the campaign's own."""
        return self.variants.get(recipient.variant, self) if self.variants else self

    @property
    def email(self) -> Any:
        """The e-mail template compiled, its images read (the e-mail channel's), or None."""
        return self.compiled.get("email")

    def with_audience(self, audience: Audience) -> Prepared:
        """The same campaign, compiled, for other recipients (a chunk's rows, on a worker)."""
        variants = {name: replace(variant, audience=audience) for name, variant in self.variants.items()}
        return replace(self, audience=audience, variants=variants)

    @property
    def out_dir(self) -> Path:
        """Where runs write by default: out/ beside the campaign file."""
        return self.campaign.path.parent / "out"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "audience": self.audience,
            "compilers": self.compilers,
            "variants": self.variants,
            "codes": self.codes,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.campaign, self.audience = state["campaign"], state["audience"]
        self.variants = state["variants"]
        self.codes = state.get("codes", {})
        self.merge = Merge(
            self.campaign, self.audience.fields, self.audience.headers, self.audience.field_kinds
        )
        self.compilers = state["compilers"]
        self.compiled = {name: compile_(self) for name, compile_ in self.compilers.items()}
