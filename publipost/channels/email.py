"""The e-mail: reaches a valid address; compiles its MJML template once; writes .eml files, an
mbox, or sends through a relay (channels/sending.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from publipost.channels.base import Channel, Delivery, Progress, RenderOptions, Written, executor_for
from publipost.errors import PublipostError
from publipost.i18n import N_

if TYPE_CHECKING:
    from publipost.campaigns.audience import Audience, Recipient
    from publipost.campaigns.model import Campaign
    from publipost.campaigns.reach import EmailReach
    from publipost.channels.base import Transport
    from publipost.mailer.dkim import DkimKey
    from publipost.mailer.journal import Entry
    from publipost.mailer.smtp import Relay
    from publipost.prepared import Prepared
    from publipost.run.executor import Executor
    from publipost.templates.email_html import EmailRenderer
    from publipost.templates.merge import MergedEmail

EML_CHUNK = 500  # messages per job when .eml files are written by several processes or a cluster


class EmailChannel(Channel):
    name = "email"
    lint_section = "email"
    plural = N_("e-mails")
    formats = ("eml", "mbox", "text")
    produced = ("eml", "mbox")
    journal_file = "send-journal.sqlite"

    def enabled(self, campaign: Campaign) -> bool:
        return campaign.email is not None

    def reach(self) -> EmailReach:
        from publipost.campaigns.reach import EmailReach

        return EmailReach()

    def compile(self, prepared: Prepared) -> EmailRenderer:
        """The template compiled (MJML once) and its images read; its fields checked with the copy's."""
        from publipost.templates.email_html import EmailRenderer

        return EmailRenderer(prepared.campaign, prepared.audience.fields)

    def merged(self, prepared: Prepared, recipient: Recipient) -> MergedEmail:
        return prepared.merge.email(recipient)

    def delivery(self, prepared: Prepared, out_dir: Path, *, real: bool) -> EmailDelivery:
        from publipost.mailer.message import unsubscribe_secret

        return EmailDelivery(Composer(prepared, unsubscribe_secret(out_dir, real_relay=real)))

    def render_one(self, prepared: Prepared, recipient: Recipient) -> bytes:
        """The recipient's message, with an inert unsubscribe token (a look, not a send)."""
        return Composer(prepared, b"publipost-preview-inert-key-0000").message(recipient)

    def write(
        self,
        prepared: Prepared,
        out_dir: Path,
        fmt: str,
        options: RenderOptions,
        progress: Progress | None = None,
    ) -> Written:
        self.require(prepared.campaign)
        if fmt == "text":
            return email_texts(prepared, out_dir, progress)
        from publipost.channels.recording import bind_codes, check_manifest

        if options.record:  # messages as sent: the same control group and split as the send and print
            check_manifest(prepared, out_dir)
        bind_codes(prepared, out_dir, record=options.record)
        if fmt == "mbox":
            return mbox_file(prepared, out_dir, progress)
        with executor_for(options) as executor:
            return eml_files(prepared, out_dir, executor, progress)


class EmailDelivery(Delivery):
    """E-mails over SMTP: to the relay named, or to the embedded capture server (a Maildir under
    the output folder: the real SMTP path, and no real person mailed)."""

    parallel = True  # composing costs more than sending: one process per core, a shard each

    def __init__(self, composer: Composer):
        super().__init__("email")
        self.composer = composer
        self.sender = composer.envelope_sender  # sender.bounce, else the From address

    def address(self, recipient: Recipient) -> str:
        return recipient.email or ""

    def mailing_list(self, audience: Audience) -> Iterator[tuple[str, int, str]]:
        return audience.mailing_list()  # read from the columns: no Recipient built for each

    def message(self, recipient: Recipient, test_to: str | None = None) -> bytes:
        return self.composer.message(recipient, test_to)

    def compose(self, recipient: Recipient) -> bytes:
        return self.composer.compose(recipient)

    def seed(self, value: str) -> str:
        from publipost.campaigns.emails import check_email

        address, problem = check_email(value)
        if problem:
            raise PublipostError(f"--test-to: {problem}", hint="e.g. --test-to me@example.com")
        return address  # in ASCII, as SMTP carries it

    @contextlib.contextmanager
    def transport(self, relay: Relay | None, out_dir: Path) -> Iterator[Transport]:
        from publipost.mailer.smtp import Relay, SmtpTransport

        if relay is not None:
            yield SmtpTransport(relay)
            return
        from publipost.mailer.capture import CaptureServer

        with CaptureServer(out_dir / "maildir") as capture:
            yield SmtpTransport(Relay("127.0.0.1", capture.port), capture.folder)

    def after(self, prepared: Prepared, failed: Iterable[Entry]) -> int:
        from publipost.channels.recording import suppress_hard_bounces

        return suppress_hard_bounces(prepared, failed)


def email_recipients(prepared: Prepared) -> Iterator[Recipient]:
    return prepared.audience.recipients_of("email")


def mbox_file(prepared: Prepared, out_dir: Path, progress: Progress | None = None) -> Written:
    """Every e-mail as sent, in one mbox (DIR/emails/emails.mbox) for a mail client: written
    here, in audience order, one file being one writer's."""
    import mailbox

    from publipost.mailer.message import unsubscribe_secret
    from publipost.templates.merge import each_rendered

    composer = Composer(prepared, unsubscribe_secret(out_dir, real_relay=False))
    target = out_dir / "emails"
    target.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(target / "emails.mbox")
    report = Written("email", N_("e-mails"), target / "emails.mbox")
    try:
        for _, data in each_rendered(email_recipients(prepared), composer.message, report.failed):
            box.add(data)
            report.written += 1
            if progress:
                progress(1)
    finally:
        box.close()
    return report


@dataclass(frozen=True)
class EmlRun:
    """What every chunk of an .eml run shares: sent to each worker once. One date for all, so
    the messages of a run do not differ by the worker that wrote them."""

    prepared: Prepared
    target: Path
    secret: bytes
    date: dt.datetime


def eml_files(
    prepared: Prepared, out_dir: Path, executor: Executor, progress: Progress | None = None
) -> Written:
    """One .eml per recipient (DIR/emails/ID.eml), in chunks drawn by `executor`: this machine's
    processes, or a Dask cluster's workers. A chunk drawn twice (a worker lost) rewrites the same
    files, each replaced whole, so none is missing, doubled or cut short."""
    from publipost.mailer.message import unsubscribe_secret
    from publipost.run.executor import Mapped

    secret = unsubscribe_secret(out_dir, real_relay=False)
    Composer(prepared, secret)  # a campaign that cannot compose fails here, before any job
    target = out_dir / "emails"
    target.mkdir(parents=True, exist_ok=True)
    total = prepared.audience.channel_count("email")
    spans = [(start, min(start + EML_CHUNK, total)) for start in range(0, total, EML_CHUNK)]
    shared, audience = prepared, prepared.audience
    chunks: Sequence[tuple[int, int, Audience | None]] = [(start, end, None) for start, end in spans]
    if executor.ships_data:  # each worker gets the campaign once and each chunk its own rows
        chunks = Mapped(spans, lambda span: (0, span[1] - span[0], audience.rows_of("email", *span)))
        shared = prepared.with_audience(audience.rows_of("email", 0, 0))
    run = EmlRun(shared, target, secret, dt.datetime.now(dt.UTC))
    report = Written("email", N_("e-mails"), target)
    for written, failed in executor.map_unordered(eml_chunk, run, chunks):
        report.written += written
        report.failed += failed
        if progress:
            progress(written + len(failed))
    return report


def eml_chunk(run: EmlRun, chunk: tuple[int, int, Audience | None]) -> tuple[int, list[tuple[int, str]]]:
    from publipost.templates.merge import each_rendered

    start, end, rows = chunk
    composer = Composer(run.prepared, run.secret, run.date)
    recipients = (rows if rows is not None else run.prepared.audience).recipients_of("email", start, end)
    failed: list[tuple[int, str]] = []
    written = 0
    for recipient, data in each_rendered(recipients, composer.message, failed):
        path = run.target / f"{recipient.id}.eml"
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
        written += 1
    return written, failed


def email_texts(prepared: Prepared, out_dir: Path, progress: Progress | None = None) -> Written:
    """Each e-mail's text, for review: DIR/emails/ID.txt."""
    from publipost.templates.merge import each_rendered
    from publipost.templates.text import render_text_email

    target = out_dir / "emails"
    target.mkdir(parents=True, exist_ok=True)
    report = Written("email", N_("e-mail texts"), target)
    for recipient, content in each_rendered(
        email_recipients(prepared), lambda r: render_text_email(prepared.of(r).merge.email(r)), report.failed
    ):
        (target / f"{recipient.id}.txt").write_text(content, encoding="utf-8")
        report.written += 1
        if progress:
            progress(1)
    return report


class Composer:
    """Recipient → message bytes, with everything per campaign done once."""

    def __init__(self, prepared: Prepared, secret: bytes, date: dt.datetime | None = None):
        from publipost.mailer.message import MessageTemplate, Sender

        campaign = prepared.campaign
        if campaign.email is None or not campaign.sender.email:
            raise PublipostError("this campaign has no e-mail", campaign.where(()), "add an 'email:' section")
        self.prepared = prepared
        self.renderer: EmailRenderer = prepared.email or EmailChannel().compile(prepared)
        self.secret = secret
        self.code = campaign.code
        sender, address = campaign.sender, campaign.sender.email
        self.sender_address = address
        self.envelope_sender = sender.bounce or address  # MAIL FROM: where bounces go
        self.template = MessageTemplate(
            Sender(sender.display_name, address, sender.reply_to),
            campaign.name,
            self.code,
            date or dt.datetime.now(dt.UTC),
            self.renderer.images,
            secret,
            service=campaign.reply,
        )
        self.unsubscribe = campaign.email.unsubscribe
        self.dkim = campaign_dkim_key(campaign)
        # each variant's own copy and template, with this one's date, secret and key
        self.variants = {name: self._variant(variant) for name, variant in prepared.variants.items()}

    def _variant(self, prepared: Prepared) -> Composer:
        composer = object.__new__(Composer)
        composer.__dict__.update(self.__dict__)
        composer.prepared = prepared
        composer.renderer = prepared.email or EmailChannel().compile(prepared)
        composer.variants = {}
        return composer

    def message(self, recipient: Recipient, test_to: str | None = None) -> bytes:
        """The recipient's message; with `test_to`, the same copy as a test for that seed
        address: To names the seed, the subject says [TEST], the unsubscribe token is inert."""
        from publipost.campaigns.postal import recipient_name
        from publipost.mailer.dkim import sign
        from publipost.mailer.message import thread_id, unsubscribe_for
        from publipost.store.keys import email_key
        from publipost.templates.merge import RecipientError

        if recipient.variant in self.variants:
            return self.variants[recipient.variant].message(recipient, test_to)
        campaign = self.prepared.campaign
        email = self.prepared.merge.email(recipient)
        config, unsubscribe, test = self.unsubscribe, None, test_to is not None
        recipient_key = email_key(recipient.email)  # once: the token and the Message-ID both need it
        if config:
            unsubscribe = unsubscribe_for(
                config.url,
                config.mailto,
                self.code,
                recipient_key or recipient.id,
                self.secret,
                test=test,
                language=campaign.language,
            )
        link = (unsubscribe.url or unsubscribe.mailto) if unsubscribe else None
        body = self.renderer.render(
            email, link, self.prepared.merge.context(recipient), self.prepared.code_of(recipient.id)
        )
        to_address = test_to or recipient.email or ""
        cell = str(recipient.fields.get("message_id") or "").strip() if campaign.reply else ""
        try:
            in_reply_to = thread_id(cell) if cell else ""
        except ValueError as exc:
            raise RecipientError(f"message_id: {exc}") from None
        data = self.template.build(
            to_name="" if test else recipient_name(recipient.fields, campaign.language),
            to_address=to_address,
            subject=email.subject,
            text=body.text,
            html=body.pieces,
            recipient_id=recipient.id,
            unsubscribe=unsubscribe,
            test=test,
            address_key=(email_key(test_to) if test_to else recipient_key) or "",
            variant=recipient.variant if test else "",  # "" when the campaign has no variants
            in_reply_to=in_reply_to,
        )
        return sign(data, self.dkim) if self.dkim else data

    def compose(self, recipient: Recipient) -> bytes:
        """The message, for the mailer: a recipient whose copy cannot be rendered fails alone."""
        from publipost.mailer.smtp import NotComposed
        from publipost.templates.merge import RecipientError

        try:
            data = self.message(recipient)
        except RecipientError as exc:
            raise NotComposed(str(exc)) from None
        campaign = self.prepared.campaign  # with email.unsubscribe, the header is always there
        if (
            self.unsubscribe is None
            and not campaign.reply
            and not offers_unsubscribe(data, campaign.language)
        ):
            raise NotComposed(
                "this message offers no way to unsubscribe (no List-Unsubscribe header, no unsubscribe "
                "link): not sent; set email.unsubscribe"
            )
        return data


def offers_unsubscribe(message: bytes, language: str) -> bool:
    """Whether a composed message lets its reader leave the list: a List-Unsubscribe header, or
    a link in its HTML whose address or text says unsubscribe. The law gate reads what is sent,
    not the copy: a comment or "we never unsubscribe anyone" in the copy is no way out."""
    import re
    from email import message_from_bytes, policy

    from publipost.linter.campaign import unsubscribe_link

    head = message.split(b"\r\n\r\n", 1)[0]
    if re.search(rb"^List-Unsubscribe:", head, re.MULTILINE | re.IGNORECASE):
        return True
    parsed = message_from_bytes(message, policy=policy.default)
    html = parsed.get_body(("html",)) if hasattr(parsed, "get_body") else None
    return html is not None and unsubscribe_link(html.get_content(), language)


def campaign_dkim_key(campaign: Campaign) -> DkimKey | None:
    """The campaign's DKIM key: from PUBLIPOST_DKIM_KEY, or the file email.dkim.key_file names
    (never from the YAML itself)."""
    from publipost.mailer.dkim import KEY_VARIABLE, read_key

    config = campaign.email.dkim if campaign.email else None
    if config is None:
        return None
    where = campaign.where(("email", "dkim"))
    pem = os.environ.get(KEY_VARIABLE, "").encode()
    if not pem:
        if not config.key_file:
            raise PublipostError(f"email.dkim has no key: set {KEY_VARIABLE} or email.dkim.key_file", where)
        pem = campaign.resolve(config.key_file).read_bytes()
    domain = config.domain or (campaign.sender.email or "").rsplit("@", 1)[-1]
    return read_key(pem, config.selector, domain, where)
