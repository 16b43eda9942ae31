from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter

from ingest_api.deps import SettingsDep, Warehouse
from ingest_api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="Liveness; needs no API key")
def health(settings: SettingsDep, warehouse: Warehouse) -> HealthOut:
    return HealthOut(
        status="ok",
        version=version("achilles"),
        data_dir=str(settings.data_dir),
        warehouse_published_at=warehouse.published_at(),
    )
