"""Read-only access to the published warehouse snapshot.

The pipeline replaces `achilles.duckdb` by renaming a new file over it. DuckDB
keeps one database per path inside a process: `duckdb.connect(path)` while an
older connection to that path is open hands back the OLD file, even after the
rename. So each snapshot is attached read-only to an in-memory database of its
own, which opens whatever file the path names now. A reader notices a new file
by its inode, serves new queries from it, and closes the old snapshot once the
last query that started on it has finished.

Every table a reader queries carries `project_id`; readers filter with
`project_filter` (ingest_api/reads.py) so a key sees its own project only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

SNAPSHOT_ALIAS = "snapshot"


class WarehouseNotPublished(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One published file: a cursor on it and what never changes while it is open."""

    cursor: duckdb.DuckDBPyConnection
    published_at: datetime | None
    tables: frozenset[str]


# A snapshot built before projects existed has no `project_id` column: it cannot say
# whose rows are whose, so readers treat it as not published until the next build.
_PROJECT_SCOPED_SQL = """
    select count(distinct table_name) = count(distinct table_name)
        filter (where column_name = 'project_id')
    from duckdb_columns()
    where database_name = ? and table_name in ('events', 'sessions')
"""


@dataclass(eq=False)
class _OpenFile:
    """One attached snapshot file and how many queries are using it."""

    con: duckdb.DuckDBPyConnection
    inode: int
    published_at: datetime | None
    tables: frozenset[str]
    readers: int = 0
    retired: bool = field(default=False)


def _open(path: Path, inode: int) -> _OpenFile:
    con = duckdb.connect(":memory:")
    try:
        quoted = str(path).replace("'", "''")
        con.execute(f"attach '{quoted}' as {SNAPSHOT_ALIAS} (read_only)")
        con.execute(f"use {SNAPSHOT_ALIAS}")
        row = con.execute("select max(published_at) from achilles_publish").fetchone()
        # A snapshot never changes, so its table list is read once, not per request.
        tables = con.execute(
            "select table_name from duckdb_tables() where database_name = ?", [SNAPSHOT_ALIAS]
        ).fetchall()
        (scoped,) = con.execute(_PROJECT_SCOPED_SQL, [SNAPSHOT_ALIAS]).fetchone() or (0,)
    except BaseException:
        con.close()
        raise
    names = frozenset(t for (t,) in tables)
    return _OpenFile(con, inode, row[0] if row else None, names if scoped else frozenset())


class WarehouseReader:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._current: _OpenFile | None = None

    def _acquire(self) -> _OpenFile:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            raise WarehouseNotPublished(str(self.path)) from None
        with self._lock:
            current = self._current
            if current is None or current.inode != inode:
                try:
                    fresh = _open(self.path, inode)
                except duckdb.IOException:
                    # Renamed away between stat and attach: no snapshot to give.
                    if current is None:
                        raise WarehouseNotPublished(str(self.path)) from None
                else:
                    if current is not None:
                        current.retired = True
                        if current.readers == 0:
                            current.con.close()
                    self._current = current = fresh
            assert current is not None
            current.readers += 1
            return current

    def _release(self, snap: _OpenFile) -> None:
        with self._lock:
            snap.readers -= 1
            if snap.retired and snap.readers == 0:
                snap.con.close()

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A cursor on the current snapshot: every query through it sees the same file."""
        snap = self._acquire()
        if not snap.tables:  # empty, or from before projects (no project_id to scope by)
            self._release(snap)
            raise WarehouseNotPublished(str(self.path))
        try:
            cur = snap.con.cursor()
            try:
                cur.execute(f"use {SNAPSHOT_ALIAS}")
                yield Snapshot(cur, snap.published_at, snap.tables)
            finally:
                cur.close()
        finally:
            self._release(snap)

    def close(self) -> None:
        """Close the current snapshot once its running queries finish."""
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                if self._current.readers == 0:
                    self._current.con.close()
                self._current = None

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
