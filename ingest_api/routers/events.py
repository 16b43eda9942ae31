"""`POST /v1/events/batch`: the hot path, parsed by hand to control limits."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request, Response, status
from starlette.concurrency import run_in_threadpool

from achilles_core.contract import check_session_id
from ingest_api.deps import CallerDep, Service, SettingsDep
from ingest_api.schemas import EXAMPLE_EVENT, BatchIn, BatchOut, ErrorOut, EventResultOut
from ingest_api.service import ACCEPTED, DUPLICATE, REJECTED

router = APIRouter(prefix="/v1/events", tags=["events"])

_BATCH_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": BatchIn.model_json_schema(ref_template="#/components/schemas/{model}"),
                "example": {"session_id": "sess-2026-11-21-refactor", "events": [EXAMPLE_EVENT]},
            }
        },
    }
}


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"body exceeds {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_batch(body: bytes, max_events: int) -> tuple[list[Any], str | None]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "body must be an object with an 'events' list: {\"events\": [...]}",
        )
    unknown = set(payload) - {"events", "session_id"}
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown field(s): {', '.join(sorted(unknown))}"
        )
    events = payload["events"]
    if len(events) > max_events:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"batch has {len(events)} events; the limit is {max_events}",
        )
    default_sid = payload.get("session_id")
    if default_sid is not None:
        try:
            check_session_id(default_sid if isinstance(default_sid, str) else "")
        except ValueError as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"session_id: {exc}"
            ) from None
    return events, default_sid


@router.post(
    "/batch",
    response_model=BatchOut,
    summary="Ingest a batch of events",
    description=(
        "Validates each event on its own, deduplicates and durably lands the accepted ones "
        "before answering. The whole batch is validated before anything lands. One bad "
        "event never rejects the others, but the status tells: 200 when none was "
        "rejected, 207 when some were, 422 when all were; `results` says which and why."
    ),
    openapi_extra=_BATCH_DOC,
    responses={
        207: {"model": BatchOut, "description": "Some events rejected, the rest landed"},
        400: {"model": ErrorOut, "description": "Body is not JSON"},
        413: {"model": ErrorOut, "description": "Body or batch too large"},
        415: {"model": ErrorOut, "description": "Content type is not application/json"},
        422: {
            "description": "Body is JSON but not a batch (ErrorOut), "
            "or every event was rejected (BatchOut)",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/BatchOut"},
                            {"$ref": "#/components/schemas/ErrorOut"},
                        ]
                    }
                }
            },
        },
        507: {"model": ErrorOut, "description": "Disk full: nothing was stored; see Retry-After"},
    },
)
async def ingest_batch(
    request: Request,
    response: Response,
    service: Service,
    settings: SettingsDep,
    caller: CallerDep,
) -> BatchOut:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"content type must be application/json, got {content_type or 'none'!r}",
        )
    body = await _read_body(request, settings.max_body_bytes)
    events, default_sid = _parse_batch(body, settings.max_batch_events)
    results = await run_in_threadpool(service.ingest, events, default_sid, caller.project_id)
    counts = {ACCEPTED: 0, DUPLICATE: 0, REJECTED: 0}
    for r in results:
        counts[r.status] += 1
    if counts[REJECTED] and counts[REJECTED] == len(results):
        response.status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif counts[REJECTED]:
        response.status_code = status.HTTP_207_MULTI_STATUS
    return BatchOut(
        accepted=counts[ACCEPTED],
        duplicates=counts[DUPLICATE],
        rejected=counts[REJECTED],
        results=[
            EventResultOut(
                index=r.index, status=r.status, event_id=r.event_id, field=r.field, reason=r.reason
            )
            for r in results
        ],
    )
