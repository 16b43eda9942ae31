"""Incidents: Alertmanager alert groups and Sentry error spikes and novelties.

Read from the published warehouse (`incidents`, `incident_members`): what the
last `achilles run` derived.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from achilles_core.vocab import Severity
from ingest_api import incident_reads
from ingest_api.deps import CallerDep, Warehouse
from ingest_api.schemas import ErrorOut, RFC3339Time

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])


class IncidentOut(BaseModel):
    incident_id: str = Field(description="Deterministic: replaying the same events gives it again.")
    project_id: str = Field(
        description="The project the alerts or errors came in (an admin key sees several)."
    )
    kind: str = Field(description="alert_group, new_error or error_spike.")
    source: str = Field(description="alertmanager or sentry.")
    title: str | None = Field(description="The primary member's alert name or error type.")
    summary: str | None
    severity: str | None
    status: str = Field(description="open, or resolved once every alert in it resolved.")
    opened_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None
    member_count: int
    session_count: int
    group_key: str | None
    primary_event_id: str
    primary_session_id: str
    primary_member_key: str


class MemberOut(BaseModel):
    member_key: str
    member_type: str = Field(description="alert or error.")
    event_id: str
    session_id: str
    title: str | None
    severity: str | None
    status: str | None
    occurred_at: datetime
    resolved_at: datetime | None
    message: str | None
    attributes: dict[str, Any] | None
    is_primary: bool


class IncidentsOut(BaseModel):
    computed_at: datetime | None
    incidents: list[IncidentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class IncidentDetailOut(IncidentOut):
    computed_at: datetime | None
    members: list[MemberOut]


def _cursor(row: dict[str, Any]) -> str:
    raw = orjson.dumps([row["opened_at"].isoformat(), row["incident_id"]])
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        opened, incident_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(opened), str(incident_id)
    except (ValueError, TypeError) as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"cursor: not one this endpoint gave ({exc})"
        ) from None


@router.get("", response_model=IncidentsOut, summary="Incidents, newest first")
async def list_incidents(
    warehouse: Warehouse,
    caller: CallerDep,
    status_: Annotated[Literal["open", "resolved"] | None, Query(alias="status")] = None,
    severity: Severity | None = None,
    since: Annotated[
        RFC3339Time | None, Query(description="Active at or after (RFC 3339).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> IncidentsOut:
    before = _decode_cursor(cursor) if cursor else None
    rows, computed_at = await run_in_threadpool(
        incident_reads.list_incidents,
        warehouse,
        caller,
        status_,
        severity.value if severity else None,
        since,
        before,
        limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return IncidentsOut(
        computed_at=computed_at,
        incidents=[IncidentOut(**r) for r in rows],
        next_cursor=_cursor(rows[-1]) if more else None,
    )


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such incident in the published warehouse"}
}


@router.get(
    "/{incident_id}",
    response_model=IncidentDetailOut,
    summary="One incident",
    responses=_NOT_FOUND,
)
async def get_incident(
    incident_id: str, warehouse: Warehouse, caller: CallerDep
) -> IncidentDetailOut:
    found = await run_in_threadpool(incident_reads.get_incident, warehouse, caller, incident_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id!r}")
    return IncidentDetailOut(**found)


@router.get(
    "/{incident_id}/export",
    summary="The incident as a report: timeline, alerts, related agent errors, insights",
    responses={200: {"content": {"text/markdown": {}, "application/json": {}}}, **_NOT_FOUND},
)
async def export_incident(
    incident_id: str,
    warehouse: Warehouse,
    caller: CallerDep,
    format: Literal["md", "json"] = "md",
) -> Response:
    report = await run_in_threadpool(incident_reads.incident_report, warehouse, caller, incident_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id!r}")
    if format == "json":
        return Response(
            orjson.dumps(report, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z),
            media_type="application/json",
        )
    return PlainTextResponse(
        incident_reads.report_markdown(report), media_type="text/markdown; charset=utf-8"
    )
