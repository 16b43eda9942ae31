"""App factory: `create_app(settings)` wires routers, auth and the ingest service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from achilles_core.collector import fewer_collections
from achilles_core.settings import DEV_API_KEY, Settings, get_settings
from ingest_api import guard, ui
from ingest_api.deps import get_caller
from ingest_api.routers import (
    alertmanager,
    events,
    health,
    hooks,
    incidents,
    insights,
    lists,
    otlp,
    sessions,
    usage,
)
from ingest_api.routers import sentry as sentry_router
from ingest_api.schemas import ErrorOut
from ingest_api.service import IngestService
from ingest_api.session_reads import SessionReader
from ingest_api.warehouse import WarehouseReader

log = logging.getLogger("achilles.api")

DESCRIPTION = """
Achilles ingests the event stream of AI coding-agent sessions and serves what it derives.

Every endpoint except `/health` needs `Authorization: Bearer <key>`. A key belongs to
one project and reaches that project's sessions, events and derived data only; an
admin key reads every project (and acts in another with `X-Achilles-Project`).
Events are validated one by one, deduplicated and durably landed before the 2xx;
they are readable from `GET /v1/sessions/{id}/events` at once.

The key and the body size are checked before a body is read. Bodies may be sent
gzip-compressed (`Content-Encoding: gzip`). Every error body is `ErrorOut`.
"""

# Answers any /v1 endpoint may give, whatever its handler does.
COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid API key"},
    405: {"model": ErrorOut, "description": "A write sent to a read-only server"},
    403: {
        "model": ErrorOut,
        "description": "X-Achilles-Project names another project than the key's (admins only)",
    },
    413: {"model": ErrorOut, "description": "Body larger than the limit (also once unzipped)"},
    415: {"model": ErrorOut, "description": "Content-Encoding other than gzip"},
    422: {"model": ErrorOut, "description": "A field broke the contract; `detail` names it"},
    400: {"model": ErrorOut, "description": "Body is not JSON or not valid gzip"},
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app and its modules live as long as the worker; a request's many short-lived
    objects (an OTLP export, a batch of events) are collected less often."""
    with fewer_collections(10_000):
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    problem = settings.open_server_problem()
    if problem is not None:
        raise RuntimeError(problem)
    keys = settings.key_table()
    if not settings.keys_configured:
        log.warning(
            "ACHILLES_API_KEYS is not set: accepting only the development key %r", DEV_API_KEY
        )
    app = FastAPI(title="Achilles", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.keys = keys
    app.state.service = IngestService(settings)
    app.state.session_reader = SessionReader(settings)
    app.state.warehouse = WarehouseReader(settings.published_db)
    guard.install(app, keys, settings.max_body_bytes, read_only=settings.read_only)
    auth = [Depends(get_caller)]
    app.include_router(health.router)
    for router in (
        sessions.router,
        lists.router,
        events.router,
        insights.router,
        hooks.router,
        usage.router,
    ):
        app.include_router(router, dependencies=auth, responses=COMMON_RESPONSES)
    # Receivers for third-party clients (#12). Sentry SDKs authenticate their own way
    # (the DSN's key), under /api/, outside the /v1/ guard.
    app.include_router(sentry_router.router, responses=COMMON_RESPONSES)
    for router in (alertmanager.router, incidents.router, otlp.router):
        app.include_router(router, dependencies=auth, responses=COMMON_RESPONSES)
    # The dashboard (#14): pages under /ui, signed in by key (header or cookie).
    ui.install(app)
    return app
