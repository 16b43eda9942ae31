"""Read-only access to the published warehouse snapshot.

The pipeline replaces `achilles.duckdb` by renaming a new file over it. A reader
keeps one read-only connection per file it has seen (by inode) and opens the new
file when the name points elsewhere; connections to older snapshots stay valid
for queries already running on them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb


class WarehouseNotPublished(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One published file: a cursor on it and what never changes while it is open."""

    cursor: duckdb.DuckDBPyConnection
    published_at: datetime | None
    tables: frozenset[str]


class WarehouseReader:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._inode: int | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._published_at: datetime | None = None
        self._tables: frozenset[str] = frozenset()

    def _connection(self) -> tuple[duckdb.DuckDBPyConnection, datetime | None, frozenset[str]]:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            raise WarehouseNotPublished(str(self.path)) from None
        with self._lock:
            if inode != self._inode or self._con is None:
                con = duckdb.connect(str(self.path), read_only=True)
                row = con.execute("select max(published_at) from achilles_publish").fetchone()
                # A snapshot never changes, so its table list is read once, not per request.
                tables = con.execute("select table_name from duckdb_tables()").fetchall()
                self._con, self._inode = con, inode
                self._published_at = row[0] if row else None
                self._tables = frozenset(t for (t,) in tables)
            return self._con.cursor(), self._published_at, self._tables

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A cursor on the current snapshot: every query through it sees the same file."""
        cur, published_at, tables = self._connection()
        try:
            yield Snapshot(cur, published_at, tables)
        finally:
            cur.close()

    def published_at(self) -> datetime | None:
        try:
            with self.snapshot() as snap:
                return snap.published_at
        except WarehouseNotPublished:
            return None

    def query(
        self, sql: str, params: list[Any] | None = None
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """Rows as dicts plus the snapshot's publish time."""
        with self.snapshot() as snap:
            snap.cursor.execute(sql, params or [])
            names = [d[0] for d in snap.cursor.description]
            rows = snap.cursor.fetchall()
            return [dict(zip(names, row, strict=True)) for row in rows], snap.published_at

    def has_table(self, table: str) -> bool:
        with self.snapshot() as snap:
            return table in snap.tables
