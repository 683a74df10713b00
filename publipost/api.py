"""The library's front door: what a script, a notebook or a web app calls.

Every function takes objects as well as paths: a campaign file or a `Campaign` (or a plain
mapping of the YAML's keys), a customer file or a pandas DataFrame. The command line is a thin
layer over these; see the README's "Python API" section for a complete example.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publipost.campaigns.audience import Audience
from publipost.campaigns.audience import load_audience as _load_audience
from publipost.campaigns.load import load_campaign as _load_campaign
from publipost.campaigns.model import Campaign
from publipost.channels import (
    RenderOptions,
    Written,
    channels_of,
    documents_of,
    for_format,
    merged_documents_of,
)
from publipost.prepared import Prepared
from publipost.templates.merge import Merge

if TYPE_CHECKING:
    import pandas as pd

    from publipost.channels.sending import SendReport
    from publipost.linter.document import LintDoc
    from publipost.linter.engine import Finding, LintResult
    from publipost.mailer.smtp import Limits

CampaignSource = str | Path | Campaign | Mapping[str, Any]


def load_campaign(
    source: str | Path | Mapping[str, Any], *, base: str | Path | None = None, boundary: Path | None = None
) -> Campaign:
    """A campaign from its YAML file, or from a mapping of the same keys (copy inline, paths
    relative to `base`, default the current folder). Raises PublipostError saying where and why."""
    if isinstance(source, Mapping):
        return _load_campaign(source, base=Path(base or "."), boundary=boundary)
    return _load_campaign(Path(source), boundary=boundary)


def load_audience(
    campaign: Campaign,
    data: pd.DataFrame | None = None,
    *,
    rows: int | None = None,
    keep: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Audience:
    """The campaign's audience, every row accounted for by its channels: from the customer file
    it names (its first `rows` only, if given), or from `data`, a DataFrame with the same columns.
    `keep`: an output folder where the audience is kept for the next call, and reused while
    nothing it depends on changed (`Audience.recalled` says when it was made, `Audience.settled`
    whether it was accounted whole then: filters, lists and store included). `progress`: told
    (records read, records in all) while a file too big to account whole in memory is read a
    batch at a time (`Audience.batched`)."""
    reach = [c.reach() for c in channels_of(campaign)]
    folder = Path(keep) if keep else None
    return _load_audience(campaign, reach, frame=data, rows=rows, keep=folder, progress=progress)


def prepare(
    campaign: CampaignSource,
    audience: pd.DataFrame | Audience | None = None,
    *,
    boundary: Path | None = None,
    rows: int | None = None,
    keep: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Prepared:
    """Everything a run needs, checked before any output: the campaign, its audience, its copy
    compiled once, each channel's template compiled once. With a `boundary` (lint, validate on
    untrusted input), the campaign may name files inside it only; with `rows`, only the customer
    file's first rows are read (a first look at a big file); with `keep`, an output folder, the
    audience is kept there and reused by the next call while nothing it depends on changed;
    `progress`, told how the reading goes of a file too big for memory (load_audience)."""
    if not isinstance(campaign, Campaign):
        campaign = load_campaign(campaign, boundary=boundary)
    if not isinstance(audience, Audience):
        audience = load_audience(campaign, audience, rows=rows, keep=keep, progress=progress)
    prepared = _compiled(campaign, audience)
    prepared.variants = {name: _compiled(variant, audience) for name, variant in campaign.by_variant.items()}
    for variant in prepared.variants.values():
        variant.codes = prepared.codes  # one binding of response codes for all (Prepared.with_codes)
    return prepared


def _compiled(campaign: Campaign, audience: Audience) -> Prepared:
    prepared = Prepared(
        campaign, audience, Merge(campaign, audience.fields, audience.headers, audience.field_kinds)
    )
    for unit in channels_of(campaign):
        prepared.compilers[unit.name] = unit.compile
        prepared.compiled[unit.name] = unit.compile(prepared)
    return prepared


def lint(
    target: Prepared | str | Path | Sequence[str | Path],
    *,
    overrides: dict[str, Any] | None = None,
    config_path: Path | None = None,
    isolated: bool = False,
    allow_outside: bool = False,
    data: bool = True,
) -> LintResult:
    """Findings on the copy: of a prepared campaign (its channels' documents, merged with its
    audience's longest values), or of files and folders (as `publipost lint` does). `overrides`
    are configuration settings as in publipost.toml ({"select": ["PP2"], "min-score": 3.5})."""
    from publipost.linter.campaign import Samples  # the linter loads only when asked (30 ms)
    from publipost.linter.engine import lint_docs, lint_paths

    if isinstance(target, Prepared):
        campaign, found = target.campaign, Samples.of(target.audience)
        docs = documents_of(campaign, found) + merged_documents_of(campaign, target.audience)
        return lint_docs(campaign.path, docs, overrides=overrides, config_path=config_path, isolated=isolated)
    paths = [Path(target)] if isinstance(target, str | Path) else [Path(p) for p in target]
    return lint_paths(
        paths,
        overrides=overrides,
        config_path=config_path,
        isolated=isolated,
        allow_outside=allow_outside,
        data=data,
        campaign_documents=campaign_documents,
    )


def campaign_documents(path: Path, boundary: Path | None, data: bool) -> list[LintDoc]:
    """A campaign file's lint documents, through its channels (what `publipost lint` reads)."""
    from publipost.linter.campaign import Samples

    campaign = _load_campaign(path, boundary=boundary)
    if not data:
        return documents_of(campaign, None)
    audience = load_audience(campaign)
    return documents_of(campaign, Samples.of(audience)) + merged_documents_of(campaign, audience)


def render(
    prepared: Prepared,
    fmt: str,
    out_dir: str | Path | None = None,
    *,
    options: RenderOptions | None = None,
    progress: Callable[[int], None] | None = None,
    lint: bool = True,
    strict: bool = False,
) -> Written:
    """Every recipient's output in `fmt` (pdf, text, eml, mbox, or a registered channel's), by the
    campaign's channel that writes it, under `out_dir` (default: out/ beside the campaign).

    A produced format (a print file, e-mails as sent) passes the channel's lint gate first, as
    `publipost render` does: LintBlocked, and nothing written, when the copy has lint errors;
    `lint=False` is the library's --no-lint. A reply to a complaint whose merged text has an
    error is held back alone (`Written.held`, and the audience's rejects), unless `strict`."""
    unit, fmt = for_format(prepared.campaign, fmt)
    held: list[Finding] = []
    if lint and fmt in unit.produced:
        prepared, held = unit.check_gate(
            prepared, "nothing was written", "pass lint=False (publipost render --no-lint)", strict=strict
        )
    target = Path(out_dir) if out_dir is not None else prepared.out_dir
    written = unit.write(prepared, target, fmt, options or RenderOptions(), progress)
    written.held = held
    return written


def render_letters(
    prepared: Prepared,
    out_dir: str | Path | None = None,
    *,
    format: str = "pdf",
    per_file: int = 0,
    duplex: bool = False,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    lint: bool = True,
) -> Written:
    """The print file(s) (pdf) or plain-text letters (text) of every recipient a letter reaches;
    the print file behind the letter's lint gate (see render)."""
    options = RenderOptions(per_file=per_file, duplex=duplex, jobs=jobs)
    return render(prepared, format, out_dir, options=options, progress=progress, lint=lint)


def render_emails(
    prepared: Prepared,
    out_dir: str | Path | None = None,
    *,
    format: str = "eml",
    progress: Callable[[int], None] | None = None,
    lint: bool = True,
) -> Written:
    """Every e-mail as it would be sent: .eml files, one mbox (behind the e-mail's lint gate, see
    render), or their texts."""
    return render(prepared, f"email.{format}", out_dir, progress=progress, lint=lint)


def send(
    prepared: Prepared,
    out_dir: str | Path | None = None,
    *,
    smtp: str | None = None,
    allow_plain_auth: bool = False,
    limits: Limits | None = None,
    lint: bool = True,
    strict: bool = False,
    dry_run: bool = False,
    test_to: list[str] | None = None,
    test_recipients: list[str] | None = None,
    limit: int | None = None,
    resend: bool = False,
    retry_uncertain: bool = False,
    retry_failed: str | None = None,
    accept_changes: bool = False,
    journal_lost: bool = False,
    channel: str = "email",
) -> SendReport:
    """Send the e-mails: through the relay `smtp` names (smtp://host:port, its password from
    PUBLIPOST_SMTP_PASSWORD), or without one into a local capture server. Resumable and safe
    to run again (see the README's guarantees); the options are those of `publipost send`,
    typed (`limits`: connections, rate, per-domain, timeout, bounce rate, retry delays, wait).
    `channel`: a registered channel that sends (its own transport) instead of the e-mail."""
    from publipost.channels.sending import send_campaign
    from publipost.mailer.smtp import parse_relay

    relay = parse_relay(smtp, allow_plain_auth=allow_plain_auth) if smtp else None
    target = Path(out_dir) if out_dir is not None else prepared.out_dir
    return send_campaign(
        prepared,
        target,
        relay=relay,
        limits=limits,
        lint=lint,
        strict=strict,
        dry_run=dry_run,
        test_to=test_to,
        test_recipients=test_recipients,
        limit=limit,
        resend=resend,
        retry_uncertain=retry_uncertain,
        retry_failed=retry_failed,
        accept_changes=accept_changes,
        journal_lost=journal_lost,
        channel=channel,
    )


def send_test(
    prepared: Prepared, to: Sequence[str], out_dir: str | Path | None = None, *, smtp: str | None = None
) -> SendReport:
    """The first recipients' messages, sent to these seed addresses (not recorded as sent)."""
    return send(prepared, out_dir, smtp=smtp, test_to=list(to))
