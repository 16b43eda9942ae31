"""Read-only access to the published warehouse snapshot.

The pipeline replaces `achilles.duckdb` by renaming a new file over it. A reader
keeps one read-only connection per file it has seen (by inode) and opens the new
file when the name points elsewhere; connections to older snapshots stay valid
for queries already running on them.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb


class WarehouseNotPublished(LookupError):
    pass


class WarehouseReader:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._inode: int | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._published_at: datetime | None = None

    def _connection(self) -> tuple[duckdb.DuckDBPyConnection, datetime | None]:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            raise WarehouseNotPublished(str(self.path)) from None
        with self._lock:
            if inode != self._inode or self._con is None:
                con = duckdb.connect(str(self.path), read_only=True)
                row = con.execute("select max(published_at) from achilles_publish").fetchone()
                self._con, self._inode = con, inode
                self._published_at = row[0] if row else None
            return self._con.cursor(), self._published_at

    def published_at(self) -> datetime | None:
        try:
            cur, published_at = self._connection()
        except WarehouseNotPublished:
            return None
        cur.close()
        return published_at

    def query(
        self, sql: str, params: list[Any] | None = None
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """Rows as dicts plus the snapshot's publish time."""
        cur, published_at = self._connection()
        try:
            cur.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()], published_at
        finally:
            cur.close()

    def has_table(self, table: str) -> bool:
        rows, _ = self.query(
            "select count(*) as n from duckdb_tables() where table_name = ?", [table]
        )
        return rows[0]["n"] > 0
