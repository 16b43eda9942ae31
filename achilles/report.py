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
    "cause": "file (or tool) acted on",
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


def attributed_causes_sql(scope: str, pid_sql: str, top: int) -> str:
    """One line per cause (an agent's actions on one file, or with one tool, in a
    session), counting each failure once: by its best attribution of any method
    (highest confidence; a change_set or self attribution before a mere time window;
    then the closest action)."""
    return (
        "with best as (select c.project_id, c.session_id, c.agent, c.lag_s, c.confidence, "
        "coalesce(c.action_file_path, a.tool_name, c.action_event_id) as cause, "
        "row_number() over (partition by c.project_id, c.session_id, c.error_event_id "
        "order by c.confidence desc, case c.method when 'time_window' then 1 else 0 end, "
        "c.lag_s, c.action_event_id) as pick "
        "from event_correlations as c left join events as a on a.project_id = c.project_id "
        "and a.session_id = c.session_id and a.event_id = c.action_event_id "
        "and a.event_type in ('agent_action', 'human_action') "
        f"where {scope.replace('project_id', 'c.project_id')}) "
        f"select {pid_sql}session_id, agent, cause, count(*) as errors, "
        "min(lag_s) as lag_s, max(confidence) as confidence from best where pick = 1 "
        f"group by {pid_sql}session_id, agent, cause "
        f"order by confidence desc, errors desc, lag_s, {pid_sql}session_id, agent, cause "
        f"limit {top}"
    )


def report_console() -> Console:
    """The terminal's console; piped or logged output gets 160 columns instead of rich's
    80, so the session table's ids and headers are not cut or wrapped."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def print_report(
    reader: WarehouseReader,
    console: Console | None = None,
    top: int = 5,
    project: str | None = None,
) -> None:
    """The report; with `project`, of that project's rows only. A snapshot holding
    several projects shows each row's project_id (one session id may be in two)."""
    console = console or report_console()
    scope, params = ("project_id = ?", [project]) if project else ("true", [])

    def q(sql: str) -> tuple[list[dict[str, Any]], Any]:
        return reader.query(sql, params)

    by_project = project is None and len(published_projects(reader)) > 1
    pid = ["project_id"] if by_project else []
    pid_sql = "project_id, " if by_project else ""

    sessions, published_at = q(
        f"select {pid_sql}session_id, agent, event_count, error_count, error_density, "
        f"agent_activity_score, outcome from sessions where {scope} "
        f"order by {pid_sql}session_id"
    )
    when = f"{published_at:%Y-%m-%d %H:%M:%S} UTC" if published_at else "(unknown time)"
    console.print(f"\nWarehouse snapshot published at {when}")
    if project:
        console.print(f"Project {project} only")
    console.print(
        _table(
            f"Sessions ({len(sessions)})",
            sessions[:20],
            [
                *pid,
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
        f"select {pid_sql}error_type, occurrences, sessions_affected, normalized_message "
        f"from error_clusters where {scope} "
        f"order by occurrences desc, {pid_sql}cluster_id limit {top}"
    )
    console.print(
        _table(
            "Top error clusters",
            clusters,
            [*pid, "error_type", "occurrences", "sessions_affected", "normalized_message"],
        )
    )
    correlations, _ = q(attributed_causes_sql(scope, pid_sql, top))
    console.print(
        _table(
            "Errors attributed to agent actions",
            correlations,
            [*pid, "session_id", "agent", "cause", "errors", "lag_s", "confidence"],
        )
    )
    perf, _ = q(
        f"select {pid_sql}agent, sessions_count, total_actions, induced_error_count, "
        f"success_rate from agent_performance where scope = 'overall' and {scope} "
        f"order by {pid_sql}agent"
    )
    console.print(
        _table(
            "Agent performance (all sessions)",
            perf,
            [
                *pid,
                "agent",
                "sessions_count",
                "total_actions",
                "induced_error_count",
                "success_rate",
            ],
        )
    )
    if reader.has_table("insights"):
        insights = open_insight_causes(reader, 4 * top, project, by_project)
        total = int(insights[0]["total"]) if insights else 0
        causes = insights[0]["causes"] if insights else 0
        shown = f", most severe {len(insights)} shown" if causes > len(insights) else ""
        console.print(
            _table(
                f"Open insights ({total} in {causes} causes{shown})",
                insights,
                [*pid, "severity", "session_id", "title", "n"],
            )
        )


def published_projects(reader: WarehouseReader) -> list[str]:
    """The projects the snapshot's sessions belong to, sorted."""
    rows, _ = reader.query("select distinct project_id from sessions order by project_id")
    return [str(r["project_id"]) for r in rows]


def open_insight_causes(
    reader: WarehouseReader, limit: int, project: str | None = None, by_project: bool = False
) -> list[dict[str, Any]]:
    """Open insights, one row per cause: those of a session that say the same thing
    (one per error an agent caused) are one row with their count `n`; `causes` and
    `total` count all rows and all insights. `project` keeps one project's;
    `by_project` keeps the projects' causes apart (a session id may be in two)."""
    scope, params = ("and project_id = ?", [project]) if project else ("", [])
    key = "project_id, " if by_project else ""
    rows, _ = reader.query(
        f"with causes as (select {key}severity, kind, session_id, title, count(*) as n, "
        f"max(detected_at) as detected_at from insights where status = 'open' {scope} "
        f"group by {key}severity, kind, session_id, title) "
        "select *, count(*) over () as causes, sum(n) over () as total from causes "
        "order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end, "
        f"detected_at desc, {key}session_id, kind, title limit {int(limit)}",
        params,
    )
    return rows
