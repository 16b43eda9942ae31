"""Reading the dbt marts the insight step evaluates.

Reads use the contract's column names (docs/warehouse-contract.md) and load a
batch of sessions with one query per table.

A session is (project_id, session_id); the insight step names it by one string, its
key (`SESSION_KEY_SQL`: the bare id in project `default`, '<project>/<id>' elsewhere),
so each mart is read through `keyed()`, which puts the key in `session_id`. The
store splits it back into project_id and session_id when it writes `insights`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter

import duckdb

from achilles_core.insight_config import InsightConfig
from orchestration.graphs.detectors import (
    TIMELINE_TYPES,
    WHOLE_TIMELINE_KINDS,
    Correlation,
    SessionCluster,
    SessionSummary,
    TimelineEvent,
)
from orchestration.graphs.state import RecentEvent, SessionContext

INPUT_TABLES = (
    "events",
    "sessions",
    "session_error_clusters",
    "error_occurrences",
    "event_correlations",
    "landing_sessions",
)
MESSAGE_CHARS = 300
SESSION_IDS = "(select unnest($ids::varchar[]))"
# The batch's bare session ids: a filter on the stored column, which DuckDB pushes
# into the scan (a filter on the computed key alone reads every row of the mart).
BARE_IDS = "(select unnest($bare::varchar[]))"
SESSION_KEY_SQL = (
    "case when project_id = 'default' then session_id else project_id || '/' || session_id end"
)


def keyed(table: str) -> str:
    """`table` (a fixed mart name) with `session_id` replaced by the session key."""
    return f"(select * replace ({SESSION_KEY_SQL} as session_id) from {table})"


def keyed_batch(table: str, rows: EventRows | None = None) -> str:
    """`keyed(table)` holding only the batch's sessions (params from `batch_params`).

    With `rows`, `table` is read through `rows.table` between its rowids (the events).
    """
    source, bounds = table, ""
    if rows is not None:
        source, bounds = rows.table, f" and rowid between {rows.first:d} and {rows.last:d}"
    return (
        f"(select * replace ({SESSION_KEY_SQL} as session_id) from {source}"
        f" where session_id in {BARE_IDS} and {SESSION_KEY_SQL} in {SESSION_IDS}{bounds})"
    )


def batch_params(session_ids: Sequence[str]) -> dict[str, list[str]]:
    """Query parameters naming a batch of sessions for `keyed_batch`."""
    ids = sorted(set(session_ids))
    return {"ids": ids, "bare": sorted({split_session_key(k)[1] for k in ids})}


def split_session_key(key: str) -> tuple[str, str]:
    """The session key back as (project_id, session_id)."""
    project, sep, session = key.partition("/")
    return (project, session) if sep else ("default", key)


@dataclass(frozen=True)
class EventRows:
    """Where every event of a batch lies: rows `first`..`last` (rowids) of `table`."""

    table: str
    first: int
    last: int


@dataclass(frozen=True)
class Batch:
    """Sessions the step loads and evaluates together."""

    session_ids: list[str]
    rows: EventRows | None = None


def plan_batches(
    con: duckdb.DuckDBPyConnection, session_ids: Sequence[str], size: int
) -> list[Batch]:
    """`session_ids` in batches of `size`, each with the rows its events lie in.

    A batch's sessions are a join, which DuckDB cannot push into the scan of the
    events: each batch's read scanned every event (0.3-0.6 s at 10 M). The events'
    storage holds a session's events close together (dbt writes them by session), so
    batching sessions in storage order and bounding each read by rowid scans about
    the batch's own events. One query gets every session's rows (0.06 s at 10 M).
    A single batch, or events with no table behind them, are read as before.
    """
    table = _events_storage(con) if len(session_ids) > size else None
    if table is None:
        ids = list(session_ids)
        return [Batch(ids[start : start + size]) for start in range(0, len(ids), size)]
    pending = set(session_ids)
    spans = [
        r
        for r in con.execute(
            f"select {SESSION_KEY_SQL}, min(rowid), max(rowid) from {table} group by all"
        ).fetchall()
        if r[0] in pending
    ]
    spans.sort(key=lambda r: (r[1], r[0]))
    batches = []
    for start in range(0, len(spans), size):
        part = spans[start : start + size]
        rows = EventRows(table, min(r[1] for r in part), max(r[2] for r in part))
        batches.append(Batch(sorted(r[0] for r in part), rows))
    # sessions without events (if any) in a batch read without bounds
    rest = sorted(pending - {r[0] for r in spans})
    batches += [Batch(rest[start : start + size]) for start in range(0, len(rest), size)]
    return batches


def _events_storage(con: duckdb.DuckDBPyConnection) -> str | None:
    """The table holding the events mart's rows: `events` itself when it is a table
    (a Spark build's copy), else the table dbt's `events` view publishes as is
    (models/marts/events.sql); None if neither."""
    kinds = dict(
        con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = current_schema() "
            "and table_name in ('events', 'int_events_deduplicated')"
        ).fetchall()
    )
    if kinds.get("events") == "BASE TABLE":
        return "events"
    if kinds.get("events") == "VIEW" and kinds.get("int_events_deduplicated") == "BASE TABLE":
        return "int_events_deduplicated"
    return None


class MissingWarehouseTable(RuntimeError):
    """The build warehouse lacks a table the insight step reads."""


def as_utc(value: datetime | None) -> datetime | None:
    """DuckDB gives naive UTC for `timezone('UTC', ts)`; make it aware."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc_ts(value: datetime) -> datetime:
    """Like `as_utc` for columns that are never null (event timestamps)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Raise MissingWarehouseTable unless every mart the step reads exists."""
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = current_schema()"
        ).fetchall()
    }
    missing = [t for t in INPUT_TABLES if t not in present]
    if missing:
        raise MissingWarehouseTable(
            f"the warehouse has no {', '.join(missing)} (run the dbt build first)"
        )


# TimelineEvent.is_change in SQL (the staged columns; `writes` is read only for commands).
# The reduced timelines rely on it being exactly the Python rule, which
# tests/orchestration/test_insight_loader.py checks against whole timelines.
IS_CHANGE_SQL = """(
    event_type in ('agent_action', 'human_action') and status is distinct from 'error'
    and case when action_kind is null
             then coalesce(file_path, '') <> '' and event_type = 'agent_action'
             else action_kind = 'edit' or (action_kind = 'command' and coalesce(
                 json_extract_string(attributes, '$.writes') = 'true', false)) end
)"""
STAGED_EVENTS = "_achilles_insight_batch"
BATCH_EVENTS = "_achilles_insight_events"


def _sql_list(values: frozenset[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


def _copy_batch(
    con: duckdb.DuckDBPyConnection, ids: dict[str, list[str]], rows: EventRows | None
) -> None:
    """The batch's events, once, in a temp table: the later reads go there.

    A filter on the batch's sessions is a join, not a filter DuckDB can push into the
    scan of `events`, so without `rows` (`plan_batches`) a read of the mart reads every
    column of every event (0.5-0.7 s at 10 M events); each batch does that once, not
    three times. Messages are kept for the correlations' ends only (`end_message`).
    """
    con.execute(
        f"""
        create or replace temp table {BATCH_EVENTS} as
        with ends as (
            select session_id, action_event_id as event_id
            from {keyed_batch("event_correlations")}
            union
            select session_id, error_event_id from {keyed_batch("event_correlations")}
        )
        select e.session_id, e.event_id, e.event_seq, e.timestamp, e.event_type,
               e.source_type, e.actor, e.file_path, e.status, e.error_type, e.action_kind,
               e.parent_id, e.attributes, x.event_id is not null as is_end,
               case when x.event_id is not null then left(e.message, {MESSAGE_CHARS}) end
                   as end_message
        from {keyed_batch("events", rows)} e
        left join ends x on x.session_id = e.session_id and x.event_id = e.event_id
        """,
        ids,
    )


def _stage_events(con: duckdb.DuckDBPyConnection) -> None:
    """What the bounds and the choice of events need of the batch's events, in a temp
    table: the events of a type some detector reads, the correlations' ends and each
    session's last event, with running counts in `event_seq` order (the mart's
    position in the session by timestamp, event_id: the detectors' order). Narrow on
    purpose: windows over wide rows cost more than reading the kept ones again.

    - `stretch`: prompts and changes so far (no_progress's stalls lie within one);
    - `anchor`: runs, errors, process events and correlation ends that are not
      changes so far (changes with the same anchor have no such event between them);
    - `parent_known`: an error's parent_id names an event of the session (of any type).
    """
    con.execute(
        f"""
        create or replace temp table {STAGED_EVENTS} as
        with batch as materialized (
            select session_id, event_id, event_seq as seq, event_type, source_type,
                   action_kind, status, parent_id, is_end, {IS_CHANGE_SQL} as is_change
            from {BATCH_EVENTS}
            where event_type not in ('session_start', 'session_end')
        ),
        last_events as (
            select session_id, max(seq) as seq from batch group by session_id
        ),
        known_parents as (
            select e.session_id, e.event_id
            from batch e
            where e.event_type = 'error' and exists (
                select 1 from batch p
                where p.session_id = e.session_id and p.event_id = coalesce(e.parent_id, '')
            )
        ),
        flagged as (
            select b.*, l.seq is not null as is_last,
                   case when b.event_type = 'error' then k.event_id is not null end
                       as parent_known
            from batch b
            left join last_events l on l.session_id = b.session_id and l.seq = b.seq
            left join known_parents k on k.session_id = b.session_id and k.event_id = b.event_id
        ),
        counted as (
            -- both running counts from one window pass (a second costs a third of the
            -- staging): stretch in the high 32 bits, anchor in the low ones
            select *,
                   sum(case when is_change or (event_type = 'human_action'
                                               and (action_kind = 'prompt' or action_kind is null))
                            then 4294967296 else 0 end
                       + case when not is_change and (is_end or event_type in
                                                      ('test_run', 'check_run', 'error', 'process'))
                              then 1 else 0 end)
                   over (partition by session_id order by seq) as counts
            from flagged
            where event_type in ({_sql_list(TIMELINE_TYPES)}) or is_end or is_last
        )
        select session_id, event_id, seq, event_type, source_type, status, is_change, is_end,
               is_last, parent_known,
               counts // 4294967296 as stretch, counts % 4294967296 as anchor
        from counted
        """
    )


def _skipped_kinds(con: duckdb.DuckDBPyConnection, config: InsightConfig) -> dict[str, frozenset]:
    """Per staged session, the kinds of WHOLE_TIMELINE_KINDS that cannot fire.

    Upper bounds, never the rules themselves (those stay in detectors.py):
    - high_error_density: failures are at most errors + failing runs, and steps at
      least the actions, process events and runs, so the density is at most
      (errors + failing runs) * 100 / those (slack for float rounding);
    - no_progress: a stall lies within one stretch between prompts and changes (newly
      passing runs only cut it shorter), and counts at most the agent actions there
      that are not changes (exploration only counts fewer).
    """
    rows = con.execute(
        f"""
        with stretches as (
            select session_id,
                   count(*) filter (where event_type = 'agent_action'
                                    and source_type = 'agent' and not is_change) as actions
            from {STAGED_EVENTS}
            group by session_id, stretch
        ),
        counts as (
            select session_id,
                   count(*) filter (where event_type in ('agent_action', 'human_action',
                       'process', 'test_run', 'check_run')) as steps,
                   count(*) filter (where event_type = 'error') as errors,
                   count(*) filter (where event_type in ('test_run', 'check_run')
                       and status in ('failed', 'error')) as failing_runs
            from {STAGED_EVENTS}
            group by session_id
        ),
        longest as (
            select session_id, max(actions) as actions from stretches group by session_id
        )
        select c.session_id,
               c.steps + c.errors >= $min_events
                   and (c.errors + c.failing_runs) * 100.0
                       >= $threshold * c.steps * (1 - 1e-9) as density_possible,
               coalesce(l.actions, 0) >= $stall as stall_possible
        from counts c
        left join longest l on l.session_id = c.session_id
        """,
        {
            "min_events": config.error_density_min_events,
            "threshold": config.error_density_threshold,
            "stall": config.no_progress_actions,
        },
    ).fetchall()
    out: dict[str, frozenset] = {}
    for sid, density, stall in rows:
        out[sid] = frozenset(
            ({"high_error_density"} if not density else set())
            | ({"no_progress"} if not stall else set())
        )
    return out


def _timeline_rows(
    con: duckdb.DuckDBPyConnection, ids: dict[str, list[str]], whole: list[str] | None
) -> list[tuple]:
    """The events the detectors need, sorted by session, time and id.

    Sessions in `whole` get every event of TIMELINE_TYPES and their last event; the
    others only runs, errors, process events and the first change between two of
    those (break_fix_cycle asks whether a change came between two runs, never how
    many). Both keep the events correlations name, and every error says whether its
    parent is an event of the session (`parent_known`). `whole=None`: every event
    of every session, parent_known left to the detectors.
    """
    if whole is None:
        kept = f"""
            select session_id, event_id, event_seq as seq, null::boolean as parent_known
            from {BATCH_EVENTS}
            where event_type not in ('session_start', 'session_end')
        """
    else:
        kept = f"""
            with first_changes as (
                select session_id, min(seq) as seq
                from {STAGED_EVENTS}
                where is_change
                group by session_id, anchor
            )
            select b.session_id, b.event_id, b.seq, b.parent_known
            from {STAGED_EVENTS} b
            where b.is_end
               or case when b.session_id in (select unnest($whole::varchar[]))
                       then b.event_type in ({_sql_list(TIMELINE_TYPES)}) or b.is_last
                       else b.event_type in ('test_run', 'check_run', 'error', 'process')
                            or exists (select 1 from first_changes f
                                       where f.session_id = b.session_id and f.seq = b.seq)
                  end
        """
    return con.execute(
        f"""
        with kept as ({kept})
        select e.session_id, e.event_id, epoch_us(e.timestamp), e.event_type,
               e.source_type, e.actor, e.file_path, e.status, o.cluster_id,
               coalesce(o.error_type, e.error_type), e.action_kind, e.parent_id,
               case when e.event_type in ('test_run', 'check_run') then
                   coalesce(json_extract_string(e.attributes, '$.runner'), e.event_type) || '|'
                   || coalesce(array_to_string(
                       cast(json_extract(e.attributes, '$.targets') as varchar[]), ' '), '')
               end,
               coalesce(json_extract_string(e.attributes, '$.writes') = 'true', false),
               coalesce(e.file_path, json_extract_string(e.attributes, '$.command')),
               k.parent_known
        from kept k
        join {BATCH_EVENTS} e on e.session_id = k.session_id and e.event_id = k.event_id
        left join {keyed_batch("error_occurrences")} o
               on o.session_id = e.session_id and o.event_id = e.event_id
        order by k.session_id, k.seq
        """,
        {**ids, **({} if whole is None else {"whole": whole})},
    ).fetchall()


@dataclass(frozen=True)
class BatchRows:
    """A batch as the marts hold it: the rows the detectors' objects are built from.

    Reading them is DuckDB's work (`read_batch`, in the step's reader thread, mostly
    without the GIL); building the objects (`contexts`) is Python's, done where the
    batch is evaluated, so the reader is free for the next batch sooner.
    """

    session_ids: list[str]  # sorted
    summaries: list[tuple]
    timeline: list[tuple]  # sorted by session, then as the detectors read them
    clusters: list[tuple]
    correlations: list[tuple]
    skipped: dict[str, frozenset]

    def contexts(self) -> list[SessionContext]:
        """One SessionContext per session of the batch that has a `sessions` row."""
        summaries = {
            r[0]: SessionSummary(
                session_id=r[0],
                event_count=int(r[1] or 0),
                error_count=int(r[2] or 0),
                error_density=float(r[3] or 0.0),
                first_event_at=as_utc(r[4]),
                last_event_at=as_utc(r[5]),
            )
            for r in self.summaries
        }
        # Millions of rows on a first pass: built positionally, one list per session
        # (the rows come sorted by session), `_utc_from_us` inlined.
        stamp = datetime.fromtimestamp
        timeline = {
            sid: [
                TimelineEvent(
                    r[1],
                    stamp(r[2] / 1e6, UTC),
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    r[10],
                    r[11],
                    r[12],
                    r[13],
                    r[14],
                    r[15],
                )
                for r in group
            ]
            for sid, group in groupby(self.timeline, key=itemgetter(0))
        }
        clusters: dict[str, list[SessionCluster]] = {}
        for r in self.clusters:
            clusters.setdefault(r[0], []).append(SessionCluster(r[1], r[2], r[3], int(r[4] or 0)))
        correlations: dict[str, list[Correlation]] = {}
        for r in self.correlations:
            correlations.setdefault(r[0], []).append(
                Correlation(
                    correlation_id=r[1],
                    method=r[2],
                    action_event_id=r[3],
                    error_event_id=r[4],
                    agent=r[5],
                    action_file_path=r[6],
                    error_file_path=r[7],
                    error_cluster_id=r[8],
                    action_timestamp=_utc_from_us(r[9]),
                    error_timestamp=_utc_from_us(r[10]),
                    lag_s=float(r[11] or 0.0),
                    same_file=bool(r[12]),
                    confidence=float(r[13] or 0.0),
                    attribution_rank=int(r[14] or 0),
                    action_message=r[15],
                    error_message=r[16],
                    error_type=r[17],
                )
            )
        return [
            SessionContext(
                summary=summaries[sid],
                timeline=timeline.get(sid, []),
                clusters=clusters.get(sid, []),
                correlations=correlations.get(sid, []),
                skip=self.skipped.get(sid, frozenset()),
            )
            for sid in self.session_ids
            if sid in summaries
        ]


def _utc_from_us(us: int) -> datetime:
    """An aware UTC datetime from DuckDB's `epoch_us`: half the cost of converting the
    timestamp and attaching the zone. Exact: below year 2106 a double's error here
    is under 0.25 µs, and the conversion rounds to the microsecond."""
    return datetime.fromtimestamp(us / 1e6, UTC)


def load_contexts(
    con: duckdb.DuckDBPyConnection,
    session_ids: Sequence[str],
    config: InsightConfig,
    reduce: bool = True,
    rows: EventRows | None = None,
) -> list[SessionContext]:
    """Load summary, timeline, clusters and correlations per session (`read_batch`)."""
    return read_batch(con, session_ids, config, reduce, rows).contexts()


def read_batch(
    con: duckdb.DuckDBPyConnection,
    session_ids: Sequence[str],
    config: InsightConfig,
    reduce: bool = True,
    rows: EventRows | None = None,
) -> BatchRows:
    """Read what the detectors need of each session: summary, timeline, clusters and
    correlations.

    The last N events (`load_recent_events`) only matter to narration, which loads
    them for the sessions it narrates. With `reduce` (the step's way), a session's
    timeline holds only what the detectors that can fire there read (`_timeline_rows`,
    `_skipped_kinds`); without it, every event (what the reduced form is tested against).
    `rows`: where the batch's events lie (`plan_batches`).
    """
    ids = batch_params(session_ids)
    summaries = con.execute(
        f"""
        select session_id, event_count, error_count, error_density,
               timezone('UTC', first_event_at), timezone('UTC', last_event_at)
        from {keyed_batch("sessions")}
        """,
        ids,
    ).fetchall()
    _copy_batch(con, ids, rows)
    try:
        _stage_events(con)
        skipped = _skipped_kinds(con, config) if reduce else {}
        whole = sorted(s for s, kinds in skipped.items() if kinds != WHOLE_TIMELINE_KINDS)
        timeline = _timeline_rows(con, ids, whole if reduce else None)
        clusters = con.execute(
            f"""
            select session_id, cluster_id, error_type, normalized_message, occurrences
            from {keyed_batch("session_error_clusters")}
            order by session_id, cluster_id
            """,
            ids,
        ).fetchall()
        correlations = con.execute(
            f"""
            with c as (
                select * from {keyed_batch("event_correlations")}
            ),
            m as (
                select session_id, event_id, end_message as message, error_type
                from {BATCH_EVENTS}
                where is_end
            )
            select c.session_id, c.correlation_id, c.method, c.action_event_id,
                   c.error_event_id, c.agent, c.action_file_path, c.error_file_path,
                   c.error_cluster_id, epoch_us(c.action_timestamp),
                   epoch_us(c.error_timestamp), c.lag_s, c.same_file, c.confidence,
                   c.attribution_rank, a.message, e.message, e.error_type
            from c
            left join m a on a.session_id = c.session_id and a.event_id = c.action_event_id
            left join m e on e.session_id = c.session_id and e.event_id = c.error_event_id
            order by c.session_id, c.correlation_id
            """,
            ids,
        ).fetchall()
    finally:
        con.execute(f"drop table if exists {STAGED_EVENTS}")
        con.execute(f"drop table if exists {BATCH_EVENTS}")
    return BatchRows(ids["ids"], summaries, timeline, clusters, correlations, skipped)


def load_recent_events(
    con: duckdb.DuckDBPyConnection, session_ids: Sequence[str], n: int
) -> dict[str, list[RecentEvent]]:
    """The last `n` events of each session, oldest first (the narration's context)."""
    recent: dict[str, list[RecentEvent]] = {}
    for r in con.execute(
        f"""
        with ranked as (
            select session_id, event_id, event_seq, timestamp, event_type, source_type,
                   actor, file_path, status, error_type, left(message, {MESSAGE_CHARS}) as message,
                   row_number() over (
                       partition by session_id order by timestamp desc, event_id desc
                   ) as rn
            from {keyed_batch("events")}
        )
        select session_id, event_id, event_seq, timezone('UTC', timestamp), event_type,
               source_type, actor, file_path, status, error_type, message
        from ranked where rn <= $n
        order by session_id, timestamp, event_id
        """,
        {**batch_params(session_ids), "n": n},
    ).fetchall():
        recent.setdefault(r[0], []).append(
            RecentEvent(r[1], r[2], as_utc_ts(r[3]), r[4], r[5], r[6], r[7], r[8], r[9], r[10])
        )
    return recent
