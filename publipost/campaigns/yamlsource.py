"""Read YAML into plain Python while remembering where every key and value stands.

pydantic validates plain data; ruamel.yaml knows positions. Keeping a map from
each value's path (`("offer", "price")`) to its line and column lets every schema
error point at the exact spot in the file the marketer edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from publipost.errors import CampaignError, Where

Loc = tuple[str | int, ...]


@dataclass
class YamlDoc:
    path: Path
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    block_scalars: set[Loc] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)

    def where(self, loc: Loc, *, key: bool = False) -> Where:
        """The position of `loc`, or of its closest enclosing value that has one."""
        table = self.keys if key else self.values
        for end in range(len(loc), 0, -1):
            pos = table.get(loc[:end]) or self.values.get(loc[:end])
            if pos:
                return Where(self.path, *pos)
        return Where(self.path, 1, 1)

    def text_start(self, loc: Loc) -> tuple[Where, int]:
        """Where the text of a string value begins, and the indentation of its later lines.

        A block scalar (`|` or `>`) starts on the line after its indicator; YAML
        strips its indentation, which positions must add back.
        """
        if loc not in self.values:  # a campaign given as a mapping: no positions to keep
            return Where(self.path), 0
        line, column = self.values[loc]
        if loc not in self.block_scalars:
            quoted = self.lines[line - 1][column - 1 : column] in ("'", '"')
            return Where(self.path, line, column + quoted), 0
        following = self.lines[line:]
        indent = next((len(t) - len(t.lstrip(" ")) for t in following if t.strip()), 0)
        return Where(self.path, line + 1, indent + 1), indent


def load_yaml(path: Path) -> YamlDoc:
    from publipost.campaigns.paths import check_size

    try:
        check_size(path, Where(path), "the campaign file")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CampaignError(
            "campaign file not found", Where(path), "check the path; it is relative to the current folder"
        ) from None
    except UnicodeDecodeError as exc:
        raise CampaignError(
            f"campaign file is not UTF-8 (byte {exc.start})",
            Where(path),
            "save the YAML file as UTF-8",
        ) from None
    except OSError as exc:
        raise CampaignError(f"cannot read campaign file: {exc.strerror}", Where(path)) from None
    try:
        raw = YAML(typ="rt").load(text)
    except RecursionError:  # ruamel's parser recurses once per level of [ or {
        raise CampaignError(
            f"the YAML nests deeper than a campaign ever does (more than {MAX_DEPTH} levels)",
            Where(path),
            "a campaign is a few levels deep: check the brackets",
        ) from None
    except DuplicateKeyError as exc:
        raise _duplicate_key_error(path, exc) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Where(path, mark.line + 1, mark.column + 1) if mark else Where(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise CampaignError(
            f"invalid YAML: {problem}",
            where,
            "check indentation (spaces, not tabs) and quote values that contain ': ' or '#'",
        ) from None
    doc = YamlDoc(path=path, data=None, lines=text.splitlines())
    if not isinstance(raw, CommentedMap):
        raise CampaignError(
            "a campaign file is a YAML mapping (name:, language:, objective:, …)", Where(path, 1, 1)
        )
    doc.data = _plain(raw, (), doc, _Budget(path))
    return doc


class _Budget:
    """YAML aliases repeat a value without repeating its text: ten nested aliases of ten make
    ten billion values from one kilobyte (the 'billion laughs'). A campaign is a few hundred
    values; past MAX_VALUES, or past MAX_ALIASES reuses, the file is refused."""

    MAX_VALUES = 100_000
    MAX_ALIASES = 1_000

    def __init__(self, path: Path):
        self.path = path
        self.values = 0
        self.seen: set[int] = set()
        self.aliases = 0

    def spend(self, node: Any) -> None:
        self.values += 1
        if isinstance(node, CommentedMap | CommentedSeq):
            if id(node) in self.seen:
                self.aliases += 1
            self.seen.add(id(node))
        if self.values > self.MAX_VALUES or self.aliases > self.MAX_ALIASES:
            raise CampaignError(
                "the campaign file expands to too many values through YAML aliases (*name)",
                Where(self.path),
                "write the values out: a campaign needs no more than a few aliases",
            )


def _duplicate_key_error(path: Path, exc: DuplicateKeyError) -> CampaignError:
    mark = exc.problem_mark
    key = exc.problem.split('"')[1] if '"' in (exc.problem or "") else "?"
    first = exc.context_mark.line + 1 if exc.context_mark else None
    hint = "keep only one of them"
    if key == "objective":
        hint = "one mailing, one objective: keep one; make another campaign for the other"
    where = Where(path, mark.line + 1, mark.column + 1) if mark else Where(path)
    return CampaignError(
        f"key '{key}' is given twice in the mapping that starts at line {first}", where, hint
    )


MAX_DEPTH = 40  # levels of nesting: a campaign has five or six


def _plain(node: Any, loc: Loc, doc: YamlDoc, budget: _Budget) -> Any:
    budget.spend(node)
    if len(loc) > MAX_DEPTH:  # the schema, the error messages and this walk all recurse per level
        parent = loc[:-1]
        raise CampaignError(
            f"the YAML nests deeper than a campaign ever does (more than {MAX_DEPTH} levels)",
            doc.where(parent) if parent in doc.values else Where(doc.path),
            "a campaign is a few levels deep: check the brackets and the indentation",
        )
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            child = (*loc, str(key))
            key_line, key_col, value_line, value_col = node.lc.data[key]
            doc.keys[child] = (key_line + 1, key_col + 1)
            doc.values[child] = (value_line + 1, value_col + 1)
            if isinstance(value, LiteralScalarString | FoldedScalarString):
                doc.block_scalars.add(child)
            out[str(key)] = _plain(value, child, doc, budget)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for index, value in enumerate(node):
            child = (*loc, index)
            line, col = node.lc.data[index]
            doc.values[child] = (line + 1, col + 1)
            out_list.append(_plain(value, child, doc, budget))
        return out_list
    if isinstance(node, str):
        return str(node)
    return node
