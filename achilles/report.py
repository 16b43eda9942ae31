"""The short report `achilles demo` and `achilles report` print from the published warehouse."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from ingest_api.warehouse import WarehouseReader

# Shorter headers, so a table keeps its values whole on an 80-column terminal.
LABELS = {
    "event_count": "events",
    "error_count": "errors",
    "error_density": "errors/100",
    "agent_activity_score": "agent events",
    "sessions_affected": "sessions",
    "normalized_message": "message",
    "action_file_path": "file edited",
    "sessions_count": "sessions",
    "total_actions": "actions",
    "induced_error_count": "induced errors",
    "n": "count",
}
SHORT = 12  # values up to this long are never wrapped
# Identifiers are shown whole: cut short, two sessions' rows looked the same.
WHOLE = ("session_id", "agent")


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    # No vertical rules and no outer padding: their width goes to the values.
    table = Table(
        title=title,
        title_justify="left",
        show_lines=False,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for c in columns:
        label = LABELS.get(c, c)
        width = max([0] + [len(_fmt(r[c])) for r in rows if r[c] is not None])
        if c in WHOLE:
            table.add_column(label, no_wrap=True, min_width=max(width, len(label)))
        else:  # short values kept on one line; long text wrapped, never cut with "…"
            table.add_column(label, overflow="fold", min_width=min(width, SHORT))
    for r in rows:
        table.add_row(*("" if r[c] is None else _fmt(r[c]) for c in columns))
    return table


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."


def report_console() -> Console:
    """The terminal's console; piped or logged output gets 160 columns instead of rich's
    80, so the session table's ids and headers are not cut or wrapped."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def print_report(reader: WarehouseReader, console: Console | None = None, top: int = 5) -> None:
    console = console or report_console()
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
    # One line per cause (an agent's edits of a file in a session), not one per error.
    correlations, _ = q(
        "select session_id, agent, action_file_path, count(*) as errors, "
        "min(lag_s) as lag_s, max(confidence) as confidence from event_correlations "
        "where attribution_rank = 1 group by session_id, agent, action_file_path "
        f"order by confidence desc, errors desc, lag_s, session_id, agent limit {top}"
    )
    console.print(
        _table(
            "Errors attributed to agent actions",
            correlations,
            ["session_id", "agent", "action_file_path", "errors", "lag_s", "confidence"],
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
        insights = open_insight_causes(reader, 4 * top)
        total = int(insights[0]["total"]) if insights else 0
        causes = insights[0]["causes"] if insights else 0
        shown = f", most severe {len(insights)} shown" if causes > len(insights) else ""
        console.print(
            _table(
                f"Open insights ({total} in {causes} causes{shown})",
                insights,
                ["severity", "session_id", "title", "n"],
            )
        )


def open_insight_causes(reader: WarehouseReader, limit: int) -> list[dict[str, Any]]:
    """Open insights, one row per cause: those of a session that say the same thing
    (one per error an agent caused) are one row with their count `n`; `causes` and
    `total` count all rows and all insights."""
    rows, _ = reader.query(
        "with causes as (select severity, kind, session_id, title, count(*) as n, "
        "max(detected_at) as detected_at from insights where status = 'open' "
        "group by severity, kind, session_id, title) "
        "select *, count(*) over () as causes, sum(n) over () as total from causes "
        "order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end, "
        f"detected_at desc, session_id, kind, title limit {int(limit)}"
    )
    return rows
