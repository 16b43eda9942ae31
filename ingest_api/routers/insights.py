"""What deserves attention: insights from the monitoring agent."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from achilles_core.contract import SESSION_ID_PATTERN
from achilles_core.vocab import InsightKind, InsightSeverity, InsightStatus
from ingest_api import reads
from ingest_api.deps import CallerDep, Warehouse
from ingest_api.schemas import InsightOut, InsightsOut, RFC3339Time

router = APIRouter(prefix="/v1/insights", tags=["insights"])


@router.get("/recent", response_model=InsightsOut, summary="Recent insights, newest first")
async def recent_insights(
    warehouse: Warehouse,
    caller: CallerDep,
    session_id: Annotated[str | None, Query(pattern=SESSION_ID_PATTERN)] = None,
    kind: InsightKind | None = None,
    severity: InsightSeverity | None = None,
    status: InsightStatus | None = None,
    since: Annotated[
        RFC3339Time | None, Query(description="Detected at or after (RFC 3339).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> InsightsOut:
    rows, computed_at = await run_in_threadpool(
        reads.recent_insights, warehouse, caller, session_id, kind, severity, status, since, limit
    )
    for r in rows:
        r["evidence"] = orjson.loads(r["evidence"])
    return InsightsOut(computed_at=computed_at, insights=[InsightOut(**r) for r in rows])
