"""Publishing: copy the documented tables of a finished build into a new DuckDB
file and atomically rename it over the published snapshot.

Incremental when it can be: the new file starts as a copy of the last snapshot,
and a session-scoped table (one with a `<table>__build_scope` in the build) gets
only the rows of the sessions whose landing files changed since that snapshot or
that the build re-derived; every other table is rewritten whole. The snapshot
records what each session's rows were published from (`achilles_publish_scope`).
Rewriting `events` whole cost 7.4 s at 1 M events (and grows with the warehouse),
which is most of a small build's publish (issue 16). A full build (dbt
--full-refresh, marked by `build.full-refresh` until a publish succeeds), a table
whose columns changed, or a change set over a quarter of the sessions (of 100 or more)
publishes the table whole again, sorted.

Readers (the API, `achilles sql`, a person's DuckDB shell) only ever open the
published file read-only. A rename swaps the whole file at once, so they see the
old snapshot or the new one, never a half-built state, and never hold a lock
that could block the next build. A failed build never reaches this step, so the
last good snapshot stays in place.
"""

from __future__ import annotations

import os
import shutil
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
# (table_name, project_id, session_id, landing_files): the files each session's rows
# in a session-scoped table were published from.
SCOPE_TABLE = "achilles_publish_scope"
# Left by a full build (dbt --full-refresh) until a publish succeeds: publish whole.
FULL_REFRESH_MARKER = "build.full-refresh"
# Above this share of a table's sessions changed, rewriting it whole is as cheap (and
# leaves it sorted); below WHOLE_TABLE_MIN_SESSIONS sessions either way costs nothing.
WHOLE_TABLE_SHARE = 0.25
WHOLE_TABLE_MIN_SESSIONS = 100


def _fsync(path: os.PathLike[str] | str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def mark_full_refresh(settings: Settings) -> None:
    """The build about to run re-derives everything: the next publish is whole."""
    (settings.warehouse_dir / FULL_REFRESH_MARKER).touch()


def _names(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = ? "
            "union all select view_name from duckdb_views() "
            "where database_name = ? and not internal",
            [database, database],
        ).fetchall()
    }


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and table_name = ? order by column_index",
        [database, table],
    ).fetchall()


def _publish_changed_sessions(con: duckdb.DuckDBPyConnection, table: str, order: str) -> bool:
    """Replace, in pub.<table>, the rows of the sessions that changed since the last
    snapshot; False when the change is too large and the table should be rewritten."""
    scope = f"{table}__build_scope"
    con.execute(
        f"""
        create or replace temp table changed_sessions as
        select coalesce(b.project_id, p.project_id) as project_id,
               coalesce(b.session_id, p.session_id) as session_id
        from main.{scope} as b
        full outer join (select * from pub.{SCOPE_TABLE} where table_name = ?) as p
            on b.project_id = p.project_id and b.session_id = p.session_id
        where b.rederived is not false or b.landing_files is distinct from p.landing_files
        """,
        [table],
    )
    (changed,) = con.execute("select count(*) from changed_sessions").fetchone() or (0,)
    (known,) = con.execute(f"select count(*) from main.{scope}").fetchone() or (0,)
    if known >= WHOLE_TABLE_MIN_SESSIONS and changed > WHOLE_TABLE_SHARE * known:
        return False
    if changed:
        con.execute(
            f"delete from pub.{table} as t using changed_sessions as c "
            "where t.project_id = c.project_id and t.session_id = c.session_id"
        )
        con.execute(
            f"insert into pub.{table} by name select t.* from main.{table} as t "
            "semi join changed_sessions as c "
            f"on t.project_id = c.project_id and t.session_id = c.session_id order by {order}"
        )
    return True


def publish(settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """Snapshot the build warehouse; returns row counts, the publish time and which
    tables were published incrementally."""
    published_at = now or datetime.now(UTC)
    folder = settings.warehouse_dir
    tmp = folder / f".publish-{uuid.uuid4().hex}.duckdb"
    marker = folder / FULL_REFRESH_MARKER
    counts: dict[str, int] = {}
    incremental: list[str] = []
    base = settings.published_db if settings.published_db.exists() and not marker.exists() else None
    if base is not None:
        shutil.copyfile(base, tmp)
    con = duckdb.connect(
        str(settings.build_db), config={"memory_limit": settings.duckdb_memory_limit}
    )
    try:
        # Thin marts (events, event_correlations, landing_sessions) are views in the
        # build warehouse; the snapshot holds tables.
        (build,) = con.execute("select current_database()").fetchone() or ("build",)
        existing = _names(con, build)
        con.execute(f"attach '{tmp}' as pub")
        in_pub = _names(con, "pub")
        reuse = SCOPE_TABLE in in_pub
        con.execute(
            f"create table if not exists pub.{SCOPE_TABLE} (table_name varchar, "
            "project_id varchar, session_id varchar, landing_files varchar[])"
        )
        for table, order in PUBLISHED_TABLES.items():
            if table not in existing:
                con.execute(f"drop table if exists pub.{table}")
                continue
            scoped = f"{table}__build_scope" in existing
            if (
                reuse
                and scoped
                and table in in_pub
                and _columns(con, "pub", table) == _columns(con, build, table)
                and _publish_changed_sessions(con, table, order)
            ):
                incremental.append(table)
            else:
                con.execute(
                    f"create or replace table pub.{table} as "
                    f"select * from main.{table} order by {order}"
                )
            con.execute(f"delete from pub.{SCOPE_TABLE} where table_name = ?", [table])
            if scoped:
                con.execute(
                    f"insert into pub.{SCOPE_TABLE} select ?, project_id, session_id, "
                    f"landing_files from main.{table}__build_scope",
                    [table],
                )
            (counts[table],) = con.execute(f"select count(*) from pub.{table}").fetchall()[0]
        con.execute(
            f"create or replace table pub.{META_TABLE} as select ?::timestamptz as "
            "published_at, ?::json as row_counts",
            [published_at, orjson.dumps(counts).decode()],
        )
        con.execute("detach pub")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    _fsync(tmp)
    os.replace(tmp, settings.published_db)
    _fsync(folder)
    marker.unlink(missing_ok=True)
    return {
        "published_at": published_at,
        "row_counts": counts,
        "path": str(settings.published_db),
        "incremental": incremental,
    }
