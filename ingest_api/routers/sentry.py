"""Sentry's ingest endpoints, so an unmodified Sentry SDK reports to Achilles.

`sentry_sdk.init(dsn="http://<achilles api key>@<host>:<port>/<project>")`: the
DSN's public key is the API key, and the key's Achilles project is where the events
land (the DSN's `<project>` is Sentry's, kept on each event). SDKs send it in `X-Sentry-Auth` (or
`?sentry_key=`); `Authorization: Bearer` works too. Error events become `error`
events (`ingest_api.sources.sentry`); other envelope items (transactions,
sessions, client reports) are accepted and dropped, as Sentry does with what a
project does not keep.
"""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from achilles_core.projects import Caller
from ingest_api.deps import Service, SettingsDep
from ingest_api.encoding import read_body
from ingest_api.service import REJECTED
from ingest_api.sources.base import load_json
from ingest_api.sources.sentry import EnvelopeError, parse_envelope, parse_sentry_event

router = APIRouter(prefix="/api", tags=["sentry"])

ENVELOPE_TYPE = "application/x-sentry-envelope"
_KEY_RE = re.compile(r"sentry_key\s*=\s*([^,\s]+)")
_PROJECT = Path(pattern=r"^[A-Za-z0-9_.\-]{1,64}$", description="The DSN's project id.")


class SentryOut(BaseModel):
    id: str | None = Field(description="The Sentry event id of the (first) event stored.")


def _given_key(request: Request) -> str | None:
    for header in ("x-sentry-auth", "authorization"):
        match = _KEY_RE.search(request.headers.get(header, ""))
        if match:
            return match.group(1)
    if request.query_params.get("sentry_key"):
        return request.query_params["sentry_key"]
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def _check_key(request: Request, key: str | None) -> Caller:
    """The caller whose key the DSN carries: its project is where the events land."""
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing key: use the Achilles API key as the DSN's public key",
        )
    caller = request.app.state.keys.resolve(key)
    if caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid key")
    assert isinstance(caller, Caller)
    return caller


def _envelope_dsn_key(body: bytes) -> str | None:
    """Browser SDKs behind a tunnel put the DSN in the envelope header instead."""
    line = body.split(b"\n", 1)[0]
    try:
        header = load_json(line)
    except ValueError:
        return None
    dsn = header.get("dsn") if isinstance(header, dict) else None
    match = re.match(r"^[a-z]+://([^@:/]+)", dsn) if isinstance(dsn, str) else None
    return match.group(1) if match else None


def _legacy_event(body: bytes, limit: int) -> dict[str, Any]:
    """A store body: JSON, or base64 of (zlib-compressed) JSON.

    Why: raven clients send base64 + zlib without a Content-Encoding, and Relay's
    store endpoint decodes it whenever the body does not start with `{`.
    """
    if not body.lstrip().startswith(b"{"):
        try:
            body = base64.b64decode(body, validate=False)
            if not body.startswith(b"{"):
                decoder = zlib.decompressobj()
                body = decoder.decompress(body, limit + 1)
                if len(body) > limit or not decoder.eof:
                    raise ValueError("truncated or too large")
        except (ValueError, zlib.error):
            raise EnvelopeError("body is not JSON, nor base64 of zlib-compressed JSON") from None
    try:
        payload = load_json(body)
    except ValueError as exc:
        raise EnvelopeError(f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise EnvelopeError("body must be a JSON object")
    return payload


async def _store(
    service: Any, payloads: list[dict[str, Any]], project: str, caller: Caller
) -> tuple[str | None, list[str]]:
    now = datetime.now(UTC)
    events: list[dict[str, Any]] = []
    for payload in payloads:
        events.extend(parse_sentry_event(payload, project=project, received_at=now).events)
    results = (
        await run_in_threadpool(service.ingest, events, None, caller.project_id) if events else []
    )
    rejected = [f"{r.field}: {r.reason}" for r in results if r.status == REJECTED]
    first = payloads[0].get("event_id") if payloads else None
    return (first if isinstance(first, str) else None), rejected


@router.post(
    "/{project}/envelope/",
    response_model=SentryOut,
    summary="Sentry envelope endpoint (what current SDKs use)",
    responses={400: {"description": "Not an envelope"}, 401: {"description": "Bad or no key"}},
)
async def envelope(
    request: Request, service: Service, settings: SettingsDep, project: str = _PROJECT
) -> SentryOut:
    key = _given_key(request)
    body = await read_body(request, settings.max_body_bytes)
    caller = _check_key(request, key or _envelope_dsn_key(body))
    try:
        payloads, _skipped = parse_envelope(body)
    except EnvelopeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    event_id, rejected = await _store(service, payloads, project, caller)
    if rejected:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"event refused: {rejected[0]}")
    return SentryOut(id=event_id)


@router.post(
    "/{project}/store/",
    response_model=SentryOut,
    summary="Sentry store endpoint (one event as JSON; older SDKs)",
    responses={400: {"description": "Not an event"}, 401: {"description": "Bad or no key"}},
)
async def store(
    request: Request, service: Service, settings: SettingsDep, project: str = _PROJECT
) -> SentryOut:
    caller = _check_key(request, _given_key(request))
    body = await read_body(request, settings.max_body_bytes)
    try:
        if request.headers.get("content-type", "").startswith(ENVELOPE_TYPE):
            # Why: SDKs may post envelopes to the store URL; Relay reads them by type.
            payloads, _skipped = parse_envelope(body)
        else:
            payloads = [_legacy_event(body, settings.max_body_bytes)]
    except EnvelopeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    event_id, rejected = await _store(service, payloads, project, caller)
    if rejected:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"event refused: {rejected[0]}")
    return SentryOut(id=event_id)
