"""Responses imported against the manifest: codes with their check character, ids, e-mails,
French amounts; typos reported, never mis-attributed; a file imported twice counts once."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from publipost.results.responses import parse_amount
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,50 €", 1234.5),
        ("1\u202f234,50\u00a0€", 1234.5),
        ("89,90", 89.9),
        ("$1,234.50", 1234.5),
        ("1.234,50", 1234.5),
        ("34", 34.0),
        ("1,234", 1234.0),
        ("EUR 12.5", 12.5),
    ],
)
def test_amounts_as_people_write_them(text, value):
    assert parse_amount(text) == (value, "")


def test_garbage_amounts_are_reported():
    assert parse_amount("douze euros")[1] == "amount 'douze euros' is not a number"


@pytest.fixture
def mailed(tmp_path, run):
    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    assert run("render", campaign, "--format", "pdf").code == 0
    assert run("send", campaign).code == 0
    db = sqlite3.connect(folder / "out" / "manifest.sqlite")
    rows = db.execute("SELECT id, channel, variant, response_code FROM mailings ORDER BY row").fetchall()
    db.close()
    return campaign, rows


def _typo(code: str) -> str:
    """One character of the recipient part changed."""
    payload, check = code.rsplit("-", 1)
    changed = payload[:-1] + ("7" if payload[-1] != "7" else "8")
    return f"{changed}-{check}"


def test_responses_are_attributed_and_typos_reported(mailed, run, tmp_path):
    campaign, rows = mailed
    letters = [r for r in rows if r[1] == "letter"]
    control = [r for r in rows if r[2] == "control"]
    assert control  # the example holds 10 % out
    coupons = tmp_path / "coupons.csv"
    lines = ["Code réponse;Date;Montant"]
    lines += [f"{code};02/12/2026;34,00 €" for _, _, _, code in letters[:5]]
    lines.append(f"{_typo(letters[5][3])};03/12/2026;34,00 €")  # keyed in wrong
    lines.append("COUDOUVCM-C00002-5;03/12/2026;34,00 €")  # another campaign's coupon
    lines.append(f"{letters[6][3]};04/12/2026;douze")  # an amount nobody can read
    coupons.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    orders = tmp_path / "orders.csv"  # the control group buys too: orders by customer id
    orders.write_text("id,date,amount\n" + "".join(f'{r[0]},2026-12-05,"1,234.50"\n' for r in control[:2]))

    first = run("responses", "import", campaign, coupons, orders)
    assert first.code == 1  # some rows are not attributed: said, with their rows
    assert "coupons.csv: 8 rows, 5 responses added, 3 not attributed" in first.out
    assert "orders.csv: 2 rows, 2 responses added" in first.out
    assert f"row 7: response code {_typo(letters[5][3])}: the check character does not match" in first.err
    assert "did you mean " in first.err and letters[5][3] in first.err
    assert "is another campaign's (COUDOUVCM, not PLAN27)" in first.err
    assert "row 9: amount 'douze' is not a number" in first.err
    again = run("responses", "import", campaign, coupons, orders)
    assert "5 responses added" not in again.out and "0 responses added, 5 already imported" in again.out
    db = sqlite3.connect(campaign.parent / "out" / "manifest.sqlite")
    attributed = db.execute(
        "SELECT id, matched_by, date, amount FROM responses ORDER BY file, source_row"
    ).fetchall()
    assert len(attributed) == 7  # nothing twice
    assert [a[0] for a in attributed[:5]] == [r[0] for r in letters[:5]]
    assert attributed[0][1:] == ("response code", "2026-12-02", 34.0)
    assert {a[0] for a in attributed[5:]} == {r[0] for r in control[:2]} and attributed[5][3] == 1234.5


def test_a_file_without_a_key_column_is_refused(mailed, run, tmp_path):
    campaign, _ = mailed
    bad = tmp_path / "export.csv"
    bad.write_text("Nom,Montant\nDupont,12\n")
    refused = run("responses", "import", campaign, bad)
    assert (
        refused.code == 2 and "no column says who responded" in refused.err and "Nom, Montant" in refused.err
    )


def test_the_examples_responses_file_imports_as_the_readme_shows(mailed, run):
    campaign, _ = mailed
    result = run("responses", "import", campaign, campaign.parent / "data" / "responses.csv")
    assert "responses.csv: 6 rows, 5 responses added, 1 not attributed" in result.out
    assert "row 6: response code PLAN27-PL-0017-7: the check character does not match: a typo" in result.err
    assert "did you mean PLAN27-PL-0010-7 or PLAN27-PL-0017-U?" in result.err
    assert "1 row not attributed" in result.out and result.code == 1
    report = run("report", campaign)
    assert report.code == 0 and "control              4         4         1   25.0%" in report.out


def test_a_missing_responses_file_is_named(mailed, run, tmp_path):
    campaign, _ = mailed
    missing = run("responses", "import", campaign, tmp_path / "nope.csv")
    assert missing.code == 2 and "nope.csv: responses file not found" in missing.err
    assert "target.source" not in missing.err  # not the customer file's hint


def test_terminal_escapes_in_a_web_order_are_shown_not_run(mailed, run, tmp_path):
    """Issue 25, 14: a web order's `ref` holding an escape sequence was printed raw."""
    campaign, _ = mailed
    orders = tmp_path / "orders.csv"
    orders.write_text('ref,date,amount\n"PLAN27-\x1b[2J\x1b]0;pwned\x07-X",2026-12-05,12\n', encoding="utf-8")
    result = run("responses", "import", campaign, orders)
    assert result.code == 1
    assert "\x1b" not in result.err + result.out and "\x07" not in result.err + result.out
    assert "\\x1b[2J" in result.err  # shown, escaped


def _counted(campaign):
    db = sqlite3.connect(campaign.parent / "out" / "manifest.sqlite")
    count, total = db.execute("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM responses").fetchone()
    db.close()
    return count, total


def test_a_corrected_export_never_counts_an_order_twice_and_imports_can_be_undone(mailed, run, tmp_path):
    """Issue 26, 2: a corrected export (one amount fixed) added every row again (12 -> 17 orders)."""
    campaign, rows = mailed
    letters = [r for r in rows if r[1] == "letter"][:5]
    first = tmp_path / "orders.csv"
    first.write_text("code,date,amount\n" + "".join(f"{r[3]},2026-12-02,34.00\n" for r in letters))
    corrected = tmp_path / "orders-corrected.csv"
    lines = first.read_text().splitlines()
    lines[3] = lines[3].replace("34.00", "43.00")  # the third order's amount, fixed
    corrected.write_text("\n".join(lines) + "\n")

    assert "5 responses added (import 1)" in run("responses", "import", campaign, first).out
    assert _counted(campaign) == (5, 170.0)
    again = run("responses", "import", campaign, corrected)
    assert again.code == 0, again.err
    assert "0 responses added, 4 already imported, 1 with another amount than counted (import 2)" in again.out
    assert "row 4: amount 43.0 here, 34.0 counted: kept" in again.out
    assert _counted(campaign) == (5, 170.0)  # nothing counted twice; the first amounts kept
    replaced = run("responses", "import", campaign, corrected, "--replace")
    assert "row 4: amount 43.0 here, 34.0 counted: taken (--replace)" in replaced.out
    assert _counted(campaign) == (5, 179.0)

    listed = run("responses", "list", campaign)
    assert listed.code == 0 and "orders-corrected.csv  (--replace)" in listed.out
    removed = run("responses", "remove", campaign, "3")  # undo the --replace
    assert "import 3 (orders-corrected.csv) removed: 5 responses counted before, 5 now" in removed.out
    assert _counted(campaign) == (5, 170.0)
    run("responses", "remove", campaign, "1")  # the first import gone: the corrected copy counts
    assert _counted(campaign) == (5, 179.0)
    run("responses", "remove", campaign, "2")
    assert _counted(campaign) == (0, 0.0)
    assert "5 responses added" in run("responses", "import", campaign, first).out
    assert _counted(campaign) == (5, 170.0)
    assert run("responses", "remove", campaign, "99").code == 2


def test_two_orders_of_one_day_in_one_file_are_two_and_an_order_number_tells_orders_apart(
    mailed, run, tmp_path
):
    campaign, rows = mailed
    code = next(r[3] for r in rows if r[1] == "letter")
    same_day = tmp_path / "same-day.csv"
    same_day.write_text(f"code,date,amount\n{code},2026-12-02,10\n{code},2026-12-02,20\n")
    assert "2 responses added" in run("responses", "import", campaign, same_day).out
    numbered = tmp_path / "numbered.csv"  # the same two orders by their numbers, and a third
    numbered.write_text(
        f"code,date,amount,order\n{code},2026-12-02,10,A1\n{code},2026-12-02,20,A2\n{code},2026-12-02,5,A3\n"
    )
    assert "3 responses added" in run("responses", "import", campaign, numbered).out
    again = run("responses", "import", campaign, numbered)
    assert "0 responses added, 3 already imported" in again.out


def test_a_manifest_of_an_earlier_version_keeps_its_responses(mailed, run):
    campaign, rows = mailed
    code = next(r[3] for r in rows if r[1] == "letter")
    db = sqlite3.connect(campaign.parent / "out" / "manifest.sqlite")
    with db:  # as publipost 0.1 left it: responses (of its shape), and no imports
        db.execute("DROP TABLE IF EXISTS imports")
        db.execute("DROP TABLE IF EXISTS import_rows")
        db.execute("DROP TABLE responses")
        db.execute(
            "CREATE TABLE responses (source TEXT NOT NULL, source_row INTEGER NOT NULL, file TEXT NOT NULL, "
            "id TEXT NOT NULL, matched_by TEXT NOT NULL, date TEXT, amount REAL, "
            "PRIMARY KEY (source, source_row))"
        )
        db.execute(
            "INSERT INTO responses VALUES ('abc', 2, 'old.csv', ?, 'response code', '2026-12-01', 12.5)",
            (next(r[0] for r in rows if r[3] == code),),
        )
    db.close()
    listed = run("responses", "list", campaign)
    assert listed.code == 0 and "old.csv" in listed.out
    assert _counted(campaign) == (1, 12.5)


def test_each_response_counts_for_one_channel_and_the_channels_add_up(mailed, run, tmp_path):
    """Issue 26, 3: in a letter + e-mail campaign the report credited every response to both."""
    import json

    campaign, rows = mailed
    both = [r for r in rows if r[1] == "letter" and any(o[0] == r[0] and o[1] == "email" for o in rows)]
    coupon, clicked, by_id = both[0], both[1], both[2]
    url = f"https://planora.example/order?utm_source=publipost&utm_medium=email&ref={clicked[3]}"
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "code,landing_page,id,date,amount\n"
        f"{coupon[3]},,,2026-12-02,30\n"  # a coupon: the letter's
        f",{url},,2026-12-03,40\n"  # a tracked e-mail link: its ref read from the URL, the e-mail's
        f",,{by_id[0]},2026-12-04,50\n"  # by id only: the letter, which that recipient got
    )
    result = run("responses", "import", campaign, orders)
    assert result.code == 0, result.err + result.out
    report = json.loads(run("report", campaign, "--format", "json").out)
    channels = {c["name"]: c for c in report["channels"]}
    assert (channels["letter"]["responses"], channels["email"]["responses"]) == (2, 1)
    assert (channels["letter"]["revenue"], channels["email"]["revenue"]) == (80.0, 40.0)
    mailed_total = sum(v["responses"] for v in report["variants"] if v["name"] != "control")
    assert channels["letter"]["responses"] + channels["email"]["responses"] == mailed_total
    assert "counts for the e-mail when it says so" in report["channel_rule"]
    text = run("report", campaign).out
    assert "each response once:" in text


def test_codes_as_keyed_at_a_till_e_mail_only_customers_and_outsiders(tmp_path, run):
    """Issue 26, 4 (done when: a code keyed `plan27 pl 0010 7` is attributed; an e-mail-only
    recipient's order is matched by address); orders from customers this campaign did not mail
    are counted apart, and do not fail the import."""
    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    data = folder / "data" / "customers.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    cells = lines[4].split(",")
    cells[5:10] = ["", "", "", "", ""]  # PL-0004 has no postal address any more: e-mail only
    lines[4] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("render", campaign, "--format", "pdf").code == 0
    assert run("send", campaign).code == 0
    db = sqlite3.connect(folder / "out" / "manifest.sqlite")
    letters = dict(db.execute("SELECT id, response_code FROM mailings WHERE channel = 'letter'").fetchall())
    emails = {rid for (rid,) in db.execute("SELECT id FROM mailings WHERE channel = 'email'")}
    db.close()
    assert "PL-0004" in emails and "PL-0004" not in letters
    assert letters["PL-0010"] == "PLAN27-PL-0010-7"
    keyed = tmp_path / "till.csv"
    keyed.write_text(
        "code,email,date,amount\n"
        "plan27 pl 0010 7,,2026-12-02,10\n"  # lower case, spaces
        f"{letters['PL-0001'].replace('-', '')},,2026-12-02,10\n"  # no dashes
        f"{letters['PL-0002'].replace('-', chr(0x2013))},,2026-12-02,10\n"  # en dashes
        f"{letters['PL-0009'].replace('0', 'O')},,2026-12-02,10\n"  # O for 0: the check character decides
        f",{cells[10].upper()},2026-12-03,20\n"  # the e-mail-only customer, by address
        ",stranger@example.com,2026-12-02,99\n",  # a customer this campaign did not mail
        encoding="utf-8",
    )
    result = run("responses", "import", campaign, keyed)
    assert result.code == 0, result.out + result.err
    assert "5 responses added, 1 not mailed by this campaign (left aside)" in result.out
    db = sqlite3.connect(folder / "out" / "manifest.sqlite")
    attributed = {rid for (rid,) in db.execute("SELECT id FROM responses")}
    db.close()
    assert attributed == {"PL-0010", "PL-0001", "PL-0002", "PL-0004", "PL-0009"}
