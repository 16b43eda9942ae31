from __future__ import annotations

import shutil
from importlib.metadata import version

from fastapi import APIRouter

from achilles_core.landing import LandingZone
from ingest_api.deps import SettingsDep, Warehouse
from ingest_api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="Liveness; needs no API key")
def health(settings: SettingsDep, warehouse: Warehouse) -> HealthOut:
    zone = LandingZone(settings.events_dir)
    # The data dir may not exist before the first write: measure the nearest parent.
    probe = settings.data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return HealthOut(
        status="ok",
        version=version("achilles"),
        data_dir=str(settings.data_dir),
        warehouse_published_at=warehouse.published_at(),
        disk_free_bytes=shutil.disk_usage(probe).free,
        quarantined_files=len(zone.quarantined()),
    )
