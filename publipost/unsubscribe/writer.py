"""Where the endpoint's unsubscribes go: the store, or, when the store cannot take them now, a
local spool replayed into it later. An unsubscribe is answered 200 only once it is durable in
one of the two: the law counts from the request, and a mail client does not ask twice.

Store work runs in worker threads, each with its own connection, so a store that is slow or
locked by another writer holds up only the requests that write, never the endpoint. SQLite: a
write waits at most WAIT seconds for the lock, then spools; a store file replaced on disk (moved
away, restored from a backup) is noticed by its inode and reopened, so nothing is written
through a handle to a file nobody reads. PostgreSQL: a pool (psycopg_pool) that checks each
connection before handing it out, so a restarted server costs one failed request's retry, not
500 for ever.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from publipost.store.db import Entry, Store, is_url, now

WAIT = 5.0  # seconds a write waits for the store before the request goes to the spool


class StoreUnavailable(Exception):
    """The store could not take the write now (locked, down, gone)."""


class Writer:
    def __init__(self, location: str, spool: Path, wait: float = WAIT):
        self.location, self.spool, self.wait = location, spool, wait
        self.local = threading.local()
        self.spool_lock = threading.Lock()
        self.pool: Any = None
        if is_url(location):
            from psycopg_pool import ConnectionPool

            self.pool = ConnectionPool(
                location,
                min_size=0,
                max_size=8,
                kwargs={"autocommit": True, "connect_timeout": max(1, int(wait))},
                check=ConnectionPool.check_connection,
                open=True,
            )

    # --- the store, in the calling (worker) thread ---------------------------------------------

    def _run(self, work: Any) -> Any:
        """work(store) with a connection of this thread's (SQLite) or the pool's (PostgreSQL)."""
        if self.pool is not None:
            import psycopg
            import psycopg_pool

            try:
                with self.pool.connection(timeout=self.wait) as db:
                    return work(Store(self.location, db=db))
            except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
                raise StoreUnavailable(type(exc).__name__) from None
        import sqlite3

        try:
            return work(self._sqlite())
        except (sqlite3.Error, OSError) as exc:
            self._forget()
            raise StoreUnavailable(str(exc)) from None

    def _sqlite(self) -> Store:
        """This thread's connection, reopened when the file at the path is no longer the one it
        holds (replaced or moved away)."""
        try:
            stat = os.stat(self.location)
            identity: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except FileNotFoundError:
            identity = None
        store = getattr(self.local, "store", None)
        if store is not None and (identity is None or identity != self.local.identity):
            self._forget()
            store = None
        if store is None:
            store = Store(self.location, busy_seconds=self.wait)
            stat = os.stat(self.location)
            self.local.store, self.local.identity = store, (stat.st_dev, stat.st_ino)
        return store

    def _forget(self) -> None:
        store = getattr(self.local, "store", None)
        self.local.store = None
        if store is not None:
            with contextlib.suppress(Exception):  # a connection that is going anyway
                store.close()

    def add(self, entry: Entry) -> bool | None:
        """Suppress; True if new, False if already there, None if spooled (durable, not yet in
        the store). Raises OSError only when neither the store nor the spool can take it."""
        try:
            return bool(self._run(lambda store: store.add([entry]))[0])
        except StoreUnavailable:
            self._spool(entry)
            return None

    def suppressed(self, key: str) -> bool:
        """Whether the address is suppressed, or waiting in the spool; False when the store cannot
        say now (the page then offers the button: pressing it twice changes nothing)."""
        if self._spooled(key):
            return True
        try:
            return bool(self._run(lambda store: store.find([key], "email")))
        except StoreUnavailable:
            return False

    # --- the spool: JSON lines, each written and fsynced before the answer ---------------------

    def _spool(self, entry: Entry) -> None:
        entry = replace(entry, at=entry.at or now())  # the law counts from the request
        line = json.dumps(asdict(entry), ensure_ascii=True) + "\n"
        with self.spool_lock:
            self.spool.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, line.encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    def _spooled(self, key: str) -> bool:
        with self.spool_lock:
            return any(entry.key == key for entry in self._read_spool())

    def _read_spool(self) -> list[Entry]:
        try:
            lines = self.spool.read_text(encoding="ascii").splitlines()
        except OSError:  # none yet, or unreadable: nothing to replay now (a write to it fails: 503)
            return []
        entries = []
        for line in lines:
            try:
                entries.append(Entry(**json.loads(line)))
            except (ValueError, TypeError):  # a line cut by a crash mid-write: it was never answered 200
                continue
        return entries

    def replay(self) -> int:
        """Move what the spool holds into the store; returns how many. The spool is emptied only
        once the store has them all (an entry already there stays as it was: its first date)."""
        with self.spool_lock:
            entries = self._read_spool()
            if not entries:
                return 0
            try:
                self._run(lambda store: store.add(entries))
            except StoreUnavailable:
                return 0
            self.spool.unlink()
            return len(entries)

    def close(self) -> None:
        self._forget()
        if self.pool is not None:
            self.pool.close()
