"""Queries of the published warehouse behind the derived read endpoints.

Every table carries `project_id`. A session is (project_id, session_id): queries of
one session filter on both; lists filter with `project_filter` (an admin's span
every project).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from achilles_core.projects import Caller
from ingest_api import pagination
from ingest_api.warehouse import WarehouseNotPublished, WarehouseReader

# Rows as column -> value dicts.
Records = list[dict[str, Any]]


def _safe(reader: WarehouseReader, sql: str, params: list[Any]) -> tuple[Records, datetime | None]:
    """Records, or nothing when no snapshot has been published yet."""
    try:
        return reader.query(sql, params)
    except WarehouseNotPublished:
        return [], None


def project_filter(caller: Caller, column: str = "project_id") -> tuple[str, list[Any]]:
    """SQL condition and parameters keeping the rows `caller` may read: its project's,
    or every project's for an admin. `column` is a fixed string, never user text."""
    if caller.is_admin:
        return "true", []
    return f"{column} = ?", [caller.project_id]


def session_summary(
    reader: WarehouseReader, project_id: str, session_id: str
) -> dict[str, Any] | None:
    rows, computed_at = _safe(
        reader,
        "select * exclude (project_id) from sessions where project_id = ? and session_id = ?",
        [project_id, session_id],
    )
    if not rows:
        return None
    return {**rows[0], "computed_at": computed_at}


def session_in_warehouse(reader: WarehouseReader, project_id: str, session_id: str) -> bool:
    rows, _ = _safe(
        reader,
        "select 1 from sessions where project_id = ? and session_id = ?",
        [project_id, session_id],
    )
    return bool(rows)


def session_errors(
    reader: WarehouseReader,
    project_id: str,
    session_id: str,
    limit: int,
    offset: int,
    after: list[Any] | None = None,
) -> tuple[Records, int | None, bool, datetime | None]:
    """A page of the session's clusters: (rows, total or None on cursor pages, more, time)."""
    where, params = _keyset(pagination.ERRORS, after)
    rows, computed_at = _safe(
        reader,
        f"""
        select s.cluster_id, s.error_type, s.normalized_message, c.sample_message,
            s.occurrences, s.first_seen_at, s.last_seen_at,
            c.occurrences as total_occurrences, c.sessions_affected,
            count(*) over () as _total
        from session_error_clusters s
        join error_clusters c using (project_id, cluster_id)
        where s.project_id = ? and s.session_id = ? and {where}
        order by s.occurrences desc, s.first_seen_at, s.cluster_id
        limit ? offset ?
        """,
        [project_id, session_id, *params, limit + 1, offset],
    )
    return _page(rows, computed_at, limit, offset, after)


def session_correlations(
    reader: WarehouseReader,
    project_id: str,
    session_id: str,
    limit: int,
    offset: int,
    min_confidence: float,
    after: list[Any] | None = None,
) -> tuple[Records, int | None, bool, datetime | None]:
    where, params = _keyset(pagination.CORRELATIONS, after)
    rows, computed_at = _safe(
        reader,
        f"""
        select * exclude (project_id, session_id), count(*) over () as _total
        from event_correlations
        where project_id = ? and session_id = ? and confidence >= ? and {where}
        order by error_timestamp, error_event_id, attribution_rank, correlation_id
        limit ? offset ?
        """,
        [project_id, session_id, min_confidence, *params, limit + 1, offset],
    )
    return _page(rows, computed_at, limit, offset, after)


def _keyset(keyset: pagination.Keyset, after: list[Any] | None) -> tuple[str, list[Any]]:
    if after is None:
        return "true", []
    return keyset.where(), keyset.params(after)


def session_agent_performance(
    reader: WarehouseReader, project_id: str, session_id: str
) -> tuple[Records, Records, datetime | None]:
    rows, computed_at = _safe(
        reader,
        """
        select * exclude (project_id) from agent_performance
        where project_id = ? and (
            scope = 'overall' and agent in (
                select agent from agent_performance
                where scope = 'session' and project_id = ? and session_id = ?)
            or (scope = 'session' and session_id = ?))
        order by scope desc, agent
        """,
        [project_id, project_id, session_id, session_id],
    )
    per_session = [r for r in rows if r["scope"] == "session"]
    overall = [r for r in rows if r["scope"] == "overall"]
    return per_session, overall, computed_at


def _page(
    rows: Records, computed_at: datetime | None, limit: int, offset: int, after: list[Any] | None
) -> tuple[Records, int | None, bool, datetime | None]:
    """Trim the look-ahead row. `total` counts the whole list, so only an offset page
    (no cursor) has it; a cursor page's window counts only the rows after the cursor."""
    total = rows[0]["_total"] if rows else 0
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        del r["_total"]
    return rows, None if after is not None else total, more, computed_at


def recent_insights(
    reader: WarehouseReader,
    caller: Caller,
    session_id: str | None,
    kind: str | None,
    severity: str | None,
    status: str | None,
    since: datetime | None,
    limit: int,
) -> tuple[Records, datetime | None]:
    scope, params = project_filter(caller)
    filters: list[str] = [scope]
    for column, value in (
        ("session_id", session_id),
        ("kind", kind),
        ("severity", severity),
        ("status", status),
    ):
        if value is not None:
            filters.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        filters.append("detected_at >= ?")
        params.append(since)
    where = " and ".join(filters) or "true"
    try:
        if not reader.has_table("insights"):
            return [], reader.published_at()
        return reader.query(
            f"select * from insights where {where} order by detected_at desc, insight_id limit ?",
            [*params, limit],
        )
    except WarehouseNotPublished:
        return [], None
