"""Mail merge: the campaign's copy, compiled once, rendered for each recipient.

Before anything is rendered, a preflight checks that every field the copy uses
exists in the audience; an unknown field stops the run (exit 2) naming the
field, where it is used and the closest column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from jinja2 import Environment, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import TemplateError as JinjaError

from publipost.campaigns.audience import Recipient
from publipost.campaigns.copy import Copy
from publipost.campaigns.fields import suggest_field
from publipost.campaigns.model import Campaign
from publipost.errors import TemplateError, did_you_mean
from publipost.templates.environment import (
    LOCALES,
    DateValue,
    NumberValue,
    compile_template,
    date_line,
    long_date,
    make_environment,
    salutation,
)
from publipost.templates.inline import FIELD, link_problems
from publipost.templates.markdown import PS, escape_markdown, jinja_spans, parse_letter, replace_spans
from publipost.templates.sandbox import LOOP_GUARD, constant_errors
from publipost.templates.typography import typeset

T = TypeVar("T")

#: Copy that is plain text, not Markdown.
PLAIN_TEXT = {"email.subject", "email.preheader"}

#: Names every piece of copy may use besides the recipient's fields.
GLOBALS = ("offer", "sender", "campaign", "salutation", "letter_date")


class RecipientError(Exception):
    """This recipient's copy could not be rendered; the others go on."""


def each_rendered(
    recipients: Iterable[Recipient], render: Callable[[Recipient], T], failed: list[tuple[int, str]]
) -> Iterator[tuple[Recipient, T]]:
    """Each recipient with what `render` made of it. One whose data cannot be rendered is
    added to `failed` as (row, reason), and the others go on: nothing is lost silently."""
    for recipient in recipients:
        try:
            yield recipient, render(recipient)
        except RecipientError as exc:
            failed.append((recipient.row, str(exc)))


@dataclass(frozen=True)
class MergedLetter:
    recipient: Recipient
    date_line: str
    sender: list[str]
    address: list[str]
    hook: str | None  # Markdown, data escaped
    salutation: str
    body: list[str]
    signature: list[str]
    ps: list[str]
    subject_line: str = ""  # a reply to a complaint: "Objet : votre réclamation du …", in bold


@dataclass(frozen=True)
class MergedEmail:
    recipient: Recipient
    subject: str
    preheader: str
    hook: str | None
    salutation: str
    body: list[str]
    signature: list[str]
    ps: list[str]


@dataclass
class Merge:
    campaign: Campaign
    fields: list[str]
    headers: dict[str, str] = field(default_factory=dict)  # field → column header, for hints
    kinds: dict[str, str] = field(default_factory=dict)  # a DataFrame's dates and decimals (table._kind)

    def __post_init__(self) -> None:
        offer = self.campaign.offer
        language, currency = self.campaign.language, offer.currency if offer else "EUR"
        self.env = make_environment(language, currency)
        # subject and preheader are plain text: a Markdown escape would print ("\\#2 Mary\\_Kate")
        self.plain_env = make_environment(language, currency, markdown=False)
        self._globals = self._campaign_globals()
        self.templates: dict[str, Template] = {}
        for key, copy in self.campaign.copies.items():
            self.templates[key] = self._compile(copy)
        # copy that uses no recipient's field reads the same for everyone: rendered once
        self._same_for_all = {key for key in self.templates if not self.uses_recipient_fields(key)}
        self._rendered: dict[str, str] = {}

    # --- once per campaign -------------------------------------------------------------------

    def _compile(self, copy: Copy) -> Template:
        try:
            ast = self.env.parse(copy.text)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"template error in {copy.key}: {exc.message}",
                copy.where(exc.lineno or 1),
                "check the {{ }} and {% %} tags on this line: each opened tag must be closed",
            ) from None
        for line, problem in constant_errors(ast):
            raise TemplateError(f"{copy.key}: {problem}", copy.where(line), "write a smaller value")
        known = set(self.fields) | set(GLOBALS) | {LOOP_GUARD}
        for name in sorted(meta.find_undeclared_variables(ast)):
            if name not in known:
                raise self._unknown_field(copy, name)
        self._check_attributes(copy, ast)
        plain = copy.key in PLAIN_TEXT or copy.plain
        if not plain:
            self._check_links(copy)
        return compile_template(self.plain_env if plain else self.env, ast)

    def _check_links(self, copy: Copy) -> None:
        """A link with a scheme nobody can follow, or one that would print as raw Markdown, is
        an error in the copy (a field in a URL is the recipient's value, checked as merged)."""
        text = replace_spans(copy.text, jinja_spans(copy.text), lambda tag: FIELD * len(tag))
        for offset, problem in link_problems(text):
            before = text[:offset]
            line = before.count("\n") + 1
            column = offset - (before.rfind("\n") + 1) + 1
            raise TemplateError(
                f"{copy.key}: {problem}", copy.where(line, column), "write links as [text](https://…)"
            )

    def _check_attributes(self, copy: Copy, ast: nodes.Template) -> None:
        """`{{ offer.prix }}` is a typo in the copy, not a recipient's problem: stop before rendering."""
        for node in ast.find_all(nodes.Getattr):
            target = node.node
            if not isinstance(target, nodes.Name) or target.name not in ("offer", "sender", "campaign"):
                continue
            if target.name in self.fields:
                continue
            keys = self._globals[target.name]
            if node.attr not in keys:
                suggestion = did_you_mean(node.attr, list(keys))
                line_text = copy.text.split("\n")[node.lineno - 1]
                column = line_text.find(f"{target.name}.{node.attr}") + 1 or 1
                raise TemplateError(
                    f"{copy.key} uses '{target.name}.{node.attr}', which the campaign does not define",
                    copy.where(node.lineno, column),
                    suggestion or f"{target.name} has: {', '.join(keys)}",
                )

    def _unknown_field(self, copy: Copy, name: str) -> TemplateError:
        line, column = _first_use(self.env, copy.text, name)
        hint = did_you_mean(name, list(GLOBALS)) or suggest_field(name, self.headers)
        return TemplateError(
            f"{copy.key} uses the field '{name}', which the customer file does not have",
            copy.where(line, column),
            hint,
        )

    def _campaign_globals(self) -> dict[str, Any]:
        c = self.campaign
        return {
            "offer": c.offer.model_dump() if c.offer else {},
            "sender": c.sender.model_dump(),
            "campaign": {"name": c.name, "language": c.language, "objective": str(c.objective)},
            "letter_date": self.letter_date,
        }

    @property
    def letter_date(self) -> dt.date:
        letter = self.campaign.letter
        return letter.date if letter and letter.date else dt.date.today()

    # --- once per recipient ------------------------------------------------------------------

    def uses_recipient_fields(self, key: str) -> bool:
        """Whether a piece of copy differs from one recipient to another."""
        ast = self.env.parse(self.campaign.copies[key].text)
        return bool(
            meta.find_undeclared_variables(ast) - {"offer", "sender", "campaign", "letter_date", LOOP_GUARD}
        )

    def campaign_context(self) -> dict[str, Any]:
        """The context of copy that uses no recipient field."""
        return dict(self._globals)

    def context(self, recipient: Recipient, section: str = "email") -> dict[str, Any]:
        """What copy is rendered with: the campaign's names, the recipient's fields, and the
        greeting the section asks for (a `salutation` column wins)."""
        fields = recipient.letter_fields if section == "letter" else recipient.fields
        if self.kinds:
            fields = {**fields, **{k: _TYPED[kind](fields.get(k, "")) for k, kind in self.kinds.items()}}
        part = self.campaign.letter if section == "letter" else self.campaign.email
        style, fallback = (part.greeting.style, part.greeting.fallback) if part else ("formal", None)
        greeting = fields.get("salutation") or salutation(
            fields, self.campaign.language, style, fallback, first_names=section != "letter"
        )
        return {**self._globals, **fields, "salutation": greeting}

    def render(self, key: str, context: dict[str, Any]) -> str:
        if key in self._rendered:
            return self._rendered[key]
        try:
            text = self.templates[key].render(context)
        except (JinjaError, ValueError, TypeError, ArithmeticError, RecursionError, MemoryError) as exc:
            raise RecipientError(f"{key}: {exc}") from None
        if key in self._same_for_all:
            self._rendered[key] = text
        return text

    def letter(self, recipient: Recipient) -> MergedLetter:
        context = self.context(recipient, "letter")
        parts = self._parts("letter", context)
        sender, language = self.campaign.sender, self.campaign.language
        return MergedLetter(
            recipient=recipient,
            date_line=typeset(date_line(sender.place, self.letter_date, language), language),
            sender=sender.block,
            address=self._address(recipient),  # the postal norm's, not the typesetter's
            subject_line=typeset(self._reply_subject(recipient), language) if self.campaign.reply else "",
            **parts,
        )

    def _reply_subject(self, recipient: Recipient) -> str:
        """The subject line of a reply: the customer's letter, by its date and reference."""
        fields = recipient.fields
        language = self.campaign.language
        try:
            received = long_date(fields.get("received", ""), LOCALES[language])
        except ValueError as exc:
            raise RecipientError(f"received: {exc}") from None
        reference = escape_markdown(fields.get("reference", "").strip())
        if language == "fr":
            return f"**Objet : votre réclamation du {received}" + (
                f" (réf. {reference})**" if reference else "**"
            )
        return f"**Re: your letter of {received}" + (f" (ref. {reference})**" if reference else "**")

    def _address(self, recipient: Recipient) -> list[str]:
        """The address block as the campaign's postal norm prints it (the same in text and PDF)."""
        from publipost.campaigns.postal import AddressError, format_address
        from publipost.campaigns.presets import campaign_preset

        try:
            return format_address(recipient.letter_fields, campaign_preset(self.campaign).address_style)
        except AddressError as exc:
            raise RecipientError(f"address: {exc}") from None

    def email(self, recipient: Recipient) -> MergedEmail:
        context = self.context(recipient)
        subject = self.render("email.subject", context)
        preheader = self.render("email.preheader", context) if "email.preheader" in self.templates else ""
        language = self.campaign.language
        return MergedEmail(
            recipient,
            typeset(_oneline(subject), language),
            typeset(_oneline(preheader), language),
            **self._parts("email", context),
        )

    def _parts(self, section: str, context: dict[str, Any]) -> dict[str, Any]:
        language = self.campaign.language
        doc = _read_copy(self.render(f"{section}.body", context), language)
        hook = doc.hook
        if f"{section}.hook" in self.templates:
            hook = typeset(f"**{_oneline(self.render(f'{section}.hook', context))}**", language)
        ps = list(doc.ps)
        if f"{section}.ps" in self.templates:
            extra = self.render(f"{section}.ps", context).strip()
            ps = [typeset(extra if PS.match(extra) else f"P.S. {extra}", language)]
        sender = self.campaign.sender
        signature = (
            list(doc.signature)
            if doc.signature is not None
            else [escape_markdown(line) for line in (sender.name, sender.function) if line]
        )
        salutation = doc.salutation
        return {
            "hook": hook,
            "salutation": escape_markdown(context["salutation"]) if salutation is None else salutation,
            "body": list(doc.body),
            "signature": signature,
            "ps": ps,
        }


@dataclass(frozen=True)
class _Copy:
    """A letter or e-mail body's parts, typeset."""

    hook: str | None
    salutation: str | None
    body: tuple[str, ...]
    signature: tuple[str, ...] | None
    ps: tuple[str, ...]


@lru_cache(maxsize=256)  # copy every recipient shares is read once; copy with merged values passes through
def _read_copy(text: str, language: str) -> _Copy:
    doc = parse_letter(text)
    return _Copy(
        hook=typeset(doc.hook.text, language) if doc.hook else None,
        salutation=doc.salutation.text if doc.salutation else None,
        body=tuple(typeset(b.text, language) for b in doc.body),
        signature=tuple(doc.signature.lines) if doc.signature else None,
        ps=tuple(typeset(b.text, language) for b in doc.ps),
    )


_TYPED = {"date": DateValue, "number": NumberValue}


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _first_use(env: Environment, source: str, name: str) -> tuple[int, int]:
    """Line and column where a template first uses `name`."""
    lines = source.split("\n")
    for lineno, kind, value in env.lex(source):
        if kind == "name" and value == name:
            match = re.search(rf"\b{re.escape(name)}\b", lines[lineno - 1])
            return lineno, (match.start() + 1 if match else 1)
    return 1, 1
