"""App factory: `create_app(settings)` wires routers, auth and the ingest service."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI

from achilles_core.settings import DEV_API_KEY, Settings, get_settings
from ingest_api.deps import require_api_key
from ingest_api.routers import (
    alertmanager,
    events,
    health,
    hooks,
    incidents,
    insights,
    otlp,
    sessions,
)
from ingest_api.routers import sentry as sentry_router
from ingest_api.service import IngestService
from ingest_api.session_reads import SessionReader
from ingest_api.warehouse import WarehouseReader

log = logging.getLogger("achilles.api")

DESCRIPTION = """
Achilles ingests the event stream of AI coding-agent sessions and serves what it derives.

Every endpoint except `/health` needs `Authorization: Bearer <key>`.
Events are validated one by one, deduplicated and durably landed before the 2xx;
they are readable from `GET /v1/sessions/{id}/events` at once.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if not settings.api_keys:
        log.warning(
            "ACHILLES_API_KEYS is not set: accepting only the development key %r", DEV_API_KEY
        )
    app = FastAPI(title="Achilles", version="0.1.0", description=DESCRIPTION)
    app.state.settings = settings
    app.state.service = IngestService(settings)
    app.state.session_reader = SessionReader(settings)
    app.state.warehouse = WarehouseReader(settings.published_db)
    auth = [Depends(require_api_key)]
    app.include_router(health.router)
    app.include_router(sessions.router, dependencies=auth)
    app.include_router(events.router, dependencies=auth)
    app.include_router(insights.router, dependencies=auth)
    app.include_router(hooks.router, dependencies=auth)
    # Receivers for third-party clients; Sentry SDKs authenticate their own way.
    app.include_router(sentry_router.router)
    app.include_router(alertmanager.router, dependencies=auth)
    app.include_router(incidents.router, dependencies=auth)
    app.include_router(otlp.router, dependencies=auth)
    return app
