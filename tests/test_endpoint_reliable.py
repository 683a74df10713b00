"""The one-click endpoint loses no unsubscribe (issue 25, 4 and 11): both encodings RFC 8058
allows and the bodies providers really send; a body refused on its declared length before it is
read; a locked SQLite store that holds up nobody else and a spool that keeps the request; a
store file replaced on disk; a PostgreSQL server restarted under a running endpoint. Real
uvicorn, real PostgreSQL (Debian's programs), real sockets."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
import time

import httpx

from publipost.mailer.message import unsubscribe_for
from publipost.store.db import Store
from publipost.store.keys import email_key
from tests.test_unsubscribe import SECRET, Endpoint

ADDRESSES = [f"person{n}@example.com" for n in range(8)]


def _url(endpoint: Endpoint, address: str) -> str:
    link = unsubscribe_for("https://x.example/u", None, "PLAN27", email_key(address), SECRET.encode()).url
    return f"http://127.0.0.1:{endpoint.port}/u?{link.split('?', 1)[1]}"


def _keys(location: str) -> set[str]:
    with Store(location) as store:
        return {e.key for e in store.entries()}


def _wait_for(condition, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_both_encodings_and_the_bodies_providers_send(own_store):
    bodies = [
        {"data": {"List-Unsubscribe": "One-Click"}},  # urlencoded, as httpx sends it
        {"files": {"List-Unsubscribe": (None, "One-Click")}},  # multipart/form-data (RFC 8058 §3.2)
        {
            "content": b"List-Unsubscribe=One-Click\r\n",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        },
        {
            "content": b"List-Unsubscribe=One%2DClick",
            "headers": {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        },
        {"content": b"List-Unsubscribe=One-Click"},  # no content type at all
        {"files": {"List-Unsubscribe": (None, "One-Click"), "extra": (None, "field")}},
    ]
    with Endpoint(str(own_store)) as endpoint, httpx.Client(timeout=10) as client:
        for address, body in zip(ADDRESSES, bodies, strict=False):
            answer = client.post(_url(endpoint, address), **body)
            assert (answer.status_code, answer.text) == (200, "unsubscribed"), body
    assert _keys(str(own_store)) == {email_key(a) for a in ADDRESSES[: len(bodies)]}


def test_a_large_body_is_refused_before_it_is_read(own_store):
    with Endpoint(str(own_store)) as endpoint:
        with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as sock:
            head = (
                f"POST /u?{_url(endpoint, ADDRESSES[0]).split('?', 1)[1]} HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 600000000\r\n\r\n"
            )
            sock.sendall(head.encode())  # and not one byte of the 600 MB
            answer = sock.recv(4096).decode()
        assert answer.startswith("HTTP/1.1 413")

        def chunks():
            for _ in range(100):
                yield b"x" * 1024

        with httpx.Client(timeout=10) as client:  # no length declared: counted as it streams
            assert client.post(_url(endpoint, ADDRESSES[1]), content=chunks()).status_code == 413
    assert _keys(str(own_store)) == set()


def test_a_locked_store_holds_up_nobody_and_loses_nothing(own_store, tmp_path):
    Store(str(own_store)).close()
    with (
        Endpoint(str(own_store), tmp_path / "spool.jsonl", wait=1.0, replay_every=0.2) as endpoint,
        httpx.Client(timeout=30) as client,
    ):
        locker = sqlite3.connect(own_store, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the store's write lock
        answers: list[httpx.Response] = []
        writer = threading.Thread(
            target=lambda: answers.append(
                client.post(_url(endpoint, ADDRESSES[0]), data={"List-Unsubscribe": "One-Click"})
            )
        )
        writer.start()
        time.sleep(0.1)
        started = time.monotonic()
        other = client.get(f"http://127.0.0.1:{endpoint.port}/u?c=X")  # another request meanwhile
        assert other.status_code == 400 and time.monotonic() - started < 0.5
        writer.join(10)
        (answer,) = answers
        assert answer.status_code == 200  # spooled, durable, before the answer
        assert email_key(ADDRESSES[0]) in (tmp_path / "spool.jsonl").read_text()
        page = client.get(_url(endpoint, ADDRESSES[0]))
        assert "already unsubscribed" in page.text  # the spool counts as unsubscribed
        locker.execute("ROLLBACK")
        locker.close()
        _wait_for(lambda: email_key(ADDRESSES[0]) in _keys(str(own_store)))
        # the spool is emptied once the store holds everything it had: a moment after the write
        _wait_for(lambda: not (tmp_path / "spool.jsonl").exists())


def test_a_replaced_store_file_is_written_where_it_is_read(own_store, tmp_path):
    with Endpoint(str(own_store)) as endpoint, httpx.Client(timeout=10) as client:
        assert (
            client.post(_url(endpoint, ADDRESSES[0]), data={"List-Unsubscribe": "One-Click"}).status_code
            == 200
        )
        backup = tmp_path / "backup.sqlite"
        with sqlite3.connect(own_store) as source, sqlite3.connect(backup) as copy:
            source.backup(copy)  # what a backup tool does (the WAL included)
        own_store.unlink()
        for suffix in ("-wal", "-shm"):
            own_store.with_name(own_store.name + suffix).unlink(missing_ok=True)
        shutil.copy(backup, own_store)  # restored from a backup: another inode at the same path
        assert (
            client.post(_url(endpoint, ADDRESSES[1]), data={"List-Unsubscribe": "One-Click"}).status_code
            == 200
        )
    assert _keys(str(own_store)) == {email_key(ADDRESSES[0]), email_key(ADDRESSES[1])}


def test_the_endpoint_outlives_a_postgresql_restart(postgres, tmp_path):
    url = postgres.database("endpoint_restart")
    Store(url).close()
    one_click = {"List-Unsubscribe": "One-Click"}
    with (
        Endpoint(url, tmp_path / "spool.jsonl", wait=1.0, replay_every=0.3) as endpoint,
        httpx.Client(timeout=30) as client,
    ):
        assert client.post(_url(endpoint, ADDRESSES[0]), data=one_click).status_code == 200
        postgres.halt()
        postgres.resume()  # a restart: every connection the pool held is dead
        assert client.post(_url(endpoint, ADDRESSES[1]), data=one_click).status_code == 200
        assert _keys(url) == {email_key(a) for a in ADDRESSES[:2]}  # written, not spooled
        postgres.halt()  # down: the request waits in the spool
        assert client.post(_url(endpoint, ADDRESSES[2]), data=one_click).status_code == 200
        assert email_key(ADDRESSES[2]) in (tmp_path / "spool.jsonl").read_text()
        postgres.resume()
        _wait_for(lambda: email_key(ADDRESSES[2]) in _keys(url))
    assert _keys(url) == {email_key(a) for a in ADDRESSES[:3]}


def test_an_unsubscribe_neither_store_nor_spool_can_keep_is_never_answered_ok(tmp_path):
    """The 200 means durable: with the store locked and the spool unwritable (its path a folder:
    refused even to root), the answer is 503 with Retry-After (a mail client asks again), never a
    200 for a request that is kept nowhere."""
    store = tmp_path / "store.sqlite"
    Store(str(store)).close()
    spool = tmp_path / "spool.jsonl"
    spool.mkdir()
    locker = sqlite3.connect(store, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with (
            Endpoint(str(store), spool, wait=0.3, replay_every=60) as endpoint,
            httpx.Client(timeout=10) as client,
        ):
            answer = client.post(_url(endpoint, ADDRESSES[0]), data={"List-Unsubscribe": "One-Click"})
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    assert answer.text == "unsubscribe not recorded: try again"
