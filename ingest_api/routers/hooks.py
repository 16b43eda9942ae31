"""`POST /v1/hooks/claude-code`: Claude Code hook payloads, exactly as a hook gets them on stdin.

The payload maps to the same events, with the same ids, as the transcript importer
gives (`ingest_api.sources.claude_code_hooks`), so a session captured live and
imported later is one set of events. Hooks carry no reliable time: the receive time
stands in. Unknown hook events are stored, not refused.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ingest_api.deps import CallerDep, Service, SettingsDep
from ingest_api.encoding import read_json_object
from ingest_api.service import ACCEPTED, DUPLICATE, REJECTED
from ingest_api.sources.base import with_session_starts
from ingest_api.sources.claude_code_hooks import parse_hook

router = APIRouter(prefix="/v1/hooks", tags=["hooks"])


class HookOut(BaseModel):
    hook_event_name: str | None = Field(description="The payload's `hook_event_name`.")
    session_id: str
    accepted: int
    duplicates: int
    rejected: list[str] = Field(description="`field: reason` of each event that was refused.")


_EXAMPLE = {
    "session_id": "0b5c2f7e-6a58-4d0c-9f1e-2f3a4b5c6d7e",
    "transcript_path": "/home/dana/.claude/projects/-home-dana-app/0b5c2f7e.jsonl",
    "cwd": "/home/dana/app",
    "hook_event_name": "PreToolUse",
    "tool_name": "Edit",
    "tool_input": {"file_path": "/home/dana/app/lib/cart.ex", "old_string": "a", "new_string": "b"},
    "tool_use_id": "toolu_01AbCdEf",
}


@router.post(
    "/claude-code",
    response_model=HookOut,
    summary="Receive one Claude Code hook payload",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": _EXAMPLE}},
        }
    },
    responses={
        400: {"description": "Body is not a JSON object"},
        413: {"description": "Body too large"},
        422: {"description": "The payload has no valid session_id"},
    },
)
async def claude_code_hook(
    request: Request, service: Service, settings: SettingsDep, caller: CallerDep
) -> HookOut:
    payload = await read_json_object(request, settings.max_body_bytes)
    parsed = parse_hook(
        payload, received_at=datetime.now(UTC), include_prompts=settings.hooks_include_prompts
    )
    if parsed.bad_lines:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, parsed.bad_lines[0][1])
    events = with_session_starts(parsed)
    results = await run_in_threadpool(service.ingest, events, None, caller.project_id)
    name = payload.get("hook_event_name")
    return HookOut(
        hook_event_name=name if isinstance(name, str) else None,
        session_id=str(payload["session_id"]),
        accepted=sum(r.status == ACCEPTED for r in results),
        duplicates=sum(r.status == DUPLICATE for r in results),
        rejected=[f"{r.field}: {r.reason}" for r in results if r.status == REJECTED],
    )
