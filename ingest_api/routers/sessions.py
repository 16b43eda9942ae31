"""Session lifecycle and reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from ingest_api.contract import SESSION_ID_PATTERN, EventValidationError
from ingest_api.deps import Service
from ingest_api.schemas import (
    EventOut,
    SessionEndIn,
    SessionEndOut,
    SessionEventsOut,
    SessionOut,
    SessionStartIn,
    SessionStartOut,
)
from ingest_api.service import UnknownSession

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

SessionId = Annotated[str, Path(pattern=SESSION_ID_PATTERN, description="The session's id.")]
NOT_FOUND = {404: {"description": "Unknown session"}}


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
    responses={200: {"description": "Session already started", "model": SessionStartOut}},
)
async def start_session(
    body: SessionStartIn, service: Service, response: Response
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
            )
        )
    except EventValidationError as exc:
        raise _bad_event(exc) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return SessionStartOut(session_id=session_id, created=created)


@router.post("/end", response_model=SessionEndOut, summary="End a session", responses=NOT_FOUND)
async def end_session(body: SessionEndIn, service: Service) -> SessionEndOut:
    try:
        ended = await run_in_threadpool(
            service.end_session, body.session_id, body.outcome, body.ended_at
        )
    except UnknownSession:
        raise not_found(body.session_id) from None
    except EventValidationError as exc:
        raise _bad_event(exc) from None
    return SessionEndOut(session_id=body.session_id, ended=ended, outcome=body.outcome)


@router.get(
    "/{session_id}",
    response_model=SessionOut,
    summary="A session and its summary",
    responses=NOT_FOUND,
)
async def get_session(session_id: SessionId, service: Service) -> SessionOut:
    try:
        overview = await run_in_threadpool(service.session_overview, session_id)
    except UnknownSession:
        raise not_found(session_id) from None
    return SessionOut(**overview)


@router.get(
    "/{session_id}/events",
    response_model=SessionEventsOut,
    summary="A session's events, by timestamp (ties by arrival)",
    responses=NOT_FOUND,
)
async def get_session_events(
    session_id: SessionId,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SessionEventsOut:
    try:
        events, total = await run_in_threadpool(service.session_events, session_id, limit, offset)
    except UnknownSession:
        raise not_found(session_id) from None
    next_offset = offset + len(events) if offset + len(events) < total else None
    return SessionEventsOut(
        session_id=session_id,
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset,
        events=[EventOut(**e) for e in events],
    )
