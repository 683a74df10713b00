"""The Markdown letter conventions of design.md, read into a document model.

A letter is blocks separated by blank lines: an optional front matter, the hook
(first block, bold or a heading), the salutation, body paragraphs, the
signature (short lines: name, then function) and the PS. Every block keeps its
offsets in the source, so the linter can point at the exact line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# A greeting ends with a comma, a colon ("Dear Reader:") or a dash ("Bonjour Claire —"), or is a
# short line with no sentence punctuation at all.
SALUTATION = re.compile(
    r"^(madame|monsieur|mesdames|messieurs|mademoiselle|cher|ch[èe]re|chers|ch[èe]res|bonjour|bonsoir"
    r"|dear|hello|hi|hey|greetings|good (?:morning|afternoon|evening)|to whom)\b"
    r"(?:.*[,:—–-]|[^.!?;:,]{0,40})\s*$|^\{\{-?\s*salutation\s*-?\}\}\s*,?$",
    re.IGNORECASE,
)
PS = re.compile(r"^(p\.?\s?-?\s?p?\.?\s?s\.?|post-?scriptum)(\s*[:.–-])?\s", re.IGNORECASE)
_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(\n|\Z)", re.DOTALL)
_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_SPECIAL = re.compile(r"([\\*_`#\[\]~|])")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


def escape_markdown(value: object) -> str:
    """Backslash-escape what our Markdown reads as markup; renderers unescape it."""
    return _SPECIAL.sub(r"\\\1", "" if value is None else str(value))


@dataclass(frozen=True)
class Block:
    text: str
    start: int  # offset of the first character in the source
    end: int

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


@dataclass
class LetterDoc:
    source: str
    front_matter: str = ""
    hook: Block | None = None
    salutation: Block | None = None
    body: list[Block] = field(default_factory=list)
    signature: Block | None = None
    ps: list[Block] = field(default_factory=list)


def parse_letter(source: str) -> LetterDoc:
    doc = LetterDoc(source)
    offset = 0
    front = _FRONT.match(source)
    if front:
        doc.front_matter = front.group(1)
        offset = front.end()
    blocks = split_blocks(source, offset)
    if blocks and is_hook(blocks[0].text):
        doc.hook = blocks.pop(0)
    for index, block in enumerate(blocks[:2]):
        if SALUTATION.match(block.text.strip()) and "\n" not in block.text.strip():
            if index == 1 and doc.hook is None and is_hook(blocks[0].text):
                doc.hook = blocks[0]
            doc.salutation = block
            blocks = blocks[index + 1 :]
            break
    ps_at = next((i for i, b in enumerate(blocks) if PS.match(b.text)), len(blocks))
    doc.ps = blocks[ps_at:]
    blocks = blocks[:ps_at]
    if blocks and (is_signature(blocks[-1].text) or _first_name_after_closing(blocks)):
        doc.signature = blocks.pop()
    doc.body = blocks
    return doc


def _first_name_after_closing(blocks: list[Block]) -> bool:
    """« Amitiés, » then « Claire »: a first name alone signs, after a closing formula."""
    last = blocks[-1].text.strip()
    return (
        len(blocks) >= 2
        and blocks[-2].text.rstrip().endswith(",")
        and re.fullmatch(r"[^\W\d_][\w'’-]{0,30}", last) is not None
        and last[:1].isupper()
    )


def jinja_spans(text: str, openers: tuple[str, ...] = ("{{", "{%", "{#")) -> list[tuple[int, int]]:
    """(start, end) of each Jinja tag, as `{{.*?}}|{%.*?%}|{#.*?#}` would find them, in linear time.

    A regular expression tries every unclosed opener again up to the end of the text: a
    crafted paragraph of 30,000 `{{` takes minutes. Here an opener whose closer is missing
    once is known to be missing for every later opener of its kind.
    """
    spans: list[tuple[int, int]] = []
    unclosed: set[str] = set()
    position = 0
    while (start := text.find("{", position)) != -1:
        opener = text[start : start + 2]
        if opener not in openers or opener in unclosed:
            position = start + 1
            continue
        end = text.find(_CLOSERS[opener], start + 2)
        if end == -1:
            unclosed.add(opener)
            position = start + 1
            continue
        spans.append((start, end + 2))
        position = end + 2
    return spans


def replace_spans(text: str, spans: list[tuple[int, int]], replace: Callable[[str], str]) -> str:
    """`text` with each span replaced by `replace(span text)`."""
    out, position = [], 0
    for start, end in spans:
        out += [text[position:start], replace(text[start:end])]
        position = end
    out.append(text[position:])
    return "".join(out)


def blank(text: str) -> str:
    """Every character but line breaks as a space: gone, and offsets and lines stay true."""
    return "".join("\n" if c == "\n" else " " for c in text)


def blank_comments(source: str) -> str:
    """Jinja comments (suppressions, notes) as spaces: not copy, and offsets stay true."""
    if "{#" not in source:
        return source
    return replace_spans(source, jinja_spans(source, ("{#",)), blank)


def split_blocks(source: str, offset: int = 0) -> list[Block]:
    blocks = []
    position = offset
    for match in [*_BLOCK_SPLIT.finditer(source, offset), None]:
        end = match.start() if match else len(source)
        chunk = source[position:end]
        stripped = chunk.strip()
        if stripped and not _only_jinja_comment(stripped):
            lead = len(chunk) - len(chunk.lstrip())
            blocks.append(Block(stripped, position + lead, position + lead + len(stripped)))
        position = match.end() if match else end
    return blocks


def _only_jinja_comment(text: str) -> bool:
    return text.startswith("{#") and not blank_comments(text).strip()


def is_hook(text: str) -> bool:
    text = text.strip()
    return text.startswith("#") or (text.startswith("**") and text.endswith("**") and len(text) > 4)


def is_signature(text: str) -> bool:
    """Name then function: one to three short lines with no sentence punctuation."""
    lines = [line.strip() for line in text.strip().split("\n")]
    if not 1 <= len(lines) <= 3 or any(len(line) > 60 for line in lines):
        return False
    if any(line.endswith((".", ",", ";", ":", "!", "?")) for line in lines):
        return False
    words = lines[0].split()
    return len(lines) > 1 or (2 <= len(words) <= 4 and all(w[:1].isupper() or w[:1] == "{" for w in words))
