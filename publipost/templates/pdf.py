"""Print-ready letters: one PDF a print shop can print, fold and put in window envelopes as it is.

The page follows a preset (presets.toml): the address block sits where the window shows
it, fold marks in the margin. The body is drawn line by line from `layout.break_lines`,
the same lines the linter counts, in the embedded Liberation Serif. Customer data is
drawn as text (never parsed as markup), so `<b>` or `&` print as typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from reportlab.lib.colors import CMYKColor, CMYKColorSep, Color, HexColor, black
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from publipost.campaigns.model import Campaign
from publipost.campaigns.postal import format_lines
from publipost.campaigns.presets import Preset
from publipost.templates.design import design_for
from publipost.templates.environment import LOCALES, date_line, long_date, money, money_locale
from publipost.templates.fonts import letter_fonts
from publipost.templates.inline import shown_url
from publipost.templates.layout import FONTS, Column, Line, break_lines, parse_runs, text_width
from publipost.templates.links import tracking_for, with_ref
from publipost.templates.merge import MergedLetter
from publipost.templates.press import BLEED_MM, Press
from publipost.templates.qr import qr_codes, qr_modules
from publipost.templates.stencil import image_mask
from publipost.templates.typography import typeset as typography

REGULAR, BOLD = "LiberationSerif-Regular", "LiberationSerif-Bold"
# pt, mm: six lines and the return line fit the 34 mm a DL window always shows (templates/window.py)
ADDRESS_SIZE, ADDRESS_LEADING = 10.5, 4.2
COUPON_HEIGHT = 56.0  # mm
WORDS = {
    "fr": {
        "continued": "…/…",
        "page": "page",
        "coupon": "BON DE RÉPONSE",
        "cut": "Découpez ici et renvoyez ce bon",
        "yes": "Oui, je profite de l'offre : {product}{price}.",
        "gift": "En cadeau : {gift}.",
        "code": "Code réponse",
        "return": "À renvoyer à :",
        "before": "Avant le {deadline}.",
        "yours": "Votre n° client :",
        "ours": "Notre réf. :",
    },
    "en": {
        "continued": "continued",
        "page": "page",
        "coupon": "REPLY CARD",
        "cut": "Cut here and send this card back",
        "yes": "Yes, I want the {product}{price}.",
        "gift": "Your gift: {gift}.",
        "code": "Response code",
        "return": "Send to:",
        "before": "Reply by {deadline}.",
        "yours": "Your customer number:",
        "ours": "Our reference:",
    },
}


@cache
def register_fonts() -> None:
    """Embed the shipped TrueType fonts (subsets) in every PDF: full French coverage, print-safe."""
    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))


@dataclass
class Row:
    """One thing in the flow of the letter: its height and how to draw it at a baseline."""

    height: float  # points, including the space above it
    draw: Callable[[Canvas, float], None]  # (canvas, y of the row's top in points from the bottom)
    keep_with_next: bool = False


@dataclass
class LetterPainter:
    campaign: Campaign
    preset: Preset
    response_code: Callable[[str], str]
    signature: Path | None = None
    # Forms are named per painter: a campaign's variants share a print file, each with its own
    # coupon (its offer may differ).
    forms: str = ""
    press: Press | None = None  # PDF/X-4: colours and images in the output condition's CMYK
    marks: str = "none"  # per sheet for the inserter: datamatrix, omr, none (templates/inserter.py)
    words: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        if self.campaign.letter is None:
            raise ValueError("a letter painter needs a campaign with a letter")
        self.settings = self.campaign.letter
        self.tracking = tracking_for(self.campaign, "letter")
        self.design = design_for(self.campaign)
        self.regular, self.bold = letter_fonts(self.campaign)
        self.column = self.design.column(self.regular, self.bold)
        self.hook_column = self.design.hook_column(self.bold)
        self.margin_bottom = self.design.margin_bottom * mm
        self.brand = self.campaign.brand
        self.logo = self.campaign.resolve(self.brand.logo) if self.brand.logo else None
        # 100 % K under PDF/X (black on the black plate alone), else as the screen shows it
        self.ink = CMYKColor(0, 0, 0, 1) if self.press else black
        self.accent = self._accent()
        self._images: dict[Path, Any] = {}
        self._codes: dict[str, np.ndarray] = {}  # the QR codes of the letters about to be drawn
        register_fonts()
        self.words = WORDS[self.campaign.language]
        self.width, self.height = self.preset.size[0] * mm, self.preset.size[1] * mm
        self.left = self.design.margin_left * mm

    def _accent(self) -> Color | None:
        """The brand colour: under PDF/X its spot ink or CMYK as the campaign gives them, else
        converted through the output profile; on screen proofs, as written."""
        brand = self.brand
        if not brand.color:
            return None
        if self.press and brand.spot:
            c, m, y, k = (v / 100 for v in brand.spot.cmyk)
            return CMYKColorSep(c, m, y, k, spotName=brand.spot.name, density=1)
        if self.press and brand.color_cmyk:
            return CMYKColor(*(v / 100 for v in brand.color_cmyk))
        return self._colour(brand.color)

    def _colour(self, value: str) -> Color:
        return CMYKColor(*self.press.cmyk(value)) if self.press else HexColor(value)

    def _image(self, path: Path) -> Any:
        """What drawImage draws: the file, or under PDF/X its CMYK conversion (read once)."""
        if self.press is None:
            return str(path)
        if path not in self._images:
            self._images[path] = ImageReader(self.press.image(path))
        return self._images[path]

    def encode_ahead(self, recipient_ids: Iterable[str]) -> None:
        """Encode the QR codes of these recipients' letters together, before they are drawn (a
        print chunk's): their masks are scored in batches (templates/qr.py's qr_codes), a
        quarter of the time one at a time took. Replaces the codes encoded for the last chunk."""
        values: list[str] = []
        for recipient in recipient_ids:
            if self.campaign.cta:
                values.append(self._linker(recipient)(self.campaign.cta.url))
            if self.settings.coupon:
                values.append(self.response_code(recipient))
        try:
            self._codes = dict(zip(values, qr_codes(values), strict=True))
        except ValueError:  # a value no QR code holds (validate refuses such a link): each letter on its own
            self._codes = {}

    # --- the page ------------------------------------------------------------------------------

    def paint(
        self, canvas: Canvas, letter: MergedLetter, duplex: bool = False, set_number: int | None = None
    ) -> int:
        """Draw one letter (and its coupon); returns the number of pages it took. `set_number`, the
        letter's number in the print file, goes into each sheet's inserter mark."""
        self._furniture(canvas)
        pages = self._paginate(self._rows(letter), first_top=self._flow_top())
        coupon = self.settings.coupon
        coupon_on_last = coupon and self._room(pages[-1], len(pages) == 1) >= (COUPON_HEIGHT + 4) * mm
        # Printed on both sides, a coupon cut out takes what is on its back with it: it goes on a
        # front whose back is blank (the letter's last page when that is a front, else a sheet of
        # its own), never behind or before text the customer keeps.
        back_first = False
        if duplex and coupon:
            coupon_on_last = coupon_on_last and len(pages) % 2 == 1
            back_first = not coupon_on_last and len(pages) % 2 == 1  # the last text page's back stays blank
        total = len(pages) + (1 if coupon and not coupon_on_last else 0) + back_first
        sheets = (total + 1) // 2 if duplex else total
        for number, page in enumerate(pages, start=1):
            canvas.doForm(self.forms + "marks")
            self._sheet_mark(canvas, set_number, number, sheets, duplex)
            if number == 1:
                canvas.doForm(self.forms + "head")
                self._address(canvas, letter.address)
                self._references(canvas, letter)
            else:
                self._running_header(canvas, letter, number, total)
            y = self.height - (self._flow_top() if number == 1 else 25 * mm)
            for row in page:
                row.draw(canvas, y)
                y -= row.height
            if number < total:
                self._text(
                    canvas,
                    self.words["continued"],
                    self.width - self.left,
                    self.margin_bottom - 8,
                    9,
                    align="right",
                )
            if number == len(pages) and coupon_on_last:
                self._coupon(canvas, letter)
            canvas.showPage()
        if back_first:
            canvas.showPage()  # the back of the last page of text: blank
        if coupon and not coupon_on_last:
            canvas.doForm(self.forms + "marks")
            self._sheet_mark(canvas, set_number, total, sheets, duplex)
            self._running_header(canvas, letter, total, total)
            self._coupon(canvas, letter)
            canvas.showPage()
        if duplex and total % 2:
            canvas.showPage()  # a blank back, so the next letter starts on a new sheet
            total += 1
        return total

    def _sheet_mark(
        self, canvas: Canvas, set_number: int | None, page: int, sheets: int, duplex: bool
    ) -> None:
        """The inserter's mark on the front of each sheet: a DataMatrix (job, set, sheet n of N,
        last) or OMR bars (start, insert, sequence, parity, safety)."""
        if self.marks == "none" or set_number is None or (duplex and page % 2 == 0):
            return
        from publipost.templates.inserter import MODULE_MM, TOP_MM, X_MM, SheetMark, modules

        sheet = (page + 1) // 2 if duplex else page
        if self.marks == "omr":
            self._omr(canvas, sheet, sheets)
            return
        dark = modules(SheetMark(self.campaign.code, set_number, sheet, sheets).text)
        width, height = dark.shape[1] * MODULE_MM * mm, dark.shape[0] * MODULE_MM * mm
        canvas.saveState()
        canvas.setFillColor(self.ink)
        canvas.addLiteral(image_mask(dark, X_MM * mm, self.height - TOP_MM * mm - height, width, height))
        canvas.restoreState()

    def _omr(self, canvas: Canvas, sheet: int, sheets: int) -> None:
        from publipost.templates.inserter import (
            OMR_LENGTH_MM,
            OMR_PITCH_MM,
            OMR_THICKNESS_MM,
            OMR_TOP_MM,
            OMR_X_MM,
            omr_marks,
        )

        canvas.saveState()
        canvas.setFillColor(self.ink)
        for position, present in enumerate(omr_marks(sheet, sheets)):
            if present:
                middle = self.height - (OMR_TOP_MM + position * OMR_PITCH_MM) * mm
                canvas.rect(
                    OMR_X_MM * mm,
                    middle - OMR_THICKNESS_MM * mm / 2,
                    OMR_LENGTH_MM * mm,
                    OMR_THICKNESS_MM * mm,
                    stroke=0,
                    fill=1,
                )
        canvas.restoreState()

    def _furniture(self, canvas: Canvas) -> None:
        """What every letter of the run shares, drawn once per file as PDF forms (XObjects).

        Sender block, return line, date line, fold marks and the coupon's printed text are the
        same on every page; each page then refers to them instead of drawing them again.
        """
        drawn = canvas.__dict__.setdefault("_publipost_forms", set())
        if self.forms in drawn:
            return
        drawn.add(self.forms)
        canvas.beginForm(self.forms + "marks")
        self._marks(canvas)
        canvas.endForm()
        bleed = (
            BLEED_MM * mm if self.press else 0
        )  # the form's box takes the bleed in: not clipped at the trim
        canvas.beginForm(self.forms + "head", -bleed, -bleed, self.width + bleed, self.height + bleed)
        self._head(canvas)
        canvas.endForm()
        canvas.beginForm(self.forms + "coupon")
        self._coupon_text(canvas)
        canvas.endForm()

    def _flow_top(self) -> float:
        field_, reference = self.preset.address_field, self.design.reference
        bottom = reference.y + reference.height if reference else 0
        return (max(field_.y + field_.height, self.preset.date_line_y, bottom) + 8) * mm

    def _references(self, canvas: Canvas, letter: MergedLetter) -> None:
        """Business letters: the customer's number and ours (the response code) under the window."""
        box = self.design.reference
        if box is None:
            return
        words = self.words
        code = self.response_code(letter.recipient.id)
        text = f"{words['yours']} {letter.recipient.id}   ·   {words['ours']} {code}"
        self._text(
            canvas, typography(text, self.campaign.language), box.x * mm, self.height - (box.y + 4) * mm, 9
        )

    def _room(self, page: list[Row], first: bool) -> float:
        used = sum(row.height for row in page)
        top = self._flow_top() if first else 25 * mm
        return self.height - top - used - self.margin_bottom

    def _marks(self, canvas: Canvas) -> None:
        """Fold and hole marks, and the legal lines at the foot of every page."""
        size = self.design.footer_size
        for index, line in enumerate(reversed(self.campaign.sender.legal)):
            y = (self.design.footer_y + index * size * 0.45) * mm
            self._text(
                canvas, typography(line, self.campaign.language), self.width / 2, y, size, align="center"
            )
        canvas.setLineWidth(0.3)
        for y in self.preset.fold_marks:
            canvas.line(4 * mm, self.height - y * mm, 9 * mm, self.height - y * mm)
        if self.preset.hole_mark:
            y = self.height - self.preset.hole_mark * mm
            canvas.line(4 * mm, y, 11 * mm, y)

    def _head(self, canvas: Canvas) -> None:
        """Sender block, return line and date line: the same on every first page of the run."""
        sender, language, design = self.campaign.sender, self.campaign.language, self.design
        if design.band:  # modern: a band of the brand colour across the top
            canvas.setFillColor(self.accent or self._colour("#333333"))
            # under PDF/X the band runs 3 mm past the trim (the bleed), so that a cut never shows paper
            bleed = BLEED_MM * mm if self.press else 0
            canvas.rect(
                -bleed,
                self.height - design.band * mm,
                self.width + 2 * bleed,
                design.band * mm + bleed,
                stroke=0,
                fill=1,
            )
            canvas.setFillColor(self.ink)
        top = design.sender.y
        if self.logo is not None:
            box = design.logo
            canvas.drawImage(
                self._image(self.logo),
                box.x * mm,
                self.height - (box.y + box.height) * mm,
                width=box.width * mm,
                height=box.height * mm,
                preserveAspectRatio=True,
                anchor="sw" if box.x < 100 else "se",
                mask="auto",
            )
            if _overlap_y(box.y, box.height, top) and box.x < 100:
                top = box.y + box.height + 3  # the sender block under the logo
        size, name_size = design.sender.width, design.sender.height
        y = self.height - top * mm - name_size
        # a logo that spells the company's name (brand.logo_shows_name): the block under it starts
        # with the address, not the name again
        named = self.logo is None or not sender.company or not self.brand.logo_shows_name
        block = sender.block if named else sender.block[1:]
        for index, line in enumerate(block):
            name = named and index == 0
            self._text(canvas, line, design.sender.x * mm, y, name_size if name else size, bold=name)
            y -= name_size + 2 if name else size + 2
        if self.preset.return_line:
            x, top = self.preset.address_text_x * mm, self.height - self.preset.address_field.y * mm
            self._text(
                canvas,
                " · ".join(sender.block),
                x,
                top - 4 * mm,
                6.5,
            )
        when = self.settings.date or dt.date.today()
        self._text(
            canvas,
            typography(date_line(sender.place, when, language), language),
            self.width - self.left,
            self.height - self.preset.date_line_y * mm,
            11,
            align="right",
        )

    def _address(self, canvas: Canvas, address: list[str]) -> None:
        """The recipient's address block, where the envelope's window shows it."""
        x, top = self.preset.address_text_x * mm, self.height - self.preset.address_field.y * mm
        y = top - (9 if self.preset.return_line else 5.5) * mm
        for line in address:
            self._text(canvas, line, x, y, ADDRESS_SIZE)
            y -= ADDRESS_LEADING * mm

    def _running_header(self, canvas: Canvas, letter: MergedLetter, number: int, total: int) -> None:
        name = letter.address[0] if letter.address else ""
        text = f"{name} · {letter.date_line} · {self.words['page']} {number}/{total}"
        self._text(canvas, text, self.width - self.left, self.height - 12 * mm, 8, align="right")

    # --- the flow ------------------------------------------------------------------------------

    def _rows(self, letter: MergedLetter) -> list[Row]:
        language = self.campaign.language
        href = self._linker(letter.recipient.id)
        rows: list[Row] = []
        if letter.subject_line:
            rows += self._paragraph(typography(letter.subject_line, language), self.column, gap=0, href=href)
            rows.append(Row(4 * mm, lambda c, y: None))
        if letter.hook:
            hook = re.sub(r"^#+\s*", "", letter.hook)
            rows += self._paragraph(typography(hook, language), self.hook_column, gap=0, href=href)
            rows.append(Row(5 * mm, lambda c, y: None))
        rows += self._paragraph(typography(letter.salutation, language), self.column, gap=0, href=href)
        for paragraph in letter.body:
            text = typography(paragraph.replace("\n", " "), language)
            rows += self._paragraph(text, self.column, gap=6, href=href)
        if self.campaign.cta:
            rows.append(self._cta(href))
        rows += self._signature(letter)
        for paragraph in letter.ps:
            text = typography(paragraph.replace("\n", " "), language)
            rows += self._paragraph(text, self.column, gap=12, href=href)
        return rows

    def _cta(self, href: Callable[[str], str]) -> Row:
        """The call to action: its label in bold, the address to type, and a QR code of the
        (tracked) link beside them, for a phone's camera."""
        cta = self.campaign.cta
        assert cta is not None
        label = typography(cta.label, self.campaign.language)
        qr_size = 20 * mm

        def draw(canvas: Canvas, top: float) -> None:
            top -= 4 * mm
            self._text(canvas, label, self.left, top - 6 * mm, self.column.size + 1, bold=True)
            self._text(canvas, shown_url(cta.url), self.left, top - 12 * mm, self.column.size)
            self._qr(canvas, href(cta.url), self.left + self.column.width - qr_size, top - qr_size, qr_size)

        return Row(qr_size + 6 * mm, draw)

    def _linker(self, recipient: str) -> Callable[[str], str]:
        """Where a link in this recipient's letter leads: tracked, with their response code."""
        tracking = self.tracking
        if tracking is None:
            return lambda url: url
        ref = self.response_code(recipient)
        return lambda url: with_ref(tracking.href(url), ref)

    def _paragraph(
        self, markdown: str, column: Column, gap: float, href: Callable[[str], str] = str
    ) -> list[Row]:
        lines = break_lines(markdown, column)
        rows = []
        for index, line in enumerate(lines):
            space = column.leading + (gap if index == 0 else 0)
            rows.append(
                Row(
                    space,
                    self._line_drawer(line, column, space, href),
                    keep_with_next=index == 0 and len(lines) > 1,
                )
            )  # no lone first line at a foot
        return rows

    def _line_drawer(
        self, line: Line, column: Column, space: float, href: Callable[[str], str] = str
    ) -> Callable[[Canvas, float], None]:
        def draw(canvas: Canvas, top: float) -> None:
            x, baseline = self.left, top - space + (column.leading - column.size) / 2 + 2
            coloured = column.name == "hook" and self.accent is not None
            if coloured:
                canvas.setFillColor(self.accent)
            for run in line.runs:
                font = column.bold_font if run.bold else column.font
                canvas.setFont(font, column.size)
                draw_string(canvas, x, baseline, run.text)
                width = run.width
                if run.underline:
                    canvas.setLineWidth(0.5)
                    canvas.line(x, baseline - 1.5, x + width, baseline - 1.5)
                if run.link:  # a reader of the PDF can click it; a reader of paper reads the URL
                    area = (x, baseline - 3, x + width, baseline + column.size)
                    canvas.linkURL(href(run.link), area, relative=0, thickness=0)
                x += width
            if coloured:
                canvas.setFillColor(self.ink)

        return draw

    def _signature(self, letter: MergedLetter) -> list[Row]:
        """Signature image, name and function: kept together with the end of the body (§5.7)."""
        rows = [Row(10, lambda c, y: None, keep_with_next=True)]
        if self.signature is not None:
            path = self._image(self.signature)
            rows.append(
                Row(
                    16 * mm,
                    lambda c, y: c.drawImage(
                        path,
                        self.left,
                        y - 15 * mm,
                        width=40 * mm,
                        height=14 * mm,
                        preserveAspectRatio=True,
                        anchor="sw",
                        mask="auto",
                    ),
                    keep_with_next=True,
                )
            )
        for index, line in enumerate(letter.signature):
            runs = parse_runs(line)
            text = "".join(r.text for r in runs)
            rows.append(
                Row(
                    self.column.leading,
                    self._signature_line(text, bold=index == 0),
                    keep_with_next=True,
                )
            )
        if rows:
            rows[-1].keep_with_next = bool(letter.ps)
        return rows

    def _signature_line(self, text: str, *, bold: bool) -> Callable[[Canvas, float], None]:
        def draw(canvas: Canvas, top: float) -> None:
            self._text(canvas, text, self.left, top - self.column.leading + 3, self.column.size, bold=bold)

        return draw

    def _paginate(self, rows: list[Row], first_top: float) -> list[list[Row]]:
        pages: list[list[Row]] = [[]]
        room = self.height - first_top - self.margin_bottom
        index = 0
        while index < len(rows):
            chain = [rows[index]]
            while chain[-1].keep_with_next and index + len(chain) < len(rows):
                chain.append(rows[index + len(chain)])
            height = sum(r.height for r in chain)
            full_page = self.height - 25 * mm - self.margin_bottom
            if height > room and pages[-1] and height <= full_page:
                pages.append([])
                room = full_page
            for row in chain:
                if row.height > room and pages[-1]:
                    pages.append([])
                    room = full_page
                pages[-1].append(row)
                room -= row.height
            index += len(chain)
        return pages

    # --- the reply coupon (mailing-rules.md §6: the shop's till) -----------------------------

    def _coupon_text(self, canvas: Canvas) -> None:
        """The coupon's printed part: cut line, offer, return address. Sets where the address goes."""
        words, offer, language = self.words, self.campaign.offer, self.campaign.language
        if offer is None:  # a reply to a complaint: no order coupon
            return
        top = self.margin_bottom + COUPON_HEIGHT * mm
        canvas.setDash(3, 3)
        canvas.setLineWidth(0.5)
        canvas.line(10 * mm, top, self.width - 10 * mm, top)
        canvas.setDash()
        self._text(canvas, words["cut"], self.width / 2, top + 2, 7, align="center")
        y = top - 6 * mm
        self._text(canvas, words["coupon"], self.left, y, 12, bold=True)
        price = ""
        if offer.price is not None:
            price = (" à " if language == "fr" else " at ") + money(
                offer.price, offer.currency, money_locale(language, offer.currency)
            )
        lines = [words["yes"].format(product=offer.product, price=price)]
        if offer.gift:
            lines.append(words["gift"].format(gift=offer.gift))
        if offer.deadline:
            lines.append(words["before"].format(deadline=long_date(offer.deadline, LOCALES[language])))
        y -= 5.5 * mm
        for line in lines:
            self._text(canvas, typography(line, language), self.left, y, 10)
            y -= 4.2 * mm
        self._coupon_address_y = y - 1.3 * mm
        self._text(
            canvas,
            f"{words['code']} :" if language == "fr" else f"{words['code']}:",
            self.left,
            self.margin_bottom + 3 * mm,
            9,
            bold=True,
        )
        # The return address where a window return envelope of the same preset shows it.
        reply = format_lines(
            self.settings.reply_address or self.campaign.sender.block, self.preset.address_style
        )
        x, y = max(self.preset.address_text_x, 125) * mm, top - 16 * mm
        self._text(canvas, words["return"], x, y, 7)
        for line in reply:
            y -= 4.6 * mm
            self._text(canvas, line, x, y, ADDRESS_SIZE)

    def _coupon(self, canvas: Canvas, letter: MergedLetter) -> None:
        """The reply coupon (mailing-rules.md §6, the shop's till), pre-filled for this recipient."""
        canvas.doForm(self.forms + "coupon")
        y = self._coupon_address_y
        for line in letter.address:
            self._text(canvas, line, self.left, y, 9.5)
            y -= 4.2 * mm
        code = self.response_code(letter.recipient.id)
        label = f"{self.words['code']} :" if self.campaign.language == "fr" else f"{self.words['code']}:"
        self._text(
            canvas,
            code,
            self.left + text_width(label + " ", self.bold, 9),
            self.margin_bottom + 3 * mm,
            9,
            bold=True,
        )
        self._qr(canvas, code, self.left + 72 * mm, self.margin_bottom + 1 * mm, 22 * mm)

    def _qr(self, canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
        """A QR code in the ink, with a two-module quiet zone (templates/stencil.py draws it)."""
        dark = self._codes.get(value)
        if dark is None:
            dark = qr_modules(value)
        border = 2
        cell = size / (dark.shape[0] + 2 * border)
        inner = size - 2 * border * cell
        canvas.saveState()
        canvas.setFillColor(self.ink)
        canvas.addLiteral(image_mask(dark, x + border * cell, y + border * cell, inner, inner))
        canvas.restoreState()

    # --- text ----------------------------------------------------------------------------------

    def _text(
        self,
        canvas: Canvas,
        text: str,
        x: float,
        y: float,
        size: float,
        *,
        bold: bool = False,
        align: str = "left",
    ) -> None:
        font = self.bold if bold else self.regular
        canvas.setFont(font, size)
        draw_string(canvas, x, y, text, align)


# Per document (a chunk's canvas), the operators each (font, size, leading, text) is shown with.
_SHOWN: WeakKeyDictionary[Any, dict[tuple[str, float, float, str], str]] = WeakKeyDictionary()


def draw_string(canvas: Canvas, x: float, y: float, text: str, align: str = "left") -> None:
    """canvas.drawString(x, y, text) (drawRightString for "right", drawCentredString for
    "center"), operator for operator, with each distinct line encoded once per document. A
    letter's body lines recur in every letter of a chunk, and reportlab encodes each line afresh
    (font subsets, escaping: a quarter of a print run); the subsets a document assigns a
    character to never change, so the encoding of a line does not either (a test holds the two
    PDFs byte for byte)."""
    if align != "left":  # where drawRightString and drawCentredString start the line
        width = pdfmetrics.stringWidth(text, canvas._fontname, canvas._fontsize)
        x -= width if align == "right" else 0.5 * width
    if not canvas.bottomup:  # (every canvas of ours is; reportlab writes another matrix then)
        canvas.drawString(x, y, text)
        return
    key = (canvas._fontname, canvas._fontsize, canvas._leading, text)
    shown = _SHOWN.setdefault(canvas._doc, {})
    operators = shown.get(key)
    if operators is None:
        operators = shown[key] = canvas.beginText()._formatText(text)
    canvas._code.append(f"BT 1 0 0 1 {fp_str(x, y)} Tm {operators} T* ET")


ENVELOPES = {"dl": (220.0, 110.0), "c5": (229.0, 162.0)}  # mm, landscape


def paint_envelope(canvas: Canvas, campaign: Campaign, hook: str | None, preset: Preset, size: str) -> None:
    """The carrier envelope, the shop window (mailing-rules.md §6): the sender and a teaser.

    The recipient's address shows through the window from the letter inside; the teaser
    stands on the other side, where the eye lands after the name (norms.md §3.1).
    """
    register_fonts()
    width, height = ENVELOPES[size]
    sender = campaign.sender
    y = (height - 12) * mm
    for index, line in enumerate(sender.block):
        canvas.setFont(BOLD if index == 0 else REGULAR, 10 if index == 0 else 8.5)
        canvas.drawString(12 * mm, y, line)
        y -= 4.2 * mm
    if hook:
        teaser = Column("teaser", BOLD, BOLD, 15, 19, 95 * mm)
        window_left = preset.address_field.x > 60  # a window on the right: the teaser goes left
        x = 12 * mm if window_left else (width - 107) * mm
        lines = break_lines(typography(re.sub(r"^#+\s*", "", hook), campaign.language), teaser)
        y = (height / 2 + len(lines) * 3.3) * mm
        for broken in lines:
            canvas.setFont(BOLD, teaser.size)
            canvas.drawString(x, y, "".join(run.text for run in broken.runs))
            y -= teaser.leading
    canvas.showPage()


def _overlap_y(y: float, height: float, top: float) -> bool:
    """Whether a text block starting at `top` (mm) would run into a box spanning y..y+height."""
    return y <= top + 10 and top < y + height + 3
