"""Usage and cost grouped by day, session, model, agent or project, from the published
llm_usage mart: one query shared by `GET /v1/usage` and `achilles usage`."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from ingest_api.warehouse import WarehouseNotPublished, WarehouseReader


class UsageBy(StrEnum):
    day = "day"
    session = "session"
    model = "model"
    agent = "agent"
    project = "project"


# Grouping -> (output field, SQL expression over llm_usage). Fixed strings only: the
# grouping never reaches the SQL as user text.
GROUP_KEYS: dict[UsageBy, tuple[str, str]] = {
    UsageBy.day: ("date", "cast(usage_date as varchar)"),
    UsageBy.session: ("session_id", "session_id"),
    UsageBy.model: ("model", "model"),
    UsageBy.agent: ("agent", "agent"),
    UsageBy.project: ("project", "project"),
}
TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "total_tokens",
)


def usage_sql(by: UsageBy) -> str:
    field, expr = GROUP_KEYS[by]
    sums = ",\n        ".join(f"try_cast(sum({t}) as bigint) as {t}" for t in TOKEN_FIELDS)
    parent = ", max(parent_session_id) as parent_session_id" if by is UsageBy.session else ""
    return f"""
        select
        {expr} as {field}{parent},
        list(distinct model order by model) filter (where model is not null) as models,
        count(*) as llm_calls,
        {sums},
        cast(sum(cost_usd_exact) as double) as cost_usd,
        count(*) filter (where cost_status <> 'priced') as unpriced_calls,
        cast(sum(cast(client_cost_usd as decimal(38, 12))) as double) as client_cost_usd,
        min("timestamp") as first_call_at,
        max("timestamp") as last_call_at
        from llm_usage
        where (? is null or project_id = ?) and (? is null or usage_date >= ?)
        group by {expr}
        order by {field} nulls last
    """


def usage_report(
    reader: WarehouseReader,
    by: UsageBy,
    since: date | None = None,
    project_id: str | None = None,
) -> tuple[list[dict[str, Any]], datetime | None]:
    """Rows (one per group, sorted by its key) of one project (None: all, for the local
    CLI) and the snapshot's publish time; nothing before the first publish or on a
    snapshot built before llm_usage existed."""
    try:
        with reader.snapshot() as snap:
            if "llm_usage" not in snap.tables:
                return [], snap.published_at
            cur = snap.cursor.execute(usage_sql(by), [project_id, project_id, since, since])
            names = [d[0] for d in cur.description or []]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            return rows, snap.published_at
    except WarehouseNotPublished:
        return [], None
