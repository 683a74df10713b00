"""Hostile campaigns and copy: each is a clear answer in bounded time and memory.

Every case runs the real command in a child process under a resource limit (address space
and CPU seconds): a hang or a runaway allocation fails the test instead of the machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import BASE_CAMPAIGN, BASE_CSV, BASE_LETTER

MEMORY = 3 * 1024**3  # bytes of address space
CPU_SECONDS = 30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _publipost(*args, cwd):
    done = subprocess.run(
        [sys.executable, "-m", "publipost", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CPU_SECONDS * 2,
        preexec_fn=_limited,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PUBLIPOST_LANG": "en"},
    )
    return done.returncode, done.stdout, done.stderr


def _folder(tmp_path, campaign=BASE_CAMPAIGN, letter=BASE_LETTER):
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "campaign.yaml").write_text(textwrap.dedent(campaign))
    (tmp_path / "clients.csv").write_text(textwrap.dedent(BASE_CSV))
    (tmp_path / "lettre.md").write_text(letter)
    return tmp_path / "campaign.yaml"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("{{ 9**999999999 }}", "is too large a number"),
        ("{{ 'x' * 10**10 }}", "builds too much"),
        ("{{ '%0999999999d' % 1 }}", "a format width of 10,000 or more"),
    ],
)
def test_constant_expressions_too_large_are_errors_in_the_copy(tmp_path, expression, message):
    path = _folder(tmp_path, letter=BASE_LETTER.replace("voici votre offre.", f"voici {expression}."))
    for command in ("validate", "lint"):
        code, _out, err = _publipost(command, path, cwd=tmp_path)
        assert code == 2 and f"{tmp_path / 'lettre.md'}:3:" in err and message in err, (command, err)
        assert "Traceback" not in err


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "{% for a in range(9000) %}{% for b in range(9000) %}x{% endfor %}{% endfor %}",
            "loops ran more than 10,000 times",
        ),
        ("{{ first_name.center(1000000000) }}", "center() was given 1000000000"),
        ("{{ first_name | center(1000000000) }}", "center() was given 1000000000"),
        ("{{ (first_name ~ 'x') * 1000000000 }}", "builds too much"),
        ("{{ '{:>999999999}'.format(first_name) }}", "a format width of 10,000 or more"),
    ],
)
def test_work_without_end_fails_each_recipient_quickly(tmp_path, expression, message):
    path = _folder(tmp_path, letter=BASE_LETTER.replace("voici votre offre.", f"voici {expression}."))
    code, _out, err = _publipost("lint", path, cwd=tmp_path)
    assert code in (0, 1) and "Traceback" not in err, err
    code, _out, err = _publipost("render", path, "--format", "text", cwd=tmp_path)
    assert code == 1 and message in err and "Traceback" not in err, err
    assert "2 recipients could not be rendered" in err


def test_billion_laughs_yaml_is_refused(tmp_path):
    laughs = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = _folder(tmp_path, campaign=BASE_CAMPAIGN + "lint:\n  " + "\n  ".join(laughs) + "\n")
    assert len(path.read_bytes()) < 2000
    for command in ("lint", "validate"):
        code, _out, err = _publipost(command, path, cwd=tmp_path)
        assert code == 2 and "expands to too many values through YAML aliases" in err, err


@pytest.mark.parametrize(
    "paragraph",
    [
        "M. " * 33_000,  # abbreviations: no sentence ends
        "{{ " * 33_000,  # unclosed fields
        "{# " * 33_000,  # unclosed comments
        "{# publipost: ignore[PP201] #}\n" * 5_000,
        "a." * 50_000,
    ],
    ids=["abbreviations", "fields", "comments", "suppressions", "dots"],
)
def test_a_crafted_100_kb_paragraph_lints_in_bounded_time(tmp_path, paragraph):
    letter = tmp_path / "lettre.md"
    letter.write_text(f"**Découvrez**\n\nMadame,\n\n{paragraph}\n\nClaire Martin\nDirectrice\n\nP.S. Vite.\n")
    code, out, err = _publipost("lint", letter, "--isolated", cwd=tmp_path)
    assert code in (0, 1) and "Traceback" not in err, err
    assert len(out) < 5_000_000  # excerpts are cut short


def test_an_oversized_copy_file_is_refused(tmp_path):
    letter = tmp_path / "lettre.md"
    letter.write_text("Madame,\n\n" + "Un mot. " * 200_000)
    code, _out, err = _publipost("lint", letter, cwd=tmp_path)
    assert code == 2 and "publipost reads campaign and copy files up to 1 MB" in err


@pytest.mark.parametrize(
    "html",
    [
        "<mjml><mj-body><mj-text>" + "<p>a " * 20_000 + "</mj-text></mj-body></mjml>",
        "<mjml><mj-body><mj-text><p>" + "<!-- " * 20_000 + "</p></mj-text></mj-body></mjml>",
        "<mjml><mj-body><mj-text><p>" + "<b>a " * 20_000 + "</p></mj-text></mj-body></mjml>",
        "<mjml><mj-head>" + "<mj-title>a " * 20_000 + "</mj-head></mjml>",
        "<mjml><mj-body><mj-text>" + "<p>Un mot. Deux mots.</p>" * 5_000 + "</mj-text></mj-body></mjml>",
    ],
    ids=["unclosed-p", "unclosed-comments", "unclosed-b", "unclosed-title", "many-paragraphs"],
)
def test_crafted_mjml_lints_in_bounded_time(tmp_path, html):
    (tmp_path / "email.mjml").write_text(html)
    code, _out, err = _publipost("lint", tmp_path / "email.mjml", "--isolated", cwd=tmp_path)
    assert code in (0, 1) and "Traceback" not in err, err


def _workbook(tmp_path, extra_rows: str = "", sheet_xml=None):
    """A real XLSX (openpyxl) of the base customers, its sheet's XML changed as a forger would."""
    import csv
    import io
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Clients"
    for row in csv.reader(io.StringIO(textwrap.dedent(BASE_CSV).strip()), delimiter=";"):
        sheet.append(row)
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    forged = tmp_path / "clients.xlsx"
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = (
                    sheet_xml(text)
                    if sheet_xml
                    else text.replace("</sheetData>", extra_rows + "</sheetData>")
                )
                data = text.encode()
            out.writestr(item, data)
    return forged


@pytest.mark.slow  # a bound waited for, or every spelling of the paths: CI runs it
@pytest.mark.parametrize(
    ("forge", "said"),
    [
        (  # one stray cell at the last column, 200,000 rows down: pandas pads every row to it
            {"extra_rows": '<row r="200000"><c r="XFD200000" t="inlineStr"><is><t>x</t></is></c></row>'},
            "the sheet spans 200,000 rows × 16,384 columns (its last cell: XFD200000)",
        ),
        (  # the same without cell references: 200,000 rows of one value, then one 16,384 cells wide
            {
                "extra_rows": '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 200_000
                + "<row>"
                + "<c/>" * 16_383
                + '<c t="inlineStr"><is><t>x</t></is></c></row>'
            },
            "16,384 columns",
        ),
        (  # 300 MB of blank space between two elements, deflated to a few hundred KB
            {"sheet_xml": lambda text: text.replace("<sheetData>", "<sheetData>" + " " * 300_000_000)},
            "more than a spreadsheet's data ever compresses (a workbook bomb)",
        ),
    ],
    ids=["stray-cell", "blank-cells", "blank-space"],
)
def test_an_xlsx_bomb_is_refused_in_bounded_time_and_memory(tmp_path, forge, said):
    """Issue 25, 13: a 1.5 KB workbook took 2.7 GB; others ran 268 s, then MemoryError."""
    workbook = _workbook(tmp_path, **forge)
    assert workbook.stat().st_size < 2_000_000
    campaign = _folder(tmp_path, BASE_CAMPAIGN.replace("source: clients.csv", "source: clients.xlsx"))
    code, _, err = _publipost("validate", campaign, cwd=tmp_path)
    assert code == 2, err
    assert said in err and "clients.xlsx" in err and "Traceback" not in err


def test_a_plain_workbook_still_reads(tmp_path):
    workbook = _workbook(tmp_path)
    assert workbook.exists()
    campaign = _folder(tmp_path, BASE_CAMPAIGN.replace("source: clients.csv", "source: clients.xlsx"))
    code, _, err = _publipost("validate", campaign, cwd=tmp_path)
    assert code == 0, err
