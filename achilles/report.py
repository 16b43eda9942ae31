"""The short report `achilles demo` and `achilles report` print from the published warehouse."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ingest_api.warehouse import WarehouseReader


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if r[c] is None else _fmt(r[c]) for c in columns))
    return table


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."


def print_report(reader: WarehouseReader, console: Console | None = None, top: int = 5) -> None:
    console = console or Console()
    q = reader.query
    sessions, published_at = q(
        "select session_id, agent, event_count, error_count, error_density, "
        "agent_activity_score, outcome from sessions order by session_id"
    )
    console.print(f"\nWarehouse snapshot published at {published_at:%Y-%m-%d %H:%M:%S} UTC")
    console.print(
        _table(
            f"Sessions ({len(sessions)})",
            sessions[:20],
            [
                "session_id",
                "agent",
                "event_count",
                "error_count",
                "error_density",
                "agent_activity_score",
                "outcome",
            ],
        )
    )
    clusters, _ = q(
        "select error_type, occurrences, sessions_affected, normalized_message from error_clusters "
        f"order by occurrences desc, cluster_id limit {top}"
    )
    console.print(
        _table(
            "Top error clusters",
            clusters,
            ["error_type", "occurrences", "sessions_affected", "normalized_message"],
        )
    )
    correlations, _ = q(
        "select session_id, agent, action_file_path, lag_s, confidence from event_correlations "
        f"where attribution_rank = 1 order by confidence desc, lag_s, correlation_id limit {top}"
    )
    console.print(
        _table(
            "Errors attributed to agent actions",
            correlations,
            ["session_id", "agent", "action_file_path", "lag_s", "confidence"],
        )
    )
    perf, _ = q(
        "select agent, sessions_count, total_actions, induced_error_count, success_rate "
        "from agent_performance where scope = 'overall' order by agent"
    )
    console.print(
        _table(
            "Agent performance (all sessions)",
            perf,
            ["agent", "sessions_count", "total_actions", "induced_error_count", "success_rate"],
        )
    )
    if reader.has_table("insights"):
        insights, _ = q(
            "select severity, kind, session_id, title, count(*) over () as total from insights "
            "where status = 'open' "
            "order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end, "
            f"detected_at desc, insight_id limit {4 * top}"
        )
        total = insights[0]["total"] if insights else 0
        shown = f", most severe {len(insights)} shown" if total > len(insights) else ""
        console.print(
            _table(
                f"Open insights ({total}{shown})",
                insights,
                ["severity", "kind", "session_id", "title"],
            )
        )
