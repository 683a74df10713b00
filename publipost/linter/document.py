"""What the rules read: a letter or an e-mail as units of text (hook, body paragraphs, PS …).

Each unit keeps the raw source and a masked copy of the same length (Jinja tags
blanked), and knows how to turn an offset inside it into a position in the file
the user edits. Rules only ever report offsets inside units; positions are
computed here, centrally, for every kind of input (Markdown, text, MJML/HTML,
campaign YAML with inline or separate copy).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publipost.campaigns.profiles import PROFILES, profile_name
from publipost.errors import PublipostError, Where
from publipost.linter.text import WORD, mask_jinja, mask_links, sentences, words
from publipost.patterns import later
from publipost.templates.layout import EMAIL, LETTER, Column
from publipost.templates.markdown import PS, Block, blank_comments, is_hook, is_signature, parse_letter

_FIELD = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)")
GLOBAL_NAMES = {"offer", "sender", "campaign", "letter_date", "loop", "range"}


class Positions:
    """Offsets → 1-based line and column (in code points) for one source text."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, offset: int) -> Where:
        line = bisect.bisect_right(self.starts, offset) - 1
        return Where(self.path, line + 1, offset - self.starts[line] + 1)


_MARKS = re.compile(r"\*\*|__|^#{1,6}", re.MULTILINE)


@dataclass
class Unit:
    role: str  # hook, salutation, body, signature, ps, subject, preheader
    raw: str
    locate: Callable[[int], Where]

    def __post_init__(self) -> None:
        self.text = mask_jinja(self.raw)
        # The masked text without Markdown emphasis marks (same length: marks become spaces).
        plain = mask_links(self.text)
        if "**" in plain or "__" in plain or "#" in plain:  # most paragraphs have none: no pass
            plain = _MARKS.sub(lambda m: " " * len(m.group(0)), plain)
        self.plain = plain
        self._sentences: list[tuple[int, int, int]] | None = None

    @property
    def sentences(self) -> list[tuple[int, int, int]]:
        """(start, end, words) of each sentence: several rules read them, computed once."""
        if self._sentences is None:
            count = WORD.findall  # counted, not tokenised: most sentences no rule reads word by word
            self._sentences = [(a, b, len(count(self.plain, a, b))) for a, b in sentences(self.plain)]
        return self._sentences

    @property
    def word_count(self) -> int:
        """The words of the unit, as its sentences count them (no second tokenising)."""
        return sum(n for _, _, n in self.sentences)


@dataclass
class LintDoc:
    path: Path  # the file that was linted (its configuration and per-file ignores apply)
    kind: str  # letter | email
    language: str
    hook: Unit | None = None
    salutation: Unit | None = None
    body: list[Unit] = field(default_factory=list)
    signature: Unit | None = None
    ps: list[Unit] = field(default_factory=list)
    subject: Unit | None = None
    preheader: Unit | None = None
    anchor: Where | None = None  # where document-level findings point
    signer: list[str] = field(default_factory=list)  # name and function, from the copy or the sender
    personalised: bool = False  # the copy uses a recipient field
    place: bool | None = None  # campaign letters: a place for "Lyon, le …"; None: not known
    offer: dict[str, Any] | None = None
    offer_text: str = ""  # the campaign's copy with offer fields resolved, for offer-not-in-copy
    unsubscribe: bool | None = None
    plain_text: bool | None = None
    column: Column = LETTER
    emphasis: bool | None = None  # HTML bodies say it with tags; None: look for ** and __ in the body
    links: bool | None = None  # the copy links somewhere (or the campaign has a call to action)
    images_without_alt: list[str] = field(default_factory=list)  # image sources (markup e-mails)
    legal: bool | None = None  # campaign: the sender's legal lines are given; None: not known
    objective: str | None = None  # campaign: its objective
    samples: list[tuple[Unit, str]] = field(default_factory=list)  # (body unit, merged text)
    overrides: dict[str, Any] = field(default_factory=dict)  # a campaign's or front matter's lint:
    sources: dict[Path, str] = field(default_factory=dict)  # the text of every file a finding may point into
    variant: str | None = None  # a campaign's variant: its findings name it
    anchors: list[tuple[Unit, int, int]] = field(default_factory=list)  # markup e-mails: each link's text
    coupon: bool | None = None  # campaign letters: the reply coupon is printed; None: not known
    profile: str | None = None  # the social profile the copy targets (mailing-rules.md §8), if any
    # A merged document (what one recipient reads): whom it is for ("R-2302, Mme Anne Roy") and
    # the customer file's row; its findings are those the template does not already have.
    merged_for: str | None = None
    row: int | None = None
    assumed: str | None = None  # the kind was read from the content: how, and how to change it

    @property
    def units(self) -> list[Unit]:
        ordered = [
            self.subject,
            self.preheader,
            self.hook,
            self.salutation,
            *self.body,
            self.signature,
            *self.ps,
        ]
        return [u for u in ordered if u is not None]

    @property
    def copy_units(self) -> list[Unit]:
        """The units written as prose: hook, body and PS."""
        return [u for u in (self.hook, *self.body, *self.ps) if u is not None]

    def where(self) -> Where:
        first = self.hook or self.salutation or (self.body[0] if self.body else None)
        return self.anchor or (first.locate(0) if first else Where(self.path, 1, 1))


# --- Markdown and plain-text letters -----------------------------------------------------------


LETTER_KINDS = {"sales": "letter", "complaint-reply": "reply"}  # a letter's kind: → its document kind


def letter_from_markdown(
    path: Path, source: str, *, kind: str = "letter", letter_kind: str | None = None
) -> LintDoc:
    """A Markdown letter as a lint document. Its front matter's `kind: complaint-reply` (or
    `letter_kind`) makes it a reply to a complaint, linted by the reply rules (PP7)."""
    positions = Positions(path, source)
    letter = parse_letter(blank_comments(source))
    front = _front_matter(path, letter.front_matter)
    language = front.get("language") or guess_language(source)
    written = letter_kind or front.get("kind")
    if written is not None and kind == "letter":
        if written not in LETTER_KINDS:
            raise PublipostError(
                f"unknown letter kind '{written}'",
                Where(path, 2),
                f"kind is one of: {', '.join(LETTER_KINDS)}",
            )
        kind = LETTER_KINDS[written]
    assumed = kind == "letter" and written is None and _reads_as_reply(source, language)
    if assumed:
        kind = "reply"

    def unit(role: str, block: Block | None) -> Unit | None:
        if block is None:
            return None
        start = block.start
        return Unit(role, block.text, lambda offset: positions.where(start + offset))

    doc = LintDoc(path, kind, language, column=EMAIL if kind == "email" else LETTER)
    doc.sources[path] = source
    doc.hook = unit("hook", letter.hook)
    doc.salutation = unit("salutation", letter.salutation)
    doc.body = [u for b in letter.body if (u := unit("body", b))]
    doc.signature = unit("signature", letter.signature)
    doc.ps = [u for b in letter.ps if (u := unit("ps", b))]
    sender = front.get("sender") or {}
    doc.signer = _signer(letter.signature, sender)
    doc.personalised = uses_recipient_field(source)
    doc.overrides = front.get("lint") or {}
    doc.profile = _profile(front.get("profile"), path, source)
    doc.anchor = positions.where(len(letter.front_matter) + 8 if letter.front_matter else 0)
    if assumed:
        doc.assumed = (
            f"{path}: linted as a reply to a complaint (it refers to the customer's letter, apologises "
            "and offers nothing); front matter `kind: sales` lints it as a sales letter"
        )
    return doc


# Each branch opens with a sign, the boundary before EUR and USD looked behind once it is met:
# the engine then skips in C to a digit, a currency sign, E, U or {, instead of trying every
# branch at every character (72 → 29 µs a letter).
_PRICE = re.compile(r"\d\s?(?:€|%|\$|£)|(?:€|\$|£)\s?\d|E(?<!\wE)UR\b|U(?<!\wU)SD\b|\{\{-?\s*offer\.")


def _reads_as_reply(source: str, language: str) -> bool:
    """A letter with no kind written that answers a complaint: it refers to the customer's
    letter, apologises (or tries to), and quotes no price or offer."""
    from publipost.linter.words import word_list

    if _PRICE.search(source):  # a sales letter quotes a price or the offer: one scan
        return False
    text = mask_jinja(source)
    # The rarest next: a sales letter seldom apologises, and is then known in a few scans.
    return any(
        word_list(language, name).find(text) for name in ("reply-apology", "reply-non-apology")
    ) and bool(word_list(language, "reply-reference").find(text))


# "language: fr", "kind: complaint-reply": front matter of plain words only, read without a YAML
# parser (importing ruamel.yaml costs 20 ms of a 100 ms lint run); anything else goes to ruamel.
_PLAIN_ENTRY = re.compile(r"([A-Za-z_][\w-]*):[ \t]+([A-Za-z][A-Za-z-]*)[ \t]*")


def _profile(value: Any, path: Path, source: str) -> str | None:
    if value is None:
        return None
    if str(value).lower() not in PROFILES:
        line = next((n for n, text in enumerate(source.splitlines(), 1) if text.startswith("profile:")), 2)
        raise PublipostError(
            f"unknown profile '{value}'",
            Where(path, line),
            "profile is analytical, driver, amiable or expressive",
        )
    return str(profile_name(value))


def _front_matter(path: Path, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    lines = [line for line in text.splitlines() if line.strip()]
    entries = [_PLAIN_ENTRY.fullmatch(line) for line in lines]
    if all(entries) and len({e.group(1) for e in entries if e}) == len(entries):
        plain = {e.group(1): e.group(2) for e in entries if e}
        if not {v.lower() for v in plain.values()} & {"true", "false", "null"}:
            return plain
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PublipostError(
            f"invalid front matter: {getattr(exc, 'problem', exc)}",
            Where(path, mark.line + 2 if mark else 2),
            "front matter is YAML between two '---' lines",
        ) from None
    if not isinstance(data, dict):
        raise PublipostError("front matter is a YAML mapping (language: fr …)", Where(path, 2))
    return data


def _signer(block: Block | None, sender: dict[str, Any]) -> list[str]:
    if block is not None:
        return [line.strip() for line in block.text.split("\n") if line.strip()]
    return [str(sender[k]) for k in ("name", "function") if sender.get(k)]


def uses_recipient_field(source: str) -> bool:
    return any(name not in GLOBAL_NAMES for name in _FIELD.findall(source))


_FRENCH = {
    "le",
    "la",
    "les",
    "des",
    "vous",
    "votre",
    "et",
    "est",
    "une",
    "pour",
    "avec",
    "dans",
    "que",
    "qui",
    "pas",
}
_ENGLISH = {
    "the",
    "you",
    "your",
    "and",
    "is",
    "a",
    "for",
    "with",
    "in",
    "that",
    "to",
    "of",
    "not",
    "it",
    "we",
}


def guess_language(text: str) -> str:
    tokens = [t.folded for t in words(text[:4000])]
    french = sum(t in _FRENCH for t in tokens)
    english = sum(t in _ENGLISH for t in tokens)
    return "en" if english > french else "fr"


# --- MJML and HTML e-mails ---------------------------------------------------------------------

_BLOCK_TAGS = {"p", "h1", "h2", "h3", "li", "mj-text", "mj-button", "td", "div"}
_EMPHASIS = {"u", "b", "strong"}
# A tag, or the start of a comment; `[^<>]*` stops at the next bracket, so a scan is linear
# whatever the input (an unclosed `<p` repeated 30,000 times included).
_TAG_TOKEN = later(r"<!--|<(/?)([A-Za-z][\w:-]*)\b[^<>]*>")


@dataclass(frozen=True)
class _Tag:
    start: int
    end: int
    name: str  # lower case; "!--" for a comment
    closing: bool


def _tags(source: str) -> list[_Tag]:
    tags, position = [], 0
    while match := _TAG_TOKEN().search(source, position):
        if match.group(0) == "<!--":
            end = source.find("-->", match.end())
            end = len(source) if end == -1 else end + 3  # an unclosed comment runs to the end
            tags.append(_Tag(match.start(), end, "!--", False))
        else:
            end = match.end()
            tags.append(_Tag(match.start(), end, match.group(2).lower(), match.group(1) == "/"))
        position = end
    return tags


def _blanked(source: str, tags: list[_Tag], start: int, end: int) -> str:
    """source[start:end] with its tags as spaces (a <br> as a line break): offsets stay true."""
    out, position = [], start
    for tag in tags:
        if tag.end <= start or tag.start >= end:
            continue
        out.append(source[position : tag.start])
        length = tag.end - tag.start
        out.append(("\n" if tag.name == "br" else " ").ljust(length))
        position = tag.end
    out.append(source[position:end])
    return "".join(out)


def email_from_markup(path: Path, source: str) -> LintDoc:
    """An MJML or HTML e-mail: its paragraphs, title/subject, preview text and links."""
    positions = Positions(path, source)
    tags = _tags(source)
    language = _html_language(source) or guess_language(_blanked(source, tags, 0, len(source)))
    doc = LintDoc(path, "email", language, column=EMAIL)
    doc.sources[path] = source
    blocks: list[tuple[str, int, str]] = []  # (tag, start offset, inner raw text with tags blanked)
    spans: list[list[tuple[int, int]]] = []  # per block: its links' text, as offsets in the block's text
    starts = [t.start for t in tags]
    for opening, closing in _leaf_blocks(tags):
        inner_start = opening.end
        inside = tags[bisect.bisect_left(starts, opening.end) : bisect.bisect_left(starts, closing.start)]
        blanked = _blanked(source, inside, inner_start, closing.start)
        emphasised = any(t.name in _EMPHASIS and not t.closing for t in inside)
        lead = len(blanked) - len(blanked.lstrip())
        text = blanked.strip()
        if not text:
            continue
        if _HIDDEN().search(source[opening.start : opening.end]):
            # The hidden block at the top of an HTML e-mail is its preheader (inbox preview), not copy.
            if doc.preheader is None:
                doc.preheader = Unit("preheader", text, _at(positions, inner_start + lead))
            continue
        whole = _WHOLLY_BOLD().fullmatch(source[inner_start : closing.start])
        base = inner_start + lead
        spans.append([(a - base, b - base) for a, b in _link_texts(inside)])
        kind = opening.name + ("**" if whole else "*" if emphasised else "")
        blocks.append((kind, base, text))
    units = [Unit("body", text, _at(positions, start)) for _, start, text in blocks]
    doc.anchors = [(unit, a, b) for unit, found in zip(units, spans, strict=True) for a, b in found]
    kinds = [tag for tag, _, _ in blocks]
    # The hook: a first heading, or a first paragraph wholly in bold (the letter's **hook**).
    if units and (kinds[0].startswith(("h1", "h2")) or kinds[0].endswith("**") or is_hook(units[0].raw)):
        doc.hook = units.pop(0)
        kinds.pop(0)
    for index, unit in enumerate(units[:2]):
        if re.match(r"^(madame|monsieur|cher|chère|bonjour|dear|hello|hi)\b.*,$", unit.raw.strip(), re.I):
            doc.salutation = unit
            units = units[index + 1 :]
            kinds = kinds[index + 1 :]
            break
    units = [u for u in units if not _unsubscribe_line(u.raw, language)]
    ps_at = next((i for i, u in enumerate(units) if PS.match(u.raw)), len(units))
    doc.ps = units[ps_at:]
    doc.body = units[:ps_at]
    if doc.body and is_signature(" ".join(doc.body[-1].raw.split(" ")).replace("\n ", "\n")):
        doc.signature = doc.body.pop()
        doc.signer = [line.strip() for line in doc.signature.raw.split("\n") if line.strip()]
    doc.emphasis = any(k.endswith("*") for k in kinds)
    for names, role in (({"mj-title", "title"}, "subject"), ({"mj-preview"}, "preheader")):
        element = _first_element(tags, names)
        if element is None or getattr(doc, role) is not None:
            continue
        inner = source[element[0] : element[1]]
        if inner.strip():
            start = element[0] + len(inner) - len(inner.lstrip())
            setattr(doc, role, Unit(role, inner.strip(), _at(positions, start)))
    doc.personalised = uses_recipient_field(source)
    doc.links = any(  # a link to anything but the unsubscribe page
        not mentions_unsubscribe(text, language)
        for text in re.findall(r"<(?:a|mj-button)\b[^<>]*\bhref=[^<>]*>([^<]*)", source, re.IGNORECASE)
    )
    doc.images_without_alt = [
        _source_of(tag)
        for tag in re.findall(r"<(?:mj-image|img)\b[^<>]*>", source, re.IGNORECASE)
        if not re.search(r"\balt=", tag, re.IGNORECASE)
    ]
    doc.unsubscribe = mentions_unsubscribe(source, language)
    doc.plain_text = any(path.with_suffix(s).is_file() for s in (".txt", ".text"))
    doc.anchor = positions.where(0)
    return doc


_WHOLLY_BOLD = later(r"\s*<(strong|b)\b[^<>]*>(?:(?!</?\1\b).)*</\1\s*>\s*", re.IGNORECASE | re.DOTALL)
_HIDDEN = later(r"display\s*:\s*none|\bclass=[\"']?[^\"'>]*\b(?:preheader|preview)", re.IGNORECASE)


def _link_texts(tags: list[_Tag]) -> list[tuple[int, int]]:
    """Where the text of each <a> among `tags` starts and ends in the source."""
    found = []
    for index, tag in enumerate(tags):
        if tag.name == "a" and not tag.closing:
            end = next((t for t in tags[index + 1 :] if t.name == "a" and t.closing), None)
            if end is not None:
                found.append((tag.end, end.start))
    return found


def _leaf_blocks(tags: list[_Tag]) -> list[tuple[_Tag, _Tag]]:
    """(opening, closing) of each block element with no block element opened inside it."""
    found, current = [], None
    for tag in tags:
        if tag.name not in _BLOCK_TAGS:
            continue
        if not tag.closing:
            current = tag  # a block opened inside another: the outer one is not a leaf
        elif current is not None and tag.name == current.name:
            found.append((current, tag))
            current = None
    return found


def _first_element(tags: list[_Tag], names: set[str]) -> tuple[int, int] | None:
    """The inner span of the first element named one of `names`."""
    opening = next((t for t in tags if t.name in names and not t.closing), None)
    if opening is None:
        return None
    closing = next((t for t in tags if t.closing and t.name == opening.name and t.start >= opening.end), None)
    return (opening.end, closing.start) if closing else None


def _source_of(tag: str) -> str:
    found = re.search(r"\bsrc=[\"']?([^\"'\s>]*)", tag, re.IGNORECASE)
    return found.group(1) if found and found.group(1) else "?"


def _at(positions: Positions, start: int) -> Callable[[int], Where]:
    """Offsets in a unit that starts at `start` → places in the file."""
    return lambda offset: positions.where(start + offset)


def _html_language(source: str) -> str | None:
    match = re.search(r"<(?:html|mjml)\b[^<>]*\blang=[\"']?([a-z]{2})", source, re.IGNORECASE)
    return match.group(1).lower() if match and match.group(1).lower() in ("fr", "en") else None


def mentions_unsubscribe(text: str, language: str) -> bool:
    from publipost.linter.words import word_list

    return "unsubscribe" in text.lower() or bool(word_list(language, "unsubscribe").find(text))


def _unsubscribe_line(text: str, language: str) -> bool:
    return mentions_unsubscribe(text, language) and len(text) < 200
