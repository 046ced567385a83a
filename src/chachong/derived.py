"""Data derived from an index (the phrase table), cached inside the index itself.

Keyed by a generation string that changes whenever the indexed files change, so a stale
entry is never used. The SQLite backend keeps it in a table of the same file; a backend
that offers ``get_derived``/``put_derived`` (Redis) keeps it there.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing


def load_derived(store, name: str, generation: str) -> bytes | None:
    if hasattr(store, "get_derived"):
        return store.get_derived(name, generation)
    try:
        with closing(sqlite3.connect(store.location, timeout=30)) as db:
            row = db.execute(
                "SELECT value FROM derived WHERE name = ? AND generation = ?", (name, generation)
            ).fetchone()
    except sqlite3.OperationalError:
        return None  # no cache table yet
    return row[0] if row else None


def save_derived(store, name: str, generation: str, value: bytes) -> None:
    if hasattr(store, "put_derived"):
        store.put_derived(name, generation, value)
        return
    try:
        # closing(): a connection's own context manager only commits, and a connection left
        # open keeps the WAL file alive after the index is closed.
        with closing(sqlite3.connect(store.location, timeout=30)) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS derived"
                " (name TEXT PRIMARY KEY, generation TEXT NOT NULL, value BLOB NOT NULL)"
            )
            db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)", (name, generation, value))
    except sqlite3.OperationalError:
        pass  # a read-only or busy index still answers; the table is just recomputed next time
