"""Publishing: copy the documented tables of a finished build into a new DuckDB
file and atomically rename it over the published snapshot.

Readers (the API, `achilles sql`, a person's DuckDB shell) only ever open the
published file read-only. A rename swaps the whole file at once, so they see the
old snapshot or the new one, never a half-built state, and never hold a lock
that could block the next build. A failed build never reaches this step, so the
last good snapshot stays in place.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson

from achilles_core.settings import Settings

# Table -> the key its rows are ordered by: a total order, so the snapshot is
# byte-for-byte repeatable, led by session_id where the API reads one session, so
# DuckDB's per-row-group min/max skips the rest (at 10 M events, /correlations went
# from a full scan to a few row groups).
PUBLISHED_TABLES: dict[str, str] = {
    # project_id first: a session is (project_id, session_id), and the order must be
    # total for the snapshot to be deterministic.
    "events": "project_id, session_id, event_seq",
    "sessions": "project_id, session_id",
    "error_clusters": "project_id, cluster_id",
    "session_error_clusters": "project_id, session_id, cluster_id",
    "error_occurrences": "project_id, session_id, event_id",
    "event_correlations": "project_id, session_id, correlation_id",
    "agent_performance": "project_id, session_id nulls first, agent_performance_id",
    "insights": "insight_id",
    # Receivers (#12): incidents from Alertmanager alerts and Sentry errors.
    "incidents": "incident_id",
    "incident_members": "incident_id, member_key",
    "landing_sessions": "project_id, session_id",
    # Usage and cost (issue #11).
    "llm_usage": "project_id, session_id, usage_id",
    "session_usage": "project_id, session_id",
    "usage_daily": "usage_date, usage_daily_id",
    # OTLP metric points (#12).
    "metrics": "metric_name, observed_at, point_id",
}
# The analytics marts dbt builds: everything published but the insight step's own
# table and landing_sessions (a listing of landing files, not derived from events).
DBT_MARTS = tuple(t for t in PUBLISHED_TABLES if t not in ("insights", "landing_sessions"))
META_TABLE = "achilles_publish"


def _fsync(path: os.PathLike[str] | str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """Snapshot the build warehouse; returns row counts and the publish time."""
    published_at = now or datetime.now(UTC)
    folder = settings.warehouse_dir
    tmp = folder / f".publish-{uuid.uuid4().hex}.duckdb"
    counts: dict[str, int] = {}
    con = duckdb.connect(
        str(settings.build_db), config={"memory_limit": settings.duckdb_memory_limit}
    )
    try:
        # Thin marts (events, event_correlations, landing_sessions) are views in the
        # build warehouse; the snapshot holds tables.
        existing = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() "
                "union all select view_name from duckdb_views() where not internal"
            ).fetchall()
        }
        con.execute(f"attach '{tmp}' as pub")
        for table, order in PUBLISHED_TABLES.items():
            if table not in existing:
                continue
            con.execute(f"create table pub.{table} as select * from main.{table} order by {order}")
            (counts[table],) = con.execute(f"select count(*) from pub.{table}").fetchall()[0]
        con.execute(
            f"create table pub.{META_TABLE} as select ?::timestamptz as published_at, "
            "?::json as row_counts",
            [published_at, orjson.dumps(counts).decode()],
        )
        con.execute("detach pub")
    finally:
        con.close()
    _fsync(tmp)
    os.replace(tmp, settings.published_db)
    _fsync(folder)
    return {"published_at": published_at, "row_counts": counts, "path": str(settings.published_db)}
