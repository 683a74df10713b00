"""What a channel is: a way to reach a recipient, as one unit, the way a lint rule is one.

A channel says which recipients it can reach (and why not), what it compiles once per
campaign, how it renders one recipient, what its lint gate checks, how its output is
written and, if it sends, how a message is addressed, composed and carried (a Delivery and
its Transport). The audience accounting, the lint gates, the send's journal, the reports and
the command line go through the campaign's channels instead of naming letters and e-mails; a
new channel is one module (and `publipost.channels.register`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from publipost.errors import PublipostError
from publipost.i18n import N_, _

if TYPE_CHECKING:
    import asyncio

    from publipost.campaigns.audience import Audience, Recipient
    from publipost.campaigns.model import Campaign
    from publipost.campaigns.reach import Reach
    from publipost.linter.campaign import Samples
    from publipost.linter.document import LintDoc
    from publipost.linter.engine import Finding
    from publipost.mailer.journal import Entry, Journal
    from publipost.mailer.smtp import Limits, Outgoing, Relay
    from publipost.prepared import Prepared
    from publipost.run.executor import Executor

Progress = Callable[[int], None]


class LintBlocked(PublipostError):
    """The copy has findings at error severity: the channel's output was not produced."""


Show = Callable[[Path], str]  # how a path is shown to the user


@dataclass(frozen=True)
class RenderOptions:
    per_file: int = 0  # pdf: letters per file (0: one combined print file)
    duplex: bool = False  # pdf: a blank back after letters with an odd page count
    jobs: int | None = None  # processes to render with (default: one per core)
    record: bool = True  # a print run goes into the manifest; a look at a few letters (--only) does not
    dask: str | None = None  # pdf, eml: draw the chunks on a Dask cluster (tcp://HOST:8786, or local:N)
    pdfx: bool = False  # pdf: PDF/X-4 for the print shop (also campaign.print.standard)
    by_sheets: bool = False  # pdf: letters of one sheet count together (--group-by sheets)


@contextlib.contextmanager
def executor_for(options: RenderOptions) -> Iterator[Executor]:
    """Where a run's chunks are drawn: the Dask cluster `--dask` names (connected, its workers
    checked, closed after the run), else this machine's processes."""
    from publipost.run.executor import local

    if not options.dask:
        yield local(options.jobs)
        return
    from publipost.run.cluster import DaskCluster

    with DaskCluster(options.dask) as cluster:
        yield cluster


@dataclass
class Written:
    """What a channel wrote: a summary line for people, and the recipients it could not render."""

    channel: str
    what: str  # "letters", "e-mails", "e-mail texts"
    out: Path  # the folder (or the single file) written
    written: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    verb: str = N_("not rendered")
    held: list[Finding] = field(default_factory=list)  # merged copy the lint gate held back, per row

    def summary(self, show: Show) -> list[str]:
        return [
            _("{n} {what} written to {path}").format(n=self.written, what=_(self.what), path=show(self.out))
        ]

    def failure_lines(self) -> list[str]:
        lines = [
            "  " + _("row {row}: {verb}: {reason}").format(row=row, verb=_(self.verb), reason=reason)
            for row, reason in self.failed
        ]
        if self.failed and self.verb == "not rendered":
            lines.append(_("{n} recipients could not be rendered (see above)").format(n=len(self.failed)))
        return lines


class Transport(Protocol):
    """What carries a channel's messages: the SMTP relay (mailer/smtp.py `SmtpTransport`), or
    a channel's own. `deliver` has the SMTP delivery's signature: it claims each recipient in
    the journal before handing the message over and records the outcome after (journal.py's
    Change), so that a run stopped anywhere resumes exactly; str() names it for the report."""

    @property
    def folder(self) -> Path | None:
        """Where what it delivered can be looked at (the capture Maildir), if anywhere."""

    async def probe(self, timeout: float) -> None:
        """Fail before the first message when it cannot be reached."""

    async def deliver(
        self,
        outgoing: Iterable[Outgoing],
        journal: Journal,
        limits: Limits,
        *,
        stop: asyncio.Event | None = None,
        progress: Callable[[str, int], None] | None = None,
    ) -> None: ...


class Delivery:
    """One send of a channel's messages: whom each goes to, the message itself, and the
    transport. `publipost send` (channels/sending.py) owns the rest (lint gate, lock, journal,
    reconciliation with the audience, fingerprints, test sends, the manifest), the same for
    every channel."""

    sender = ""  # the envelope sender (where bounces go), if the transport has one
    parallel = False  # several processes may send it, each its share of the journal

    def __init__(self, channel: str):
        self.channel = channel

    def address(self, recipient: Recipient) -> str:
        """Where the recipient's message goes ('' when it cannot)."""
        raise NotImplementedError

    def mailing_list(self, audience: Audience) -> Iterator[tuple[str, int, str]]:
        """(id, row, address) of the targeted recipients the channel reaches, in file order."""
        return ((r.id, r.row, self.address(r)) for r in audience.recipients_of(self.channel))

    def message(self, recipient: Recipient, test_to: str | None = None) -> bytes:
        """The recipient's message; with `test_to`, the same as a test for that seed address.
        Raises RecipientError when this recipient's copy cannot be rendered."""
        raise NotImplementedError

    def compose(self, recipient: Recipient) -> bytes:
        """The message, for the transport: a recipient whose copy cannot be rendered fails alone."""
        from publipost.mailer.smtp import NotComposed
        from publipost.templates.merge import RecipientError

        try:
            return self.message(recipient)
        except RecipientError as exc:
            raise NotComposed(str(exc)) from None

    def seed(self, value: str) -> str:
        """A test send's seed address, checked and normalised (PublipostError if it is none)."""
        return value.strip()

    def fingerprints(self, prepared: Prepared) -> dict[str, str]:
        """What its messages are made of, part by part (a journal refuses to resume once one
        changed: channels/resume.py)."""
        from publipost.channels.resume import fingerprints

        return fingerprints(prepared, self.channel)

    @contextlib.contextmanager
    def transport(self, relay: Relay | None, out_dir: Path) -> Iterator[Transport]:
        """The transport for one run, open while it lasts (`relay`: what --smtp named, if any)."""
        raise NotImplementedError
        yield

    def after(self, prepared: Prepared, failed: Iterable[Entry]) -> int:
        """What the run's failures teach, once it is over (e-mail: hard bounces suppressed);
        returns how many addresses that changed."""
        return 0


class Channel:
    name: ClassVar[str]  # "letter": the campaign section, and the audience's name for it
    plural: ClassVar[str]  # "letters", in reports
    formats: ClassVar[tuple[str, ...]]  # what `render --format` it writes
    # The formats that are the real thing (a print file, messages another tool may send), not a
    # preview: rendering them passes the channel's lint gate, as sending does.
    produced: ClassVar[tuple[str, ...]] = ()
    lint_section: ClassVar[str | None] = None  # the campaign's copy section the linter reads
    journal_file: ClassVar[str | None] = None  # a channel that sends: its send journal's file name

    def enabled(self, campaign: Campaign) -> bool:
        """Whether the campaign uses this channel."""
        raise NotImplementedError

    def reach(self) -> Reach:
        """Which rows of the customer file it can reach, and why not."""
        raise NotImplementedError

    def compile(self, prepared: Prepared) -> Any:
        """What it compiles once per campaign, checked before anything is written (None: nothing)."""
        return None

    def render_one(self, prepared: Prepared, recipient: Any) -> bytes | str:
        """One recipient's output, for a look before a run (a preview, a test)."""
        raise NotImplementedError

    def preview_text(self, prepared: Prepared, recipient: Any) -> str:
        """One recipient's output as the preview page shows a channel it has no view of its own
        for (the letter's pages and the e-mail's frames have theirs)."""
        output = self.render_one(prepared, recipient)
        return output.decode("utf-8", "replace") if isinstance(output, bytes) else output

    def lint_documents(self, campaign: Campaign, samples: Samples | None) -> list[LintDoc]:
        """What its lint gate checks: its copy as lint documents."""
        if self.lint_section is None:
            return []
        from publipost.linter.campaign import section_document

        return [section_document(campaign, self.lint_section, samples)]

    def write(
        self,
        prepared: Prepared,
        out_dir: Path,
        fmt: str,
        options: RenderOptions,
        progress: Progress | None = None,
    ) -> Written:
        """Its output for every recipient it reaches, in `fmt`, under `out_dir`."""
        raise NotImplementedError

    def delivery(self, prepared: Prepared, out_dir: Path, *, real: bool) -> Delivery:
        """Its messages for one send (`real`: they leave this machine, so the unsubscribe secret
        must be the sender's own, not a throwaway)."""
        raise PublipostError(f"the {self.name} channel does not send", hint="render its output instead")

    def merged(self, prepared: Prepared, recipient: Recipient) -> Any:
        """What this recipient reads of the channel's copy, merged (None: nothing to lint)."""
        return None

    def merged_documents(self, prepared: Prepared, rows: Collection[int] | None = None) -> list[LintDoc]:
        """The merged copy of the recipients it reaches (of these rows only, if given) as lint
        documents, each pointing at its row of the customer file (linter/merged.py)."""
        from publipost.campaigns.audience import ID
        from publipost.campaigns.names import display_name
        from publipost.campaigns.table import ROW
        from publipost.errors import Where
        from publipost.linter.campaign import Samples
        from publipost.linter.merged import merged_document
        from publipost.templates.merge import RecipientError

        samples = Samples.of(prepared.audience)
        templates = {
            c.variant_name or "": doc
            for c in prepared.campaign.each_variant()
            for doc in self.lint_documents(c, samples)
        }
        source = prepared.audience.source.path
        docs = []
        audience = prepared.audience
        if rows is None:
            recipients = audience.recipients_of(self.name)
        else:  # a sample: only its rows become Recipients, not the whole file
            reached = audience.reached(self.name)
            recipients = audience.by_ids(reached.loc[reached[ROW].isin(list(rows)), ID].tolist())
        for recipient in recipients:
            template = templates.get(recipient.variant) or templates.get("")
            try:
                merged = self.merged(prepared.of(recipient), recipient)
            except RecipientError:
                continue  # rendering says why, row by row
            if template is None or merged is None:
                continue
            name = display_name(recipient.fields)
            label = f"{recipient.id}, {name}" if name else recipient.id
            docs.append(merged_document(template, merged, label, Where(source, recipient.row)))
        return docs

    def gate(self, prepared: Prepared) -> list[Finding]:
        """The findings at error severity that stop this channel's output: its own copy's, with
        the rules that guard the law enforced whatever the configuration says; for replies to
        complaints, each merged reply's as well (each goes to one person, and its text varies)."""
        from publipost.linter.campaign import Samples
        from publipost.linter.engine import lint_docs

        samples = Samples.of(prepared.audience)
        docs = [d for c in prepared.campaign.each_variant() for d in self.lint_documents(c, samples)]
        if prepared.campaign.reply:
            docs += self.merged_documents(prepared)
        result = lint_docs(prepared.campaign.path, docs, enforce_law=True)
        return [f for f in result.active if f.severity == "error"]

    def check_gate(
        self, prepared: Prepared, nothing: str, override: str, *, strict: bool = False
    ) -> tuple[Prepared, list[Finding]]:
        """Stop with the gate's findings, if any: before anything is produced. A finding in one
        recipient's merged copy holds back that recipient only (listed with it, in rejects.csv),
        unless `strict`: the others go on. Returns what goes on, and the findings held back."""
        errors = self.gate(prepared)
        own = [f for f in errors if "row" in f.context]
        blocking = [f for f in errors if "row" not in f.context] or (own if strict else [])
        if blocking:
            listed = "\n".join(
                f"  {f.path}:{f.line}:{f.column}: {f.rule} {f.name} {f.message}" for f in blocking[:10]
            )
            raise LintBlocked(
                f"the {self.name}'s copy has {len(blocking)} lint error(s); {nothing}:\n{listed}",
                hint=f"fix them (publipost lint shows them all), or {override}",
            )
        if not own:
            return prepared, []
        reasons: dict[int, str] = {}
        for f in own:
            reasons.setdefault(int(f.context["row"]), f"held back by lint: {f.rule} {f.name}: {f.message}")
        return prepared.with_audience(prepared.audience.held_back(reasons)), own

    def require(self, campaign: Campaign) -> None:
        if not self.enabled(campaign):
            raise PublipostError(
                f"this campaign has no {self.name}", campaign.where(()), f"add a '{self.name}:' section"
            )
