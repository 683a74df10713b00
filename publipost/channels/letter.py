"""The printed letter: reaches a postal address the norm can hold and the font can print;
writes print-ready PDF (and plain-text letters for review)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from publipost.channels.base import Channel, Progress, RenderOptions, Written, executor_for
from publipost.errors import NothingToProduce
from publipost.i18n import N_

if TYPE_CHECKING:
    from publipost.campaigns.audience import Recipient
    from publipost.campaigns.model import Campaign
    from publipost.campaigns.reach import PostalReach
    from publipost.prepared import Prepared
    from publipost.templates.merge import MergedLetter


class LetterChannel(Channel):
    name = "letter"
    lint_section = "letter"
    plural = N_("letters")
    formats = ("pdf", "text")
    produced = ("pdf",)

    def enabled(self, campaign: Campaign) -> bool:
        return campaign.letter is not None

    def reach(self) -> PostalReach:
        from publipost.campaigns.reach import PostalReach
        from publipost.templates.layout import unprintable
        from publipost.templates.window import window_fit

        return PostalReach(printable=unprintable, window=window_fit)

    def compile(self, prepared: Prepared) -> None:
        """The design checked against the layout, the logo read: errors before anything is printed."""
        from publipost.campaigns.postal import AddressError, format_lines
        from publipost.campaigns.presets import campaign_preset
        from publipost.errors import PublipostError
        from publipost.templates.brand import check_logo
        from publipost.templates.design import check_design, design_for
        from publipost.templates.fonts import letter_fonts
        from publipost.templates.window import placed_preset

        campaign = prepared.campaign
        design = design_for(campaign)
        placed = placed_preset(campaign)
        if placed != campaign_preset(campaign):  # the address moved into its envelope's window
            check_design(design, placed, campaign.where(("letter", "envelope")))
        if campaign.print_.marks == "omr":
            from publipost.campaigns.presets import Box
            from publipost.templates.design import overlaps
            from publipost.templates.inserter import omr_zone

            zone = omr_zone()
            body = Box(design.margin_left, 0.0, design.body_width, placed.size[1])
            for name, region in (("body", body), ("logo", design.logo), ("reference", design.reference)):
                if region is not None and overlaps(region, zone):
                    raise PublipostError(
                        f"the design's {name} starts at x = {region.x:g} mm, in the OMR column "
                        f"(x < {zone.x + zone.width:g} mm, y {zone.y:g}–{zone.y + zone.height:g} mm)",
                        campaign.where(("print", "marks")),
                        "a design whose body starts at margin_left 17 or more, or marks: datamatrix",
                    )
        letter_fonts(campaign)
        assert campaign.letter is not None
        reply = campaign.letter.reply_address or campaign.sender.block
        try:
            format_lines(reply, campaign_preset(campaign).address_style)
        except AddressError as exc:
            key = ("letter", "reply_address") if campaign.letter.reply_address else ("sender", "address")
            raise PublipostError(
                f"the coupon's return address: {exc}",
                campaign.where(key),
                "shorten it as the postal norm asks",
            ) from None
        if campaign.brand.logo:
            check_logo(
                campaign.resolve(campaign.brand.logo), campaign.where(("brand", "logo")), campaign.boundary
            )
        _check_codes(prepared)

    def merged(self, prepared: Prepared, recipient: Recipient) -> MergedLetter:
        return prepared.merge.letter(recipient)

    def render_one(self, prepared: Prepared, recipient: Recipient) -> bytes:
        """The recipient's letter as a PDF of its own."""
        from publipost.channels.printing import letter_pdf

        return letter_pdf(prepared, recipient)

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
            return text_letters(prepared, out_dir, progress)
        from publipost.channels.printing import render_pdf
        from publipost.channels.recording import bind_codes, check_manifest, record_letters

        if not prepared.audience.channel_count("letter"):
            raise NothingToProduce(
                "no recipient has a usable postal address: nothing to print",
                hint=unreached_hint(prepared, "letter") or "validate lists every row and why",
            )

        if options.record:
            check_manifest(prepared, out_dir)
        bind_codes(prepared, out_dir, record=options.record)
        with executor_for(options) as executor:
            report = render_pdf(
                prepared,
                out_dir,
                per_file=options.per_file,
                duplex=options.duplex,
                progress=progress,
                executor=executor,
                pdfx=options.pdfx or prepared.campaign.print_.standard == "pdf/x-4",
                by_sheets=options.by_sheets,
            )
        if options.record:
            record_letters(prepared, out_dir, (row for row, _ in report.failed))
        return report


def text_letters(prepared: Prepared, out_dir: Path, progress: Progress | None = None) -> Written:
    """One plain-text letter per recipient the letter reaches, named by the recipient's id."""
    from publipost.templates.merge import each_rendered
    from publipost.templates.text import render_text_letter

    target = out_dir / "letters"
    target.mkdir(parents=True, exist_ok=True)
    report = Written("letter", N_("letters"), target)
    from publipost.templates.environment import labelled
    from publipost.templates.inline import shown_url

    def cta_line(campaign: Campaign) -> str:
        cta = campaign.cta
        return labelled(cta.label, shown_url(cta.url), campaign.language) if cta else ""

    lines = {name: cta_line(variant.campaign) for name, variant in prepared.variants.items()}
    lines[""] = cta_line(prepared.campaign)

    def text(recipient: Recipient) -> str:
        letter = prepared.of(recipient).merge.letter(recipient)
        return render_text_letter(letter, lines.get(recipient.variant, lines[""]))

    recipients = prepared.audience.recipients_of("letter")
    for recipient, content in each_rendered(recipients, text, report.failed):
        (target / f"{recipient.id}.txt").write_text(content, encoding="utf-8")
        report.written += 1
        if progress:
            progress(1)
    return report


def unreached_hint(prepared: Prepared, channel: str) -> str:
    """The main reasons a channel reaches nobody, for the message that says so."""
    reasons = prepared.audience.why_unreached(channel)
    return "; ".join(f"{reason} ({count} rows)" for reason, count in reasons)


def _check_codes(prepared: Prepared) -> None:
    """The letter's QR codes hold the coupon's response code and the call to action's link,
    tracked with it: a value too long for any QR code (2,331 bytes at level M, 3,391 letters and
    digits, ISO/IEC 18004 Table 7) is bad input, said before anything is printed, not a
    traceback in the middle of a print run. Asked once per campaign, of the ids hardest to
    encode (`_hardest_ids`): response codes are the id, upper-cased, between two short parts."""
    from publipost.errors import PublipostError, Where
    from publipost.templates.links import tracking_for, with_ref

    campaign = prepared.campaign
    assert campaign.letter is not None
    tracking = tracking_for(campaign, "letter") if campaign.cta is not None else None
    for recipient_id, row in _hardest_ids(prepared):
        code = prepared.code_of(recipient_id)
        if campaign.letter.coupon and not _fits(code):
            source = campaign.resolve(campaign.target.source) if campaign.target.source else None
            raise PublipostError(
                f"customer id of {len(recipient_id):,} characters: the coupon's response code is too "
                "long for a QR code (3,391 letters and digits, or 2,331 bytes with other signs)",
                Where(source, row=row),
                "give each customer an id of a few dozen characters (target.columns says which "
                "column holds it)",
            )
        if campaign.cta is None:
            continue
        link = with_ref(tracking.href(campaign.cta.url), code) if tracking else campaign.cta.url
        if not _fits(link):
            raise PublipostError(
                f"the call to action's link is too long for a QR code ({len(link.encode()):,} bytes with "
                f"its tracking and the response code of row {row}; a code holds 2,331 at most)",
                campaign.where(("cta", "url")),
                "shorten the link (a short path on your own site that redirects)",
            )


# Ids are letters, digits and . _ - (audience._assign_ids): up to this length one fits a QR code
# in byte mode too (2,331 bytes, less the code's other parts); longer, an id with a sign outside
# the alphanumeric mode (its _) may not fit where a longer one without does.
_BYTE_SAFE = 2_000
_ALPHANUMERIC = r"[0-9A-Z $%*+\-./:]*"  # ISO/IEC 18004 Table 5, the alphanumeric mode's signs


def _hardest_ids(prepared: Prepared) -> list[tuple[str, int]]:
    """(id, row) of the recipients the letter reaches whose codes are hardest to encode: the
    longest id, and where ids are long enough to matter, the longest that needs byte mode."""
    from publipost.campaigns.audience import ID, ROW

    audience = prepared.audience
    longest = audience.longest_value("letter", ID)
    hardest = [longest] if longest else []
    if max((len(i) for i, _ in hardest), default=0) > _BYTE_SAFE:  # never for ids of a sane length
        rows = audience.reached("letter", [ID, ROW])
        ids = rows[ID].astype(str).str.upper()
        lengths = ids.str.len().where(~ids.str.fullmatch(_ALPHANUMERIC), 0).to_numpy()
        if lengths.max() > _BYTE_SAFE:
            widest = rows.iloc[int(lengths.argmax())]
            hardest.append((str(widest[ID]), int(widest[ROW])))
    return hardest


def _fits(value: str) -> bool:
    from publipost.templates.qr import qr_modules

    try:
        qr_modules(value)
    except ValueError:
        return False
    return True
