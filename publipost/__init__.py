"""publipost: direct-mail and e-mail campaigns, mail-merged, linted and sent.

The library comes first; the `publipost` command is a thin layer over it:

    import publipost
    prepared = publipost.prepare("examples/vente-couette/campaign.yaml")
    print(prepared.audience.counts)
    publipost.render_letters(prepared, "out", format="text")

The names below load on first use: `import publipost` stays light, so that a lint run in a
pre-commit hook starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from publipost.errors import PublipostError

if TYPE_CHECKING:
    from publipost.api import (
        lint,
        load_audience,
        load_campaign,
        prepare,
        render,
        render_emails,
        render_letters,
        send,
        send_test,
    )
    from publipost.campaigns.audience import Audience, Recipient
    from publipost.campaigns.model import Campaign
    from publipost.channels import Channel, RenderOptions, Written, register
    from publipost.channels.base import LintBlocked
    from publipost.channels.sending import SendReport
    from publipost.linter.engine import Finding, LintResult
    from publipost.prepared import Prepared

from publipost._version import __version__ as __version__

__all__ = [
    "Audience",
    "Campaign",
    "Channel",
    "Finding",
    "LintBlocked",
    "LintResult",
    "Prepared",
    "PublipostError",
    "Recipient",
    "RenderOptions",
    "SendReport",
    "Written",
    "lint",
    "load_audience",
    "load_campaign",
    "prepare",
    "register",
    "render",
    "render_emails",
    "render_letters",
    "send",
    "send_test",
]

_HOMES = {
    "lint": "publipost.api",
    "load_audience": "publipost.api",
    "load_campaign": "publipost.api",
    "prepare": "publipost.api",
    "render": "publipost.api",
    "render_emails": "publipost.api",
    "render_letters": "publipost.api",
    "send": "publipost.api",
    "send_test": "publipost.api",
    "Audience": "publipost.campaigns.audience",
    "Recipient": "publipost.campaigns.audience",
    "Campaign": "publipost.campaigns.model",
    "Channel": "publipost.channels",
    "RenderOptions": "publipost.channels",
    "Written": "publipost.channels",
    "register": "publipost.channels",
    "LintBlocked": "publipost.channels.base",
    "SendReport": "publipost.channels.sending",
    "Finding": "publipost.linter.engine",
    "LintResult": "publipost.linter.engine",
    "Prepared": "publipost.prepared",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'publipost' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
