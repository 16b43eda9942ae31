"""Lists across sessions: `GET /v1/sessions`, `/v1/clusters`, `/v1/agents`.

The same reads (ingest_api/list_reads.py) and fields as the dashboard's pages.
Pages are keyset-paged: pass `next_cursor` back as `cursor`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ingest_api import list_reads, pagination
from ingest_api.caller import CallerDep
from ingest_api.deps import Warehouse
from ingest_api.list_reads import Order, SessionFilter, SessionSort
from ingest_api.schemas import RFC3339Time

router = APIRouter(tags=["lists"])

Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[
    str | None,
    Query(
        max_length=pagination.MAX_CURSOR_CHARS,
        description="`next_cursor` of the previous page, with the same filters and sort.",
    ),
]
Text = Annotated[str | None, Query(min_length=1, max_length=256)]


class SessionRowOut(BaseModel):
    session_id: str
    agent: str | None
    project: str | None
    repo: str | None
    branch: str | None
    models: str | None = Field(description="The session's LLM models, comma-separated.")
    parent_session_id: str | None
    started_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    first_event_at: datetime | None
    last_event_at: datetime | None
    event_count: int
    error_count: int
    test_runs_passed: int | None
    test_runs_failed: int | None
    llm_calls: int | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None = Field(description="Computed LLM cost; null when none priced.")
    has_failures: bool = Field(description="A failed test run or an error.")


class SessionListOut(BaseModel):
    computed_at: datetime | None = Field(description="Publish time of the snapshot read.")
    total: int = Field(description="Sessions matching the filters (all pages).")
    limit: int
    next_cursor: str | None
    sessions: list[SessionRowOut]


class TrendPointOut(BaseModel):
    day: date
    errors: int


class CauseOut(BaseModel):
    file_path: str | None = Field(description="The attributed change's file.")
    agent: str
    method: str = Field(description="time_window or change_set.")
    errors: int = Field(description="The cluster's errors attributed to this change.")
    confidence: float


class ClusterOut(BaseModel):
    cluster_id: str
    error_type: str | None
    normalized_message: str
    sample_message: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    occurrences: int
    sessions_affected: int
    agents_affected: int
    agents: list[str]
    trend: list[TrendPointOut] = Field(
        description="Errors per day, the last 30 days with data, oldest first."
    )
    causes: list[CauseOut] = Field(description="What the errors were most attributed to.")


class ClusterListOut(BaseModel):
    computed_at: datetime | None
    total: int
    limit: int
    next_cursor: str | None
    clusters: list[ClusterOut]


class AgentOut(BaseModel):
    agent: str
    sessions_count: int
    total_actions: int
    edit_actions: int | None
    induced_error_count: int
    induced_error_rate: float | None = Field(description="induced_error_count / total_actions.")
    success_rate: float
    fixed_failures: int | None
    mean_fix_time_s: float | None = Field(description="Failing run to green run, mean.")
    cost_usd: float | None
    cost_per_session: float | None
    cost_per_fixed_failure: float | None
    first_action_at: datetime
    last_action_at: datetime


class AgentListOut(BaseModel):
    computed_at: datetime | None
    agents: list[AgentOut]


def decode_cursor(keyset: pagination.Keyset, cursor: str | None) -> list[Any] | None:
    """The cursor's key values; 422 naming `cursor` for one this list did not give."""
    if cursor is None:
        return None
    try:
        return keyset.decode(cursor)
    except pagination.BadCursor as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"field": "cursor", "reason": f"{exc} (with this sort and order)"}],
        ) from None


@router.get("/v1/sessions", response_model=SessionListOut, summary="Sessions, filtered and sorted")
async def list_sessions(
    warehouse: Warehouse,
    caller: CallerDep,
    agent: Text = None,
    project: Annotated[
        str | None,
        Query(min_length=1, max_length=256, description="The project, else the repo."),
    ] = None,
    model: Text = None,
    since: Annotated[RFC3339Time | None, Query(description="Started at or after.")] = None,
    until: Annotated[RFC3339Time | None, Query(description="Started before.")] = None,
    has_failures: Annotated[
        bool | None, Query(description="Only sessions with (true) or without (false) failures.")
    ] = None,
    sort: SessionSort = SessionSort.started,
    order: Order = Order.desc,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> SessionListOut:
    filters = SessionFilter(agent, project, model, since, until, has_failures, sort, order)
    after = decode_cursor(list_reads.session_keyset(sort, order), cursor)
    page = await run_in_threadpool(
        list_reads.list_sessions, warehouse, caller.project_id, filters, limit, after
    )
    return SessionListOut(
        computed_at=page.computed_at,
        total=page.total,
        limit=limit,
        next_cursor=page.next_cursor,
        sessions=[SessionRowOut(**r) for r in page.rows],
    )


@router.get(
    "/v1/clusters", response_model=ClusterListOut, summary="Error clusters, most frequent first"
)
async def list_clusters(
    warehouse: Warehouse,
    caller: CallerDep,
    error_type: Text = None,
    since: Annotated[RFC3339Time | None, Query(description="Last seen at or after.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ClusterListOut:
    after = decode_cursor(list_reads.CLUSTERS, cursor)
    page = await run_in_threadpool(
        list_reads.list_clusters, warehouse, caller.project_id, limit, after, error_type, since
    )
    return ClusterListOut(
        computed_at=page.computed_at,
        total=page.total,
        limit=limit,
        next_cursor=page.next_cursor,
        clusters=[ClusterOut(**r) for r in page.rows],
    )


@router.get("/v1/agents", response_model=AgentListOut, summary="Agents side by side")
async def list_agents(warehouse: Warehouse, caller: CallerDep) -> AgentListOut:
    rows, computed_at = await run_in_threadpool(
        list_reads.list_agents, warehouse, caller.project_id
    )
    return AgentListOut(computed_at=computed_at, agents=[AgentOut(**r) for r in rows])
