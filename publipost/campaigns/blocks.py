"""Every row's domestic French address block at once, column by column.

format_address writes a block in about 5 µs of Python: five seconds for a million rows. Here
pandas' string methods (Arrow's kernels in C, with pyarrow installed) write the blocks of the
ordinary rows: a name or a company, a street, a postcode of five digits and a town, in France,
each line within the norm. They leave the others to format_address, which says why (abroad,
a BP or CS line, a name or a street to shorten, a block over the norm). Each step is taken only
where it gives format_address's own text, never a guess; a test holds the two together on
random rows.
"""

from __future__ import annotations

import pandas as pd

from publipost.campaigns.countries import country_code
from publipost.campaigns.names import title
from publipost.campaigns.postal import FR, SHORT_TITLES, town_line
from publipost.campaigns.table import WHITESPACE, in_arrow, per_value

# Letters and digits Python's \w holds for sure: ASCII, Latin-1's and Latin Extended-A's.
WORD = "A-Za-z0-9À-ÖØ-öø-ÿĀ-ſ"
# A street of those, spaces and ASCII punctuation: _plain makes each run of anything else one
# space, and folds accents only when the street is in capitals (so: ASCII, or a small letter).
PLAIN_STREET = f"[{WORD} !-/:-@\\[-`{{-~]*"
LOWER = "[a-z]"
# What postal._LINE_FIVE matches, after Python's \s (a BP, CS, TSA, poste restante, lieu-dit
# line), and more (its word's end not asked): its words' beginnings as
# re.IGNORECASE matches them (ſ is an s, İ and ı are i's to Python). "CSS" is asked row by row.
WORDS_OF_LINE_FIVE = (
    "[bB]\\.?" + WHITESPACE + "?[pP]|[cC][sSſ]|[tT][sSſ][aA]|[pP][oO][sSſ][tT][eE]|[lL][iIİı][eE][uU]"
)
SERVICE = f"^{WHITESPACE}*(?:{WORDS_OF_LINE_FIVE})"


def french_lines(frame: pd.DataFrame) -> tuple[pd.Series, list[pd.Series]]:
    """(vouched, lines): whether each row's block is written here, and the block's lines as
    columns, in order: company, name, address2, street, town ("" where a line is absent). A
    row not vouched for must be asked of format_address."""

    def column(name: str) -> pd.Series:
        if name in frame.columns:  # text as pandas holds it: in Arrow, or in Python objects
            values = frame[name]
            return values if isinstance(values.dtype, pd.StringDtype) else values.astype(str)
        return pd.Series("", index=frame.index, dtype="str")

    country, civility = column("country"), column("civility")
    first, last, company = column("first_name"), column("last_name"), column("company")
    street, extra, postcode, city = column("address1"), column("address2"), column("postcode"), column("city")

    home = per_value(country, lambda v: (country_code(v) if v.strip() else "FR") == "FR")
    code = postcode.str.replace(" ", "", regex=False)
    vouched = (
        home.astype(bool)
        & code.str.fullmatch("[0-9]{5}")
        & street.ne("")
        & city.ne("")
        & (last.ne("") | company.ne(""))
        & ~street.str.contains(SERVICE, regex=True)
        & ~extra.str.contains(SERVICE, regex=True)
        & street.str.fullmatch(PLAIN_STREET)
        & (street.str.isascii() | street.str.contains(LOWER, regex=True))
    )
    person = _person(civility, first, last)
    plain = _plain(street)
    # (not "\\x00" between them: numpy strips it from the end of a string, in the base install)
    town = per_value(code + "|" + city, lambda key: town_line(*key.split("|", 1)))
    lines = [company, person, extra, plain, town]
    count = sum(line.ne("").astype(int) for line in lines)
    vouched &= count <= FR.max_lines
    for line in lines:
        vouched &= line.str.len() <= FR.max_chars
    return vouched.astype(bool), lines


def _person(civility: pd.Series, first: pd.Series, last: pd.Series) -> pd.Series:
    """The name line as postal._person writes it: the title, first and last names; over the
    norm, the short title (M., Mme), then the first name's initial too. A file of long
    compound names has one in twenty over 38 characters: asked row by row, they were a fifth
    of what checking a million addresses cost (3.16 s, now 2.52)."""
    full = per_value(civility, lambda v: title(v, "fr"))
    person = _joined([full, first, last])
    long = (person.str.len() > FR.max_chars).to_numpy(dtype=bool)
    if not long.any():
        return person
    short = full[long].map(lambda v: SHORT_TITLES.get(v, v))
    first, last = first[long], last[long]
    shorter = _joined([short, first, last])
    # (with no first name, "M. . Dupont" is longer than the line just refused: never vouched for)
    initials = _joined([short, first.str[:1] + ".", last])
    person = person.copy()
    person[long] = shorter.where(shorter.str.len() <= FR.max_chars, initials)
    return person


def _plain(street: pd.Series) -> pd.Series:
    """Each run of anything but letters and digits made one space, the ends stripped: asked
    only of the streets it changes (a sign, two spaces, a space at an end), found by one
    search; the replacement over every street cost 2.5 times as much."""
    odd = street.str.contains(f"[^{WORD} ]|  |^ | $", regex=True).to_numpy(dtype=bool)
    if not odd.any():
        return street
    plain = street.copy()
    plain[odd] = street[odd].str.replace(f"[^{WORD}]+", " ", regex=True).str.strip()
    return plain


def _joined(parts: list[pd.Series]) -> pd.Series:
    """ " ".join(the parts that are not empty), a column at a time."""
    if all(in_arrow(part) for part in parts):
        import pyarrow as pa
        import pyarrow.compute as pc

        joined, *others = [part.array.__arrow_array__() for part in parts]
        space = pa.scalar(" ", joined.type)
        for other in others:  # (null_handling="skip" drops rows whose parts are all null)
            both = pc.binary_join_element_wise(joined, other, space)
            joined = pc.if_else(pc.equal(other, ""), joined, pc.if_else(pc.equal(joined, ""), other, both))
        return joined.to_pandas().set_axis(parts[0].index)
    return pd.Series(
        [" ".join(filter(None, values)) for values in zip(*(p.tolist() for p in parts), strict=True)],
        index=parts[0].index,
        dtype="str",
    )
