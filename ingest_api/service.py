"""Ingest and landing-zone reads: what the HTTP handlers call.

Writes: validate → hash → dedupe against the session's landed events → land one
durable file per session in the batch. A per-session lock serialises check and
write inside one process; a retry racing through another worker process is
caught again by staging, which applies the same rule.

Reads (`session_events`, `session_overview`) come from the published snapshot's
`events` table when the snapshot saw exactly the files the session's landing folder
holds now (`landing_sessions.landing_files`): files are immutable, so that table
then holds the same deduplicated events. Otherwise (new batches since the build,
compaction, no snapshot) they scan the landing files, so an acknowledged event is
readable at once, before any pipeline has run.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from achilles_core.contract import (
    Event,
    EventValidationError,
    Limits,
    check_session_id,
    compute_event_hash,
    derived_event_id,
    to_micros,
    validate_event,
)
from achilles_core.landing import LandedEvent, LandingZone
from achilles_core.settings import Settings
from ingest_api.dedupe import SessionDedupeState
from ingest_api.warehouse import WarehouseNotPublished, WarehouseReader

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
SESSION_START_ID, SESSION_END_ID = "session_start", "session_end"


@dataclass(slots=True)
class EventResult:
    index: int
    status: str
    event_id: str | None = None
    field: str | None = None
    reason: str | None = None


class UnknownSession(LookupError):
    pass


def _sql_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def deduplicated_events_sql(files: list[Path], window_us: int) -> str:
    """The dedupe rule as SQL over landing files (mirrors dbt's stg_events)."""
    return f"""
        with raw as (
            select * from read_parquet({_sql_list(files)}, union_by_name = true)
        ),
        by_id as (
            select * from raw
            qualify row_number() over (
                partition by session_id, event_id
                order by timestamp, event_hash, received_at, batch_index, batch_id
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


# What a read returns of an event (landing files carry more; the warehouse less).
EVENT_COLUMNS = (
    "event_id", "session_id", "event_type", "source_type", "timestamp", "actor", "file_path",
    "message", "error_type", "severity", "status", "parent_id", "trace_id", "span_id", "model",
    "input_tokens", "output_tokens", "cost_usd", "attributes", "event_hash", "received_at",
)  # fmt: skip

# Both paths run the same SQL over a CTE `ev` of the session's deduplicated events,
# so they cannot drift apart. (timestamp, event_id) is the warehouse's event_seq order.
EVENTS_PAGE_SQL = f"""
    select {", ".join(EVENT_COLUMNS)}, count(*) over () as _total
    from ev
    order by timestamp, event_id
    limit ? offset ?
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
_SNAPSHOT_EV = "select * from events where session_id = ?"
_SNAPSHOT_TABLES = frozenset({"events", "landing_sessions"})

Rows = tuple[list[tuple[Any, ...]], list[str]]


class IngestService:
    """Owns the landing zone and the in-memory dedupe state of recent sessions."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.landing = LandingZone(settings.events_dir)
        self.limits = Limits(
            max_future_skew_s=settings.max_future_skew_s,
            max_attributes_bytes=settings.max_attributes_bytes,
            max_message_chars=settings.max_message_chars,
        )
        self.window_us = int(settings.dedupe_window_s * 1_000_000)
        self._states: OrderedDict[str, SessionDedupeState] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._scan_db: duckdb.DuckDBPyConnection | None = None

    # -- state ---------------------------------------------------------------
    def _lock_for(self, session_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(session_id, threading.Lock())

    def _state(self, session_id: str) -> SessionDedupeState:
        """Dedupe state, refreshed with files other processes landed since last time."""
        with self._guard:
            state = self._states.pop(session_id, None)
        files = self.landing.session_files(session_id)
        names = {f.name for f in files}
        if state is None or not state.files <= names:  # new, or compacted since
            state = SessionDedupeState()
        new = [f for f in files if f.name not in state.files]
        if new:
            try:
                table = self.landing.read_files(
                    new, ["event_id", "event_id_source", "event_hash", "timestamp"]
                )
            except FileNotFoundError:  # compaction swapped files: start over
                return self._state(session_id)
            micros = table.column("timestamp").cast("int64").to_pylist()
            state.add_rows(
                zip(
                    table.column("event_id").to_pylist(),
                    table.column("event_id_source").to_pylist(),
                    table.column("event_hash").to_pylist(),
                    micros,
                    strict=True,
                )
            )
            state.files |= {f.name for f in new}
        with self._guard:
            self._states[session_id] = state
            while len(self._states) > self.settings.session_cache_size:
                self._states.popitem(last=False)
        return state

    # -- writes --------------------------------------------------------------
    def ingest(
        self, raw_events: list[Any], default_session_id: str | None = None
    ) -> list[EventResult]:
        """Validate, dedupe and durably land a batch; one result per input event."""
        results: list[EventResult] = [EventResult(i, REJECTED) for i in range(len(raw_events))]
        by_session: dict[str, list[tuple[int, Event, str]]] = {}
        now = datetime.now(UTC)
        for i, raw in enumerate(raw_events):
            if isinstance(raw, dict) and default_session_id and "session_id" not in raw:
                raw = {**raw, "session_id": default_session_id}
            try:
                event = validate_event(raw, limits=self.limits, now=now)
            except EventValidationError as exc:
                results[i].field = exc.field
                results[i].reason = exc.reason if len(exc.errors) == 1 else str(exc)
                continue
            by_session.setdefault(event.session_id, []).append(
                (i, event, compute_event_hash(event))
            )

        for session_id, items in by_session.items():
            self._land_session(session_id, items, results)
        return results

    def _land_session(
        self, session_id: str, items: list[tuple[int, Event, str]], results: list[EventResult]
    ) -> None:
        with self._lock_for(session_id):
            state = self._state(session_id)
            accepted: list[LandedEvent] = []
            for index, event, event_hash in items:
                if event.event_id is not None:
                    event_id, source = event.event_id, "client"
                else:
                    event_id = derived_event_id(session_id, event_hash, event.timestamp)
                    source = "derived"
                micros = to_micros(event.timestamp)
                results[index].event_id = event_id
                if state.is_duplicate(event_id, source, event_hash, micros, self.window_us):
                    results[index].status = DUPLICATE
                    continue
                state.add(event_id, source, event_hash, micros)
                accepted.append(LandedEvent(event, event_id, source, event_hash, micros))
                results[index].status = ACCEPTED
            if not accepted:
                return
            try:
                path = self.landing.write_events(session_id, accepted, datetime.now(UTC))
            except BaseException:
                with self._guard:  # the state now claims events that never landed
                    self._states.pop(session_id, None)
                raise
            state.files.add(path.name)

    def start_session(
        self,
        session_id: str | None,
        *,
        actor: str | None = None,
        agent: str | None = None,
        repo: str | None = None,
        branch: str | None = None,
        metadata: dict[str, Any] | None = None,
        started_at: datetime | None = None,
    ) -> tuple[str, bool]:
        """Land the session's `session_start` event; (session_id, created)."""
        session_id = session_id or f"s-{uuid.uuid4().hex}"
        attributes = {
            k: v
            for k, v in {
                "agent": agent,
                "repo": repo,
                "branch": branch,
                "metadata": metadata,
            }.items()
            if v is not None
        }
        raw = {
            "session_id": session_id,
            "event_id": SESSION_START_ID,
            "event_type": "session_start",
            "source_type": "system",
            "timestamp": _iso(started_at),
            "actor": actor or agent,
            "attributes": attributes or None,
        }
        result = self._ingest_one(raw)
        return session_id, result.status == ACCEPTED

    def end_session(self, session_id: str, outcome: str, ended_at: datetime | None = None) -> bool:
        """Land the `session_end` event; False when the session had already ended."""
        if not self.session_exists(session_id):
            raise UnknownSession(session_id)
        raw = {
            "session_id": session_id,
            "event_id": SESSION_END_ID,
            "event_type": "session_end",
            "source_type": "system",
            "timestamp": _iso(ended_at),
            "status": outcome,
        }
        return self._ingest_one(raw).status == ACCEPTED

    def _ingest_one(self, raw: dict[str, Any]) -> EventResult:
        result = self.ingest([raw])[0]
        if result.status == REJECTED:
            raise EventValidationError([(result.field or "event", result.reason or "invalid")])
        return result

    # -- reads ---------------------------------------------------------------
    def session_exists(self, session_id: str) -> bool:
        check_session_id(session_id)
        return self.landing.has_files(session_id)

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
    ) -> Rows:
        """Run `sql_tail` against the session's deduplicated events (CTE `ev`)."""
        check_session_id(session_id)
        params = params or []
        files = self.landing.session_files(session_id)
        if not files:
            raise UnknownSession(session_id)
        if warehouse is not None:
            found = self._query_snapshot(session_id, files, sql_tail, params, warehouse)
            if found is not None:
                return found
        for attempt in range(5):
            if attempt:
                files = self.landing.session_files(session_id)
                if not files:
                    raise UnknownSession(session_id)
            sql = f"with ev as ({deduplicated_events_sql(files, self.window_us)}) {sql_tail}"
            cur = self._scan_cursor()
            try:
                cur.execute(sql, params)
                return cur.fetchall(), [d[0] for d in cur.description]
            except duckdb.IOException:
                if attempt == 4:  # files kept vanishing under us (compaction)
                    raise
            finally:
                cur.close()
        raise AssertionError("unreachable")

    @staticmethod
    def _query_snapshot(
        session_id: str,
        files: list[Path],
        sql_tail: str,
        params: list[Any],
        warehouse: WarehouseReader,
    ) -> Rows | None:
        """The answer from the snapshot, or None unless it saw exactly `files`."""
        try:
            with warehouse.snapshot() as snap:
                # A snapshot published before landing_sessions existed cannot vouch for itself.
                if not snap.tables.issuperset(_SNAPSHOT_TABLES):
                    return None
                cur = snap.cursor
                row = cur.execute(
                    "select landing_files from landing_sessions where session_id = ?",
                    [session_id],
                ).fetchone()
                # Landing files are immutable and uniquely named: the same names mean
                # the same rows, so the snapshot's events are the landing scan's result.
                if row is None or sorted(row[0] or []) != [f.name for f in files]:
                    return None
                # Same cursor, so the check and the answer come from one snapshot file.
                cur.execute(f"with ev as ({_SNAPSHOT_EV}) {sql_tail}", [session_id, *params])
                return cur.fetchall(), [d[0] for d in cur.description]
        except WarehouseNotPublished:
            return None

    def session_events(
        self,
        session_id: str,
        limit: int,
        offset: int,
        warehouse: WarehouseReader | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a session's events by (timestamp, event_id)."""
        rows, names = self._query(session_id, EVENTS_PAGE_SQL, [limit, offset], warehouse)
        events = []
        total = 0
        for row in rows:
            record = dict(zip(names, row, strict=True))
            total = record.pop("_total")
            if record["attributes"] is not None:
                record["attributes"] = orjson.loads(record["attributes"])
            events.append(record)
        if not rows and offset:
            total = self._query(session_id, EVENTS_COUNT_SQL, warehouse=warehouse)[0][0][0]
        return events, total

    def session_overview(
        self, session_id: str, warehouse: WarehouseReader | None = None
    ) -> dict[str, Any]:
        """What the landed events say about a session (no pipeline run needed)."""
        rows, names = self._query(session_id, OVERVIEW_SQL, warehouse=warehouse)
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


def _iso(value: datetime | None) -> str:
    value = value or datetime.now(UTC)
    if value.tzinfo is None:
        raise EventValidationError([("timestamp", "must carry a UTC offset")])
    return value.isoformat()
