"""Inline Markdown of one paragraph: text runs with their style and link.

Paragraph text is read with markdown-it-py (CommonMark), which gets links, autolinks,
escapes and emphasis right, plus linkify for bare `https://` URLs. The letter conventions
sit on top: `**bold**`, `__underline__` (CommonMark would call it bold too: the delimiter
tells them apart), single `*emphasis*` shows without its markers (the letter has no
italics), code spans and HTML print as typed. A paragraph with no special character takes
a fast path: most of a print run's paragraphs are plain text with a merged name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from publipost.patterns import later

# Schemes a reader can follow from a letter or an e-mail; anything else is refused at validate.
SCHEMES = ("https", "http", "mailto", "tel")
FIELD = "\ue001"  # a merge field's characters, masked, when the copy is checked
# Every branch opens with its sign, the look-behinds after it: the regular expression engine
# then skips to the signs in C. Opening with the look-behinds, it tried each branch at every
# character: 31 µs for a plain paragraph of 360 characters, now 7.
_SPECIAL = re.compile(r"[\[<`\\&]|://|\*(?<![*\\]\*)(?![*])|_(?<![_\\]_)(?![_])|\*\*(?<=\w\*\*)(?=\w)")


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    underline: bool = False
    link: str | None = None  # the URL the text links to


@cache
def _parser():
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"linkify": True, "typographer": False}).enable("linkify")
    parser.disable(["image", "entity"])
    if parser.linkify is not None:  # only links written with their scheme: no "example.com" guessing
        parser.linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    return parser


def plain(markdown: str) -> bool:
    """Whether the paragraph reads as its own text, in one style: no link, code, HTML, entity,
    escape, emphasis or bold mark (most paragraphs of a letter)."""
    return "**" not in markdown and "__" not in markdown and not _SPECIAL.search(markdown)


def spans(markdown: str) -> list[Span]:
    """The runs of a paragraph, in order; adjacent text of one style may come in several spans."""
    if not _SPECIAL.search(markdown) and _plain_marks(markdown):
        return _plain_spans(markdown)
    return _parsed_spans(markdown)


_MARK = re.compile(r"\*\*|__")
_BEFORE_OPENING = "([«“\"'"  # signs a bold or underlined stretch may follow ("(**90 %**)")
_AFTER_CLOSING = ".,;:!?)]»”\"'"  # and that may follow it ("**offerts**.")


def _plain_marks(markdown: str) -> bool:
    """Whether the paragraph's ** and __ read as the fast path reads them: in pairs, each
    opening after a space (or an opening sign) and before a letter or digit, each closing
    after a letter or digit and before a space (or a closing sign). Then CommonMark's
    flanking rules (spec §6.2) pair them alike; anything else (a mark against other signs,
    between spaces, inside a word, left open, nested) is markdown-it's to read."""
    opened = None
    for match in _MARK.finditer(markdown):
        start, end = match.span()
        before = markdown[start - 1] if start else " "
        after = markdown[end] if end < len(markdown) else " "
        if opened is None:
            if not ((before.isspace() or before in _BEFORE_OPENING) and after.isalnum()):
                return False
            opened = match.group()
        else:
            if match.group() != opened or not (
                before.isalnum() and (after.isspace() or after in _AFTER_CLOSING)
            ):
                return False
            opened = None
    return opened is None


def _parsed_spans(markdown: str) -> list[Span]:
    tokens = _parser().parseInline(markdown)
    out: list[Span] = []
    bold = underline = False
    link: str | None = None
    for token in tokens[0].children or []:
        kind = token.type
        if kind in ("text", "text_special"):
            out.append(Span(token.content, bold, underline, link))
        elif kind == "strong_open":
            underline, bold = (True, bold) if token.markup == "__" else (underline, True)
        elif kind == "strong_close":
            underline, bold = (False, bold) if token.markup == "__" else (underline, False)
        elif kind in ("softbreak", "hardbreak"):
            out.append(Span("\n", bold, underline, link))
        elif kind == "link_open":
            link = str(token.attrs.get("href", ""))
        elif kind == "link_close":
            link = None
        elif kind == "code_inline":
            out.append(Span(token.markup + token.content + token.markup, bold, underline, link))
        elif kind == "html_inline":
            out.append(Span(token.content, bold, underline, link))
        # em_open / em_close: the letter has no italics; the text shows without its markers
    return [s for s in out if s.text]


_BOLD_OR_UNDERLINE = re.compile(r"(\*\*|__)(.+?)\1", re.DOTALL)


def _plain_spans(markdown: str) -> list[Span]:
    out: list[Span] = []
    position = 0
    for match in _BOLD_OR_UNDERLINE.finditer(markdown):
        out.append(Span(markdown[position : match.start()]))
        bold = match.group(1) == "**"
        out.append(Span(match.group(2), bold=bold, underline=not bold))
        position = match.end()
    out.append(Span(markdown[position:]))
    return [s for s in out if s.text]


def shown_url(url: str) -> str:
    """A URL as a reader types it from paper: without the scheme, 'mailto:' or a trailing slash."""
    return re.sub(r"^(https?://|mailto:|tel:)", "", url).rstrip("/")


def plain_text(markdown: str, *, href: Callable[[str], str] | None = None) -> str:
    """The paragraph as plain text; a link's text is followed by its URL in parentheses (unless
    the text is the URL, which is then shown as `href` makes it), for readers who cannot click."""
    out: list[str] = []
    for group in grouped(spans(markdown)):
        text = "".join(s.text for s in group)
        link = group[0].link
        if link is None:
            out.append(text)
            continue
        target = href(link) if href else link
        out.append(target if shown_url(text) == shown_url(link) else f"{text} ({target})")
    return "".join(out)


def grouped(runs: list[Span]) -> list[list[Span]]:
    """Consecutive spans of one link (or of no link) together."""
    groups: list[list[Span]] = []
    for span in runs:
        if groups and groups[-1][0].link == span.link and span.link is not None:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


_MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]*)\]\(((?:[^()\n]|\([^()\n]*\))*)\)")
_AUTOLINK = later(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")


def link_problems(text: str) -> list[tuple[int, str]]:
    """(offset, problem) of each link that would not work: a scheme a reader cannot follow, a
    space in the URL (the link would print as raw Markdown). `text` has its Jinja fields masked."""
    found = []
    for match in _MARKDOWN_LINK.finditer(text):
        url = match.group(2).strip()
        if url.startswith("<") and url.endswith(">"):
            url = url[1:-1]
        destination = url.split(' "', 1)[0] if ' "' in url else url
        if destination.startswith(FIELD):  # the whole URL comes from the data
            continue
        if any(c.isspace() for c in destination):
            found.append(
                (
                    match.start(2),
                    f"the link [{match.group(1)}] has a space in its URL: it would print as text",
                )
            )
            continue
        problem = _scheme_problem(destination)
        if problem:
            found.append((match.start(2), problem))
    for match in _AUTOLINK().finditer(text):
        if match.group(1).startswith(FIELD):
            continue
        problem = _scheme_problem(match.group(1))
        if problem:
            found.append((match.start(1), problem))
    return found


def _scheme_problem(url: str) -> str:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in SCHEMES:
        return ""
    if not scheme or "/" in scheme:
        return f"the link '{url}' has no scheme: write https://{url.lstrip('/')}"
    return f"the link '{url}' uses '{scheme}:': links may be https, http, mailto or tel"
