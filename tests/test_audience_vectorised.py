"""Issue 31: the audience's per-cell work moved to Arrow or to per-value caches; each shortcut
gives what the Python it replaced gave, on the awkward values (every Unicode space, accents,
control characters)."""

from __future__ import annotations

import random
import re
import sys
import unicodedata

import pandas as pd
import pytest

from publipost.campaigns.audience import MARKUP, WHITESPACE
from publipost.errors import AudienceError
from publipost.folding import fold

SPACES = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c))


def test_the_spelt_out_whitespace_is_python_s():
    assert sorted(WHITESPACE[1:-1]) == sorted(SPACES)  # 29 characters, U+3000 the last


@pytest.fixture
def awkward():
    rng = random.Random(31)
    pool = [*SPACES, *"ab<{%#/!é\u0301", "\u202e", "\x00"]
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 9))) for _ in range(20_000)]


def test_runs_of_spaces_fold_in_arrow_as_python_folded_them(awkward):
    column = pd.Series(awkward, dtype="string[pyarrow]")
    assert not column.array._needs_python_regex(WHITESPACE + "{2,}")  # pyarrow's RE2 runs it
    folded = column.str.replace(WHITESPACE + "{2,}", " ", regex=True).tolist()
    assert folded == [re.sub(r"\s{2,}", " ", value) for value in awkward]


def test_markup_is_found_in_arrow_as_python_found_it(awkward):
    column = pd.Series(awkward, dtype="string[pyarrow]")
    assert not column.array._needs_python_regex(MARKUP.pattern)
    found = column.str.contains(MARKUP.pattern, regex=True).tolist()
    assert found == [bool(re.search(r"\{\{|\{%|\{#|<\s*[A-Za-z/!]", value)) for value in awkward]


def test_folding_ascii_takes_the_short_way_to_the_same_key():
    def by_nfkd(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    rng = random.Random(7)
    values = [
        "".join(rng.choice([chr(i) for i in range(128)]) for _ in range(rng.randint(0, 12)))
        for _ in range(20_000)
    ]
    values += ["  Prénom ", "ÉLODIE", "Straße", "ﬁn", "Ｍａｒｉｅ"]
    assert [fold(v) for v in values] == [by_nfkd(v) for v in values]


# --- whole columns instead of rows: the same answers ---------------------------------------------


def _messy_rows(seed: int, count: int) -> list[dict[str, str]]:
    """Rows a customer file holds, most of them ordinary, the rest everything format_address
    refuses or rewrites: abroad, BP and CS lines, long names and streets, capitals, punctuation."""
    rng = random.Random(seed)
    pick = rng.choice

    def sometimes(value: str, odds: float = 0.9) -> str:
        return value if rng.random() < odds else pick(["", " ", value.upper(), value + "  ", "Ω" + value])

    rows = []
    for _ in range(count):
        rows.append(
            {
                "civility": pick(["Mme", "M.", "", "Madame", "M. et Mme", "Dr", "mr"]),
                "first_name": sometimes(pick(["Léa", "Jean-Pierre", "Marie-Christine-Alexandra", "Zoé", ""])),
                "last_name": sometimes(
                    pick(["Dupont", "Nguyen-Durand", "de La Fontaine-Saint-Exupéry", "O'Brien"])
                ),
                "company": pick(
                    ["", "", "", "SARL Martin & Fils", "Une société au nom bien trop long pour la norme"]
                ),
                "address1": sometimes(
                    pick(
                        [
                            "12 rue des Lilas",
                            "12  rue des  Lilas",
                            "83 AVENUE JEAN JAURÈS",
                            "4, place du Général-de-Gaulle",
                            "BP 45",
                            "CS 30001",
                            "lieu-dit Les Granges",
                            "127 boulevard du Maréchal de Lattre de Tassigny prolongé",
                            "Résidence « Les Pins », bât. B",
                        ]
                    )
                ),
                "address2": pick(
                    ["", "", "", "Bâtiment C", "BP 12", "Tsa 70011", "escalier 4, 3e étage, porte gauche"]
                ),
                "postcode": pick(["69003", "75 008", "1000", "6900A", "", "٦٩٠٠٣", "13001"]),
                "city": sometimes(pick(["Lyon", "Paris Cedex 08", "Saint-Étienne", "L'Haÿ-les-Roses"])),
                "country": pick(["", "", "", "France", "FR", "Belgique", "Atlantis", "france "]),
            }
        )
    return rows


@pytest.mark.parametrize("arrow", [True, False])
def test_french_lines_are_the_blocks_format_address_writes(arrow):
    from publipost.campaigns import blocks
    from publipost.campaigns.postal import FR, AddressError, format_address, recipient_name

    rows = _messy_rows(31, 6_000)
    # text in Python objects: the base install's way (no pyarrow), whose quirks differ
    text = pd.StringDtype("pyarrow" if arrow else "python", na_value=float("nan"))
    vouched, lines = blocks.french_lines(pd.DataFrame(rows, dtype=text))
    assert blocks.in_arrow(lines[0]) == arrow  # the columns' own text, not converted
    blocks = zip(*(line.tolist() for line in lines), strict=True)
    shortened = 0  # names over the norm, written shorter (a short title, an initial) here
    for row, sure, block in zip(rows, vouched.tolist(), blocks, strict=True):
        if not sure:
            continue
        shortened += bool(block[1]) and block[1] != recipient_name(row, "fr")
        assert row["address1"] and row["city"] and (row["last_name"] or row["company"]), row
        try:
            assert [line for line in block if line] == format_address(row, FR), row
        except AddressError as exc:  # the columns vouched for a block the norm refuses
            pytest.fail(f"{row}: {exc}")
    assert vouched.sum() > 100  # the columns are used (these rows are messy: one in forty is ordinary)
    assert shortened > 20, shortened


@pytest.mark.parametrize(
    ("storage", "sliced", "distinct"),
    [("pyarrow", False, False), ("pyarrow", True, False), ("python", False, False), ("pyarrow", False, True)],
)
def test_postal_reach_says_what_it_said_row_by_row(monkeypatch, storage, sliced, distinct):
    """Asked of whole columns (in Arrow, or the base install's Python text), or of slices of them
    on three cores at once, the reach says of each row what it says of the row asked whole;
    so too where every customer has a last name of their own (the name lines then asked as
    they are, not as their distinct values)."""
    from types import SimpleNamespace

    from publipost.campaigns import blocks, presets, table
    from publipost.campaigns import reach as reach_module
    from publipost.campaigns.reach import PostalReach
    from publipost.templates.layout import unprintable
    from publipost.templates.window import WindowFit

    fits = WindowFit("DL", 5, 62.0)  # a window of 5 lines, 62 mm wide
    monkeypatch.setattr(
        presets, "campaign_preset", lambda campaign: SimpleNamespace(address_style=presets.FR)
    )
    monkeypatch.setattr(reach_module, "BATCH", 700)  # batches end mid-file, as a million rows' do
    rows = _messy_rows(7, 4_000)
    if distinct:
        rows = [{**row, "last_name": f"{row['last_name']}-{number:04d}"} for number, row in enumerate(rows)]
    good = {"civility": "Mme", "first_name": "Łucja 王", "last_name": "Nowak", "address1": "3 rue Neuve"}
    rows += [{**dict.fromkeys(rows[0], ""), **good, "postcode": "69002", "city": "Lyon"}]  # a glyph missing
    wide = {**good, "last_name": "Nowak-Wiśniewska-Kowalczyk"}  # …on a line too wide as well
    rows += [{**dict.fromkeys(rows[0], ""), **wide, "postcode": "69002", "city": "Lyon"}]
    plain = {"last_name": "Martin", "address1": "3 rue Neuve", "postcode": "69002", "city": "Lyon"}
    rows.insert(0, {**dict.fromkeys(rows[0], ""), **plain, "last_name": "Mar\x7ftin"})  # ASCII, no glyph
    frame = pd.DataFrame(rows, dtype=pd.StringDtype(storage, na_value=float("nan")))
    reach = PostalReach(printable=unprintable, window=lambda campaign: fits)
    asked = []
    if sliced:
        monkeypatch.setattr(table, "SLICE_ROWS", 1_000)
        monkeypatch.setattr(table, "cores", lambda: 3)
        write = blocks.french_lines
        monkeypatch.setattr(blocks, "french_lines", lambda part: asked.append(len(part)) or write(part))
    got = reach.problems(SimpleNamespace(frame=frame), None).tolist()
    assert asked == ([1_335, 1_335, 1_333] if sliced else [])
    if storage == "pyarrow":  # the name lines asked as they are, or as their distinct values
        assert table.mostly_distinct(blocks.french_lines(frame)[1][1]) == distinct
    assert got == [reach.problem(row, presets.FR, fits) for row in rows]  # each row asked whole
    assert "no glyph" in got[-2] and "no glyph" in got[-1]  # the font speaks first
    assert "no glyph for '\x7f'" in got[0]
    for lacking, glyph in (
        ("Mar\x7ftin", "\x7f"),
        ("Wang 王", "王"),
    ):  # each alone, in a block the columns vouch for
        blocks_of = [
            {**dict.fromkeys(rows[1], ""), **plain},
            {**dict.fromkeys(rows[1], ""), **plain, "last_name": lacking},
        ]
        alone = pd.DataFrame(blocks_of, dtype=frame.dtypes.iloc[0])
        said = reach.problems(SimpleNamespace(frame=alone), None).tolist()
        assert said[0] == "" and f"no glyph for '{glyph}'" in said[1], lacking
    assert any("wider than the DL window" in said for said in got)
    assert any("the DL window shows 5" in said for said in got)


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_untidy_finds_every_value_the_cleaning_would_touch(awkward, storage):
    """A column UNTIDY does not match is left as read: so it must match every value that
    stripping, folding spaces or the markup check would change or note (in Arrow, one RE2
    scan; in Python objects, the base install's way)."""
    from publipost.campaigns.audience import SUSPECT, UNTIDY, untidy

    column = pd.Series(awkward, dtype=pd.StringDtype(storage, na_value=float("nan")))
    if storage == "pyarrow":
        assert not column.array._needs_python_regex(UNTIDY)  # RE2 reads it
    for value, flagged in zip(awkward, untidy(column).tolist(), strict=True):
        touched = (
            value.strip() != value
            or re.search(r"\s{2,}", value)
            or MARKUP.search(value)
            or SUSPECT.search(value)
        )
        assert flagged == bool(touched), repr(value)


def _reads(tmp_path, data: bytes, fast: bool):
    from publipost.campaigns import table

    path = tmp_path / "clients.csv"
    path.write_bytes(data)
    if not fast:
        original, table._arrow_header = table._arrow_header, lambda *given: None
    try:
        read = table._read_delimited(path, None, None)
    except AudienceError as exc:  # the same refusal both ways
        return str(exc)
    finally:
        if not fast:
            table._arrow_header = original
    cells = read.frame.astype(str).values.tolist(), read.frame.columns.tolist(), read.malformed
    return (*cells, read.encoding, read.digest)


def _taken_by_arrow(text: str) -> bool:
    from publipost.campaigns import table

    return table._read_fast(text.encode(), "utf-8", ";") is not None


def test_arrow_reads_a_file_as_the_careful_reader_does(tmp_path):
    """Arrow's reader takes a file only where it reads it as the csv module does: the same
    cells, spreadsheet rows, headers, quotes and doubled quotes; a file it cannot take that way
    (a quoted value over two lines, an unclosed quote, empty lines, rows of another width,
    line breaks Arrow does not know) is left to the careful reader."""

    rng = random.Random(5)
    cells = [
        "a",
        "Zoé",
        " ",
        "",
        "x y",
        "'q",
        "1,5",
        "\u00a0",
        "é\u0301",
        "\u2028",
        '"',
        '"x"',
        '"a;b"',
        '"say ""hi"""',
        '"x"y',
        '""',
        '"two\nlines"',
        '"two\r\nlines"',
        '"unclosed',
        '5" screen',
        "\x85",
        "\x0c",
        "a\x00b",
    ]
    endings = ["\n", "\r\n", "\r"]
    taken = 0
    quoted = spanning = 0
    for _ in range(1200):
        width = rng.randint(1, 4)
        header = ";".join(rng.choice([f"h{i}", f'"h{i}"', f'"h;{i}"', ""]) for i in range(width))
        lines = [header]
        for _ in range(rng.randint(0, 6)):
            size = width if rng.random() < 0.85 else rng.randint(0, width + 1)
            lines.append(";".join(rng.choice(cells) for _ in range(size)))
        ending = rng.choice(endings)
        text = ending.join(lines) + (ending if rng.random() < 0.7 else "")
        if not text.strip():
            continue
        taken += (by_arrow := _taken_by_arrow(text))
        quoted += by_arrow and '"' in text
        spanning += by_arrow and "two\n" in text.replace("\r", "")
        encoding = rng.choice(["utf-8", "utf-8-sig", "cp1252"])  # as read, kept, or recoded
        data = text.encode(encoding, errors="replace")
        assert _reads(tmp_path, data, fast=True) == _reads(tmp_path, data, fast=False), repr(text)
    assert taken > 100 and quoted > 30 and spanning > 10  # Arrow read some, quotes, line breaks and all


def test_an_excel_cell_on_two_lines_is_read_by_arrow_with_its_row_numbers(tmp_path):
    """Excel ends its rows with \r\n and the line break inside a cell with \n: such a file is
    read by Arrow, each record numbered as the csv module numbers it (the spreadsheet row);
    a quote left open is still left to the careful reader, which rejects its row."""
    from publipost.campaigns import table

    text = (
        'id;Adresse;Ville\r\n1;"12 rue X\nBât. B";Lyon\r\n2;"3 rue Y";Paris\r\n'
        '3;"5 rue Z\nEsc. 2\n3e";Nice\r\n'
    )
    read = table._read_fast(text.encode(), "utf-8", None)
    assert read is not None
    frame = read[0]
    assert frame["Adresse"].tolist() == ["12 rue X\nBât. B", "3 rue Y", "5 rue Z\nEsc. 2\n3e"]
    assert frame[table.ROW].tolist() == [2, 3, 4]
    unclosed = 'id;Adresse;Ville\n1;"12 rue X;Lyon\n2;3 rue Y;Paris\n3;5 rue Z;Nice\n'
    assert table._read_fast(unclosed.encode(), "utf-8", None) is None
    path = tmp_path / "c.csv"
    path.write_text(unclosed, encoding="utf-8")
    careful = table._read_delimited(path, None, None)
    assert careful.malformed[0][0] == 2 and careful.frame["id"].tolist() == ["2", "3"]
    huge = 'id;Note\n1;"' + "x\n" * 70_000 + '"\n2;b\n'  # beyond the csv module's field size limit
    assert table._read_fast(huge.encode(), "utf-8", None) is None


def test_a_file_quoting_every_field_is_read_by_arrow(tmp_path):
    """A CRM export quotes every field, a separator or quote inside a value or not: read in
    Arrow (the careful reader took 0.9 s more for 200,000 rows), the same cells as the csv
    module's, in cp1252 too."""
    from publipost.campaigns import table

    rows = [["N° client", "Nom", "Adresse"]] + [
        [f"C{i}", "Zoé « Zo » O’Brien", f'{i}, rue du "Port"; bât. B'] for i in range(500)
    ]
    text = "".join(";".join('"' + v.replace('"', '""') + '"' for v in row) + "\r\n" for row in rows)
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    called = []
    original = table._read_arrow
    table._read_arrow = lambda *given: called.append(1) or original(*given)
    try:
        read = table._read_delimited(path, None, None)
    finally:
        table._read_arrow = original
    assert called and read.encoding == "cp1252" and read.separator == ";"
    assert read.frame.columns.tolist() == [*rows[0], table.ROW]
    assert read.frame.drop(columns=table.ROW).values.tolist() == rows[1:]
    assert read.frame[table.ROW].tolist() == list(range(2, 502))


def test_arrow_reads_the_print_bench_file(tmp_path):
    from publipost.campaigns import table

    text = "N° client;Prénom;Ville\r\n" + "".join(f"C{i};Zoé;Lyon\r\n" for i in range(1000))
    read = table._read_fast(text.encode("utf-8"), "utf-8", None)
    assert read is not None
    frame, separator = read
    assert separator == ";" and frame.columns.tolist() == ["N° client", "Prénom", "Ville", table.ROW]
    assert len(frame) == 1000
    assert frame[table.ROW].tolist() == list(range(2, 1002))


def test_the_collector_runs_again_after_the_audience(campaign_dir):
    import gc

    from publipost.campaigns.audience import load_audience
    from publipost.campaigns.load import load_campaign
    from publipost.collector import collector_paused

    load_audience(load_campaign(campaign_dir()))
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # nested: only the outermost resumes it
    assert gc.isenabled()


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_folded_words_are_fold_words(awkward, dtype):
    from publipost.campaigns.table import folded_words
    from publipost.folding import fold_words

    rng = random.Random(3)
    ascii_ = [
        "".join(rng.choice([chr(i) for i in range(128)]) for _ in range(rng.randint(0, 12)))
        for _ in range(5000)
    ]
    # names as files hold them: words joined by hyphens, spaces, or both, doubled, at the ends
    joints = ["-", " ", "--", "- ", "-\t", "'", "_", ""]
    names = [
        "".join(
            rng.choice(["Nguyen", "DE", "la", "o", "X2", "_"]) + rng.choice(joints)
            for _ in range(rng.randint(1, 4))
        )
        for _ in range(5000)
    ]
    values = [*awkward, *ascii_, *names, "12, rue des  Lilas", "Straße", "ÉLODIE", "C-0042", "Nguyen-Durand"]
    assert folded_words(pd.Series(values, dtype=dtype)).tolist() == [fold_words(v) for v in values]


def test_lines_are_counted_as_splitlines_counts_them():
    from publipost.campaigns.table import _lines

    rng = random.Random(2)
    pieces = ["a", ";", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "é", ""]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        if any(c in text for c in "\x0b\x0c\x1c\x85\u2028\u2029"):
            continue  # such a file is left to the careful reader before lines are counted
        counted = _lines(text.encode("utf-8"))
        assert counted in (None, len(text.splitlines())), repr(text)
        if "\r" not in text:
            assert counted is not None, repr(text)  # lines that end in \n alone are counted


def test_service_finds_every_line_five_python_finds():
    """blocks.SERVICE (in Arrow's RE2) must find every street postal._LINE_FIVE (Python's re,
    IGNORECASE) would move to line 5, or a BP line would be printed as a street."""
    from publipost.campaigns.blocks import SERVICE
    from publipost.campaigns.postal import _LINE_FIVE

    rng = random.Random(17)
    pieces = [
        "b",
        "B",
        "p",
        "P",
        ".",
        " ",
        "\u00a0",
        "\u3000",
        "\x1c",
        "cs",
        "CſS",
        "tsa",
        "TſA",
        "poſte",
        "POSTE",
        "restante",
        "lieu",
        "LİEU",
        "lıeu",
        "-dit",
        "dit",
        "4",
        "x",
        "é",
    ]
    values = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(30_000)]
    found = pd.Series(values, dtype="str").str.contains(SERVICE, regex=True).tolist()
    missed = [v for v, hit in zip(values, found, strict=True) if _LINE_FIVE.match(v) and not hit]
    assert not missed
    assert sum(found) > sum(1 for v in values if _LINE_FIVE.match(v)) > 1000


def test_postal_match_keys_are_postal_key(awkward):
    from publipost.campaigns.audience import _match_key
    from publipost.campaigns.suppression import postal_key

    rng = random.Random(23)
    names = [*awkward[:3000], "Dupont", "DE LA FONTAINE", "O'Brien", "Müller", ""]
    rows = [
        (
            rng.choice(names),
            rng.choice([*awkward[:500], "12, rue des  Lilas", "12 RUE DES LILAS"]),
            rng.choice(["69003", "75 008", ""]),
        )
        for _ in range(4000)
    ]
    frame = pd.DataFrame(rows, columns=["last_name", "address1", "postcode"], dtype="str")
    expected = [postal_key(*row) if row[1].strip() else "" for row in rows]
    assert _match_key(frame, "postal").tolist() == expected


def test_folded_words_in_arrow_fold_every_latin_character_as_fold_words_does():
    """folded_words folds Latin text in Arrow (decomposed, accents dropped) where that leaves
    ASCII: every character of the range, alone, doubled, between letters and between spaces,
    then random names of them and of characters outside it (Greek, a combining mark, a mark
    with no combining class, a Kelvin sign), must come out as fold_words makes it."""
    from publipost.campaigns.table import folded_words
    from publipost.folding import fold_words

    latin = [chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x180))]
    values = [form.format(c) for c in latin for form in ("{}", "{0}{0}", "x{}y", " {} ", "É{}")]
    rng = random.Random(4)
    others = ["σ", "ς", "\u0301", "\u034f", "K", "ﬁ", "İ", "\u00a0", "ǅ", "中"]
    for _ in range(20_000):
        values.append("".join(rng.choice(latin + others) for _ in range(rng.randrange(0, 12))))
    assert sum(not v.isascii() and set(v) <= set(latin) for v in values) > 5_000  # Arrow's share
    column = pd.Series(values, dtype=pd.StringDtype("pyarrow", na_value=float("nan")))
    got = folded_words(column).tolist()
    wrong = [(v, g, fold_words(v)) for v, g in zip(values, got, strict=True) if g != fold_words(v)]
    assert not wrong[:5]


def test_work_done_on_a_column_s_distinct_values_is_the_column_s(awkward):
    """on_distinct folds (or does any column's work on) the distinct values of a column that
    repeats them, and takes the answers back row by row: the same cells, nulls, dtype, index
    and name as the work done on the column, over several Arrow chunks too."""
    from publipost.campaigns.table import folded_words, on_distinct
    from publipost.folding import fold_words

    dtype = pd.StringDtype("pyarrow", na_value=float("nan"))
    rng = random.Random(5)
    pool = [*sorted(set(awkward))[:800], "Lefèvre", "HÉLÈNE", "Straße", "ǅemal", "中村", "ﬁn", "İnci"]
    values = [rng.choice(pool) for _ in range(30_000)]
    parts = [pd.Series(values[i : i + 10_000], dtype=dtype) for i in range(0, 30_000, 10_000)]
    column = pd.concat(parts).set_axis(range(100, 30_100)).rename("last_name")
    assert column.array.__arrow_array__().num_chunks == 3 and column.nunique() * 2 < len(column)
    folded = folded_words(column)
    assert folded.tolist() == [fold_words(v) for v in values]
    assert folded.dtype == dtype and folded.name == "last_name" and folded.index.equals(column.index)
    with_nulls = column.where(column.index % 7 != 0)  # nulls stay null
    upper = on_distinct(with_nulls, lambda cells: cells.str.upper())
    pd.testing.assert_series_equal(upper, with_nulls.str.upper())
    few = pd.Series(values[:10], dtype=dtype)  # mostly distinct: done on the column itself
    assert on_distinct(few, lambda cells: cells.str.upper()).tolist() == [v.upper() for v in values[:10]]


@pytest.mark.parametrize(("storage", "slice_rows"), [("arrow", 1 << 20), ("object", 1 << 20), ("arrow", 7)])
def test_the_longest_address_blocks_are_those_a_sort_of_every_row_finds(storage, slice_rows, monkeypatch):
    """The window check's extremes (the rows with the most characters in the address fields,
    and with the most of them filled), found in numpy over the reached rows only, a slice of
    rows at a time, against the sort of every reached row they stand in for: ties in the
    file's order, blanks and missing cells, rows another channel or no channel reaches, row
    labels in any order."""
    from publipost.campaigns import audience as audience_module
    from publipost.campaigns.audience import EMAIL, ID, REACH, Audience, Outcome

    monkeypatch.setattr(audience_module, "STEP_ROWS", slice_rows)
    from publipost.campaigns.table import ROW

    rng = random.Random(9)
    dtype = pd.StringDtype("pyarrow", na_value=float("nan")) if storage == "arrow" else object
    rows = 6_000
    cells = ["", " ", "12 rue A", "Bât. 2", "x" * 38, "x" * 37, "Résidence des Lilas", None]
    frame = pd.DataFrame(
        {
            ROW: range(2, rows + 2),
            ID: [f"R{n}" for n in range(rows)],
            EMAIL: "",
            "_outcome": [
                rng.choice([Outcome.TARGETED.value] * 4 + [Outcome.FILTERED.value]) for _ in range(rows)
            ],
            REACH + "letter": [rng.random() < 0.8 for _ in range(rows)],
            **{
                f: pd.Series([rng.choice(cells) for _ in range(rows)], dtype=dtype)
                for f in ("address1", "address2", "city")
            },
        },
        index=rng.sample(range(10 * rows), rows),
    )
    audience = Audience(source=None, headers={"address1": "A1", "address2": "A2", "city": "C"}, frame=frame)  # type: ignore[arg-type]
    fields = ["address1", "address2", "city"]
    # the sort of every reached row, as it was written before
    reached = frame.index[(frame["_outcome"] == Outcome.TARGETED) & frame[REACH + "letter"].astype(bool)]
    columns = [frame.loc[reached, f].astype(str) for f in fields]
    labels: set[object] = set()
    for measure in (sum(c.str.len() for c in columns), sum(c.str.strip().ne("") for c in columns)):
        labels |= set(measure.sort_values(ascending=False, kind="stable").index[:40])
    expected = frame[frame.index.isin(list(labels))][ID].tolist()
    assert [r.id for r in audience.longest("letter", fields, 40)] == expected
    assert len(expected) > 40


def test_casefolded_is_casefold(awkward):
    from publipost.campaigns.table import casefolded

    values = [*awkward, "Jo@Exemple.FR", "STRASSE", "Straße", "ǅ", "ﬁ", "İ", ""]
    for dtype in ("str", "object"):
        assert casefolded(pd.Series(values, dtype=dtype)).tolist() == [v.casefold() for v in values]


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_per_value_answers_every_cell_as_map_does(awkward, storage):
    from publipost.campaigns.table import per_value

    column = pd.Series(awkward, dtype=pd.StringDtype(storage, na_value=float("nan")))
    asked: list[str] = []

    def answer(value: str) -> str:
        asked.append(value)
        return value.strip().upper() + "!"

    assert per_value(column, answer).tolist() == [v.strip().upper() + "!" for v in awkward]
    assert len(asked) == len(set(awkward))  # once per distinct value


def test_per_value_asks_once_per_distinct_value_however_many_chunks_arrow_holds():
    """A column in many Arrow chunks (rows joined, filtered): each chunk carries the whole
    column's dictionary, which was answered once per chunk (25 chunks of 34,000 names: 1.9 s)."""
    from publipost.campaigns.table import folded_words, per_value

    dtype = pd.StringDtype("pyarrow", na_value=float("nan"))
    parts = [
        pd.Series([f"Lefèvre-{n % 700}" for n in range(part, part + 400)], dtype=dtype) for part in range(25)
    ]
    column = pd.concat(parts, ignore_index=True)
    assert column.array.__arrow_array__().num_chunks == 25
    asked: list[str] = []

    def answer(value: str) -> str:
        asked.append(value)
        return value.upper()

    assert per_value(column, answer).tolist() == [v.upper() for v in column.tolist()]
    assert sorted(asked) == sorted(set(column.tolist()))  # once each, not once per chunk
    assert folded_words(column).tolist() == [v.replace("è", "e").replace("-", " ").lower() for v in column]


def test_the_outcome_counts_are_the_rows_counted_one_by_one(tmp_path):
    """The audience's counts (what validate prints, what the report divides by) against a count
    of the outcome column done another way."""
    from collections import Counter
    from dataclasses import replace

    from publipost.api import prepare
    from tests.conftest import copy_example

    audience = prepare(copy_example("vente-couette", tmp_path)).audience
    by_hand = Counter(str(outcome) for outcome in audience.frame["_outcome"].tolist())
    assert +audience.counts == by_hand and sum(by_hand.values()) == audience.rows_read
    assert len(by_hand) >= 4  # targeted, filtered, suppressed, rejected…: several kinds counted
    # the targeted and each channel's counts (counted on masks) against the recipients made one
    # by one, with a variant each
    recipients = list(audience)
    assert len(audience) == len(recipients) == by_hand["targeted"]
    for channel in ("letter", "email"):
        reached = sum(channel in r.channels for r in recipients)
        assert audience.channel_count(channel) == reached and 0 < reached < len(recipients)
    frame = audience.frame.copy()
    frame["_variant"] = [("A", "B")[n % 2] for n in range(len(frame))]
    split = replace(audience, frame=frame).variant_counts()
    assert split == dict(Counter(r.variant for r in replace(audience, frame=frame)))
    assert set(split) == {"A", "B"}


def test_row_ids_are_written_as_the_row_number_padded_to_six(tmp_path):
    from publipost.campaigns.audience import ID, Audience, _assign_ids
    from publipost.campaigns.load import load_campaign
    from publipost.campaigns.table import ROW, Table
    from tests.conftest import copy_example

    rows = [2, 99, 123456, 1234567, 98765432]
    frame = pd.DataFrame({ROW: rows, "_outcome": "targeted", "name": "x"})
    audience = Audience(Table(tmp_path / "c.csv", frame), {"name": "Name"}, frame)
    campaign = load_campaign(copy_example("vente-couette", tmp_path))
    campaign = campaign.model_copy(
        update={"email": None, "target": campaign.target.model_copy(update={"id": None})}
    )
    _assign_ids(audience, campaign)
    assert audience.frame[ID].tolist() == [f"row{r:06d}" for r in rows]


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_an_e_mail_column_is_checked_as_check_email_checks_each_cell(storage):
    """The common address is split and joined in Arrow, its domain asked once: every cell must
    come out as check_email says, addresses and problems, on addresses built to sit on each edge
    (lengths 64/65 and 254/255, two @, none, IDNA domains, dots, signs, spaces, line breaks)."""
    from publipost.campaigns.emails import check_column, check_email

    rng = random.Random(5)
    locals_ = [
        "jo",
        "a.b",
        "a..b",
        ".a",
        "a.",
        "x" * 64,
        "x" * 65,
        "o'neil",
        "a+b",
        "é",
        "a b",
        "a\n",
        "a@b",
        "",
    ]
    domains = [
        "example.com",
        "EXAMPLE.com",
        "bücher.de",
        "xn--bcher-kva.de",
        "ex_ample.com",
        "-a.com",
        "a",
        "",
        "a" * 63 + ".com",
        "a" * 64 + ".com",
        "example.com\n",
        "exa mple.com",
        "[127.0.0.1]",
        "b@c.com",
    ]
    values = [f"{rng.choice(locals_)}@{rng.choice(domains)}" for _ in range(4000)]
    values += ["", "no-at-all", "@example.com", "a@", "x" * 60 + "@" + ("d" * 60 + ".") * 3 + "com"]
    values += ["y" * 64 + "@" + ("d" * 62 + ".") * 3 + "com"]  # 64 + 1 + 189 + 3: over 254
    column = pd.Series(values, dtype=pd.StringDtype(storage, na_value=float("nan")))
    addresses, problems = check_column(column)
    expected = [check_email(value) for value in values]
    assert list(zip(addresses.tolist(), problems.tolist(), strict=True)) == expected
    assert sum(1 for _, problem in expected if not problem) > 500  # the fast way was taken, often
    assert addresses.dtype == column.dtype and list(addresses.index) == list(column.index)


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_a_column_of_no_row_is_answered_with_no_row(storage):
    """A file of headers only, or every row filtered out: Arrow has no chunk to answer from."""
    from publipost.campaigns.emails import check_column
    from publipost.campaigns.table import per_value

    column = pd.Series([], dtype=pd.StringDtype(storage, na_value=float("nan")))
    assert per_value(column, str.upper).tolist() == []
    assert [part.tolist() for part in check_column(column)] == [[], []]


def _looked(path, rows):
    """What a read says: its refusal, or by number of first rows its encoding, headers and cells."""
    from publipost.campaigns import table

    try:
        read = table.read_table(path, rows=rows)
    except AudienceError as exc:
        return str(exc)
    seen = read.encoding, read.frame.columns.tolist()
    if rows is not None:
        return (*seen, read.frame.values.tolist())
    return {n: (*seen, read.frame.head(n).values.tolist()) for n in (0, 1, 3, 20)}


def test_a_first_look_reads_the_first_rows_as_the_whole_read_does(tmp_path, monkeypatch):
    """`rows=N` (the preview's first look at a big file) gives the whole read's first N rows,
    in every encoding and line ending, quoted values over two lines included; the encoding is
    still found from the whole file (a cp1252 byte in its last row), but only the first lines
    are recoded: a first look at a million rows took 1.0 s and 540 MB, now 0.3 s and 229 MB."""
    from publipost.campaigns import table

    monkeypatch.setattr(table, "FIRST_BYTES", 0)  # small files read a few lines at a time too
    rng = random.Random(9)
    cells = ["a", "Zoé", "", '"x;y"', '"deux\nlignes"', '"trois\n\nlignes"', "O’Brien", "5\x0bx", '"ouvert']
    for trial in range(200):
        width = rng.randint(1, 3)
        lines = [";".join(f"h{i}" for i in range(width))]
        lines += [";".join(rng.choice(cells) for _ in range(width)) for _ in range(rng.randint(0, 12))]
        ending = rng.choice(["\n", "\r\n"])
        text = ending.join(lines) + ending
        encoding = rng.choice(["utf-8", "utf-8-sig", "cp1252"])
        data = text.encode(encoding) + (b"9;\xe9\n" if trial % 3 == 0 else b"")
        path = tmp_path / "c.csv"
        path.write_bytes(data)
        whole = _looked(path, None)
        for rows in (0, 1, 3, 20):
            assert _looked(path, rows) == (whole if isinstance(whole, str) else whole[rows]), (
                repr(text),
                rows,
            )
    monkeypatch.setattr(table, "FIRST_BYTES", 1 << 16)
    read = []
    careful = table._careful
    monkeypatch.setattr(
        table, "_careful", lambda path, text, *rest: read.append(len(text)) or careful(path, text, *rest)
    )
    big = ("id;nom\n" + "".join(f"{i};Zoé\n" for i in range(100_000)) + "x;€\n").encode("cp1252")
    path.write_bytes(big)  # (its last byte is cp1252's €, which UTF-8 cannot read)
    look = table.read_table(path, rows=5)
    assert look.frame["nom"].tolist() == ["Zoé"] * 5 and look.encoding == "cp1252"
    assert read == [big.find(b"\n", 65_536) + 1]  # its first 64 KB to the end of their line, of 1.1 MB


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_work_on_every_core_is_the_work_on_the_whole(monkeypatch, storage):
    """Text in Arrow is worked on in consecutive slices, one per core, each in a thread of its
    own; the base install's text (Python's) at once, where threads would only take turns."""
    import threading

    from publipost.campaigns import table

    monkeypatch.setattr(table, "SLICE_ROWS", 10)
    monkeypatch.setattr(table, "cores", lambda: 3)
    text = pd.StringDtype(storage, na_value=float("nan"))
    frame = pd.DataFrame({"a": [f"é{n}" for n in range(95)], "n": range(95)}, index=range(200, 295))
    frame["a"] = frame["a"].astype(text)
    seen = []

    def work(part: pd.DataFrame) -> pd.Series:
        seen.append((threading.current_thread().name, part.index[0], len(part)))
        return part["a"].str.upper() + part["n"].astype(str)

    for rows in (frame, frame["a"].to_frame().assign(n=frame["n"]), frame[frame["n"] < 25]):
        whole = work(rows)
        seen.clear()
        done = table.on_every_core(rows, work)
        assert pd.concat(done).equals(whole)
        if storage == "pyarrow":
            count = min(3, len(rows) // 10)
            assert [start for _, start, _ in seen] == list(rows.index[:: -(-len(rows) // count)])
            assert sum(size for *_, size in seen) == len(rows)
            assert all(name.startswith("publipost-slice") for name, _, _ in seen)
        else:
            assert len(done) == 1 and seen[0][0] == threading.current_thread().name


def test_an_audience_accounted_on_every_core_is_the_one_accounted_on_one(monkeypatch, tmp_path):
    """The e-mail checks and the address blocks of a file in slices on three cores: every row's
    outcome, address and reasons as on one."""
    from publipost.campaigns import audience as audience_module
    from publipost.campaigns import table
    from publipost.campaigns.audience import load_audience
    from publipost.campaigns.load import load_campaign
    from tests.conftest import copy_example

    campaign = copy_example("vente-couette", tmp_path)
    source = campaign.parent / "data" / "clients.csv"
    header, *rows = source.read_bytes().splitlines(keepends=True)
    source.write_bytes(header + b"".join(rows * 12))  # 2,592 rows: duplicates, rejects, the lot

    def accounted():
        audience = load_audience(load_campaign(campaign), store=str(tmp_path / "store.sqlite"))
        return audience.frame, sorted(map(repr, audience.notes))

    one = accounted()
    monkeypatch.setattr(table, "SLICE_ROWS", 500)
    monkeypatch.setattr(table, "cores", lambda: 3)
    asked = []
    check = table.on_every_core
    for module in (table, audience_module):  # (the audience names it as its own)
        monkeypatch.setattr(
            module, "on_every_core", lambda rows, work: asked.append(work) or check(rows, work)
        )
    three = accounted()
    assert len(asked) == 2  # the addresses, the e-mails
    pd.testing.assert_frame_equal(three[0], one[0])
    assert three[1] == one[1]


@pytest.mark.parametrize("kind", ["string", "large_string"])
def test_code_points_are_python_s_characters(kind):
    """UTF-8 decoded in numpy: each value's characters as Python reads them, one to four bytes,
    the last code point, in chunks, sliced, with nulls."""
    import pyarrow as pa

    from publipost.campaigns.table import code_points

    rng = random.Random(5)
    pool = [
        chr(c) for c in (0, 1, 65, 0x7F, 0x80, 0xE9, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF)
    ]
    values = ["".join(rng.choice(pool) for _ in range(rng.randrange(0, 7))) for _ in range(20_000)]
    arrays = pa.chunked_array([pa.array(values[:9_000], kind), pa.array([None, *values[9_000:]], kind)])
    for given, expected in (
        (arrays, [*values[:9_000], "", *values[9_000:]]),
        (arrays.chunk(0).slice(7), values[7:9_000]),
    ):
        data, bounds, starts, points = code_points(given)
        decoded = []
        beyond = dict(zip(starts.tolist(), points.tolist(), strict=True))
        for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            decoded.append(
                "".join(
                    chr(beyond.get(at, data[at]))
                    for at in range(start, end)
                    if at in beyond or data[at] < 0x80
                )
            )
        assert decoded == expected


def test_the_cores_counted_are_those_the_process_may_run_on(monkeypatch):
    """A container pinned to two cores of a big host: the print run's workers and the audience's
    slices count two, not the machine's cores."""
    import os

    from publipost import cores as cores_module
    from publipost.run.executor import worker_count

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {4, 9}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert cores_module.cores() == 2
    assert worker_count() == 2 and worker_count(5) == 5


def test_a_slice_that_fails_fails_the_whole_work(monkeypatch):
    """No half of a column comes back: the error of any slice is the caller's."""
    from publipost.campaigns import table

    monkeypatch.setattr(table, "SLICE_ROWS", 10)
    monkeypatch.setattr(table, "cores", lambda: 3)
    column = pd.Series([f"v{n}" for n in range(60)], dtype=pd.StringDtype("pyarrow", na_value=float("nan")))

    def work(part: pd.Series) -> pd.Series:
        if part.index[0] >= 20:  # the second slice of three
            raise ValueError("slice 2")
        return part.str.upper()

    with pytest.raises(ValueError, match="slice 2"):
        table.on_every_core(column, work)


def test_rows_at_gives_iloc_s_rows_in_slices_or_at_once(monkeypatch):
    """A few rows are taken as a slice each (Arrow's take read whole columns once they come in
    chunks); more, at once, or from a slice of rows at a time when far apart: either way,
    exactly frame.iloc[positions], in that order."""
    import numpy as np
    import pyarrow as pa

    from publipost.campaigns import table
    from publipost.campaigns.table import FEW_ROWS, rows_at

    rows = 3 * FEW_ROWS + 7
    chunked = pa.chunked_array(
        [[f"client{n}é" for n in range(at, min(at + 50, rows))] for at in range(0, rows, 50)]
    )
    frame = pd.DataFrame(
        {
            "id": pd.Series(pd.arrays.ArrowStringArray(chunked)),
            "n": range(rows),
            "ok": [n % 2 == 0 for n in range(rows)],
        },
        index=pd.RangeIndex(rows) * 3 + 1,
    )
    draw = np.random.default_rng(5)
    for count in (0, 1, 2, FEW_ROWS, FEW_ROWS + 1, rows):
        positions = np.sort(draw.choice(rows, count, replace=False))
        for asked in (positions, positions[::-1]):
            pd.testing.assert_frame_equal(rows_at(frame, asked), frame.iloc[asked])
    edges = np.array([0, 49, 50, rows - 1])  # a chunk's last row, the next one's first, the last
    pd.testing.assert_frame_equal(rows_at(frame, edges), frame.iloc[edges])
    chunk = np.arange(rows - FEW_ROWS - 9, rows - 1, 1)  # a print chunk's rows, far into the file
    for asked in (chunk, chunk[::2], chunk[::-1]):
        pd.testing.assert_frame_equal(rows_at(frame, asked), frame.iloc[asked])
    monkeypatch.setattr(table, "SLICE_ROWS", 40)  # rows far apart: taken from a slice at a time
    for count in (FEW_ROWS + 1, 2 * FEW_ROWS, rows):
        positions = draw.choice(rows, count, replace=False)  # in any order
        for asked in (positions, np.sort(positions), np.sort(positions)[::-1]):
            pd.testing.assert_frame_equal(rows_at(frame, asked), frame.iloc[asked])


def test_a_print_run_s_chunks_are_the_whole_and_an_audience_made_anew_finds_its_own_rows(tmp_path):
    """The rows a channel reaches are found once per frame (a print run asks chunk after chunk):
    its chunks, joined, are every letter; and an audience made from it afterwards (render --only,
    rows held back) finds its own rows, not the positions found in the first one's frame."""
    from publipost.api import prepare
    from tests.conftest import copy_example

    audience = prepare(copy_example("vente-couette", tmp_path)).audience
    whole = [(r.id, r.row) for r in audience.recipients_of("letter")]
    assert len(whole) > 100
    chunks = [audience.recipients_of("letter", start, start + 7) for start in range(0, len(whole), 7)]
    assert [(r.id, r.row) for chunk in chunks for r in chunk] == whole
    chosen = audience.only([whole[-1][0], whole[3][0]])
    assert [(r.id, r.row) for r in chosen.recipients_of("letter")] == [whole[-1], whole[3]]
    held = audience.held_back({whole[0][1]: "returned by the post", whole[5][1]: "moved away"})
    assert [(r.id, r.row) for r in held.recipients_of("letter")] == whole[1:5] + whole[6:]
    assert [(r.id, r.row) for r in held.recipients_of("letter", 4, 6)] == whole[6:8]


def test_a_chunk_made_from_an_audience_carries_its_own_rows_only(tmp_path):
    """Where each channel's rows are is found once per frame and kept with it; a chunk made from
    the audience afterwards (what a Dask worker receives, pickled) must not carry it along, and
    with it the whole customer file."""
    import pickle

    from publipost.api import prepare
    from tests.conftest import copy_example

    audience = prepare(copy_example("vente-couette", tmp_path)).audience
    assert audience.channel_count("letter") > 100  # the positions found, and kept
    chunk = audience.rows_of("letter", 0, 3)
    whole, carried = len(pickle.dumps(audience.frame)), len(pickle.dumps(chunk))
    assert carried < whole / 4, (carried, whole)
    assert [r.id for r in chunk.recipients_of("letter")] == [
        r.id for r in audience.recipients_of("letter", 0, 3)
    ]


def test_a_plain_domain_is_its_own_as_email_validator_says_and_the_sender_alone_never_loads_it():
    """A plain domain (lower-case letters, digits, inner hyphens, a dot, a top-level label ending
    in a letter) is answered without email-validator: on domains built to sit on each edge of
    its rules, every one called plain is one email-validator accepts and leaves as it is, and
    check_email answers every address as email-validator alone does."""
    import random
    import subprocess
    import sys

    import email_validator

    from publipost.campaigns import emails

    assert sorted(emails.SPECIAL_USE) == sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES)
    draw = random.Random(11)
    pieces = ["a", "b", "z", "0", "9", "-", "--", "xn--", "ab--", "_", "A", "é", "q" * 61, "q" * 62, "q" * 63]
    tops = [
        "fr",
        "b",
        "1fr",
        "fr1",
        "com-",
        "-com",
        "x-y",
        "test",
        "local",
        "onion",
        "arpa",
        "localhost",
        "invalid",
    ]
    domains = {"exemple.fr", "a.b", "x" * 63 + ".fr", "x" * 64 + ".fr", ".".join(["a" * 62] * 4) + ".fr"}

    def label() -> str:
        if draw.random() < 0.6:  # a plain one, up to the length limit
            size = draw.choice([1, 2, 3, 8, 61, 62, 63, 64])
            text = "".join(draw.choice("abcxyz019") for _ in range(size))
            return text if size < 3 or draw.random() < 0.5 else text[0] + "-" + text[2:]
        return "".join(draw.choice(pieces) for _ in range(draw.randint(1, 3)))

    for _ in range(4000):
        labels = [label() for _ in range(draw.randint(0, 4))]
        domains.add(".".join([*labels, draw.choice(tops)]) if draw.random() < 0.8 else ".".join(labels))
    domains |= {d + "." + s for d in list(domains)[:200] for s in ("test", "local")}
    plain = 0
    for domain in sorted(domains):
        if emails._plain(domain):
            plain += 1
            checked = email_validator.validate_email(
                f"a@{domain}", check_deliverability=False, allow_smtputf8=False
            )
            assert checked.ascii_domain == domain, domain
        emails._domain.cache_clear()
        assert emails.check_email(f"a@{domain}") == emails._address(f"a@{domain}"), domain
    assert 300 < plain < len(domains) - 300  # both sides of the rule were drawn
    # a later command checks the campaign's sender and reply-to, which are plain: no import
    code = (
        "import sys; from publipost.campaigns.emails import check_email;"
        "assert check_email('contact@literie-martin.fr') == ('contact@literie-martin.fr', '');"
        "print('email_validator' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "False\n"
    )


@pytest.mark.parametrize("name", ["first_name", "city", "segment"])
def test_a_column_tidied_value_by_value_is_the_column_tidied_row_by_row(awkward, name):
    """The cleaning asked of a column's distinct values, then taken back row by row, gives the
    same cells and the same corrections, on the same rows and in the same order, as the
    cleaning of every row: over messy values (controls, mojibake, bidi marks, markup, spaces,
    names in capitals), in Arrow's chunks, with rows numbered as a file's are."""
    from publipost.campaigns.audience import ROW, _tidy, _tidy_distinct
    from publipost.campaigns.table import distinct_codes

    rng = random.Random(len(name))
    pool = [
        *sorted(set(awkward))[:300],
        *["JEAN-PIERRE", "hélène", "Léa", "MARIE  ÈVE", " Zoé", "Ã©lodie", "Noël\u202e", "a\x00b", "{{ x }}"],
    ]
    values = [rng.choice(pool) for _ in range(20_000)]
    dtype = pd.StringDtype("pyarrow", na_value=float("nan"))
    column = pd.concat([pd.Series(values[i : i + 5_000], dtype=dtype) for i in range(0, 20_000, 5_000)])
    frame = pd.DataFrame({name: column.to_numpy(), ROW: range(2, 20_002)}, index=range(50, 20_050))
    frame[name] = frame[name].astype(dtype)
    assert distinct_codes(frame[name]) is not None  # the short way is taken
    by_value, by_row = _tidy_distinct(frame, name, "fr", None), _tidy(frame, name, "fr", None)
    pd.testing.assert_series_equal(by_value[0], by_row[0], check_names=False)
    assert by_value[1] == by_row[1]
    assert len({c.reason for c in by_row[1]}) >= 3  # several steps, each over many rows


def test_a_clean_column_that_repeats_its_values_is_left_as_read():
    """Nothing to tidy: the column comes back as read, its Arrow buffers shared, not a copy
    taken back row by row (a hundred megabytes at a million rows), and nothing is corrected."""
    from publipost.campaigns.audience import ROW, _tidy_distinct

    dtype = pd.StringDtype("pyarrow", na_value=float("nan"))
    segments = pd.Series(["fidèle", "prospect", "occasionnel"] * 4_000, dtype=dtype)
    frame = pd.DataFrame({"segment": segments, ROW: range(2, 12_002)})
    column, corrections = _tidy_distinct(frame, "segment", "fr", None)
    assert corrections == [] and column.tolist() == segments.tolist()

    def data(series: pd.Series) -> list[int]:
        return [chunk.buffers()[2].address for chunk in series.array.__arrow_array__().chunks]

    assert data(column) == data(frame["segment"])


def test_reasons_kept_for_many_rows_are_one_string_each_and_the_same_values():
    """400,000 rows filtered out by one condition keep its reason once, not 400,000 copies."""
    from publipost.campaigns.audience import _shared

    for dtype in ("str", object):
        texts = pd.Series(["does not match (date)", "no e-mail", "does not match (date)"] * 1000, dtype=dtype)
        shared = _shared(texts)
        assert shared == texts.tolist()
        assert len({id(text) for text in shared}) == 2


def test_the_most_are_what_a_stable_sort_of_every_row_begins_with():
    """The window check's extremes are found by a partition, not a sort of every row: the same
    places, the greatest first, ties in the file's order, blanks last, for any count."""
    import numpy as np

    from publipost.campaigns.audience import most

    rng = np.random.default_rng(7)
    for _ in range(2000):
        size = int(rng.integers(0, 40))
        measure = rng.integers(0, 5, size).astype(np.float32)  # few values: ties everywhere
        measure[rng.random(size) < 0.2] = np.nan
        count = int(rng.integers(0, 45))
        expected = np.argsort(-measure, kind="stable")[:count].tolist()
        assert most(measure.copy(), count).tolist() == expected, (measure, count)


def _big_campaign(tmp_path, rows: int):
    """The print bench's generated customers (ids B000000…, everyone targeted)."""
    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import print_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return print_bench.make_campaign(tmp_path, rows)


def test_outcomes_variants_and_ids_cost_a_byte_a_row_or_nothing(tmp_path):
    """At ten million rows read in batches, each text column the accounting adds is hundreds
    of MB the machine must hold. The outcome and the variant are categories, a byte a row, cold
    and recalled; ids already safe in a file name are the file's own column, not a copy."""
    from publipost.api import prepare
    from publipost.campaigns.audience import ID, VARIANT

    campaign = _big_campaign(tmp_path, 20_000)
    cold, warm = (prepare(campaign, keep=tmp_path / "out").audience for _ in range(2))
    assert warm.settled and len(cold.frame) == len(warm.frame) == 20_000
    for frame in (cold.frame, warm.frame):
        for column in ("_outcome", VARIANT):
            assert frame[column].memory_usage(index=False, deep=True) < len(frame) + 2_000, column
    frame = cold.frame
    assert frame[ID].tolist() == frame["id"].tolist()
    own, read = (
        [b.buffers()[2].address for b in frame[c].array.__arrow_array__().chunks] for c in (ID, "id")
    )
    assert own == read  # the same bytes
    assert cold.counts == warm.counts == {"targeted": 20_000} and warm.variant_counts() == {}


def test_a_recalled_outcome_is_set_in_place(tmp_path):
    """A later command's steps set outcomes in the frame recalled from the kept file, whose
    mapped pages are read-only: the categories' codes are copied out (a byte a row)."""
    from publipost.campaigns import accounted
    from publipost.campaigns.audience import Outcome, outcomes

    frame = pd.DataFrame({"_row": [2, 3, 4]})
    frame["_outcome"] = outcomes(3)
    accounted.keep(tmp_path, "key", frame, {}, {})
    kept = accounted.recall(tmp_path, "key")
    assert kept is not None
    kept.frame.loc[kept.frame.index[1], "_outcome"] = Outcome.DUPLICATE.value
    assert kept.frame["_outcome"].tolist() == ["targeted", "duplicate", "targeted"]
    assert isinstance(kept.frame["_outcome"].dtype, pd.CategoricalDtype)


def test_the_variant_counts_are_the_recipients_counted_one_by_one(tmp_path):
    """The variant is a category (a byte a row): its counts, what validate prints and the
    report divides by, against the recipients' variants counted one by one, in name order,
    no category counted that no recipient has."""
    from collections import Counter

    from publipost.api import prepare
    from publipost.campaigns.audience import VARIANT
    from tests.conftest import copy_example

    audience = prepare(copy_example("launch-planner", tmp_path)).audience
    assert isinstance(audience.frame[VARIANT].dtype, pd.CategoricalDtype)
    by_hand = Counter(r.variant for r in audience)
    assert len(by_hand) == 2 and audience.variant_counts() == dict(sorted(by_hand.items()))
    assert list(audience.variant_counts()) == sorted(by_hand)
