"""A campaign cannot switch suppression stores silently (issue 25, 6): the store's id is recorded
with each print run and send; another store (a publipost.toml naming an empty one, another
PUBLIPOST_STORE) is refused until --store-changed; a store moved keeps its id and passes."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.usefixtures("send_key")


def test_a_config_naming_another_store_is_refused(couette, run, tmp_path, monkeypatch):
    monkeypatch.delenv("PUBLIPOST_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the default store: the user's own
    assert run("suppress", "add", "someone@example.com").code == 0
    first = run("send", couette, "--limit", "10")
    assert first.code == 0, first.err
    assert "store      " in first.out and "(1 entries, id " in first.out
    (couette.parent / "publipost.toml").write_text('store = "empty.sqlite"\n')
    for command in (["send", couette], ["render", couette, "--format", "pdf"]):
        refused = run(*command)
        assert refused.code == 2, command
        assert "this campaign was printed or sent consulting the store" in refused.err
        assert "empty.sqlite, which does not exist (nothing suppressed)" in refused.err
        assert "publipost.toml" in refused.err and "--store-changed" in refused.err
    assert not (couette.parent / "out" / "letters").exists()  # nothing printed
    accepted = run("send", couette, "--store-changed")
    assert accepted.code == 0, accepted.err


def test_another_store_by_the_environment_is_refused_and_a_moved_one_passes(
    couette, run, own_store, monkeypatch
):
    assert run("suppress", "add", "someone@example.com").code == 0
    assert run("send", couette, "--limit", "5").code == 0
    other = own_store.with_name("other.sqlite")
    monkeypatch.setenv("PUBLIPOST_STORE", str(other))
    assert run("suppress", "add", "x@example.com", "y@example.com").code == 0
    refused = run("send", couette)
    assert refused.code == 2 and "(id " in refused.err and "2 entries)" in refused.err
    moved = own_store.with_name("moved.sqlite")
    shutil.move(own_store, moved)
    for suffix in ("-wal", "-shm"):
        if own_store.with_name(own_store.name + suffix).exists():
            shutil.move(own_store.with_name(own_store.name + suffix), moved.with_name(moved.name + suffix))
    monkeypatch.setenv("PUBLIPOST_STORE", str(moved))  # the same store, elsewhere: its id goes with it
    result = run("send", couette)
    assert result.code == 0, result.err
