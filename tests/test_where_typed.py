"""target.where compares by type, never as text by accident (issue 26, 1).

A file of a few thousand rows is generated with the true value of every cell kept aside: dates
written as French or English people and exports write them (and some ISO), numbers with their
separators and currency signs, yes/no words, text, empty cells, and cells nobody can read. Every
operator on every type, in both languages, is checked against the expected rows computed from the
true values, never by parsing the cells again. Then the French example through the real CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import random
import shutil

import pandas as pd
import pytest

from publipost.campaigns.where import Reading, where_mask
from publipost.errors import AudienceError, Where
from tests.conftest import EXAMPLES

ROWS = 3000
OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _write_date(day: dt.date, language: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.2:
        return day.isoformat()
    if style < 0.3:
        return f"{day.isoformat()} 00:00:00"  # as XLSX exports dates
    if language == "fr":
        return day.strftime("%d/%m/%Y" if style < 0.8 else "%d-%m-%Y")
    return day.strftime("%m/%d/%Y")


def _write_number(value: float, language: str, rng: random.Random) -> str:
    whole, cents = divmod(round(value * 100), 100)
    style = rng.random()
    if language == "fr":
        grouped = f"{whole:,}".replace(",", " ") if style < 0.5 else f"{whole:,}".replace(",", ".")
        return f"{grouped},{cents:02d}" + (" €" if style < 0.3 else "")
    return ("$" if style < 0.3 else "") + f"{whole:,}.{cents:02d}"


def _generate(language: str, seed: int = 7):
    """(the cells as written, the true values: None for empty, 'bad' for unreadable)."""
    rng = random.Random(seed)
    cells, truth = [], []
    yes = {"fr": ["oui", "Oui", "x", "1", "vrai"], "en": ["yes", "Y", "x", "1", "true"]}[language]
    no = {"fr": ["non", "0", "faux", ""], "en": ["no", "N", "0", "false", ""]}[language]
    for n in range(ROWS):
        day = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(0, 1200))
        amount = round(rng.uniform(0, 5000), 2)
        flag = rng.random() < 0.5
        pick = rng.random()
        row = {
            "id": str(n),
            "segment": rng.choice(["gold", "Gold ", "silver", "bronze"]),
            "last_order": _write_date(day, language, rng),
            "amount": _write_number(amount, language, rng),
            "optin": rng.choice(yes if flag else no),
        }
        true = {
            "segment": row["segment"].strip().casefold(),
            "last_order": day,
            "amount": amount,
            "optin": flag,
        }
        if pick < 0.04:  # empty cells
            row["last_order"], row["amount"] = "", ""
            true["last_order"], true["amount"] = None, None
        elif pick < 0.06:  # cells nobody can read
            row["last_order"], row["amount"], row["optin"] = "31/02/2023", "douze", "peut-être"
            true["last_order"], true["amount"], true["optin"] = "bad", "bad", "bad"
        cells.append(row)
        truth.append(true)
    return pd.DataFrame(cells), truth


def _run(frame, where, language):
    def locate(loc):
        return Where(None)

    return where_mask(frame, where, locate, lambda name: "", reading=Reading(language))


def _expected(truth, field, test, op="lt"):
    """ids kept and ids rejected, from the true values alone. An order (gt, gte, lt, lte) needs a
    value: an unreadable cell rejects its row. Equality does not: such a cell is not that value."""
    kept, rejected = set(), set()
    for n, true in enumerate(truth):
        value = true[field]
        if value == "bad" and op in ("gt", "gte", "lt", "lte"):
            rejected.add(str(n))
        elif value in (None, "bad"):
            if op == "ne":
                kept.add(str(n))
        elif test(value):
            kept.add(str(n))
    return kept, rejected


def _got(frame, filtered):
    kept = set(frame.loc[filtered.keep & (filtered.unreadable == ""), "id"])
    rejected = set(frame.loc[filtered.unreadable != "", "id"])
    return kept, rejected


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("op", list(OPS))
def test_dates_compare_as_dates_however_written(language, op):
    frame, truth = _generate(language)
    bound = dt.date(2022, 6, 15)
    written = {"fr": "15/06/2022", "en": "06/15/2022"}[language]
    expected = _expected(truth, "last_order", lambda v: OPS[op](v, bound), op)
    for value in (bound, "2022-06-15", written):  # a YAML date, ISO, and the language's own form
        filtered = _run(frame, {"last_order": {op: value}}, language)
        assert _got(frame, filtered) == expected, (op, value)
        assert all("last_order: date unreadable" in r for r in filtered.unreadable if r)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("op", list(OPS))
def test_numbers_compare_as_numbers_however_written(language, op):
    frame, truth = _generate(language)
    written = {"fr": "1 234,50", "en": "1,234.50"}[language]
    expected = _expected(truth, "amount", lambda v: OPS[op](v, 1234.5), op)
    for value in (1234.5, written):
        filtered = _run(frame, {"amount": {op: value}}, language)
        assert _got(frame, filtered) == expected, (op, value)
        assert all(r == "amount: number unreadable: 'douze'" for r in filtered.unreadable if r)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("wanted", [True, False])
def test_yes_no_and_unreadable_words(language, wanted):
    frame, truth = _generate(language)
    expected = _expected(truth, "optin", lambda v: v is wanted, "gt")  # a yes/no must be readable
    filtered = _run(frame, {"optin": wanted}, language)
    assert _got(frame, filtered) == expected
    assert all("optin: yes/no unreadable" in r for r in filtered.unreadable if r)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_text_empty_membership_and_negation(language):
    frame, truth = _generate(language)
    cases = [
        ({"segment": "GOLD"}, lambda t: t["segment"] == "gold"),
        ({"segment": {"ne": "gold"}}, lambda t: t["segment"] != "gold"),
        ({"segment": ["gold", "Silver"]}, lambda t: t["segment"] in ("gold", "silver")),
        ({"segment": {"not_in": ["gold"]}}, lambda t: t["segment"] != "gold"),
        ({"segment": {"not": "bronze"}}, lambda t: t["segment"] != "bronze"),
        ({"amount": {"empty": True}}, lambda t: t["amount"] is None),
        ({"amount": {"empty": False}}, lambda t: t["amount"] is not None),
    ]
    for where, test in cases:
        filtered = _run(frame, where, language)
        kept = set(frame.loc[filtered.keep, "id"])
        assert kept == {str(n) for n, t in enumerate(truth) if test(t)}, where
        assert (filtered.unreadable == "").all()


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ({"last_order": {"lt": "31/02/2023"}}, "'31/02/2023' is not a date (dd/mm/yyyy"),
        ({"amount": {"gte": "beaucoup"}}, "'beaucoup' is neither a number nor a date"),
        ({"amount": {"gte": [1, 2]}}, "'gte' takes one value"),
        ({"amount": {"bigger": 3}}, "unknown filter operator 'bigger'"),
    ],
)
def test_a_condition_that_cannot_be_read_is_an_error(where, said):
    frame, _ = _generate("fr")
    with pytest.raises(AudienceError) as refused:
        _run(frame, where, "fr")
    assert said in str(refused.value)


def test_the_french_example_targets_the_same_people_however_the_date_is_written(tmp_path, run):
    """Done when: {lt: 01/01/2023}, {lt: 2023-01-01} and a YAML date leave out the same rows, those
    an independent reading of the file says; an unreadable cell is a reject with its reason."""
    from publipost.api import prepare

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    source = folder / "data" / "clients.csv"
    rows = list(csv.reader(io.StringIO(source.read_bytes().decode("cp1252")), delimiter=";"))
    date, optin = rows[0].index("Dernier achat"), rows[0].index("Opt-in courrier")
    rows[5][date] = "31/02/2023"  # a cell nobody can read (spreadsheet row 6)
    written = io.StringIO()
    csv.writer(written, delimiter=";", lineterminator="\r\n").writerows(rows)
    source.write_bytes(written.getvalue().encode("cp1252"))

    def late_or_empty(cell: str) -> bool:  # the independent reading: dd/mm/yyyy by hand
        if not cell.strip():
            return True
        day, month, year = (int(part) for part in cell.strip().split("/"))
        return (year, month, day) >= (2023, 1, 1)

    # spreadsheet rows (the header is row 1) that meet the opt-in but not "bought before 2023"
    expected = {
        number
        for number, row in enumerate(rows[1:], start=2)
        if len(row) > date
        and row[optin].strip().casefold() in ("oui", "yes", "1", "x", "o", "vrai", "true", "y")
        and number != 6
        and late_or_empty(row[date])
    }
    original = campaign.read_text(encoding="utf-8")
    assert "dernier_achat: {gte: 2022-01-01}" in original
    seen = []
    for written in ("01/01/2023", "'2023-01-01'", "2023-01-01"):  # French form, ISO text, a YAML date
        campaign.write_text(original.replace("{gte: 2022-01-01}", f"{{lt: {written}}}"), encoding="utf-8")
        result = run("validate", campaign, "--out", folder / "out")
        assert result.code == 0, result.err
        assert "dernier_achat < 1 January 2023 (date; cells read as dd/mm/yyyy or ISO)" in result.out
        rejects = (folder / "out" / "rejects.csv").read_text(encoding="utf-8-sig")
        assert "dernier_achat: date unreadable (read as dd/mm/yyyy or ISO): '31/02/2023'" in rejects
        audience = prepare(campaign).audience
        left_out = {
            n.row for n in audience.notes if n.reason == "does not match target.where (dernier_achat)"
        }
        rejected_first = {n.row for n in audience.notes if n.outcome == "rejected"}
        assert left_out == expected - rejected_first
        seen.append(left_out)
    assert seen[0] == seen[1] == seen[2] and seen[0]


@pytest.mark.parametrize(
    ("written", "said"),
    [("%d/%m", "has %d, %m and %Y"), ("%d/%m/%Y %Q", "cannot write and read back a date")],
)
def test_a_date_format_that_cannot_read_dates_is_refused_at_validate(tmp_path, run, written, said):
    """A bad target.date_format made every date cell unreadable; now refused with its place."""
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(
        text.replace("target:\n", f'target:\n  date_format: "{written}"\n', 1), encoding="utf-8"
    )
    result = run("validate", campaign)
    assert result.code == 2 and "target.date_format" in result.err and said in result.err


def _hostile_number(rng: random.Random) -> str:
    """A cell that is, or nearly is, a number as some spreadsheet or person writes it."""
    pieces = ["0", "1", "7", "12", "123", "1234", "000", "٣", "３", ",", ".", "-", "+", " "]
    pieces += ["\u00a0", "\u202f", "'", "€", "$", "EUR", "e", "x", "", "500", "999"]
    if rng.random() < 0.5:  # the usual shapes, so that both the Arrow and the Python reading are met
        whole = str(rng.randrange(0, 10 ** rng.randrange(1, 8)))
        shapes = ["{w}", "-{w}", "{w},{f}", "{w}.{f}", "-{w},{f}", "{a},{b}", "{a}.{b}", "-{a}.{b}"]
        return rng.choice(shapes).format(
            w=whole, f=rng.randrange(0, 1000), a=rng.randrange(1, 1000), b=f"{rng.randrange(0, 1000):03d}"
        )
    return "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_numbers_read_in_arrow_are_read_as_read_number_reads_them(language):
    """read_numbers reads the simple cells in Arrow: each cell must come out as read_number
    reads it alone, on random and hostile cells (marks, signs, spaces, other digits, signs of
    currency), with the text in Arrow and in Python objects."""
    import re

    import numpy as np

    from publipost.campaigns.where import read_number, read_numbers

    rng = random.Random(31 + len(language))
    cells = [_hostile_number(rng) for _ in range(20_000)]
    expected = np.array([read_number(c, language) if c else np.nan for c in cells], dtype=float)
    for column in (pd.Series(cells, dtype="str"), pd.Series(cells, dtype=object)):
        got = read_numbers(column, language).to_numpy(dtype=float)
        both_missing = np.isnan(got) & np.isnan(expected)
        same = (got == expected) & (np.signbit(got) == np.signbit(expected))
        wrong = [(cells[i], got[i], expected[i]) for i in np.flatnonzero(~(both_missing | same))[:5]]
        assert not wrong, (str(column.dtype), wrong)
    simple = sum(bool(re.fullmatch(r"-?[0-9]+(?:[.,][0-9]+)?", c)) for c in cells)  # Arrow's share
    assert 5_000 < simple < 15_000


def test_the_filter_read_a_slice_of_rows_at_a_time_decides_as_read_whole(tmp_path, monkeypatch):
    """audience._filter reads the rows a slice at a time (ten million at once were 900 MB): each
    row's outcome and reason, and the conditions said, are those of the whole read, unreadable
    cells included, in slices of one, three or every row."""
    from publipost.api import prepare
    from publipost.campaigns import audience

    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    source = folder / "data" / "clients.csv"
    rows = list(csv.reader(io.StringIO(source.read_bytes().decode("cp1252")), delimiter=";"))
    date, optin = rows[0].index("Dernier achat"), rows[0].index("Opt-in courrier")
    rows[5][date], rows[9][optin], rows[12][date] = "31/02/2023", "peut-être", "31/02/2023"
    written = io.StringIO()
    csv.writer(written, delimiter=";", lineterminator="\r\n").writerows(rows)
    source.write_bytes(written.getvalue().encode("cp1252"))

    def decided():
        prepared = prepare(folder / "campaign.yaml")
        return prepared.audience.conditions, list(prepared.audience.notes), prepared.audience.counts

    whole = decided()
    said = {note.row: note.reason for note in whole[1]}  # row (the file's line) → why
    assert said[6] == said[13] == "dernier_achat: date unreadable (read as dd/mm/yyyy or ISO): '31/02/2023'"
    assert said[10].startswith("opt_in_courrier: yes/no unreadable")
    assert "does not match target.where (opt_in_courrier)" in said.values()
    assert "does not match target.where (dernier_achat)" in said.values()
    for rows_at_a_time in (1, 3):
        monkeypatch.setattr(audience, "STEP_ROWS", rows_at_a_time)
        assert decided() == whole
