"""Session lifecycle and reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from achilles_core.contract import SESSION_ID_PATTERN, EventValidationError
from ingest_api import pagination, reads
from ingest_api.deps import CallerDep, Service, SessionReads, Warehouse
from ingest_api.schemas import (
    AgentPerformanceOut,
    CorrelationOut,
    ErrorOut,
    EventOut,
    SessionAgentPerformanceOut,
    SessionClusterOut,
    SessionCorrelationsOut,
    SessionDetailOut,
    SessionEndIn,
    SessionEndOut,
    SessionErrorsOut,
    SessionEventsOut,
    SessionStartIn,
    SessionStartOut,
    SessionSummaryOut,
)
from ingest_api.session_reads import SessionReader, UnknownSession
from ingest_api.warehouse import WarehouseReader

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

SessionId = Annotated[str, Path(pattern=SESSION_ID_PATTERN, description="The session's id.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Unknown session"}
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    507: {"model": ErrorOut, "description": "Disk full: nothing was stored; see Retry-After"}
}
# Far beyond any session, and well inside the int64 the database takes for OFFSET.
MAX_OFFSET = 10**9
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Cursor = Annotated[
    str | None,
    Query(
        max_length=pagination.MAX_CURSOR_CHARS,
        description="`next_cursor` of the previous page (instead of `offset`).",
    ),
]


def not_found(session_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"unknown session {session_id!r}")


def _bad_event(exc: EventValidationError) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, [{"field": f, "reason": r} for f, r in exc.errors]
    )


@router.post(
    "/start",
    response_model=SessionStartOut,
    status_code=status.HTTP_201_CREATED,
    summary="Start a session",
    responses={
        200: {"description": "Session already started", "model": SessionStartOut},
        **WRITE_ERRORS,
    },
)
async def start_session(
    body: SessionStartIn, service: Service, caller: CallerDep, response: Response
) -> SessionStartOut:
    try:
        session_id, created = await run_in_threadpool(
            lambda: service.start_session(
                body.session_id,
                actor=body.actor,
                agent=body.agent,
                repo=body.repo,
                branch=body.branch,
                metadata=body.metadata,
                started_at=body.started_at,
                project_id=caller.project_id,
            )
        )
    except EventValidationError as exc:
        raise _bad_event(exc) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return SessionStartOut(session_id=session_id, created=created)


@router.post(
    "/end",
    response_model=SessionEndOut,
    summary="End a session",
    responses={**NOT_FOUND, **WRITE_ERRORS},
)
async def end_session(body: SessionEndIn, service: Service, caller: CallerDep) -> SessionEndOut:
    try:
        ended = await run_in_threadpool(
            service.end_session, body.session_id, body.outcome, body.ended_at, caller.project_id
        )
    except UnknownSession:
        raise not_found(body.session_id) from None
    except EventValidationError as exc:
        raise _bad_event(exc) from None
    return SessionEndOut(session_id=body.session_id, ended=ended, outcome=body.outcome)


@router.get(
    "/{session_id}",
    response_model=SessionDetailOut,
    summary="A session, with the pipeline's summary once computed",
    responses=NOT_FOUND,
)
async def get_session(
    session_id: SessionId, sessions: SessionReads, warehouse: Warehouse, caller: CallerDep
) -> SessionDetailOut:
    try:
        return await run_in_threadpool(
            _session_detail, caller.project_id, session_id, sessions, warehouse
        )
    except UnknownSession:
        raise not_found(session_id) from None


def _session_detail(
    project_id: str, session_id: str, sessions: SessionReader, warehouse: WarehouseReader
) -> SessionDetailOut:
    # One thread hop for both reads rather than two.
    overview = sessions.session_overview(session_id, warehouse, project_id)
    summary = reads.session_summary(warehouse, project_id, session_id)
    return SessionDetailOut(**overview, summary=SessionSummaryOut(**summary) if summary else None)


@router.get(
    "/{session_id}/events",
    response_model=SessionEventsOut,
    summary="A session's events, by timestamp (ties by event_id)",
    responses=NOT_FOUND,
)
async def get_session_events(
    session_id: SessionId,
    sessions: SessionReads,
    warehouse: Warehouse,
    caller: CallerDep,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> SessionEventsOut:
    after = _after(pagination.EVENTS, cursor, offset)
    try:
        if after is None:
            events, total = await run_in_threadpool(
                sessions.session_events, session_id, limit, offset, warehouse, caller.project_id
            )
            more = offset + len(events) < total
        else:
            events, more = await run_in_threadpool(
                sessions.session_events_after,
                session_id,
                limit,
                after,
                warehouse,
                caller.project_id,
            )
            total = None
    except UnknownSession:
        raise not_found(session_id) from None
    return SessionEventsOut(
        session_id=session_id,
        limit=limit,
        events=[EventOut(**e) for e in events],
        **_page(pagination.EVENTS, ("timestamp", "event_id"), events, offset, total, more, after),
    )


def _after(keyset: pagination.Keyset, cursor: str | None, offset: int) -> list[Any] | None:
    """The cursor's key values (None without one); 422 for a foreign cursor."""
    if cursor is None:
        return None
    if offset:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"field": "cursor", "reason": "use cursor or offset, not both"}],
        )
    try:
        return keyset.decode(cursor)
    except pagination.BadCursor as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, [{"field": "cursor", "reason": str(exc)}]
        ) from None


def _page(
    keyset: pagination.Keyset,
    names: tuple[str, ...],
    rows: list[dict[str, Any]],
    offset: int,
    total: int | None,
    more: bool,
    after: list[Any] | None,
) -> dict[str, Any]:
    next_cursor = keyset.encode(rows[-1], names) if more and rows else None
    next_offset = offset + len(rows) if more and after is None else None
    return {
        "offset": offset,
        "total": total,
        "next_offset": next_offset,
        "next_cursor": next_cursor,
    }


async def _known(
    project_id: str, session_id: str, sessions: SessionReader, warehouse: WarehouseReader
) -> None:
    """404 unless the project's landing zone or the warehouse knows the session."""
    if await run_in_threadpool(sessions.session_exists, session_id, project_id):
        return
    if not await run_in_threadpool(reads.session_in_warehouse, warehouse, project_id, session_id):
        raise not_found(session_id)


@router.get(
    "/{session_id}/errors",
    response_model=SessionErrorsOut,
    summary="Error clusters seen in the session, with counts",
    responses=NOT_FOUND,
)
async def get_session_errors(
    session_id: SessionId,
    sessions: SessionReads,
    warehouse: Warehouse,
    caller: CallerDep,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> SessionErrorsOut:
    after = _after(pagination.ERRORS, cursor, offset)
    await _known(caller.project_id, session_id, sessions, warehouse)
    rows, total, more, computed_at = await run_in_threadpool(
        reads.session_errors, warehouse, caller.project_id, session_id, limit, offset, after
    )
    names = ("occurrences", "first_seen_at", "cluster_id")
    return SessionErrorsOut(
        session_id=session_id,
        computed_at=computed_at,
        limit=limit,
        clusters=[SessionClusterOut(**r) for r in rows],
        **_page(pagination.ERRORS, names, rows, offset, total, more, after),
    )


@router.get(
    "/{session_id}/correlations",
    response_model=SessionCorrelationsOut,
    summary="Agent actions that may have caused the session's errors",
    responses=NOT_FOUND,
)
async def get_session_correlations(
    session_id: SessionId,
    sessions: SessionReads,
    warehouse: Warehouse,
    caller: CallerDep,
    limit: Limit = 100,
    offset: Offset = 0,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.0,
    cursor: Cursor = None,
) -> SessionCorrelationsOut:
    after = _after(pagination.CORRELATIONS, cursor, offset)
    await _known(caller.project_id, session_id, sessions, warehouse)
    rows, total, more, computed_at = await run_in_threadpool(
        reads.session_correlations,
        warehouse,
        caller.project_id,
        session_id,
        limit,
        offset,
        min_confidence,
        after,
    )
    names = ("error_timestamp", "error_event_id", "attribution_rank", "correlation_id")
    return SessionCorrelationsOut(
        session_id=session_id,
        computed_at=computed_at,
        limit=limit,
        correlations=[CorrelationOut(**r) for r in rows],
        **_page(pagination.CORRELATIONS, names, rows, offset, total, more, after),
    )


@router.get(
    "/{session_id}/agent-performance",
    response_model=SessionAgentPerformanceOut,
    summary="How each agent of the session did, here and across all sessions",
    responses=NOT_FOUND,
)
async def get_session_agent_performance(
    session_id: SessionId, sessions: SessionReads, warehouse: Warehouse, caller: CallerDep
) -> SessionAgentPerformanceOut:
    await _known(caller.project_id, session_id, sessions, warehouse)
    per_session, overall, computed_at = await run_in_threadpool(
        reads.session_agent_performance, warehouse, caller.project_id, session_id
    )
    return SessionAgentPerformanceOut(
        session_id=session_id,
        computed_at=computed_at,
        agents=[AgentPerformanceOut(**r) for r in per_session],
        overall=[AgentPerformanceOut(**r) for r in overall],
    )
