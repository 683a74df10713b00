"""The preview's HTML: pure functions from the state to a page (Jinja2, autoescaped: every
value from the customer file or the copy is text on the page, never markup)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from publipost.i18n import N_, _, chosen, current, ngettext, number, speaking

if TYPE_CHECKING:
    from publipost.campaigns.audience import Recipient
    from publipost.campaigns.model import Campaign
    from publipost.linter.engine import Finding
    from publipost.preview.state import EmailView, Loaded, Preview

SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}
SEVERITY_WORDS = (N_("info"), N_("warning"), N_("error"))  # as the page shows them


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("publipost.preview", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=False)  # type: ignore[attr-defined]
    return environment


def render(template: str, language: str | None = None, **values: Any) -> str:
    """The page in the campaign's language (or --lang's); a page without a campaign (loading, an
    error) in the one chosen for the command."""
    with speaking(chosen(language)):
        return _environment().get_template(template).render(lang=current(), number=number, **values)


@dataclass
class Segment:
    text: str
    findings: list[int]  # indexes into the page's finding list
    severity: str = ""


@dataclass
class Annotated:
    """A copy file as the page shows it: its text cut where findings start and end."""

    path: Path
    label: str
    segments: list[Segment]


def _other_channels(loaded: Loaded, recipient: Recipient) -> list[tuple[str, str, str]]:
    """(name, title, text) of each channel beyond the letter and the e-mail that reaches this
    recipient (a registered one: an SMS), as that channel shows one recipient's output."""
    from publipost.channels import channels_of
    from publipost.templates.merge import RecipientError

    shown = []
    prepared = loaded.prepared
    for unit in channels_of(prepared.campaign):
        if unit.name in ("letter", "email") or unit.name not in recipient.channels:
            continue
        try:
            text = unit.preview_text(prepared.of(recipient), recipient)
        except RecipientError as exc:
            text = _("not rendered: {reason}").format(reason=exc)
        shown.append((unit.name, _(unit.plural).capitalize(), text))
    return shown


def recipient_page(preview: Preview, loaded: Loaded, recipient: Recipient, cwd: Path) -> str:
    with speaking(
        chosen(loaded.prepared.campaign.language)
    ):  # the labels computed here too, not only the template's
        return _recipient_page(preview, loaded, recipient, cwd)


def _recipient_page(preview: Preview, loaded: Loaded, recipient: Recipient, cwd: Path) -> str:
    campaign = loaded.prepared.campaign
    base = campaign.path.parent.resolve()
    position = loaded.ids.index(recipient.id)
    findings = [f for f in loaded.lint.findings if not f.suppressed]
    email: EmailView | None = preview.email(recipient) if "email" in recipient.channels else None
    pages = len(preview.letter_pages(recipient)) if "letter" in recipient.channels else 0
    has_envelope = bool(campaign.letter and campaign.letter.envelope) and pages > 0
    return render(
        "recipient.html.j2",
        current(),
        window=_window(campaign) if pages else None,
        version=preview.version,
        campaign=campaign,
        loaded=loaded,
        audience=audience_summary(loaded),
        recipient=recipient,
        name=loaded.names[position],
        position=position,
        neighbours=_neighbours(loaded.ids, position),
        pages=pages,
        envelope=has_envelope,
        email=email,
        others=_other_channels(loaded, recipient),
        findings=findings,
        explanations=_explanations(findings, current()),
        files=annotated_files(loaded, findings, cwd),
        places=[_place(f, cwd, base) for f in findings],
        scores={_relative(path, base): score for path, score in loaded.lint.scores.items()},
    )


def _window(campaign: Campaign) -> dict[str, float | str] | None:
    """The envelope window's always-visible band on page 1, in % of the page: drawn over it."""
    from publipost.campaigns.presets import PAPER, campaign_preset
    from publipost.templates.window import envelope_for, window_band

    preset = campaign_preset(campaign)
    chosen = envelope_for(preset, campaign.letter.envelope if campaign.letter else None)
    if chosen is None:
        return None
    width, height = PAPER[preset.paper]
    band = window_band(chosen, preset.paper, preset.fold_marks[0] if preset.fold_marks else None)
    return {
        "name": chosen.name,
        "left": round(band.left / width * 100, 2),
        "top": round(band.top / height * 100, 2),
        "width": round((band.right - band.left) / width * 100, 2),
        "height": round((band.bottom - band.top) / height * 100, 2),
    }


def loading_page(preview: Preview) -> str:
    return render("loading.html.j2", version=preview.version, path=preview.path)


def error_page(preview: Preview, errors: list[str]) -> str:
    return render("error.html.j2", version=preview.version, errors=errors, path=preview.path)


def missing_page(preview: Preview, rid: str, first: str | None, reason: str | None = None) -> str:
    return render("missing.html.j2", version=preview.version, rid=rid, first=first, reason=reason)


def audience_summary(loaded: Loaded) -> dict[str, Any]:
    from publipost.campaigns.audience import OUTCOME_LABELS, Outcome
    from publipost.channels import channels_of

    audience, campaign = loaded.prepared.audience, loaded.prepared.campaign
    counts = audience.counts
    return {
        "outcomes": [
            (o.value, _(OUTCOME_LABELS[o]), counts[o.value])
            for o in Outcome
            if o is not Outcome.CONTROL or campaign.control
        ],
        "rows": audience.rows_read,
        "channels": [(_(c.plural), audience.channel_count(c.name)) for c in channels_of(campaign)],
        "rejected": audience.not_targeted()[:200],  # the rows rejects.csv lists: one count everywhere
        "more": max(0, len(audience.not_targeted()) - 200),
        "lists": audience.suppression,
        "store": audience.store,
    }


def _neighbours(ids: list[str], position: int) -> dict[str, str | None]:
    last = len(ids) - 1
    return {
        "first": ids[0] if position else None,
        "previous": ids[position - 1] if position else None,
        "next": ids[position + 1] if position < last else None,
        "last": ids[last] if position < last else None,
    }


def _explanations(findings: list[Finding], language: str) -> dict[str, str]:
    from publipost.linter.rules import all_rules

    wanted = {f.rule for f in findings}
    return {rule.code: rule.explain(language) for rule in all_rules() if rule.code in wanted}


def annotated_files(loaded: Loaded, findings: list[Finding], cwd: Path) -> list[Annotated]:
    """The campaign file and its copy files, each with its findings' spans marked."""
    campaign = loaded.prepared.campaign
    paths = [campaign.path, *(Path(c.origin.path) for c in campaign.copies.values() if c.origin.path)]
    shown: list[Annotated] = []
    for path in dict.fromkeys(p.resolve() for p in paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            continue
        own = [(i, f) for i, f in enumerate(findings) if (cwd / f.path).resolve() == path]
        shown.append(Annotated(path, _label(path, campaign.path.parent), _segments(text, own)))
    return shown


def _place(finding: Finding, cwd: Path, base: Path) -> str:
    """file:line:col, the file as the campaign's folder names it."""
    return f"{_relative(str(cwd / finding.path), base)}:{finding.line}:{finding.column}"


def _relative(path: str, base: Path) -> str:
    """A path (a score's may end in '#letter') relative to the campaign's folder when inside it."""
    name, hash_, part = path.partition("#")
    with contextlib.suppress(ValueError):
        name = str(Path(name).resolve().relative_to(base))
    return f"{name} ({part})" if hash_ else name


def _label(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _segments(text: str, findings: list[tuple[int, Finding]]) -> list[Segment]:
    """The text cut at every finding's start and end; each piece knows the findings over it."""
    starts = _line_starts(text)

    def offset(line: int, column: int) -> int:
        if line < 1:
            return 0
        base = starts[min(line, len(starts)) - 1]
        return min(len(text), base + max(column, 1) - 1)

    spans = []
    for index, finding in findings:
        start = offset(finding.line, finding.column)
        end = offset(finding.end_line or finding.line, finding.end_column or finding.column)
        if end <= start:  # a point, or a finding on the whole file: mark the line's first word
            end = min(len(text), start + max(1, len(text[start:].split("\n", 1)[0][:40])))
        spans.append((start, end, index, finding.severity))
    cuts = sorted({0, len(text), *(s for s, *_ in spans), *(e for _, e, *_ in spans)})
    segments = []
    for a, b in pairwise(cuts):
        over = [(i, sev) for s, e, i, sev in spans if s <= a and e >= b]
        severity = max((sev for _, sev in over), key=lambda sev: SEVERITY_ORDER[sev], default="")
        segments.append(Segment(text[a:b], [i for i, _ in over], severity))
    return segments


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts
