"""Shared FastAPI dependencies: the write service, the readers and API-key auth."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from achilles_core.settings import Settings
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


def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """401 unless the request carries one of the configured keys."""
    keys: list[str] = request.app.state.settings.effective_api_keys
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    given = credentials.credentials.encode()
    if not any(hmac.compare_digest(given, k.encode()) for k in keys):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return credentials.credentials


Service = Annotated[IngestService, Depends(get_service)]
SessionReads = Annotated[SessionReader, Depends(get_session_reader)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
Warehouse = Annotated[WarehouseReader, Depends(get_warehouse)]
