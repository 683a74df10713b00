"""E-mail bodies: the built-in responsive MJML template, compiled once, filled per recipient.

MJML compiles to HTML once per campaign (mjml-python); the HTML is then a Jinja2
template in the sandbox with autoescaping, so every recipient costs a template render,
not an MJML compilation. The copy is the same Markdown as letters: each part is turned
into escaped HTML (bold, underline, line breaks) before it is placed, and the plain-text
part says the same thing as the HTML one, as spam filters expect.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from itertools import groupby
from pathlib import Path

from jinja2 import StrictUndefined
from jinja2.exceptions import TemplateError as JinjaError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from publipost.campaigns.model import Campaign
from publipost.errors import TemplateError, Where
from publipost.templates.brand import check_logo
from publipost.templates.codes import response_code
from publipost.templates.email_images import InlineImage, embed_local_images, load_image, signature_html
from publipost.templates.environment import compile_template, labelled
from publipost.templates.layout import Run, parse_runs
from publipost.templates.links import Tracking, tracking_for, with_ref
from publipost.templates.merge import MergedEmail, RecipientError
from publipost.templates.mjml_check import check_layout_fields
from publipost.templates.sandbox import LOOP_GUARD, BoundedEnvironment
from publipost.templates.text import email_text
from publipost.templates.typography import typeset

TEMPLATES = Path(__file__).parent / "email"
# What a template can place, besides the recipient's fields and the campaign's offer, sender, campaign.
PARTS = (
    "language",
    "subject",
    "preheader",
    "sender_block",
    "hook",
    "body",
    "signature",
    "ps",
    "footer",
    "unsubscribe_url",
    "cta_url",
    "cta_label",
)
# The call to action's button in the built-in template: left out when the campaign has none.
_BUTTON = re.compile(r"^\s*<mj-button href=\"\{\{ cta_url \}\}\".*?</mj-button>\n", re.MULTILINE | re.DOTALL)
FOOTER = {
    "fr": ("Vous recevez cet e-mail en tant que client de {company}.", "Se désabonner"),
    "en": ("You receive this e-mail as a customer of {company}.", "Unsubscribe"),
}


@lru_cache(maxsize=8192)  # the same paragraph for every recipient: converted once
def markdown_html(markdown: str, tracking: Tracking | None = None) -> Markup:
    """One Markdown block as safe HTML: text escaped, **bold** and __underline__ kept, links as
    <a href> (tracked when they lead to the campaign's own sites; see templates/links.py)."""
    parts = []
    runs = parse_runs(markdown)
    for link, group in groupby(runs, key=lambda run: run.link):
        inner = "".join(_run_html(run) for run in group)
        if link:
            href = tracking.href(link) if tracking else link
            inner = f'<a href="{html.escape(href, quote=True)}" target="_blank">{inner}</a>'
        parts.append(inner)
    return Markup("".join(parts))


def _run_html(run: Run) -> str:
    text = html.escape(run.text).replace("\n", "<br>")
    if run.bold:
        return f"<strong>{text}</strong>"
    if run.underline:
        return f"<u>{text}</u>"
    return text


@lru_cache(maxsize=1024)  # a signature, a PS: usually the same for every recipient
def joined_html(blocks: tuple[str, ...], separator: str, tracking: Tracking | None = None) -> Markup:
    return Markup(separator).join(markdown_html(block, tracking) for block in blocks)


@dataclass
class EmailBody:
    pieces: tuple[str, ...]  # the HTML as the template produced it: fixed parts and merged values
    text: str

    @property
    def html(self) -> str:
        return "".join(self.pieces)


class EmailRenderer:
    """HTML and text parts of a campaign's e-mails."""

    def __init__(self, campaign: Campaign, fields: list[str] | None = None):
        self.campaign = campaign
        if campaign.email is None:
            raise ValueError("an e-mail renderer needs a campaign with an e-mail")
        self.source = TEMPLATES / "classic.mjml"
        if campaign.email.template != "classic":
            self.source = campaign.resolve(campaign.email.template)
        env = BoundedEnvironment(undefined=StrictUndefined, autoescape=True)
        text = self.source.read_text(encoding="utf-8")
        self.logo: InlineImage | None = None
        if campaign.brand.logo:
            where = campaign.where(("brand", "logo"))
            path = campaign.resolve(campaign.brand.logo)
            logo = check_logo(path, where, campaign.boundary)
            self.logo = replace(logo, cid=f"logo.{self.cid_suffix}")
        if campaign.email.template == "classic":
            text = self._branded(text)
        check_layout_fields(text, self.source)
        self._check_names(env, text, set(fields or ()))
        import mjml

        # compiled to HTML once per campaign; the Jinja fields survive MJML's compilation
        html, self.images = embed_local_images(
            mjml.mjml2html(text), self.source, text, self.cid_suffix, campaign.boundary
        )
        self.signature_image = Markup("")
        if campaign.sender.signature:
            where = campaign.where(("sender", "signature"))
            image = load_image(
                campaign.resolve(campaign.sender.signature),
                f"signature.{self.cid_suffix}",
                where,
                campaign.boundary,
            )
            self.images.insert(0, image)
            self.signature_image = Markup(signature_html(image, campaign.sender.name))
        if self.logo is not None:
            self.images.insert(0, self.logo)
        self.template = compile_template(env, html)
        self.tracking = tracking_for(campaign, "email")
        self.code = campaign.code
        cta = campaign.cta
        self.cta_url = (self.tracking.href(cta.url) if self.tracking else cta.url) if cta else ""
        self.cta_line = labelled(cta.label, self.cta_url, campaign.language) if cta else ""

    def _branded(self, text: str) -> str:
        """The built-in template in the campaign's colours, with its logo and its button (or
        without them): fixed once per campaign, before MJML compiles it."""
        campaign, colour = self.campaign, self.campaign.brand.color
        if campaign.cta is None:
            text = _BUTTON.sub("", text)
        logo = ""
        if self.logo is not None:
            width = min(200, self.logo.size[0])
            alt = html.escape(campaign.sender.display_name, quote=True)
            logo = (
                f'        <mj-image src="cid:{self.logo.cid}" alt="{alt}" width="{width}px" align="left" '
                'padding="0 25px 14px 25px" />'
            )
        return (
            text.replace("%%LOGO%%\n", logo + "\n" if logo else "")
            .replace("%%HOOK%%", colour or "#222222")
            .replace("%%BRAND%%", colour or "#1a4d8f")
        )

    @property
    def cid_suffix(self) -> str:
        """Content-IDs are unique worldwide: the campaign's code at the sender's domain."""
        domain = (self.campaign.sender.email or "@publipost.invalid").rsplit("@", 1)[1]
        return f"{self.campaign.code}@{domain}"

    def _check_names(self, env: SandboxedEnvironment, text: str, fields: set[str]) -> None:
        """Every name a template uses exists: its parts, the recipient's fields, the campaign's."""
        from jinja2 import TemplateSyntaxError, meta

        from publipost.templates.merge import GLOBALS

        try:
            names = meta.find_undeclared_variables(env.parse(text))
        except TemplateSyntaxError as exc:
            raise TemplateError(f"template error: {exc.message}", Where(self.source, exc.lineno)) from None
        known = set(PARTS) | set(GLOBALS) | fields | {LOOP_GUARD}
        for name in sorted(names - known):
            line = next((number for number, row in enumerate(text.split("\n"), 1) if name in row), 1)
            raise TemplateError(
                f"the e-mail template uses '{name}', which is neither a part nor a field",
                Where(self.source, line),
                f"parts: {', '.join(PARTS)}; or a column of the customer file",
            )

    @cached_property
    def footer(self) -> tuple[str, str, str]:
        """Who sends and from where (CAN-SPAM's postal address), and the unsubscribe label: per campaign."""
        sender, language = self.campaign.sender, self.campaign.language
        text, label = FOOTER[language]
        postal = ", ".join(sender.block)
        # « client de Au Fil du Lin » → « client d’Au Fil du Lin »: the name is merged, so elided here
        return typeset(text.format(company=sender.display_name.rstrip(".")), language), postal, label

    @cached_property
    def legal(self) -> list[str]:
        """The legal lines, typeset (« RCS Annecy 901 234 567 » never split across two lines)."""
        return [typeset(line, self.campaign.language) for line in self.campaign.sender.legal]

    @cached_property
    def footer_html(self) -> Markup:
        notice, postal, _ = self.footer
        legal = Markup("").join(Markup("<br>{}").format(line) for line in self.legal)
        return Markup("{}<br>{}").format(notice, postal) + legal

    def render(
        self,
        email: MergedEmail,
        unsubscribe_url: str | None,
        context: dict | None = None,
        code: str | None = None,
    ) -> EmailBody:
        """The HTML and text parts; `code`, the recipient's response code (default: the
        campaign's code and their id) in every tracked link."""
        campaign, sender, tracking = self.campaign, self.campaign.sender, self.tracking
        notice, postal, unsubscribe_label = self.footer
        footer = self.footer_html
        if unsubscribe_url:
            footer = Markup(
                f'{footer}<br><a href="{escape(unsubscribe_url)}">{escape(unsubscribe_label)}</a>'
            )
        parts = dict(
            unsubscribe_url=unsubscribe_url or "",
            language=campaign.language,
            subject=email.subject,
            preheader=email.preheader,
            sender_block=sender.display_name,
            hook=markdown_html(email.hook.strip("*#_ ") if email.hook else "", tracking),
            # markdown_html returns escaped Markup: joining those pieces stays safe. A paragraph a
            # line: the lines every recipient shares are encoded once (mailer.message.quoted_printable).
            body=Markup(
                "\n".join(f"<p>{markdown_html(p, tracking)}</p>" for p in [email.salutation, *email.body])
            ),
            signature=self.signature_image + joined_html(tuple(email.signature), "<br>"),
            ps=joined_html(tuple(email.ps), "<br><br>", tracking),
            cta_url=self.cta_url,
            cta_label=campaign.cta.label if campaign.cta else "",
            footer=footer,
        )
        try:
            pieces = tuple(self.template.generate({**(context or {}), **parts}))  # the parts win
        except (JinjaError, ValueError, TypeError, ArithmeticError, RecursionError, MemoryError) as exc:
            raise RecipientError(f"e-mail template: {exc}") from None
        # The preheader is a visible first line, not hidden text: mail apps show it after the
        # subject, and hidden content costs points with spam filters (HTML_FONT_LOW_CONTRAST).
        text_part = email_text(email, tracking, self.cta_line)
        if email.preheader:
            text_part = f"{email.preheader}\n\n{text_part}"
        text_part += f"\n--\n{notice}\n{postal}\n" + "".join(f"{line}\n" for line in self.legal)
        if unsubscribe_url:
            text_part += labelled(unsubscribe_label, unsubscribe_url, campaign.language) + "\n"
        if tracking is not None:  # the recipient's response code in every tracked link
            ref = code or response_code(self.code, email.recipient.id)
            pieces = tuple(with_ref(piece, ref) for piece in pieces)
            text_part = with_ref(text_part, ref)
        return EmailBody(pieces, text_part)
