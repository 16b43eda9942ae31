"""`POST /v1/alertmanager`: Alertmanager's webhook receiver.

Point a `webhook_configs` entry at it with the API key as a bearer credential.
Each alert lands as an `alert` event (`ingest_api.sources.alertmanager`); the
warehouse groups them into incidents (`incidents`, `incident_alerts`).
A retry or repeat notification is a duplicate, so answering 200 is always safe.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ingest_api.deps import CallerDep, Service, SettingsDep
from ingest_api.encoding import read_body
from ingest_api.service import ACCEPTED, DUPLICATE, REJECTED
from ingest_api.sources.alertmanager import AlertmanagerError, parse_webhook
from ingest_api.sources.base import load_json

router = APIRouter(prefix="/v1", tags=["alertmanager"])


class AlertmanagerOut(BaseModel):
    alerts: int = Field(description="Alerts in the notification.")
    accepted: int
    duplicates: int
    rejected: list[str] = Field(description="`alert n: reason` of each alert not stored.")


@router.post(
    "/alertmanager",
    response_model=AlertmanagerOut,
    summary="Receive an Alertmanager webhook notification (version 4)",
    responses={400: {"description": "Not an Alertmanager webhook body"}},
)
async def alertmanager(
    request: Request, service: Service, settings: SettingsDep, caller: CallerDep
) -> AlertmanagerOut:
    body = await read_body(request, settings.max_body_bytes)
    try:
        payload = load_json(body)
        parsed = parse_webhook(payload, received_at=datetime.now(UTC))
    except (ValueError, AlertmanagerError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    results = (
        await run_in_threadpool(service.ingest, parsed.events, None, caller.project_id)
        if parsed.events
        else []
    )
    rejected = [f"alert {n}: {reason}" for n, reason in parsed.bad_lines]
    rejected += [f"{r.field}: {r.reason}" for r in results if r.status == REJECTED]
    return AlertmanagerOut(
        alerts=parsed.lines,
        accepted=sum(r.status == ACCEPTED for r in results),
        duplicates=sum(r.status == DUPLICATE for r in results),
        rejected=rejected,
    )
