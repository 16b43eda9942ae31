"""OTLP/HTTP receiver: `POST /v1/traces`, `/v1/logs`, `/v1/metrics`.

What the OTel SDK exporters send, unmodified: protobuf (`application/x-protobuf`)
or JSON (`application/json`), gzip or not, the key as `Authorization: Bearer`
(set through `OTEL_EXPORTER_OTLP_HEADERS`). Answers as OTLP/HTTP specifies: 200
with a partial-success body naming what was not kept, 400 for a body that does
not decode, in the request's own encoding.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.concurrency import run_in_threadpool

from achilles_core.landing import MetricLanding
from ingest_api.deps import CallerDep, Service, SettingsDep
from ingest_api.encoding import read_body
from ingest_api.service import REJECTED
from ingest_api.sources.base import with_session_starts
from ingest_api.sources.otlp import (
    OtlpDecodeError,
    OtlpResult,
    decode_logs,
    decode_metrics,
    decode_traces,
    parse_logs,
    parse_metrics,
    parse_traces,
)

router = APIRouter(prefix="/v1", tags=["otlp"])

_PROTOBUF, _JSON = "application/x-protobuf", "application/json"
_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {_PROTOBUF: {"schema": {"type": "string", "format": "binary"}}, _JSON: {}},
    }
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Body is not an OTLP export request"},
    503: {"description": "Saturated: retry after `Retry-After` seconds"},
    415: {"description": "Neither application/x-protobuf nor application/json"},
}


# Exports in progress in this worker; past the limit the exporter is told to back off
# (OTLP/HTTP: 503 with Retry-After is retryable) instead of queueing without bound.
MAX_IN_FLIGHT = 32
RETRY_AFTER_S = 1
_in_flight = 0


@asynccontextmanager
async def _admitted() -> AsyncIterator[None]:
    global _in_flight
    if _in_flight >= MAX_IN_FLIGHT:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "saturated: retry later",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    _in_flight += 1  # no await between the check and this: one event loop, no race
    try:
        yield
    finally:
        _in_flight -= 1


def _content_type(request: Request) -> str:
    ct = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ct not in (_PROTOBUF, _JSON):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"content type must be {_PROTOBUF} or {_JSON}, got {ct or 'none'!r}",
        )
    return ct


def _answer(response: Any, content_type: str) -> Response:
    if content_type == _JSON:
        body = json_format.MessageToJson(response, indent=None).encode()
    else:
        body = response.SerializeToString()
    return Response(body, media_type=content_type)


async def _land(
    service: Any, result: OtlpResult, project_id: str, starts: bool = False
) -> list[str]:
    # Agent telemetry (logs) opens its sessions as the importers do, with the agent named.
    events = with_session_starts(result.parse) if starts else result.parse.events
    results = await run_in_threadpool(service.ingest, events, None, project_id) if events else []
    return result.rejected + [
        f"{events[r.index].get('event_id')}: {r.field}: {r.reason}"
        for r in results
        if r.status == REJECTED
    ]


@router.post(
    "/traces",
    summary="OTLP/HTTP traces (GenAI spans -> llm_call / agent_action)",
    openapi_extra=_DOC,
    responses=_RESPONSES,
)
async def traces(
    request: Request, service: Service, settings: SettingsDep, caller: CallerDep
) -> Response:
    async with _admitted():
        ct = _content_type(request)
        body = await read_body(request, settings.max_body_bytes)
        try:
            decoded = decode_traces(body, ct)
        except OtlpDecodeError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        result = parse_traces(decoded, received_at=datetime.now(UTC))
        rejected = await _land(service, result, caller.project_id)
        response = ExportTraceServiceResponse()
        if rejected:
            response.partial_success.rejected_spans = len(rejected)
            response.partial_success.error_message = "; ".join(rejected[:5])
        return _answer(response, ct)


@router.post(
    "/logs",
    summary="OTLP/HTTP logs (Claude Code and Codex telemetry events)",
    openapi_extra=_DOC,
    responses=_RESPONSES,
)
async def logs(
    request: Request, service: Service, settings: SettingsDep, caller: CallerDep
) -> Response:
    async with _admitted():
        ct = _content_type(request)
        body = await read_body(request, settings.max_body_bytes)
        try:
            decoded = decode_logs(body, ct)
        except OtlpDecodeError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        result = parse_logs(decoded, received_at=datetime.now(UTC))
        rejected = await _land(service, result, caller.project_id, starts=True)
        response = ExportLogsServiceResponse()
        if rejected:
            response.partial_success.rejected_log_records = len(rejected)
            response.partial_success.error_message = "; ".join(rejected[:5])
        return _answer(response, ct)


@router.post(
    "/metrics",
    summary="OTLP/HTTP metrics (one metric row per data point)",
    openapi_extra=_DOC,
    responses=_RESPONSES,
)
async def metrics(
    request: Request, service: Service, settings: SettingsDep, caller: CallerDep
) -> Response:
    async with _admitted():
        ct = _content_type(request)
        body = await read_body(request, settings.max_body_bytes)
        try:
            decoded = decode_metrics(body, ct)
        except OtlpDecodeError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        received_at = datetime.now(UTC)
        rows, rejected = parse_metrics(
            decoded, received_at=received_at, max_attributes_bytes=settings.max_attributes_bytes
        )
        if rows:
            landing = MetricLanding(service.settings.project_metrics_dir(caller.project_id))
            await run_in_threadpool(landing.write, rows, received_at)
        response = ExportMetricsServiceResponse()
        if rejected:
            response.partial_success.rejected_data_points = len(rejected)
            response.partial_success.error_message = "; ".join(rejected[:5])
        return _answer(response, ct)
