"""The list reads behind `GET /v1/sessions`, `/v1/clusters`, `/v1/agents` and the
dashboard (`/ui`): one module, so a page and its endpoint show the same fields.

Every read takes the caller's project (`project_id`, None = every project: an admin
key) and filters each table through `scope()`. List pages read only the marts
(sessions, error_clusters, agent_performance, usage_daily, …) with a LIMIT; only a
session's own page reads events, and only that session's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from ingest_api import pagination
from ingest_api.warehouse import Snapshot, WarehouseNotPublished, WarehouseReader

Records = list[dict[str, Any]]

# Days of history the overview and the clusters' spark lines show, ending at the newest
# day with data (sample data is not from today).
TREND_DAYS = 30
# Most causes listed per cluster.
CAUSES_PER_CLUSTER = 3
# A session page draws at most this many events (the longest bench session has
# ~800,000); the page says when it was cut.
TIMELINE_MAX_EVENTS = 5000
# event_seq is 1..n in each session, so `event_seq <= bound` reads only the head of a
# long session instead of sorting all of it (an 81,488-event session: 95 -> 38 ms).
# The slack leaves room for the session_start/end rows the timeline skips.
_TIMELINE_SEQ_BOUND = TIMELINE_MAX_EVENTS + 64
# Chart points' times as naive UTC: the client turns each aware value into a datetime
# through pytz, a third of a long timeline's time; the chart drops the zone anyway.
_NAIVE_UTC = 'timezone(\'UTC\', {0}."timestamp") as "timestamp"'
# Files with their own lane on the timeline; edits to the rest share one.
TIMELINE_MAX_FILES = 12


def scope(project_id: str | None, alias: str = "") -> tuple[str, list[Any]]:
    """The one filter that keeps a read inside the caller's project (None = all)."""
    if project_id is None:
        return "true", []
    return f"{alias}project_id = ?", [project_id]


def _rows(snap: Snapshot, sql: str, params: list[Any]) -> Records:
    cur = snap.cursor.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# --- Sessions ------------------------------------------------------------------------


class SessionSort(StrEnum):
    started = "started"
    cost = "cost"
    errors = "errors"
    events = "events"
    failed_runs = "failed_runs"


class Order(StrEnum):
    asc = "asc"
    desc = "desc"


# Sort -> (SQL over the sessions mart `s`, keyset kind). Fixed strings only.
_SESSION_KEYS: dict[SessionSort, tuple[str, str]] = {
    SessionSort.started: ("coalesce(epoch_us(coalesce(s.started_at, s.first_event_at)), 0)", "int"),
    SessionSort.cost: ("coalesce(cast(s.llm_cost_usd as double), 0.0)", "float"),
    SessionSort.errors: ("cast(s.error_count as bigint)", "int"),
    SessionSort.events: ("cast(s.event_count as bigint)", "int"),
    SessionSort.failed_runs: ("cast(s.test_runs_failed as bigint)", "int"),
}


def session_keyset(sort: SessionSort, order: Order) -> pagination.Keyset:
    """The list's total order: the sort key, then session_id. A descending key is
    negated, so a cursor of one sort and order is refused by another."""
    _, kind = _SESSION_KEYS[sort]
    sign = "-" if order is Order.desc else ""
    return pagination.Keyset(
        f"sessions:{sort.value}:{order.value}", ((f"{sign}_k", kind), ("session_id", "text"))
    )


@dataclass(frozen=True)
class SessionFilter:
    agent: str | None = None
    project: str | None = None
    model: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    has_failures: bool | None = None
    sort: SessionSort = SessionSort.started
    order: Order = Order.desc


@dataclass
class Page:
    rows: Records
    total: int
    next_cursor: str | None
    computed_at: datetime | None


def list_sessions(
    reader: WarehouseReader,
    project_id: str | None,
    f: SessionFilter,
    limit: int,
    after: list[Any] | None = None,
) -> Page:
    """One page of sessions; `total` counts every session the filters match."""
    where, params = scope(project_id, "s.")
    filters = [where]
    # A session sent to the API names its repo; one imported from agent logs, its folder.
    for column, value in (("s.agent", f.agent), ("coalesce(s.project, s.repo)", f.project)):
        if value is not None:
            filters.append(f"{column} = ?")
            params.append(value)
    if f.model is not None:
        filters.append("list_contains(string_split(coalesce(s.models, ''), ','), ?)")
        params.append(f.model)
    if f.since is not None:
        filters.append("coalesce(s.started_at, s.first_event_at) >= ?")
        params.append(f.since)
    if f.until is not None:
        filters.append("coalesce(s.started_at, s.first_event_at) < ?")
        params.append(f.until)
    if f.has_failures is not None:
        failing = "(s.test_runs_failed > 0 or s.error_count > 0)"
        filters.append(failing if f.has_failures else f"not {failing}")
    keyset = session_keyset(f.sort, f.order)
    key_sql, _ = _SESSION_KEYS[f.sort]
    after_sql, after_params = (keyset.where(), keyset.params(after)) if after else ("true", [])
    direction = "desc" if f.order is Order.desc else "asc"
    sql = f"""
        with matching as (
            select
                s.session_id, s.agent, s.project, s.repo, s.branch, s.models,
                s.parent_session_id, s.started_at, s.ended_at, s.outcome,
                s.first_event_at, s.last_event_at, s.event_count, s.error_count,
                s.test_runs_passed, s.test_runs_failed, s.llm_calls, s.input_tokens,
                s.output_tokens, cast(s.llm_cost_usd as double) as cost_usd,
                (s.test_runs_failed > 0 or s.error_count > 0) as has_failures,
                {key_sql} as _k,
                count(*) over () as _total
            from sessions as s
            where {" and ".join(filters)}
        )
        select * from matching
        where {after_sql}
        order by _k {direction}, session_id
        limit ?
    """
    try:
        with reader.snapshot() as snap:
            rows = _rows(snap, sql, [*params, *after_params, limit + 1])
            total = rows[0]["_total"] if rows else 0
            if not rows and after:
                # past the last row: the count comes from the filters alone
                count_sql = f"select count(*) from sessions as s where {' and '.join(filters)}"
                total = snap.cursor.execute(count_sql, params).fetchone()[0]  # type: ignore[index]
            computed_at = snap.published_at
    except WarehouseNotPublished:
        return Page([], 0, None, None)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = keyset.encode(rows[-1], ("_k", "session_id")) if more and rows else None
    for r in rows:
        del r["_k"], r["_total"]
    return Page(rows, total, next_cursor, computed_at)


def session_facets(reader: WarehouseReader, project_id: str | None) -> dict[str, list[str]]:
    """The agents, projects and models the session filters can pick from."""
    where, params = scope(project_id, "s.")
    sql = f"""
        select 'agent' as facet, s.agent as value from sessions as s
            where {where} and s.agent is not null
        union
        select 'project', coalesce(s.project, s.repo) from sessions as s
            where {where} and coalesce(s.project, s.repo) is not null
        union
        select 'model', unnest(string_split(s.models, ',')) from sessions as s
            where {where} and s.models is not null and s.models <> ''
        order by facet, value
        limit 3000
    """
    out: dict[str, list[str]] = {"agent": [], "project": [], "model": []}
    try:
        with reader.snapshot() as snap:
            for r in _rows(snap, sql, params * 3):
                out[r["facet"]].append(r["value"])
    except WarehouseNotPublished:
        pass
    return out


# --- Clusters ------------------------------------------------------------------------

CLUSTERS = pagination.Keyset("clusters", (("-occurrences", "int"), ("cluster_id", "text")))


def _days(end: date, days: int) -> list[date]:
    return [end - timedelta(days=days - 1 - i) for i in range(days)]


def list_clusters(
    reader: WarehouseReader,
    project_id: str | None,
    limit: int,
    after: list[Any] | None = None,
    error_type: str | None = None,
    since: datetime | None = None,
) -> Page:
    """Error clusters by occurrences, with the agents they hit, a daily trend over the
    last TREND_DAYS days with data, and the changes they were attributed to."""
    where, params = scope(project_id, "c.")
    filters = [where]
    if error_type is not None:
        filters.append("c.error_type = ?")
        params.append(error_type)
    if since is not None:
        filters.append("c.last_seen_at >= ?")
        params.append(since)
    after_sql, after_params = (CLUSTERS.where(), CLUSTERS.params(after)) if after else ("true", [])
    sql = f"""
        with matching as (
            select c.cluster_id, c.error_type, c.normalized_message, c.sample_message,
                c.first_seen_at, c.last_seen_at, cast(c.occurrences as bigint) as occurrences,
                cast(c.sessions_affected as bigint) as sessions_affected,
                count(*) over () as _total
            from error_clusters as c
            where {" and ".join(filters)}
        )
        select * from matching where {after_sql}
        order by occurrences desc, cluster_id
        limit ?
    """
    try:
        with reader.snapshot() as snap:
            rows = _rows(snap, sql, [*params, *after_params, limit + 1])
            more = len(rows) > limit
            rows = rows[:limit]
            _add_cluster_details(snap, project_id, rows)
            computed_at = snap.published_at
    except WarehouseNotPublished:
        return Page([], 0, None, None)
    total = rows[0]["_total"] if rows else 0
    next_cursor = CLUSTERS.encode(rows[-1], ("occurrences", "cluster_id")) if more else None
    for r in rows:
        del r["_total"]
    return Page(rows, total, next_cursor, computed_at)


def _add_cluster_details(snap: Snapshot, project_id: str | None, rows: Records) -> None:
    """Agents, trend and causes of the page's clusters (only those ids are read)."""
    ids = [r["cluster_id"] for r in rows]
    if not ids:
        return
    sc_where, sc_params = scope(project_id, "sc.")
    agents = _rows(
        snap,
        f"""
        select sc.cluster_id, list(distinct coalesce(s.agent, 'unknown')) as agents
        from session_error_clusters as sc
        join sessions as s using (project_id, session_id)
        where sc.cluster_id in (select unnest(?)) and {sc_where}
        group by sc.cluster_id
        """,
        [ids, *sc_params],
    )
    by_agent = {a["cluster_id"]: sorted(a["agents"]) for a in agents}
    o_where, o_params = scope(project_id, "o.")
    daily = _rows(
        snap,
        f"""
        select o.cluster_id, cast(o."timestamp" as date) as day, count(*) as n
        from error_occurrences as o
        where o.cluster_id in (select unnest(?)) and {o_where}
        group by all
        """,
        [ids, *o_params],
    )
    end = max((d["day"] for d in daily), default=None)
    days = _days(end, TREND_DAYS) if end else []
    counts = {(d["cluster_id"], d["day"]): d["n"] for d in daily}
    e_where, e_params = scope(project_id, "e.")
    causes = _rows(
        snap,
        f"""
        with attributed as (
            select e.error_cluster_id as cluster_id, e.action_file_path as file_path,
                e.agent, e.method, count(*) as errors, max(e.confidence) as confidence
            from event_correlations as e
            where e.error_cluster_id in (select unnest(?)) and e.attribution_rank = 1
                and e.method in ('time_window', 'change_set') and {e_where}
            group by all
        )
        select * from attributed
        qualify row_number() over (
            partition by cluster_id order by errors desc, confidence desc, file_path, agent,
                method
        ) <= {CAUSES_PER_CLUSTER}
        order by cluster_id, errors desc, confidence desc, file_path, agent, method
        """,
        [ids, *e_params],
    )
    by_cause: dict[str, Records] = {}
    for c in causes:
        by_cause.setdefault(c.pop("cluster_id"), []).append(c)
    for r in rows:
        cid = r["cluster_id"]
        r["agents"] = by_agent.get(cid, [])
        r["agents_affected"] = len(r["agents"])
        r["trend"] = [{"day": d, "errors": counts.get((cid, d), 0)} for d in days]
        r["causes"] = by_cause.get(cid, [])


# --- Agents --------------------------------------------------------------------------


def list_agents(reader: WarehouseReader, project_id: str | None) -> tuple[Records, datetime | None]:
    """Each agent over all its sessions (agent_performance, scope 'overall'), busiest first."""
    where, params = scope(project_id, "a.")
    try:
        with reader.snapshot() as snap:
            rows = _rows(
                snap,
                f"""
                select a.* exclude (agent_performance_id, scope, session_id)
                from agent_performance as a
                where a.scope = 'overall' and {where}
                order by a.sessions_count desc, a.agent
                limit 500
                """,
                params,
            )
            computed_at = snap.published_at
    except WarehouseNotPublished:
        return [], None
    for r in rows:
        actions = r["total_actions"] or 0
        r["induced_error_rate"] = r["induced_error_count"] / actions if actions else None
        # Snapshots published before these columns existed still answer.
        r.setdefault("edit_actions", None)
        r.setdefault("mean_fix_time_s", None)
    return rows, computed_at


# --- Overview ------------------------------------------------------------------------


def overview(reader: WarehouseReader, project_id: str | None) -> dict[str, Any]:
    """Per day over the last TREND_DAYS days with data: sessions, sessions with
    failures, failed test runs, errors per 100 events, and LLM cost."""
    s_where, s_params = scope(project_id, "s.")
    u_where, u_params = scope(project_id, "u.")
    try:
        with reader.snapshot() as snap:
            sessions = _rows(
                snap,
                f"""
                select cast(coalesce(s.started_at, s.first_event_at) as date) as day,
                    count(*) as sessions,
                    count(*) filter (where s.test_runs_failed > 0 or s.error_count > 0)
                        as failing_sessions,
                    cast(sum(s.test_runs_failed) as bigint) as failed_runs,
                    cast(sum(s.test_runs_passed) as bigint) as passed_runs,
                    cast(sum(s.error_count) as bigint) as errors,
                    cast(sum(s.event_count) as bigint) as events
                from sessions as s
                where {s_where} and coalesce(s.started_at, s.first_event_at) is not null
                group by all
                order by day desc
                limit {TREND_DAYS}
                """,
                s_params,
            )
            cost = _rows(
                snap,
                f"""
                select u.usage_date as day, cast(sum(u.cost_usd) as double) as cost_usd,
                    cast(sum(u.llm_calls) as bigint) as llm_calls
                from usage_daily as u
                where {u_where}
                group by all
                order by day desc
                limit {TREND_DAYS}
                """,
                u_params,
            )
            computed_at = snap.published_at
    except WarehouseNotPublished:
        return {"days": [], "totals": {}, "computed_at": None}
    ends = [r["day"] for r in sessions] + [r["day"] for r in cost]
    if not ends:
        return {"days": [], "totals": {}, "computed_at": computed_at}
    by_day = {r["day"]: r for r in sessions}
    cost_by_day = {r["day"]: r for r in cost}
    days = []
    for d in _days(max(ends), TREND_DAYS):
        s = by_day.get(d, {})
        c = cost_by_day.get(d, {})
        events = s.get("events") or 0
        days.append(
            {
                "day": d,
                "sessions": s.get("sessions", 0),
                "failing_sessions": s.get("failing_sessions", 0),
                "failed_runs": s.get("failed_runs") or 0,
                "errors": s.get("errors") or 0,
                "error_rate": 100.0 * (s.get("errors") or 0) / events if events else None,
                "cost_usd": c.get("cost_usd"),
                "llm_calls": c.get("llm_calls", 0),
            }
        )
    totals = {
        "sessions": sum(d["sessions"] for d in days),
        "failing_sessions": sum(d["failing_sessions"] for d in days),
        "failed_runs": sum(d["failed_runs"] for d in days),
        "errors": sum(d["errors"] for d in days),
        "cost_usd": sum(d["cost_usd"] or 0.0 for d in days),
    }
    return {"days": days, "totals": totals, "computed_at": computed_at}


# --- Insights and incidents ----------------------------------------------------------


def list_insights(
    reader: WarehouseReader,
    project_id: str | None,
    *,
    session_id: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> Records:
    """Insights, newest first."""
    where, params = scope(project_id, "i.")
    filters = [where]
    for column, value in (
        ("i.session_id", session_id),
        ("i.kind", kind),
        ("i.severity", severity),
        ("i.status", status),
    ):
        if value is not None:
            filters.append(f"{column} = ?")
            params.append(value)
    try:
        with reader.snapshot() as snap:
            if "insights" not in snap.tables:
                return []
            rows = _rows(
                snap,
                f"""
                select i.* from insights as i where {" and ".join(filters)}
                order by i.detected_at desc, i.insight_id limit ?
                """,
                [*params, limit],
            )
    except WarehouseNotPublished:
        return []
    for r in rows:
        r["evidence"] = orjson.loads(r["evidence"]) if r.get("evidence") else {}
    return rows


def list_incidents(
    reader: WarehouseReader,
    project_id: str | None,
    *,
    status: str | None = None,
    severity: str | None = None,
    limit: int = 50,
) -> Records:
    """Incidents, newest first."""
    where, params = scope(project_id, "n.")
    filters = [where]
    for column, value in (("n.status", status), ("n.severity", severity)):
        if value is not None:
            filters.append(f"{column} = ?")
            params.append(value)
    try:
        with reader.snapshot() as snap:
            if "incidents" not in snap.tables:
                return []
            return _rows(
                snap,
                f"""
                select n.* from incidents as n where {" and ".join(filters)}
                order by n.opened_at desc, n.incident_id desc limit ?
                """,
                [*params, limit],
            )
    except WarehouseNotPublished:
        return []


# --- One session's timeline ----------------------------------------------------------


def session_timeline(
    reader: WarehouseReader, project_id: str | None, session_id: str
) -> dict[str, Any] | None:
    """A session's summary, events (at most TIMELINE_MAX_EVENTS, the first ones), LLM
    usage, attributed edit -> failure links and insights; None for an unknown session.
    Reads only this session's rows (the snapshot is sorted by session_id)."""
    s_where, s_params = scope(project_id, "s.")
    try:
        with reader.snapshot() as snap:
            summary = _rows(
                snap,
                f"select s.* from sessions as s where s.session_id = ? and {s_where} "
                "order by s.project_id",
                [session_id, *s_params],
            )
            if not summary:
                return None
            # An admin (every project) reads the first project holding this session id.
            project_id = str(summary[0]["project_id"])
            s_where, s_params = scope(project_id, "s.")
            ev_where, ev_params = scope(project_id, "e.")
            u_where, u_params = scope(project_id, "u.")
            c_where, c_params = scope(project_id, "c.")
            summary = summary[:1]
            events = _rows(
                snap,
                f"""
                select e.event_id, e.event_type, e.source_type, e.action_kind, e.tool_name,
                    {_NAIVE_UTC.format("e")}, e.file_path, e.status, e.error_type, e.message,
                    e.model, e.actor, e.duration_ms,
                    json_extract_string(e.attributes, '$.runner') as runner,
                    json_extract_string(e.attributes, '$.tool') as attr_tool
                from events as e
                where e.session_id = ? and {ev_where} and e.event_seq <= ?
                    and e.event_type not in ('session_start', 'session_end')
                order by e.event_seq
                limit ?
                """,
                [session_id, *ev_params, _TIMELINE_SEQ_BOUND, TIMELINE_MAX_EVENTS + 1],
            )
            usage: Records = []
            if "llm_usage" in snap.tables:
                usage = _rows(
                    snap,
                    f"""
                    select u.event_id, {_NAIVE_UTC.format("u")}, u.model, u.total_tokens,
                        u.input_tokens, u.output_tokens, u.cost_usd
                    from llm_usage as u
                    where u.session_id = ? and {u_where}
                    order by u."timestamp", u.event_id
                    limit ?
                    """,
                    [session_id, *u_params, TIMELINE_MAX_EVENTS],
                )
            links = _rows(
                snap,
                f"""
                select c.action_event_id, c.error_event_id, c.method, c.confidence,
                    c.action_file_path, c.action_timestamp, c.error_timestamp, c.agent
                from event_correlations as c
                where c.session_id = ? and {c_where} and c.attribution_rank = 1
                    and c.method in ('time_window', 'change_set')
                order by c.error_timestamp, c.error_event_id, c.method
                limit ?
                """,
                [session_id, *c_params, TIMELINE_MAX_EVENTS],
            )
    except WarehouseNotPublished:
        return None
    # Past the bound some events were not looked at: the timeline is cut either way.
    truncated = (
        len(events) > TIMELINE_MAX_EVENTS or int(summary[0]["event_count"]) > _TIMELINE_SEQ_BOUND
    )
    return {
        "summary": summary[0],
        "events": events[:TIMELINE_MAX_EVENTS],
        "truncated": truncated,
        "usage": usage,
        "links": links,
        "insights": list_insights(reader, project_id, session_id=session_id, limit=100),
    }
