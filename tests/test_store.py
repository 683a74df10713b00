"""The suppression store: its commands, what every campaign's audience makes of it, its refusals
of files that are not a store, concurrent writers, and the same on a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
import multiprocessing
import shutil
import sqlite3

import pytest

from publipost.store.db import Entry, Store
from publipost.store.keys import email_key, postal_key
from tests.conftest import EXAMPLES


@pytest.fixture
def couette(tmp_path):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    return folder / "campaign.yaml"


def _rejects(campaign) -> list[dict[str, str]]:
    text = (campaign.parent / "out" / "rejects.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_keys_fold_case_and_spell_domains_one_way():
    assert email_key("Lea.Nguyen@Exemple.FR") == email_key("lea.nguyen@exemple.fr")
    assert email_key("anna@bücher.de") == email_key("ANNA@xn--bcher-kva.de")
    assert email_key("anna@bucher.de") != email_key("anna@bücher.de")
    assert email_key("not an address") is None and email_key("") is None
    key = email_key("lea.nguyen@exemple.fr")
    assert len(key) == 64 and "lea" not in key  # a hash: no readable address in the store
    assert postal_key(["Dupont", "12, rue des Lilas", "69003"]) == postal_key(
        ["DUPONT", "12 RUE DES LILAS", "69003"]
    )


def test_the_fast_keys_are_the_same_keys():
    from publipost.store.keys import email_keys

    tricky = [
        "Lea@Exemple.FR",
        "anna@bücher.de",
        "ANNA@XN--BCHER-KVA.DE",
        " padded@example.com ",
        "dot@example.com.",
        "two@@example.com",
        "a@b@example.com",
        "@example.com",
        "local@",
        "",
        "zoé@exemple.fr",
        "İstanbul@example.com",
        "ß@example.com",
    ]
    from publipost.campaigns.emails import check_email

    checked = [check_email(a)[0] or "" for a in tricky]  # as audiences hold them
    assert sum(1 for a in checked if a) >= 3
    assert email_keys(checked) == [email_key(a) for a in checked]


def test_the_postal_keys_of_a_column_are_each_row_s_key():
    """The store is asked for every targeted row's postal key, folded a column at a time: the
    same keys as postal_key row by row, on names and streets as a cleaned file holds them
    (accents, ligatures, other scripts, spaces of every kind, punctuation, blank streets)."""
    import random

    import pandas as pd

    from publipost.campaigns.audience import postal_keys

    pieces = (
        "Éloïse|O'Brien|ŒUVRE|straße|Ǆemal|İnci|Ὀδυσσεύς|東京|ﬁn|d’Arc|Nguyễn|-|  |\u00a0|\u2003|\u3000"
        "|\u200b|12|bis|Rue|ST.|#5|Ⅻ|①|ｆｕｌｌ|Ä|a\u0308|Kelvin\u212a|"
    ).split("|")
    draw = random.Random(31)

    def cell() -> str:
        return "".join(draw.choice([draw.choice(pieces), " "]) for _ in range(draw.randint(0, 5)))

    rows = [(cell(), cell(), cell()) for _ in range(20_000)]
    frame = pd.DataFrame(rows, columns=["last_name", "address1", "postcode"], dtype="str")
    expected = [postal_key(v) if v[1].strip() else None for v in rows]
    assert postal_keys(frame) == expected
    assert sum(k is None for k in expected) > 100 and len(set(expected)) > 5_000


def test_suppress_commands_add_check_remove_import_and_stats(tmp_path, run, own_store):
    added = run("suppress", "add", "Lea.Nguyen1@exemple.fr", "mathis.dupont2@exemple.fr")
    assert added.code == 0 and "2 added, 0 already suppressed" in added.out
    again = run("suppress", "add", "lea.nguyen1@EXEMPLE.fr", "--reason", "complaint")
    assert "0 added, 1 already suppressed" in again.out
    checked = run("suppress", "check", "lea.nguyen1@exemple.fr", "nobody@exemple.fr")
    assert checked.code == 1  # one of them is suppressed
    assert "lea.nguyen1@exemple.fr: suppressed: manual on 20" in checked.out  # the first reason stays
    assert "nobody@exemple.fr: not suppressed" in checked.out
    bad = run("suppress", "add", "ok@exemple.fr", "pas-une-adresse")
    assert bad.code == 2 and "'pas-une-adresse'" in bad.err and bad.out == ""
    assert run("suppress", "check", "ok@exemple.fr").code == 0  # nothing was written: not even the good one
    # another tool's unsubscribe export: cp1252, ';', e-mails and postal addresses
    export = tmp_path / "brevo.csv"
    export.write_bytes(
        "E-mail;Nom;Adresse;Code postal\r\n"
        "MATHIS.DUPONT2@EXEMPLE.FR;Dupont;11 avenue Jean Jaurès;02100\r\n"
        "zoe.roux@exemple.fr;Roux;3 rue Neuve;69001\r\n".encode("cp1252")
    )
    imported = run("suppress", "import", export)
    assert imported.code == 0, imported.err
    assert "2 rows, 3 new, 1 already suppressed" in imported.out  # 2 e-mails (1 known) + 2 postal
    assert "0 new, 4 already suppressed" in run("suppress", "import", export).out  # idempotent
    stats = run("suppress", "stats")
    assert "email          3   manual 2, unsubscribed 1" in stats.out and "postal         2" in stats.out
    removed = run("suppress", "remove", "mathis.dupont2@exemple.fr", "x@exemple.fr")
    assert "1 removed, 1 were not suppressed" in removed.out
    assert run("suppress", "check", "mathis.dupont2@exemple.fr").code == 0
    with Store(str(own_store)) as store:  # what it keeps: hashes, reasons, sources, dates
        entries = list(store.entries())
    assert {e.source for e in entries} == {"by hand", "brevo.csv"}
    assert all(len(e.key) == 64 and "@" not in e.key for e in entries)


def test_every_campaign_consults_the_store(couette, run, own_store):
    with Store(str(own_store)) as store:
        store.add(
            [
                # C00002 (letter and e-mail): the e-mail only
                Entry(email_key("mathis.dupont2@exemple.fr"), "email", "unsubscribed", "HIVER25, one-click"),
                # C00004: both channels
                Entry(email_key("loic.girard4@exemple.fr"), "email", "hard bounce", "HIVER25 C00004"),
                Entry(
                    postal_key(["de La Fontaine", "40 rue des Lilas", "02100"]), "postal", "manual", "by hand"
                ),
            ]
        )
    result = run("validate", couette)
    assert result.code == 0, result.err
    line = next(t for t in result.out.splitlines() if t.strip().startswith("store") and "found" in t)
    assert line.split()[1] == "1" and "2 e-mail and 1 postal addresses found" in line
    assert f"store      {own_store}" in result.out
    rejects = {r["N° client"]: r for r in _rejects(couette)}
    assert rejects["C00004"]["outcome"] == "suppressed (store)"
    assert (
        "hard bounce on 20" in rejects["C00004"]["reason"] and "manual on 20" in rejects["C00004"]["reason"]
    )
    assert rejects["C00002"]["outcome"] == "letter only"
    assert "suppressed (store): unsubscribed on 20" in rejects["C00002"]["reason"]
    assert "(HIVER25, one-click)" in rejects["C00002"]["reason"]
    assert run("render", couette, "--format", "text").code == 0
    letters = couette.parent / "out" / "letters"
    assert (letters / "C00002.txt").exists() and not (letters / "C00004.txt").exists()
    sent = run("send", couette)
    assert sent.code == 0
    import mailbox

    mailed = {
        m["To"].split("<")[-1].rstrip(">").lower()
        for m in mailbox.Maildir(couette.parent / "out" / "maildir")
    }
    assert "mathis.dupont2@exemple.fr" not in mailed and "loic.girard4@exemple.fr" not in mailed
    # opting out is explicit and said out loud
    couette.write_text(
        couette.read_text(encoding="utf-8").replace("objective: vente\n", "objective: vente\nstore: false\n")
    )
    off = run("validate", couette)
    assert "STORE      OFF: THIS CAMPAIGN DOES NOT CONSULT THE SUPPRESSION STORE" in off.out
    assert not any(r["outcome"] == "suppressed (store)" for r in _rejects(couette))


def test_export_lists_the_marketers_rows_that_are_suppressed(tmp_path, run):
    assert run("suppress", "add", "b@exemple.fr").code == 0
    customers = tmp_path / "clients.csv"
    customers.write_text(
        "Nom;E-mail\nA;a@exemple.fr\nB;B@Exemple.fr\n=HYPERLINK(1);c@exemple.fr\n", encoding="utf-8"
    )
    listed = run("suppress", "export", "--match", customers)
    assert listed.code == 0
    rows = list(csv.reader(io.StringIO(listed.out)))
    assert rows[0] == ["suppressed", "Nom", "E-mail"] and len(rows) == 2
    assert rows[1][1:] == ["B", "B@Exemple.fr"] and rows[1][0].startswith("manual on 20")


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path, run, monkeypatch):
    garbage = tmp_path / "notes.sqlite"
    garbage.write_bytes(b"these are my notes, not a database" * 100)
    foreign = tmp_path / "crm.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE customers (id TEXT)")
    newer = tmp_path / "newer.sqlite"
    with Store(str(newer)) as store:
        store.db.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema'")
    for path, said in (
        (garbage, "not a publipost suppression store"),
        (foreign, "not a publipost suppression store"),
        (newer, "has schema 99, newer than this publipost's (1)"),
    ):
        before = path.read_bytes()
        monkeypatch.setenv("PUBLIPOST_STORE", str(path))
        refused = run("suppress", "add", "a@exemple.fr")
        assert refused.code == 2 and said in refused.err, refused.err
        assert path.read_bytes() == before  # nothing overwritten, not even the journal mode


def _writer(location: str, start: int) -> None:
    with Store(location) as store:
        for i in range(start, start + 400, 20):  # many short transactions, racing the other writer
            store.add(Entry(f"{n:064x}", "email", "manual", f"writer {start}") for n in range(i, i + 20))
            store.find([f"{i:064x}"], "email")


def test_concurrent_writers_lose_nothing_and_see_no_lock_error(own_store):
    Store(str(own_store)).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(str(own_store), s)) for s in (0, 200, 400, 600)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0, 0, 0]  # no "database is locked" surfaced
    with Store(str(own_store)) as store:
        assert len(list(store.entries())) == 1000  # 0..999: overlapping ranges, each once


def _versions_follow_every_change(location: str, raw_insert: str) -> None:
    """The store's version token (campaigns/accounted.py keys a kept audience by it) is drawn
    anew at every change to the suppressions, whoever makes it, and only then."""
    with Store(location) as store:
        seen = {store.version()}
        store.add([Entry(email_key("a@example.com"), "email", "manual", "test")])
        assert store.version() not in seen
        seen.add(store.version())
        store.add([Entry(email_key("a@example.com"), "email", "manual", "again")])  # nothing new
        store.mark_seen("inbox", ["m1"])  # other tables: the audience does not read them
        store.to_review([])
        assert store.version() in seen
        store.db.execute(raw_insert, (email_key("b@example.com"),))  # by hand, not by publipost
        assert store.version() not in seen
        seen.add(store.version())
        assert store.remove([email_key("a@example.com")], "email") == 1
        assert store.version() not in seen
        seen.add(store.version())
        store.db.execute(raw_insert.replace("INSERT INTO", "DELETE FROM").split(" VALUES")[0])
        assert store.version() not in seen and len(seen) == 4
        if store.postgres:  # a trigger disabled, or dropped: the version says nothing any more
            store.db.execute("ALTER TABLE suppressions DISABLE TRIGGER suppressions_changed")
        else:
            store.db.execute("DROP TRIGGER suppressions_update")
        assert store.version() == ""


def test_the_store_s_version_follows_every_change_to_its_suppressions(own_store):
    _versions_follow_every_change(
        str(own_store), "INSERT INTO suppressions VALUES (?, 'email', 'manual', 'sql', '2026-12-05')"
    )


def test_a_store_made_before_versions_gets_them_when_next_opened(own_store):
    with Store(str(own_store)) as store:
        store.add([Entry(email_key("a@example.com"), "email", "manual", "test")])
        for event in ("insert", "update", "delete"):  # as publipost 0.1 made it
            store.db.execute(f"DROP TRIGGER suppressions_{event}")
        store.db.execute("DELETE FROM store_meta WHERE key = 'version'")
        assert store.version() == ""
    with Store(str(own_store)) as store:
        first = store.version()
        assert first and [e.key for e in store.entries()] == [email_key("a@example.com")]
        store.add([Entry(email_key("b@example.com"), "email", "manual", "test")])
        assert store.version() not in ("", first)


def test_the_store_location_comes_from_config(tmp_path, run, monkeypatch):
    monkeypatch.delenv("PUBLIPOST_STORE")
    (tmp_path / "pyproject.toml").write_text('[tool.publipost]\nstore = "shared/store.sqlite"\n')
    project = tmp_path / "campaigns"
    project.mkdir()
    monkeypatch.chdir(project)
    assert run("suppress", "add", "a@exemple.fr").code == 0
    assert (tmp_path / "shared" / "store.sqlite").exists()
    (tmp_path / "pyproject.toml").write_text("[tool.publipost]\nstore = 3\n")
    bad = run("suppress", "stats")
    assert bad.code == 2 and "store is a file path or a postgresql:// URL" in bad.err


# --- PostgreSQL -----------------------------------------------------------------------------------


def test_the_same_store_on_postgresql(postgres, couette, run, monkeypatch):
    url = postgres.database("store_campaigns")
    monkeypatch.setenv("PUBLIPOST_STORE", url)
    assert "2 added" in run("suppress", "add", "mathis.dupont2@exemple.fr", "x@exemple.fr").out
    assert "0 added, 1 already" in run("suppress", "add", "X@exemple.fr").out
    result = run("validate", couette)
    assert result.code == 0, result.err
    assert "1 e-mail and 0 postal addresses found" in result.out
    assert f"store      {url}" in result.out
    rejects = {r["N° client"]: r for r in _rejects(couette)}
    assert rejects["C00002"]["outcome"] == "letter only"
    with Store(url) as again:  # migrations run once: a second connection finds the schema
        assert again.stats() == {("email", "manual"): 2}


def _open_store(url: str) -> None:
    Store(url).close()


def test_the_store_s_version_on_postgresql(postgres):
    url = postgres.database("store_versions")
    context = multiprocessing.get_context("spawn")  # four first connections at once: one migrates
    openers = [context.Process(target=_open_store, args=(url,)) for _ in range(4)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(60)
    assert [o.exitcode for o in openers] == [0, 0, 0, 0]
    _versions_follow_every_change(
        url, "INSERT INTO suppressions VALUES (%s, 'email', 'manual', 'sql', '2026-12-05')"
    )


def test_a_postgresql_role_that_may_not_add_triggers_still_has_its_store(postgres):
    """A store made by one role (before versions) and used by another that may create in the
    schema but does not own the tables: it opens and works; its version says nothing, so no
    audience is kept accounted whole against it."""
    url = postgres.database("store_clerk")
    with Store(url) as store:
        store.add([Entry(email_key("a@example.com"), "email", "manual", "test")])
        store.db.execute("DROP TRIGGER suppressions_changed ON suppressions")  # as 0.1 made it
        store.db.execute("DELETE FROM store_meta WHERE key = 'version'")
        store.db.execute("CREATE ROLE clerk LOGIN")
        store.db.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO clerk")
        store.db.execute("GRANT CREATE ON SCHEMA public TO clerk")
    with Store(url.replace("postgres@", "clerk@")) as clerk:
        assert clerk.version() == ""
        assert clerk.add([Entry(email_key("b@example.com"), "email", "manual", "test")]) == (1, 0)
        assert clerk.stats() == {("email", "manual"): 2}
    with Store(url) as owner:  # the owner, next time, adds them
        assert owner.version() != ""


def test_postgresql_refusals_never_show_the_password(postgres, run, monkeypatch):
    monkeypatch.setenv("PUBLIPOST_STORE", "postgresql://dana:hunter2@127.0.0.1:9/campaigns")
    refused = run("suppress", "stats")
    assert refused.code == 2
    assert "database 'campaigns' on 127.0.0.1:9" in refused.err and "hunter2" not in refused.err + refused.out
    other = postgres.database("crm")
    import psycopg

    with psycopg.connect(other, autocommit=True) as db:
        db.execute("CREATE TABLE customers (id text)")
    monkeypatch.setenv("PUBLIPOST_STORE", other)
    refused = run("suppress", "add", "a@exemple.fr")
    assert refused.code == 2 and "holds tables that are not a publipost store" in refused.err
    with psycopg.connect(other) as db:
        tables = {
            r[0]
            for r in db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert tables == {"customers"}


def test_the_preview_counts_the_store_too(couette, own_store):
    from publipost.preview.page import recipient_page
    from publipost.preview.state import Preview

    with Store(str(own_store)) as store:
        store.add([Entry(email_key("loic.girard4@exemple.fr"), "email", "complaint", "HIVER25 C00004")])
    preview = Preview(couette)
    preview.load()
    loaded = preview.loaded
    assert loaded is not None and "C00004" in loaded.ids  # it keeps its letter
    assert "email" not in preview.recipient("C00004").channels
    page = recipient_page(preview, loaded, preview.recipient(loaded.ids[0]), couette.parent)
    assert f"suppression store {own_store}: 1 e-mail and 0 postal addresses found" in page
    assert "suppressed (store): complaint on 20" in page  # in the rows not (fully) targeted


def test_a_store_that_cannot_be_opened_and_a_missing_file(tmp_path, run, monkeypatch):
    monkeypatch.setenv("PUBLIPOST_STORE", str(tmp_path))  # a folder, not a file
    refused = run("suppress", "add", "a@exemple.fr")
    assert refused.code == 2 and "cannot open the store" in refused.err and "Traceback" not in refused.err
    monkeypatch.setenv("PUBLIPOST_STORE", str(tmp_path / "store.sqlite"))
    for args in (("import", tmp_path / "gone.csv"), ("export", "--match", tmp_path / "gone.csv")):
        missing = run("suppress", *args)
        assert missing.code == 2 and f"{tmp_path / 'gone.csv'}: file not found" in missing.err
        assert "target.source" not in missing.err  # not a campaign's customer file


def test_the_default_store_is_the_platform_s_unless_one_was_kept_where_0_1_put_it(tmp_path, monkeypatch):
    """Issue 28: platformdirs places the store where each system expects (on macOS, ~/Library/
    Application Support); a store publipost 0.1 kept in ~/.local/share stays the one used, or
    every customer it suppresses would be mailed again from an empty store."""
    import platformdirs

    from publipost.store.config import default_location

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    elsewhere = tmp_path / "Library" / "Application Support" / "publipost"
    monkeypatch.setattr(platformdirs, "user_data_path", lambda name, appauthor=None: elsewhere)
    assert default_location() == elsewhere / "store.sqlite"  # nothing kept yet: the platform's
    legacy = tmp_path / "xdg" / "publipost" / "store.sqlite"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"")
    assert default_location() == legacy  # the store that holds the suppressions
    elsewhere.mkdir(parents=True)
    (elsewhere / "store.sqlite").write_bytes(b"")
    assert default_location() == elsewhere / "store.sqlite"  # once moved, the platform's
