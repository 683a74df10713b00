"""The command line on the bundled examples: counts that add up, one letter per recipient, exit codes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from publipost.campaigns.audience import load_audience
from publipost.campaigns.load import load_campaign
from publipost.campaigns.postal import format_address
from publipost.campaigns.presets import campaign_preset
from tests.conftest import EXAMPLES, ROOT

EXAMPLE_NAMES = ["vente-couette", "launch-planner"]


def _printed_counts(out: str) -> dict[str, int]:
    return {
        m.group(1).strip(): int(m.group(2))
        for m in re.finditer(
            r"^  (targeted|control group|filtered out|duplicate|suppressed|rejected|rows read)\s+(\d+)",
            out,
            re.MULTILINE,
        )
    }


@pytest.fixture(params=EXAMPLE_NAMES)
def example(request, tmp_path):
    """A copy of the example in a fresh folder: it must run wherever it is put."""
    folder = tmp_path / request.param
    shutil.copytree(EXAMPLES / request.param, folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


def test_validate_prints_counts_that_add_up(example, run):
    result = run("validate", example)
    assert result.code == 0, result.err
    counts = _printed_counts(result.out)
    rows_read = counts.pop("rows read")
    assert sum(counts.values()) == rows_read >= 200
    assert (example.parent / "out" / "rejects.csv").is_file()


def test_render_text_writes_one_letter_per_recipient(example, run):
    result = run("render", example, "--format", "text")
    assert result.code == 0, result.err
    letters = example.parent / "out" / "letters"
    campaign = load_campaign(example)
    audience = load_audience(campaign)
    expected = [r for r in audience if r.postal]
    assert sorted(p.stem for p in letters.iterdir()) == sorted(r.id for r in expected)
    assert f"{len(expected)} letters written" in result.out
    for recipient in expected[:40]:
        text = (letters / f"{recipient.id}.txt").read_text(encoding="utf-8")
        block = format_address(recipient.fields, campaign_preset(campaign).address_style)
        assert all(line in text for line in block)  # the same postal block as the print file


def test_french_letter_content(run, tmp_path):
    example = EXAMPLES / "vente-couette" / "campaign.yaml"
    assert run("render", example, "--out", tmp_path).code == 0
    text = (tmp_path / "letters" / "C00004.txt").read_text(encoding="utf-8")
    assert "Monsieur Jean-Pierre de La Fontaine" in text  # typed in ALL CAPS
    # typeset: a date never split from its day, the number from its unit (typography.py)
    assert "Lyon, le\u00a022\u00a0novembre\u00a02026" in text
    assert "Cher Monsieur de La Fontaine," in text
    assert "89,90\u00a0€" in text and "31\u00a0décembre\u00a02026" in text
    assert text.rstrip().endswith("part avec votre couette.")
    assert (
        "Claire Martin\nDirectrice commerciale\n\nP.S. Répondez avant le\u00a031\u00a0décembre\u00a02026"
        in text
    )


def test_english_letter_content(run, tmp_path):
    example = EXAMPLES / "launch-planner" / "campaign.yaml"
    assert run("render", example, "--out", tmp_path).code == 0
    text = (tmp_path / "letters" / "PL-0004.txt").read_text(encoding="utf-8")
    # Typed in lower case with "Mrs": the address block (USPS capitals) and the salutation agree.
    assert "MRS IAN MCDONALD" in text and "Dear Mrs McDonald," in text
    assert "Austin, 22 November 2026" in text
    assert "$34.00" in text and "15 January 2027" in text


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_customer_files_are_made_by_their_script(name, tmp_path):
    copy = tmp_path / name
    shutil.copytree(EXAMPLES / name, copy, ignore=shutil.ignore_patterns("out"))
    for data in (copy / "data").iterdir():
        if data.suffix != ".py":
            data.unlink()
    subprocess.run([sys.executable, str(copy / "data" / "make_customers.py")], check=True)
    for data in (EXAMPLES / name / "data").iterdir():
        if data.suffix != ".py":
            assert (copy / "data" / data.name).read_bytes() == data.read_bytes(), data.name


def test_module_entry_point_runs_as_a_process():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "publipost",
            "validate",
            str(EXAMPLES / "launch-planner" / "campaign.yaml"),
            "--out",
            "/dev/null/x",
        ],
        capture_output=True,
        text=True,
    )
    # --out under /dev/null cannot be created: a clear error, never a traceback.
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2(run, capsys):
    with pytest.raises(SystemExit) as exc:
        run("render", "x.yaml", "--format", "docx")
    assert exc.value.code == 2
    assert "invalid choice: 'docx'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "argument"),
    [
        (["validate"], "--allow-outside"),
        (["lint"], "--max-warnings"),
        (["render"], "--per-file"),
        (["send"], "--retry-uncertain"),
        (["report"], "--by"),
        (["responses", "import"], "FILE"),
        (["design", "show"], "name"),
        (["suppress", "export"], "--match"),
        (["unsubscribe", "serve"], "--port"),
        (["bounces", "import"], "--soft-limit"),
    ],
)
def test_each_command_builds_its_own_arguments(run, capsys, command, argument):
    """Only the invoked command's parser is built (start-up time): each one must still be whole."""
    with pytest.raises(SystemExit) as exc:
        run(*command, "--help")
    help_text = capsys.readouterr().out
    assert exc.value.code == 0
    assert help_text.startswith(f"usage: publipost {' '.join(command)} ") and argument in help_text


@pytest.mark.parametrize("args", [["--help"], ["-h", "lint"]])
def test_every_command_is_listed_with_its_summary(run, capsys, args):
    from publipost.cli import COMMANDS

    with pytest.raises(SystemExit):
        run(*args)
    listing = " ".join(capsys.readouterr().out.split())
    for name, summary, _ in COMMANDS:
        assert f"{name} {' '.join(summary.split())}" in listing


def test_a_mistyped_command_lists_the_commands(run, capsys):
    with pytest.raises(SystemExit) as exc:
        run("lnt", "letter.md")
    assert exc.value.code == 2
    assert "invalid choice: 'lnt' (choose from 'validate', 'preview', 'lint'," in capsys.readouterr().err


def test_readme_rule_table_is_generated_from_the_rules():
    from publipost.linter.catalogue import markdown_table
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- rules:start -->")[1].split("<!-- rules:end -->")[0].strip()
    assert table == markdown_table(), "regenerate it: python -m publipost.linter.catalogue"


def test_schema_describes_the_campaign_file_and_validates_the_examples(run):
    import json

    import jsonschema
    from ruamel.yaml import YAML

    result = run("schema")
    assert result.code == 0
    schema = json.loads(result.out)
    assert {"name", "language", "target", "sender"} <= set(schema["required"])
    assert schema["else"]["required"] == ["objective", "offer"]  # unless kind: complaint-reply
    with pytest.raises(jsonschema.ValidationError, match="'objective' is a required property"):
        jsonschema.validate({"name": "x", "language": "fr", "target": {}, "sender": {"name": "y"}}, schema)
    for name in [*EXAMPLE_NAMES, "reclamations"]:  # replies: no objective, no offer
        data = YAML(typ="safe").load((EXAMPLES / name / "campaign.yaml").read_text(encoding="utf-8"))
        for section in ("offer", "letter"):  # YAML dates and numbers, as JSON
            for key, value in list(data.get(section, {}).items()):
                if hasattr(value, "isoformat"):
                    data[section][key] = value.isoformat()
        jsonschema.validate(data, schema)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("send", "c.yaml", "--limit", "-1"), "argument --limit: -1 is below 1"),
        (("send", "c.yaml", "--concurrency", "0"), "argument --concurrency: 0 is below 1"),
        (("send", "c.yaml", "--rate", "-5"), "argument --rate: -5 must be above 0"),
        (("send", "c.yaml", "--timeout", "0"), "argument --timeout: 0 must be above 0"),
        (("send", "c.yaml", "--per-domain", "x"), "argument --per-domain: 'x' is not a whole number"),
        (("render", "c.yaml", "--jobs", "-2"), "argument --jobs: -2 is below 1"),
        (("render", "c.yaml", "--per-file", "-1"), "argument --per-file: -1 is below 0"),
        (("lint", "--max-warnings", "-3"), "argument --max-warnings: -3 is below 0"),
    ],
)
def test_numeric_options_are_checked_before_anything_runs(run, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        run(*args)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_the_readmes_python_api_example_runs(tmp_path, monkeypatch, capsys):
    """The README's Python example, executed as it stands, prints what its comments say."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "3 2"
    assert lines[2].startswith("2 [") and ".txt" in lines[2]
    assert lines[3].startswith("3 ")
    # issue 32, 6: the recipients as a DataFrame, each with the channels that reach them
    assert lines[4].split() == ["id", "by_letter", "by_email", "first_name"]
    table = [line.split() for line in lines[5:8]]
    assert [row[1:] for row in table] == [
        ["True", "True", "Ann"],
        ["True", "True", "Bob"],
        ["False", "True", "Cy"],
    ]
    assert all(row[0].startswith("m") for row in table)  # no id column: known by their address's hash


def test_the_front_door_is_typed_and_lists_its_names():
    import publipost

    assert "prepare" in dir(publipost) and "send" in dir(publipost)
    assert all(getattr(publipost, name) is not None for name in publipost.__all__)
    assert (ROOT / "publipost" / "py.typed").exists()


def test_help_is_as_wide_as_shutil_says_the_terminal_is(monkeypatch):
    """The parser measures the terminal by shutil's rules without importing shutil."""
    import shutil

    from publipost.cli import _columns

    for columns in ("50", "132", "", "zero", "-3"):
        monkeypatch.setenv("COLUMNS", columns)
        assert _columns() == shutil.get_terminal_size().columns


def test_validate_does_not_load_the_linter_nor_asyncio(tmp_path):
    """The linter (30 ms of imports) loads only for commands that lint, asyncio (27 ms) only for
    those that send or serve: validate starts without either."""
    import subprocess

    from tests.conftest import copy_example

    campaign = copy_example("vente-couette", tmp_path)
    code = (
        "import contextlib, io, sys\n"
        "from publipost.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['validate', sys.argv[1]])\n"
        "print(code, 'publipost.linter.engine' in sys.modules, 'asyncio' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(campaign)], capture_output=True, text=True)
    assert done.stdout.split() == ["0", "False", "False"], done.stderr[-2000:]


ARROW_MEMORY = """
import os, sys
from publipost.cli import main
assert "pyarrow" not in sys.modules  # not loaded yet: its allocator reads the options when it is
main(["validate", sys.argv[1]])
import pyarrow
print(os.environ.get("MIMALLOC_ARENA_EAGER_COMMIT"), os.environ.get("MIMALLOC_PURGE_DELAY"))
"""


def test_the_command_line_has_arrow_give_back_the_memory_it_frees(example):
    """Arrow's allocator would keep what each step of the audience frees (a 200,000-row
    validate peaked at 420 MB instead of 300 MB): the command line asks it to give it back,
    before pyarrow is loaded, and leaves an operator's own setting alone."""
    import os

    done = subprocess.run(
        [sys.executable, "-c", ARROW_MEMORY, str(example)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split()[-2:] == ["0", "0"]
    env = {**os.environ, "MIMALLOC_PURGE_DELAY": "10"}
    done = subprocess.run(
        [sys.executable, "-c", ARROW_MEMORY, str(example)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert done.stdout.split()[-2:] == ["0", "10"]
