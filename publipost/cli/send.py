"""`publipost send`: the campaign's e-mails, exactly once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from publipost import i18n
from publipost.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    accept_store_change,
    at_least,
    duration,
    durations,
    local_path,
    out_folder,
    positive,
    progress_bar,
    reading_bar,
    share,
    shown_path,
    summary_line,
)
from publipost.cli.printing import print_audience, print_held
from publipost.errors import PublipostError
from publipost.i18n import N_, _

if TYPE_CHECKING:
    from publipost.channels.sending import SendReport
    from publipost.prepared import Prepared


def arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("campaign", type=Path, help="the campaign YAML file")
    command.add_argument(
        "--smtp",
        metavar="URL",
        help="relay: smtp://host:port or smtps://user@host:465 "
        "(password from PUBLIPOST_SMTP_PASSWORD); without it, an embedded capture server",
    )
    command.add_argument(
        "--out", type=local_path, help="output folder: journal, report, capture Maildir (default: out/)"
    )
    command.add_argument(
        "--dry-run", action="store_true", help="render and lint every message, connect to nothing"
    )
    command.add_argument(
        "--channel",
        metavar="NAME",
        help="the channel to send (default: the e-mail; a registered channel of one's own by its name)",
    )
    command.add_argument(
        "--show",
        type=at_least(1),
        metavar="N",
        help="with --dry-run: print the first N messages (headers, text)",
    )
    command.add_argument(
        "--test-to",
        nargs="+",
        metavar="ADDRESS",
        help="send test messages ([TEST], inert unsubscribe link) to these seed addresses",
    )
    command.add_argument(
        "--test-recipient",
        nargs="+",
        metavar="ID",
        help="with --test-to: whose messages (default: the first one and the one with the longest values)",
    )
    command.add_argument(
        "--limit", type=at_least(1), help="send at most N messages this run (the next run goes on from there)"
    )
    command.add_argument("--no-lint", action="store_true", help="send even if the copy has lint errors")
    command.add_argument(
        "--strict",
        action="store_true",
        help="send nothing when one recipient's merged copy (a reply to a complaint) has a lint error "
        "(default: that recipient is held back, the others are sent)",
    )
    command.add_argument("--resend", action="store_true", help="send again to recipients already sent to")
    command.add_argument(
        "--retry-uncertain",
        action="store_true",
        help="send again to uncertain recipients: their message went out and no reply came back",
    )
    command.add_argument(
        "--retry-failed",
        action="store_true",
        help="send again to failed recipients of --class (never to a delivered one, never to an address "
        "refused for good)",
    )
    command.add_argument(
        "--class",
        dest="retry_class",
        choices=["policy", "transient", "all"],
        default="all",
        help="with --retry-failed: policy (5.7.x refusals), transient (4xx or no reply that outlived the "
        "retries), all (both, and full mailboxes, content refusals); default: all",
    )
    command.add_argument(
        "--accept-changes",
        action="store_true",
        help="resume although the copy or the customer file changed since the send began",
    )
    command.add_argument(
        "--allow-plain-auth",
        action="store_true",
        help="log in to a relay that does not offer TLS (the password crosses the network in clear)",
    )
    command.add_argument(
        "--concurrency", type=at_least(1), default=8, help="SMTP connections at once (default: 8)"
    )
    command.add_argument("--rate", type=positive, help="at most this many messages per second")
    command.add_argument(
        "--per-domain", type=at_least(1), help="at most this many messages at once per recipient domain"
    )
    command.add_argument("--timeout", type=positive, default=30, help="seconds per message (default: 30)")
    command.add_argument(
        "--store-changed",
        action="store_true",
        help="print or send although the suppression store is not the one this campaign ran with",
    )
    command.add_argument(
        "--wait",
        action="store_true",
        help="when a domain asks to slow down (4xx), wait for its recipients' time in this run "
        "instead of leaving them to the next send",
    )
    command.add_argument(
        "--retry-delays",
        type=durations,
        default=(60.0, 300.0, 900.0, 1800.0),
        metavar="LIST",
        help="how long a domain is left alone after each 4xx of a run (default: 1m,5m,15m,30m)",
    )
    command.add_argument(
        "--max-retry-time",
        type=duration,
        default=4 * 86400.0,
        metavar="TIME",
        help="a recipient deferred longer than this fails (default: 4d, as mail servers give up)",
    )
    command.add_argument(
        "--journal-lost",
        action="store_true",
        help="the send journal is lost after a run that crashed: send to those the manifest does not "
        "record (that run's recipients may get a second copy)",
    )
    command.add_argument(
        "--max-bounce-rate",
        type=share,
        default=0.10,
        metavar="PERCENT",
        help="stop when more than this share of the recipients tried are refused for good, "
        "suppressing nobody (default: 10%%; judged from 20 recipients on)",
    )
    command.set_defaults(run=cmd_send)


def cmd_send(args: argparse.Namespace) -> int:
    from publipost.api import prepare
    from publipost.channels.base import LintBlocked
    from publipost.channels.sending import send_campaign
    from publipost.mailer.smtp import Limits, parse_relay

    if args.retry_failed and args.resend:
        raise PublipostError(
            "--retry-failed sends failed recipients again; --resend sends everyone again", hint="choose one"
        )
    if args.show and not args.dry_run:
        raise PublipostError("--show prints a dry run's messages", hint="add --dry-run")
    if args.test_recipient and not args.test_to:
        raise PublipostError(
            "--test-recipient chooses whose messages a test send shows", hint="add --test-to ADDRESS"
        )
    relay = parse_relay(args.smtp, allow_plain_auth=args.allow_plain_auth) if args.smtp else None
    with reading_bar() as told:
        prepared = prepare(args.campaign, keep=out_folder(args), progress=told)
    i18n.activate(prepared.campaign.language)
    accept_store_change(prepared, args)
    email = prepared.campaign.email
    if relay is not None and not args.dry_run and email is not None and email.dkim is None:
        print(
            "publipost: warning: these messages go to a real relay unsigned: Gmail and Yahoo require "
            "bulk mail to carry a DKIM signature aligned with the From domain (and RFC 8058 the "
            "unsubscribe headers to be signed); set email.dkim (README: DKIM)",
            file=sys.stderr,
        )
    out_dir = args.out or prepared.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    limits = Limits(
        concurrency=args.concurrency,
        rate=args.rate,
        per_domain=args.per_domain,
        timeout=args.timeout,
        max_bounce_rate=args.max_bounce_rate,
        retry_delays=args.retry_delays,
        max_retry_time=args.max_retry_time,
        wait=args.wait,
    )
    channel = _channel_to_send(prepared, args.channel)
    total = prepared.audience.channel_count(channel)
    try:
        with progress_bar(min(total, args.limit or total), "sending", outcomes=True) as advance:
            report = send_campaign(
                prepared,
                out_dir,
                relay=relay,
                limits=limits,
                lint=not args.no_lint,
                strict=args.strict,
                dry_run=args.dry_run,
                show=args.show or 0,
                test_to=args.test_to,
                test_recipients=args.test_recipient,
                limit=args.limit,
                resend=args.resend,
                retry_uncertain=args.retry_uncertain,
                retry_failed=args.retry_class if args.retry_failed else None,
                accept_changes=args.accept_changes,
                journal_lost=args.journal_lost,
                channel=channel,
                ready=lambda: print_audience(prepared, out_dir),
                progress=(lambda status, n: advance(n, status)) if advance else None,
            )
    except LintBlocked as exc:
        print(f"publipost: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    _print_send_report(report, args, out_dir)
    print_held(report.held, "send")
    if report.tests:
        return EXIT_PROBLEMS if any(status != "sent" for _, _, status in report.tests) else EXIT_OK
    # Not sent: a failure. Uncertain recipients left by this run too; those of an earlier run were
    # reported then, and are reported again above.
    left = ("failed", "deferred") if args.limit else ("failed", "deferred", "pending")  # --limit leaves some
    failed = sum(report.counts.get(status, 0) for status in left) + len(report.not_rendered)
    stopped = report.this_run["uncertain"] or report.interrupted or report.stopped
    return EXIT_PROBLEMS if failed or stopped or report.held else EXIT_OK


def _channel_to_send(prepared: Prepared, asked: str | None) -> str:
    """--channel as given (a channel the campaign has, that sends), else the e-mail, else the
    campaign's one channel that sends."""
    from publipost.channels import channels_of

    sending = [c.name for c in channels_of(prepared.campaign) if c.journal_file]
    if asked is None:
        return "email" if "email" in sending or not sending else sending[0]
    if asked not in sending:
        raise PublipostError(
            f"--channel {asked}: this campaign has no {asked} channel that sends",
            prepared.campaign.where(()),
            f"channels that send here: {', '.join(sending) or 'none'}",
        )
    return asked


# The journal's statuses as the report names them, in the order a reader looks for them.
SEND_STATUSES = (
    ("sent", N_("sent")),
    ("failed", N_("failed")),
    ("deferred", N_("deferred")),
    ("in flight", N_("uncertain")),
    ("pending", N_("pending")),
    ("withdrawn", N_("withdrawn")),
)


RUN_OUTCOMES = {
    "sent": N_("{n} sent"),
    "failed": N_("{n} failed"),
    "deferred": N_("{n} deferred"),
    "uncertain": N_("{n} uncertain"),
    "skipped": N_("{n} skipped"),
}


def _print_send_report(report: SendReport, args: argparse.Namespace, out_dir: Path) -> None:
    from publipost.channels import channel as channel_named

    if args.dry_run:
        for message in report.shown:
            print(_shown(message))
        what = _(channel_named(report.channel).plural)  # "e-mails", or a channel of one's own's
        said = _("dry run: {n} {what} rendered, nothing sent")
        print(said.format(n=report.counts.get("rendered", 0), what=what))
        for row, reason in report.not_rendered:
            print(
                "  " + _("row {row}: not rendered: {reason}").format(row=row, reason=reason), file=sys.stderr
            )
        return
    capture = _(" (capture server: {path})").format(path=shown_path(report.maildir)) if report.maildir else ""
    print("\n" + summary_line(_("relay"), f"{report.relay}{capture}"))
    if report.retried:
        kind, n = report.retried
        print(
            summary_line(
                _("retried"), _("{n} failed recipients ({kind}) to send again").format(n=n, kind=kind)
            )
        )
    if report.lint_skipped:
        print(summary_line(_("lint"), _("skipped (--no-lint)")))
    if report.changes_accepted:
        print(
            summary_line(
                _("changes"),
                _("accepted (--accept-changes): {changes}").format(
                    changes=", ".join(report.changes_accepted)
                ),
            )
        )
    reconciled = report.reconciled
    if reconciled and reconciled.readdressed:
        said = _("{n} not yet mailed recipients have a new address: mailed there")
        print(summary_line(_("addresses"), said.format(n=len(reconciled.readdressed))))
    if report.restored:
        said = _(
            "{n} recipients the manifest records as mailed were to send in the journal (lost or restored "
            "from a backup): not mailed again"
        )
        print(summary_line(_("journal"), said.format(n=report.restored)))
    if reconciled and reconciled.withdrawn:
        said = _("{n} recipients are no longer in the audience: not mailed")
        print(summary_line(_("withdrawn"), said.format(n=reconciled.withdrawn)))
    labels = {status: _(label) for status, label in SEND_STATUSES}
    if report.tests:
        print(
            _("test messages ([TEST] in the subject, unsubscribe link inert; the send's journal untouched):")
        )
        for rid, seed, status in report.tests:  # "C00002 (B)": the recipient, and the variant shown
            print(f"  {rid:<16} → {seed:<32} {labels.get(status, status)}")
        return
    counts = report.counts
    for status, _label in SEND_STATUSES:
        if counts.get(status) or status in ("sent", "failed", "deferred"):
            print(f"  {labels[status]:<11}{counts.get(status, 0):>7}")
    if report.attempted:
        done = report.this_run
        summary = ", ".join(_(RUN_OUTCOMES[s]).format(n=done[s]) for s in RUN_OUTCOMES if done[s])
        print(
            _("this run: {summary} in {seconds} s ({rate}/s)").format(
                summary=summary or _("nothing"),
                seconds=i18n.number(report.seconds, 1),
                rate=i18n.number(report.rate),
            )
        )
    elif not report.interrupted:
        print(_("this run: nothing new to send: every recipient of the journal has an outcome"))
    if report.suppressed:
        print(
            _("{n} addresses refused for good (5.1.x) are now in the suppression store").format(
                n=report.suppressed
            )
        )
    for why in report.stopped:
        print(_("stopped: {why}").format(why=why), file=sys.stderr)
    if report.stopped:
        print(
            "  "
            + _(
                "nobody was suppressed for it; the recipients not mailed are deferred: fix the relay "
                "(or check the list), then run the same command again"
            ),
            file=sys.stderr,
        )
    if report.expired:
        print(
            _("{n} recipients deferred for too long (--max-retry-time) now failed").format(n=report.expired)
        )
    for domain, said in sorted(report.paused.items()):
        print(
            _("{domain} asked to slow down ({said}): its recipients were deferred, not hammered").format(
                domain=domain, said=said
            )
        )
    if report.next_due and report.counts.get("deferred"):
        import datetime as dt

        when = dt.datetime.fromtimestamp(report.next_due).strftime("%H:%M:%S")
        print(
            _(
                "{n} recipients deferred: the next send from {when} takes those whose time has come "
                "(--wait waits for them in the run)"
            ).format(n=report.counts["deferred"], when=when)
        )
    for domain, said in sorted(report.blocked.items()):
        print(
            _(
                "{domain} refused the campaign ({said}): its other recipients were not tried this run, "
                "and nobody was suppressed"
            ).format(domain=domain, said=said),
            file=sys.stderr,
        )
    if args.limit and report.counts.get("pending"):
        print(
            _("{n} recipients still pending (--limit): the next run goes on with them").format(
                n=report.counts["pending"]
            )
        )
    if report.uncertain:
        print(
            _(
                "{n} recipients are uncertain: their message went out and no reply came back (or a run "
                "stopped), so it may have been accepted; they are not sent again (check the relay's log; "
                "--retry-uncertain sends them)"
            ).format(n=len(report.uncertain))
        )
    if report.failures:
        print(
            _("{n} not (surely) delivered, with the server's reply: {path}").format(
                n=len(report.failures), path=shown_path(out_dir / "send-failures.csv")
            )
        )
    if report.interrupted:
        print(
            _(
                "interrupted: messages in flight finished; run the same command again to resume "
                "(journal: {path})"
            ).format(path=shown_path(report.journal or out_dir))
        )


SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "X-Publipost-Campaign")


def _shown(data: bytes) -> str:
    """A message as mailmerge's dry run prints it: its main headers, then its text part."""
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name]]
    text = message.get_body(("plain",))
    body = text.get_content() if isinstance(text, EmailMessage) else ""
    return "\n".join(["─" * 72, *lines, "", body.rstrip(), ""])
