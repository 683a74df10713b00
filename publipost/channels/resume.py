"""Whether a send's journal may be used by this campaign, as it is now on disk.

A journal records which campaign it belongs to and a fingerprint of each part of what
its messages are made of: the e-mail copy, the e-mail settings and template, the offer,
the sender, the targeting, and the customer file's bytes. A send refuses a journal of
another campaign (two campaigns sharing one output folder), and refuses to resume once
a part changed, naming the parts: a customer inserted at the top of a file, or a changed
address, must never make the rest of a run mail one person's message to another.
`--accept-changes` lets the operator go on; the journal is then reconciled with the
audience (see `Journal.reconcile`).

Suppression lists are left out of the fingerprint: a list that grew between two runs
only withdraws recipients, which is always safe.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from publipost.errors import PublipostError, Where
from publipost.mailer.journal import Journal
from publipost.results.identity import Identity

if TYPE_CHECKING:
    from publipost.prepared import Prepared


def fingerprints(prepared: Prepared, channel: str = "email") -> dict[str, str]:
    """Part name → SHA-256 of what a channel's message is made of: its copy, its section's
    settings, and what every channel shares (offer, sender, targeting, customer file)."""
    campaign = prepared.campaign
    prefix = f"{channel}."
    parts = {key: _hash(copy.text) for key, copy in campaign.copies.items() if key.startswith(prefix)}
    # The e-mail's parts keep the names journals on disk already hold ("e-mail settings", "e-mail
    # template"): renamed, every journal written before would refuse to resume as changed.
    email = campaign.email if channel == "email" else None
    section = campaign.section(channel)
    if channel != "email" and section is not None:
        copy_keys = {key.removeprefix(prefix) for key in parts}
        parts[f"{channel} settings"] = _hash(section.model_dump(mode="json", exclude=copy_keys))
    if email is not None:
        parts["e-mail settings"] = _hash(
            email.model_dump(mode="json", exclude={"subject", "preheader", "body"})
        )
        if email.template.lower().endswith(".mjml"):
            parts["e-mail template"] = hashlib.sha256(
                campaign.resolve(email.template).read_bytes()
            ).hexdigest()
    parts["offer"] = _hash(campaign.offer.model_dump(mode="json") if campaign.offer else None)
    parts["sender"] = _hash(campaign.sender.model_dump(mode="json"))
    parts["target"] = _hash(campaign.target.model_dump(mode="json", exclude={"exclude"}))
    parts["customer file"] = prepared.audience.source.digest
    return parts


def _hash(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_journal(
    journal: Journal, prepared: Prepared, *, accept_changes: bool, parts: dict[str, str] | None = None
) -> list[str]:
    """Bind a new journal to this campaign, or check an existing one; the parts that changed
    (accepted) are returned. Raises when the journal is another campaign's, or when parts
    changed and the operator did not accept it. `parts`: the channel's fingerprints (default:
    the e-mail's)."""
    meta = journal.meta()
    now = fingerprints(prepared) if parts is None else parts
    where = Where(journal.path)
    identity = Identity.of(prepared.campaign)
    if "campaign" not in meta:
        if journal.count() and not accept_changes:
            raise PublipostError(
                "this send journal was written by an earlier publipost, which did not record its campaign",
                where,
                "if it is this campaign's, run again with --accept-changes; otherwise use another --out",
            )
        for key, value in identity.recorded().items():
            journal.set_meta(key, value)
        journal.set_fingerprints(now)
        return []
    # a journal that began sending: the control group and the split are fixed (a journal
    # written before the split was recorded has none to compare)
    identity.check(meta, where, what="send journal", mailed=True)
    before = journal.fingerprints() or {}
    changed = [part for part in sorted(set(before) | set(now)) if before.get(part) != now.get(part)]
    if changed and not accept_changes:
        raise PublipostError(
            f"since this send began, {_listed(changed)} changed: resuming would mail the other recipients "
            "something different from what the first ones got, or to a list that moved",
            where,
            "put the files back as they were to resume; or, to go on with the changes, run again with "
            "--accept-changes (recipients not yet mailed are then checked against the journal)",
        )
    if changed:
        journal.set_fingerprints(now)
    return changed


def _listed(parts: list[str]) -> str:
    named = [p if "." in p else f"the {p}" for p in parts]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
