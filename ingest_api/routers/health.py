from __future__ import annotations

import os
import shutil
from importlib.metadata import version

from fastapi import APIRouter, Request, Response, status
from starlette.datastructures import Headers

from achilles_core.landing import LandingZone
from ingest_api.deps import SettingsDep, Warehouse
from ingest_api.guard import resolve_caller
from ingest_api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    response_model_exclude_none=True,
    summary="Liveness; needs no API key (with one, also the details)",
    responses={503: {"model": HealthOut, "description": "The data dir cannot take writes"}},
)
def health(
    request: Request, response: Response, settings: SettingsDep, warehouse: Warehouse
) -> HealthOut:
    # The data dir may not exist before the first write: look at the nearest parent.
    probe = settings.data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    ok = free > 0 and os.access(probe, os.W_OK)
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    state = "ok" if ok else "unavailable"
    # Paths, versions and counts only for a valid key: an anonymous probe learns up or down.
    caller, _, _ = resolve_caller(Headers(scope=request.scope), request.app.state.keys)
    if caller is None:
        return HealthOut(status=state)
    projects = settings.project_ids() if caller.is_admin else [caller.project_id]
    quarantined = sum(
        len(LandingZone(settings.project_events_dir(p)).quarantined()) for p in projects
    )
    return HealthOut(
        status=state,
        version=version("achilles"),
        data_dir=str(settings.data_dir),
        warehouse_published_at=warehouse.published_at(),
        disk_free_bytes=free,
        quarantined_files=quarantined,
    )
