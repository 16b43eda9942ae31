"""Reads of one session's events, answered before or after any pipeline run.

`session_events` and `session_overview` come from the published snapshot's
`events` table when the snapshot saw exactly the files the session's landing folder
holds now (`landing_sessions.landing_files`): files are immutable, so that table
then holds the same deduplicated events. Otherwise (new batches since the build,
compaction, no snapshot) they scan the landing files, so an acknowledged event is
readable at once, before any pipeline has run.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import orjson

from achilles_core.contract import check_session_id
from achilles_core.landing import COLUMNS, LANDING_ONLY_COLUMNS, LandingZone
from achilles_core.projects import DEFAULT_PROJECT
from achilles_core.settings import Settings
from ingest_api.warehouse import WarehouseNotPublished, WarehouseReader


class UnknownSession(LookupError):
    pass


def session_exists(landing: LandingZone, session_id: str) -> bool:
    """Whether the session has landed anything (after checking the id's form)."""
    check_session_id(session_id)
    return landing.has_files(session_id)


def _sql_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def deduplicated_events_sql(files: list[Path], window_us: int) -> str:
    """The dedupe rule as SQL over landing files: dbt's int_events_deduplicated for
    one session's files (tests/test_dedupe_parity.py holds the two to the same cases)."""
    return f"""
        with raw as (
            select * from read_parquet({_sql_list(files)}, union_by_name = true)
        ),
        by_id as (
            select * from raw
            qualify row_number() over (
                partition by session_id, event_id
                order by coalesce(revision, 0) desc, timestamp, event_hash, received_at,
                    batch_index, batch_id
            ) = 1
        ),
        with_prev as (
            select *,
                lag(timestamp) over (
                    partition by session_id, event_id_source, event_hash
                    order by timestamp, event_id
                ) as prev_timestamp
            from by_id
        )
        select * exclude (prev_timestamp) from with_prev
        where event_id_source <> 'derived'
            or prev_timestamp is null
            or epoch_us(timestamp) - epoch_us(prev_timestamp) > {int(window_us)}
    """


# What a read returns of an event: the landing columns but the landing bookkeeping.
EVENT_COLUMNS = tuple(c for c in COLUMNS if c not in LANDING_ONLY_COLUMNS)

# Both paths run the same SQL over a CTE `ev` of the session's deduplicated events,
# so they cannot drift apart. (timestamp, event_id) is the warehouse's event_seq order.
EVENTS_PAGE_SQL = f"""
    select {", ".join(EVENT_COLUMNS)}, count(*) over () as _total
    from ev
    order by timestamp, event_id
    limit ? offset ?
"""
# Keyset page: the rows after the cursor's (timestamp, event_id); one look-ahead row.
EVENTS_AFTER_SQL = f"""
    select {", ".join(EVENT_COLUMNS)}
    from ev
    where timestamp >= ? and (timestamp, event_id) > (?, ?)
    order by timestamp, event_id
    limit ?
"""
EVENTS_COUNT_SQL = "select count(*) from ev"
OVERVIEW_SQL = """
    select
        max(case when event_type = 'session_start' then timestamp end) as started_at,
        max(case when event_type = 'session_end' then timestamp end) as ended_at,
        max(case when event_type = 'session_end' then status end) as outcome,
        max(case when event_type = 'session_start' then actor end) as actor,
        max(case when event_type = 'session_start' then attributes end) as start_attributes,
        count(*) filter (where event_type not in ('session_start', 'session_end'))
            as event_count,
        min(timestamp) filter (where event_type not in ('session_start', 'session_end'))
            as first_event_at,
        max(timestamp) filter (where event_type not in ('session_start', 'session_end'))
            as last_event_at,
        max(received_at) as last_received_at,
        histogram(event_type) as counts_by_type
    from ev
"""
_SNAPSHOT_EV = "select * from events where project_id = ? and session_id = ?"
_SNAPSHOT_TABLES = frozenset({"events", "landing_sessions"})

# Rows of a query and its column names.
QueryResult = tuple[list[tuple[Any, ...]], list[str]]


class SessionReader:
    """A session's deduplicated events, from the snapshot or a scan of its landing files."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.landing = LandingZone(settings.events_dir)
        self.window_us = int(settings.dedupe_window_s * 1_000_000)
        self._guard = threading.Lock()
        self._scan_db: duckdb.DuckDBPyConnection | None = None

    def zone(self, project_id: str) -> LandingZone:
        return LandingZone(self.settings.project_events_dir(project_id))

    def session_exists(self, session_id: str, project_id: str = DEFAULT_PROJECT) -> bool:
        return session_exists(self.zone(project_id), session_id)

    def _scan_cursor(self) -> duckdb.DuckDBPyConnection:
        # One shared in-memory database: connecting costs ~20 ms, a cursor ~0.2 ms, and
        # cursors of one database may run on different threads at once.
        with self._guard:
            if self._scan_db is None:
                self._scan_db = duckdb.connect()
            return self._scan_db.cursor()

    def _query(
        self,
        session_id: str,
        sql_tail: str,
        params: list[Any] | None = None,
        warehouse: WarehouseReader | None = None,
        project_id: str = DEFAULT_PROJECT,
    ) -> QueryResult:
        """Run `sql_tail` against the session's deduplicated events (CTE `ev`)."""
        check_session_id(session_id)
        params = params or []
        landing = self.zone(project_id)
        files = landing.session_files(session_id)
        if not files:
            raise UnknownSession(session_id)
        if warehouse is not None:
            found = self._query_snapshot(project_id, session_id, files, sql_tail, params, warehouse)
            if found is not None:
                return found
        for attempt in range(5):
            if attempt:
                files = landing.session_files(session_id)
                if not files:
                    raise UnknownSession(session_id)
            sql = f"with ev as ({deduplicated_events_sql(files, self.window_us)}) {sql_tail}"
            cur = self._scan_cursor()
            try:
                cur.execute(sql, params)
                return cur.fetchall(), [d[0] for d in cur.description]
            except duckdb.Error as exc:
                # A poison file: quarantine it and read the rest (the session stays readable).
                if landing.quarantine_unreadable(files):
                    continue
                if not isinstance(exc, duckdb.IOException) or attempt == 4:
                    raise  # files kept vanishing under us (compaction), or a real error
            finally:
                cur.close()
        raise AssertionError("unreachable")

    @staticmethod
    def _query_snapshot(
        project_id: str,
        session_id: str,
        files: list[Path],
        sql_tail: str,
        params: list[Any],
        warehouse: WarehouseReader,
    ) -> QueryResult | None:
        """The answer from the snapshot, or None unless it saw exactly `files`."""
        try:
            with warehouse.snapshot() as snap:
                # A snapshot published before landing_sessions existed cannot vouch for itself.
                if not snap.tables.issuperset(_SNAPSHOT_TABLES):
                    return None
                cur = snap.cursor
                row = cur.execute(
                    "select landing_files from landing_sessions "
                    "where project_id = ? and session_id = ?",
                    [project_id, session_id],
                ).fetchone()
                # Landing files are immutable and uniquely named: the same names mean
                # the same rows, so the snapshot's events are the landing scan's result.
                if row is None or sorted(row[0] or []) != [f.name for f in files]:
                    return None
                # Same cursor, so the check and the answer come from one snapshot file.
                cur.execute(
                    f"with ev as ({_SNAPSHOT_EV}) {sql_tail}", [project_id, session_id, *params]
                )
                return cur.fetchall(), [d[0] for d in cur.description]
        except WarehouseNotPublished:
            return None

    def session_events(
        self,
        session_id: str,
        limit: int,
        offset: int,
        warehouse: WarehouseReader | None = None,
        project_id: str = DEFAULT_PROJECT,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a session's events by (timestamp, event_id)."""
        rows, names = self._query(
            session_id, EVENTS_PAGE_SQL, [limit, offset], warehouse, project_id
        )
        events = []
        total = 0
        for row in rows:
            record = dict(zip(names, row, strict=True))
            total = record.pop("_total")
            if record["attributes"] is not None:
                record["attributes"] = orjson.loads(record["attributes"])
            events.append(record)
        if not rows and offset:
            total = self._query(
                session_id, EVENTS_COUNT_SQL, warehouse=warehouse, project_id=project_id
            )[0][0][0]
        return events, total

    def session_events_after(
        self,
        session_id: str,
        limit: int,
        after: list[Any],
        warehouse: WarehouseReader | None = None,
        project_id: str = DEFAULT_PROJECT,
    ) -> tuple[list[dict[str, Any]], bool]:
        """The `limit` events after `after` = [timestamp, event_id]; and whether more follow."""
        ts, event_id = after
        rows, names = self._query(
            session_id, EVENTS_AFTER_SQL, [ts, ts, event_id, limit + 1], warehouse, project_id
        )
        events = []
        for row in rows[:limit]:
            record = dict(zip(names, row, strict=True))
            if record["attributes"] is not None:
                record["attributes"] = orjson.loads(record["attributes"])
            events.append(record)
        return events, len(rows) > limit

    def session_overview(
        self,
        session_id: str,
        warehouse: WarehouseReader | None = None,
        project_id: str = DEFAULT_PROJECT,
    ) -> dict[str, Any]:
        """What the landed events say about a session (no pipeline run needed)."""
        rows, names = self._query(
            session_id, OVERVIEW_SQL, warehouse=warehouse, project_id=project_id
        )
        overview = dict(zip(names, rows[0], strict=True))
        start_attrs = orjson.loads(overview.pop("start_attributes") or "{}")
        overview.update(
            agent=start_attrs.get("agent"),
            repo=start_attrs.get("repo"),
            branch=start_attrs.get("branch"),
            metadata=start_attrs.get("metadata"),
        )
        overview["session_id"] = session_id
        return overview
