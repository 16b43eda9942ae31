"""Shared FastAPI dependencies: the write service, the readers and the caller.

Every `/v1/` handler that touches data takes `CallerDep` (a `Caller`: the key's
`project_id` and `is_admin`) and scopes its reads and writes with it; the guard
(ingest_api/guard.py) has already resolved the key before the handler runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from achilles_core.projects import Caller
from achilles_core.settings import Settings
from ingest_api.guard import CALLER_STATE
from ingest_api.service import IngestService
from ingest_api.session_reads import SessionReader
from ingest_api.warehouse import WarehouseReader

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <api key>`")


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> IngestService:
    return request.app.state.service


def get_session_reader(request: Request) -> SessionReader:
    return request.app.state.session_reader


def get_warehouse(request: Request) -> WarehouseReader:
    return request.app.state.warehouse


def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller the guard resolved from the key (401 if the route is outside the guard's
    `/v1/` prefix and so was never checked). `credentials` only declares the scheme in
    the OpenAPI spec."""
    caller = getattr(request.state, CALLER_STATE, None)
    if not isinstance(caller, Caller):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
Service = Annotated[IngestService, Depends(get_service)]
SessionReads = Annotated[SessionReader, Depends(get_session_reader)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
Warehouse = Annotated[WarehouseReader, Depends(get_warehouse)]
