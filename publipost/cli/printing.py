"""The audience as validate, render and send print it: where every row went, in the reader's
language; the rejects and corrections files it names."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publipost import i18n
from publipost.cli.common import shown_path, shown_store, summary_line
from publipost.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from publipost.prepared import Prepared


def print_audience(prepared: Prepared, out_dir: Path) -> None:
    from publipost.campaigns.audience import OUTCOME_LABELS, Outcome
    from publipost.channels import channels_of
    from publipost.csvout import separator_for

    campaign, audience = prepared.campaign, prepared.audience
    table = audience.source
    sep = {"\t": "tab", None: None}.get(table.separator, f"'{table.separator}'")
    read_as = ", ".join(p for p in (table.encoding, sep) if p)
    if campaign.reply:
        purpose = _("replies to complaints")
    else:
        purpose = _("objective: {objective}").format(objective=_(str(campaign.objective)))
    print(summary_line(_("campaign"), f"{campaign.name} ({campaign.language}, {purpose})"))
    print(summary_line(_("customers"), f"{shown_path(table.path)} ({read_as})"))
    if audience.recalled is not None:  # campaigns/accounted.py: read, cleaned and checked before
        when = audience.recalled.astimezone().strftime("%Y-%m-%d %H:%M")
        if audience.settled:
            said = _("as accounted at {when} (file, campaign, design, lists and store unchanged since)")
        else:
            said = _("as read and checked at {when} (file, campaign and design unchanged since)")
        print(summary_line("", said.format(when=when)))
    if audience.batched:  # campaigns/streamed.py
        said = _("read a batch of rows at a time: too big to account whole in this machine's memory")
        print(summary_line("", said))
    if audience.keyed_by == "e-mail address":
        print(
            summary_line(
                _("ids"),
                _("no id column: recipients are known by their e-mail address (target.id names one)"),
            )
        )
    for number, condition in enumerate(audience.conditions):  # target.where, as it was understood
        print(summary_line(_("where") if number == 0 else "", condition))
    counts = audience.counts
    channels = " · ".join(f"{_(c.plural)} {audience.channel_count(c.name)}" for c in channels_of(campaign))
    print()
    store = audience.store
    for outcome in Outcome:
        if outcome is Outcome.CONTROL and not campaign.control:
            continue
        if outcome is Outcome.STORE and (store is None or not store.consulted):
            continue
        extra = f"   {channels}" if outcome is Outcome.TARGETED else ""
        if outcome is Outcome.CONTROL:
            extra = "   " + _("{share} held out: mailed nothing, to measure what the mailing causes").format(
                share=i18n.percent(campaign.control)
            )
        label = _(OUTCOME_LABELS[outcome])
        if outcome is Outcome.STORE and store is not None:
            label = _("store")
            extra = "   " + _(
                "suppressed (store): {emails} e-mail and {postal} postal addresses found"
            ).format(emails=store.emails, postal=store.postal)
        print(f"  {label:<13}{counts[outcome.value]:>7}{extra}")
        if outcome is Outcome.TARGETED and campaign.variants:
            split = audience.variant_counts()
            shares = " · ".join(f"{v.name} {split.get(v.name, 0)}" for v in campaign.variants)
            if campaign.variant_by:
                how = _("by {column}").format(column=campaign.variant_by)
            else:
                how = _("by a hash of code and id")
            label = _("variants")
            print(f"    {label:<11}{'':>7}   {shares} ({how})")
    label = _("rows read")
    print(f"  {'─' * 20}\n  {label:<13}{audience.rows_read:>7}")
    from publipost.channels.letter import unreached_hint

    for unit in channels_of(campaign):  # a channel that reaches nobody: said now, not at render
        if len(audience) and not audience.channel_count(unit.name):
            why = unreached_hint(prepared, unit.name) or _("see rejects.csv")
            said = _("no recipient gets the {channel}: {why}").format(channel=_(unit.name), why=why)
            print("\npublipost: " + _("warning") + f": {said}", file=sys.stderr)
    if campaign.reply:
        print(
            "\n"
            + summary_line(
                _("store"), _("not consulted: a reply to a complaint is a service letter, not marketing")
            )
        )
    elif store is not None and not store.consulted:
        warning = summary_line(
            _("store"), _("OFF: this campaign does not consult the suppression store (store: false)")
        )
        print(f"\n\033[1m{warning}\033[0m" if sys.stdout.isatty() else f"\n{warning.upper()}")
    elif store is not None:
        state = _(" ({entries} entries, id {id})").format(entries=i18n.number(store.total), id=store.id[:8])
        state = state if store.id else ""
        state = state if store.entries else _(" (does not exist yet: nothing suppressed)")
        print("\n" + summary_line(_("store"), f"{shown_store(store.location)}{state}"))
    if audience.suppression:
        print()
        for listing in audience.suppression:
            print(
                _(
                    "suppression list {path}: {entries} entries, {suppressed} customers suppressed "
                    "(matched on {match})"
                ).format(
                    path=shown_path(listing.path),
                    entries=listing.entries,
                    suppressed=listing.suppressed,
                    match=_(" and ").join(listing.match),
                )
            )
    if audience.complaints is not None:
        print_complaints(audience.complaints, campaign.target.customers)
    separator = separator_for(table.separator, campaign.language)
    rejects = audience.write_rejects(out_dir / "rejects.csv", separator)
    corrections = audience.write_corrections(out_dir / "corrections.csv", separator)
    print()
    if rejects:
        print(
            _("{n} rows not (fully) targeted, with row and reason: {path}").format(
                n=rejects, path=shown_path(out_dir / "rejects.csv")
            )
        )
    if corrections:
        print(
            _("{n} values corrected or flagged: {path}").format(
                n=corrections, path=shown_path(out_dir / "corrections.csv")
            )
        )


def print_complaints(complaints: Any, customers: int | None) -> None:
    """mailing-rules.md §7: the delays, who to call first, and the indicators."""
    from publipost.campaigns.complaints import BANDS, DEADLINE_DAYS, LATER

    rows = complaints.rows
    said = _("{n} complaints, answered on {date}").format(n=len(rows), date=i18n.date(complaints.reply_date))
    print("\n" + summary_line(_("replies"), said))
    for c in complaints.late:  # by ticket and customer: what a service lead follows up by
        said = _("{reference} {name} (row {row}): received {when}, {days} days, {overdue} overdue").format(
            reference=c.reference,
            name=c.name,
            row=c.row,
            when=i18n.date(c.received),
            days=c.days,
            overdue=c.days - DEADLINE_DAYS,
        )
        print("  " + summary_line(_("late"), said))
    for c in complaints.serious:
        said = _("{reference} {name} (row {row}): {phone} (a serious complaint: phone, then write)").format(
            reference=c.reference, name=c.name, row=c.row, phone=c.phone
        )
        print("  " + summary_line(_("call first"), said))
    for c in complaints.no_phone:  # a serious complaint nobody can phone: the letter goes now
        said = _(
            "{reference} {name} (row {row}): a serious complaint with no phone number: answer in "
            "writing within 24 hours"
        ).format(reference=c.reference, name=c.name, row=c.row)
        print("  " + summary_line(_("no phone"), said))
    if complaints.held:
        said = ngettext(
            "{n} reply held back, with its reason: rejects.csv",
            "{n} replies held back, with their reasons: rejects.csv",
            len(complaints.held),
        ).format(n=len(complaints.held))
        print("  " + summary_line(_("held back"), said))
    subjects = complaints.by_subject()
    print("  " + summary_line(_("by subject"), " · ".join(f"{s} {n}" for s, n in subjects.most_common())))
    delays = complaints.by_delay()
    labels = [label for _limit, label in BANDS] + [LATER]
    print("  " + summary_line(_("by delay"), " · ".join(f"{_(label)} {delays[label]}" for label in labels)))
    if customers:
        print(
            "  "
            + _("complaint rate {rate} of {n} customers").format(
                rate=i18n.percent(len(rows) / customers, 2), n=i18n.number(customers)
            )
        )


def print_authentication(prepared: Prepared) -> None:
    """Whether the e-mails will carry a DKIM signature aligned with their From domain (DMARC),
    which Gmail and Yahoo require of bulk senders since February 2024: said before any send."""
    from publipost.mailer.domain import aligned

    campaign = prepared.campaign
    if campaign.email is None or not campaign.sender.email:
        return
    sender = campaign.sender.email.rpartition("@")[2].lower()
    dkim = campaign.email.dkim
    if dkim is None:
        said = _("none: the e-mails go unsigned; set email.dkim (publipost dkim keygen, then dkim dns)")
    else:
        signing = (dkim.domain or sender).lower()
        said = (
            _("d={signing} (selector {selector}), aligned with From @{sender}")
            if aligned(signing, sender)
            else _("d={signing} (selector {selector}) is NOT aligned with From @{sender}: DMARC fails")
        ).format(signing=signing, selector=dkim.selector, sender=sender)
    print(summary_line(_("dkim"), said))


SIDES = {
    "top": N_("at the top"),
    "bottom": N_("at the bottom"),
    "left": N_("on the left"),
    "right": N_("on the right"),
}


def print_window(prepared: Prepared) -> None:
    """Whether the run's widest and longest address blocks stay in the envelope's window in
    every position of the sheet (templates/window.py), with the figures when they do not."""
    from publipost.campaigns.postal import AddressError, format_address
    from publipost.templates.window import address_block, check_window, placed_preset

    campaign = prepared.campaign
    if campaign.letter is None:
        return
    preset = placed_preset(campaign)
    frame = prepared.audience.frame
    fields = [f for f in ("company", "address1", "address2", "address3", "city", "country") if f in frame]
    returned = " · ".join(campaign.sender.block)
    blocks = []
    for recipient in prepared.audience.longest("letter", fields, 40):  # the widest and longest blocks
        try:
            lines = format_address(recipient.letter_fields, preset.address_style)
        except AddressError:
            continue  # such a row is already rejected, with its reason
        blocks.append(address_block(preset, lines, returned))
    if not blocks:
        return
    check = check_window(preset, campaign.letter.envelope, blocks, campaign.where(("letter", "envelope")))
    if check is None:
        return  # no envelope known for this layout: nothing to check against
    band, block = check.band, check.block
    where = _("the address block (x {x0}–{x1}, y {y0}–{y1} mm)").format(
        x0=i18n.number(block.x, 1),
        x1=i18n.number(block.x + block.width, 1),
        y0=i18n.number(block.y, 1),
        y1=i18n.number(block.y + block.height, 1),
    )
    if not check.shortfalls:
        said = _("{envelope}: {block} stays in the window in every position of the sheet").format(
            envelope=check.envelope.name, block=where
        )
    else:
        sides = ", ".join(
            _("{mm} mm {side}").format(mm=i18n.number(mm, 1), side=_(SIDES[side]))
            for side, mm in check.shortfalls.items()
        )
        said = _(
            "{envelope}: {block} leaves what the window always shows (x {x0}–{x1}, y {y0}–{y1} mm) by "
            "{sides}: readable only with the sheet resting just so"
        ).format(
            envelope=check.envelope.name,
            block=where,
            x0=i18n.number(band.left, 1),
            x1=i18n.number(band.right, 1),
            y0=i18n.number(band.top, 1),
            y1=i18n.number(band.bottom, 1),
            sides=sides,
        )
    print(summary_line(_("window"), said))


def print_replies_to_fix(prepared: Prepared) -> None:
    """The replies whose merged text the print and send gates would hold back: validate lists
    them by ticket, so that the service lead fixes the rows before printing."""
    from publipost.channels import channels_of

    found = {
        (f.context["recipient"], f.context["row"], f.rule, f.name)
        for unit in channels_of(prepared.campaign)
        for f in unit.gate(prepared)
        if "row" in f.context
    }
    for who, row, rule, name in sorted(found, key=lambda f: (f[1], f[2])):
        said = _("{who} (row {row}): {rule} {name}: held back at print and send until fixed").format(
            who=who, row=row, rule=rule, name=name
        )
        print("  " + summary_line(_("to fix"), said))


def print_held(held: list, command: str) -> None:
    """The recipients the lint gate held back, each with its findings (on stderr)."""
    if not held:
        return
    rows = {f.context["row"] for f in held}
    print(
        ngettext(
            "{n} recipient held back: their merged copy has a lint error (the others went on)",
            "{n} recipients held back: their merged copy has a lint error (the others went on)",
            len(rows),
        ).format(n=len(rows)),
        file=sys.stderr,
    )
    for f in held:
        print(f"  {shown_path(Path(f.path))}:{f.line}: {f.rule} {f.name}: {f.message}", file=sys.stderr)
    advice = (
        _("fix the row (or the copy), then run render again; --strict refuses the whole batch")
        if command == "render"
        else _(
            "fix the row (or the copy), then run send again with --accept-changes (the fixed row "
            "changed the customer file; the others are not sent twice); --strict refuses the whole batch"
        )
    )
    print("  " + advice, file=sys.stderr)
