"""Queries behind `/v1/incidents`, and the incident report the export endpoint renders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from achilles_core.projects import Caller
from ingest_api.reads import project_filter
from ingest_api.warehouse import WarehouseNotPublished, WarehouseReader

Records = list[dict[str, Any]]
# Agent-session errors this long before an incident opened may be related to it.
RELATED_LEAD = timedelta(minutes=30)
RELATED_LIMIT = 200


def _has(reader: WarehouseReader, table: str) -> bool:
    try:
        return reader.has_table(table)
    except WarehouseNotPublished:
        return False


def list_incidents(
    reader: WarehouseReader,
    caller: Caller,
    status: str | None,
    severity: str | None,
    since: datetime | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> tuple[Records, datetime | None]:
    """Newest first by (opened_at, incident_id); `before` is the last row of the previous page."""
    if not _has(reader, "incidents"):
        return [], None
    scope, params = project_filter(caller)
    filters: list[str] = [scope]
    for column, value in (("status", status), ("severity", severity)):
        if value is not None:
            filters.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        filters.append("coalesce(closed_at, last_seen_at) >= ?")
        params.append(since)
    if before is not None:
        filters.append("(opened_at < ? or (opened_at = ? and incident_id < ?))")
        params += [before[0], before[0], before[1]]
    where = " and ".join(filters) or "true"
    return reader.query(
        f"select * from incidents where {where} order by opened_at desc, incident_id desc limit ?",
        [*params, limit],
    )


def _members(reader: WarehouseReader, project_id: str, incident_id: str) -> Records:
    rows, _ = reader.query(
        "select * from incident_members where project_id = ? and incident_id = ? "
        "order by occurred_at, member_key",
        [project_id, incident_id],
    )
    for row in rows:
        raw = row.get("attributes")
        row["attributes"] = orjson.loads(raw) if raw else None
    return rows


def get_incident(
    reader: WarehouseReader, caller: Caller, incident_id: str
) -> dict[str, Any] | None:
    if not _has(reader, "incidents"):
        return None
    scope, params = project_filter(caller)
    rows, computed_at = reader.query(
        f"select * from incidents where incident_id = ? and {scope} order by project_id limit 1",
        [incident_id, *params],
    )
    if not rows:
        return None
    members = _members(reader, rows[0]["project_id"], incident_id)
    return {**rows[0], "computed_at": computed_at, "members": members}


def incident_report(
    reader: WarehouseReader, caller: Caller, incident_id: str
) -> dict[str, Any] | None:
    """The incident with its timeline, the agent-session errors of its project in its
    window, and the insights raised in that window or on the sessions involved."""
    incident = get_incident(reader, caller, incident_id)
    if incident is None:
        return None
    project_id = incident["project_id"]
    start = incident["opened_at"] - RELATED_LEAD
    end = incident["closed_at"] or incident["last_seen_at"]
    timeline: list[dict[str, Any]] = []
    for m in incident["members"]:
        what = "alert fired" if m["member_type"] == "alert" else "error"
        timeline.append(
            {
                "at": m["occurred_at"],
                "what": what,
                "title": m["title"],
                "severity": m["severity"],
                "message": m["message"],
                "primary": m["is_primary"],
            }
        )
        if m["resolved_at"] is not None:
            timeline.append(
                {
                    "at": m["resolved_at"],
                    "what": "alert resolved",
                    "title": m["title"],
                    "severity": m["severity"],
                    "message": None,
                    "primary": m["is_primary"],
                }
            )
    timeline.sort(key=lambda t: (t["at"], t["what"]))
    related, _ = reader.query(
        """
        select session_id, event_id, "timestamp", error_type, message, file_path, severity
        from events
        where project_id = ? and event_type = 'error' and source_type <> 'external'
            and "timestamp" between ? and ?
        order by "timestamp", session_id, event_id
        limit ?
        """,
        [project_id, start, end, RELATED_LIMIT],
    )
    sessions = sorted(
        {m["session_id"] for m in incident["members"]} | {r["session_id"] for r in related}
    )
    insights: Records = []
    if _has(reader, "insights"):
        insights, _ = reader.query(
            """
            select insight_id, session_id, kind, severity, title, detail, status, detected_at
            from insights
            where project_id = ?
                and ((detected_at between ? and ?) or session_id in (select unnest(?)))
            order by detected_at, insight_id
            limit ?
            """,
            [project_id, start, end, sessions, RELATED_LIMIT],
        )
    return {
        "incident": {k: v for k, v in incident.items() if k != "members"},
        "timeline": timeline,
        "members": incident["members"],
        "related_errors": related,
        "insights": insights,
    }


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:200]


def report_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown a person can paste into a postmortem."""
    inc = report["incident"]
    lines = [
        f"# Incident {inc['incident_id']}: {inc['title'] or inc['kind']}",
        "",
        f"- Kind: {inc['kind']} (from {inc['source']})",
        f"- Status: {inc['status']}",
        f"- Severity: {inc['severity'] or 'unknown'}",
        f"- Opened: {inc['opened_at']}",
        f"- Last seen: {inc['last_seen_at']}",
        f"- Closed: {inc['closed_at'] or '-'}",
        f"- Members: {inc['member_count']}",
        f"- Summary: {inc['summary'] or '-'}",
        "",
        "## Timeline",
        "",
        "| time | what | title | severity | message |",
        "|---|---|---|---|---|",
    ]
    for t in report["timeline"]:
        mark = " (primary)" if t["primary"] else ""
        lines.append(
            f"| {t['at']} | {t['what']}{mark} | {_cell(t['title'])} | {_cell(t['severity'])} "
            f"| {_cell(t['message'])} |"
        )
    lines += ["", "## Alerts and errors", ""]
    for m in report["members"]:
        attrs = m["attributes"] or {}
        labels = attrs.get("labels") or attrs.get("tags") or {}
        label_text = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        mark = " **primary**" if m["is_primary"] else ""
        lines.append(
            f"- {m['member_type']} `{m['member_key']}`{mark}: {_cell(m['title'])} "
            f"[{m['status']}] {label_text}"
        )
    lines += ["", "## Related agent-session errors in the window", ""]
    if not report["related_errors"]:
        lines.append("None.")
    for r in report["related_errors"]:
        lines.append(
            f"- {r['timestamp']} session `{r['session_id']}`: {_cell(r['error_type'])} "
            f"{_cell(r['message'])} {_cell(r['file_path'])}"
        )
    lines += ["", "## Insights", ""]
    if not report["insights"]:
        lines.append("None.")
    for i in report["insights"]:
        lines.append(
            f"- [{i['severity']}] {_cell(i['title'])} (session `{i['session_id']}`, {i['status']})"
        )
    return "\n".join(lines) + "\n"
