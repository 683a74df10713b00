"""What one recipient reads, as a lint document: the copy merged with their row.

A reply to a complaint can be faultless as a template while the text that varies per row (the
corrective measure, the gesture, a free « précision » column) minimises or apologises badly;
each reply goes to one person, so every merged reply is linted. In a sales letter a column
merged into the copy is linted through a sample of its values (see `sample_rows`).

A merged document keeps the template's facts (signer, offer, legal lines…) and swaps its
text for the merged one; its findings point at the row of the customer file the text came
from. The engine keeps only what the template does not already have (engine.lint_docs).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from publipost.errors import Where
from publipost.linter.document import GLOBAL_NAMES, LintDoc, Unit

if TYPE_CHECKING:
    import pandas as pd

    from publipost.templates.merge import MergedEmail, MergedLetter

_ESCAPED = re.compile(r"\\([\\*_`#\[\]~|])")  # escape_markdown's escapes: the reader sees none
_FIELD = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)")
# Fields that vary per row but are no prose: names and addresses (the length rules measure them
# with the longest values already), ids, codes, dates and amounts.
NOT_PROSE = {
    "first_name",
    "last_name",
    "salutation",
    "civility",
    "company",
    "address1",
    "address2",
    "address3",
    "postcode",
    "city",
    "country",
    "state",
    "email",
    "phone",
    "customer_id",
    "reference",
    "received",
    "message_id",
}
SAMPLE = 12  # merged letters per column in a sales campaign: its longest values and its commonest


def merged_document(
    template: LintDoc, merged: MergedLetter | MergedEmail, label: str, where: Where
) -> LintDoc:
    """`merged` (one recipient's copy) as a document with `template`'s facts; every finding
    points at `where`, the row its text came from, and names `label`."""

    def unit(role: str, text: str | None) -> Unit | None:
        if not text or not text.strip():
            return None
        return Unit(role, _ESCAPED.sub(r"\1", text), lambda _offset: where)

    subject = getattr(merged, "subject_line", "") or getattr(merged, "subject", "")
    body = [u for text in merged.body if (u := unit("body", text))]
    return replace(
        template,
        hook=unit("hook", merged.hook),
        salutation=unit("salutation", merged.salutation),
        body=body,
        signature=unit("signature", "\n".join(merged.signature)),
        ps=[u for text in merged.ps if (u := unit("ps", text))],
        subject=unit("subject", subject) if template.kind != "letter" else None,
        preheader=unit("preheader", getattr(merged, "preheader", "")),
        anchor=where,
        samples=[],
        sources={},
        merged_for=label,
        row=where.line,
    )


def prose_fields(copy: str) -> list[str]:
    """The recipient's fields a copy merges that are free text (neither name, address, id, date
    nor amount): what only a merged letter can show."""
    used = dict.fromkeys(_FIELD.findall(copy))
    return [name for name in used if name not in GLOBAL_NAMES and name not in NOT_PROSE]


def sample_rows(frame: pd.DataFrame, fields: list[str], row: str) -> list[int]:
    """The rows (by `row`, the spreadsheet row) whose merged letters show the most of these
    columns: for each, the rows of its longest distinct values and of its commonest."""
    chosen: dict[int, None] = {}
    for name in fields:
        if name not in frame:
            continue
        values = frame[name].astype(str).str.strip()
        firsts = frame.loc[values.drop_duplicates().index]
        if len(firsts) < 2:
            continue  # the same text for everyone: the template's lint said it all
        texts = firsts[name].astype(str)
        longest = texts.str.len().sort_values(ascending=False, kind="stable").index[: SAMPLE // 2]
        common = values.value_counts().index[: SAMPLE // 2]
        commonest = firsts.index[texts.isin(common)]
        for index in [*longest, *commonest]:
            chosen[int(frame.at[index, row])] = None
    return list(chosen)
