"""What did the agents cost: LLM usage and cost grouped by day, session, model, agent
or project, from the published snapshot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from ingest_api.deps import CallerDep, Warehouse
from ingest_api.schemas import IsoDay, UsageOut, UsageRowOut
from ingest_api.usage_reads import UsageBy, usage_report

router = APIRouter(prefix="/v1/usage", tags=["usage"])


@router.get("", response_model=UsageOut, summary="Tokens and cost, grouped")
async def usage(
    warehouse: Warehouse,
    caller: CallerDep,
    by: UsageBy = UsageBy.day,
    since: Annotated[
        IsoDay | None, Query(description="Calls on or after this UTC day (YYYY-MM-DD).")
    ] = None,
) -> UsageOut:
    # Per project, an admin's too (sessions of two projects may share an id): an admin
    # picks the project with X-Achilles-Project.
    rows, computed_at = await run_in_threadpool(
        usage_report, warehouse, by, since, caller.project_id
    )
    return UsageOut(computed_at=computed_at, by=by.value, usage=[UsageRowOut(**r) for r in rows])
