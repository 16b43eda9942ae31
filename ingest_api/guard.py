"""What every `/v1/` request passes before any handler reads it.

In order: on a read-only server, any write (405); the API key (401), resolved to
its caller (project, admin; 403 when a non-admin key names another project) and
kept in the ASGI scope's state for `deps.get_caller`; the declared and the actual
body size (413), the body's encoding (gzip is unpacked, within the same size limit;
anything else is 415). A request without a key therefore never gets its body read, and no
handler ever sees a body larger than `max_body_bytes`, whatever its framing.
Errors thrown anywhere are answered with short JSON bodies (`ErrorOut`) that
never echo the input back.
"""

from __future__ import annotations

import errno
import logging
import zlib
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from achilles_core.projects import Caller, KeyTable, check_project_id

log = logging.getLogger("achilles.api")

# Seconds a client should wait before retrying a write refused for lack of disk space.
DISK_FULL_RETRY_AFTER_S = 30
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Longest reason kept from a validation error; reasons never quote the input.
_MAX_REASON = 300


# An admin key acts in another project when it names it here.
PROJECT_HEADER = "x-achilles-project"
# Where the resolved Caller is kept in the ASGI scope's state (request.state.caller).
CALLER_STATE = "caller"


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    return given.strip()


def resolve_caller(headers: Headers, keys: KeyTable) -> tuple[Caller | None, int, str]:
    """The caller a request's key and project header make, or (None, status, why)."""
    token = bearer_token(headers.get("authorization"))
    if token is None:
        return None, 401, "missing API key: send 'Authorization: Bearer <key>'"
    caller = keys.resolve(token)
    if caller is None:
        return None, 401, "invalid API key"
    wanted = headers.get(PROJECT_HEADER)
    if wanted is not None and wanted != caller.project_id:
        if not caller.is_admin:
            return None, 403, f"this key belongs to project {caller.project_id!r} only"
        try:
            caller = Caller(check_project_id(wanted), is_admin=True)
        except ValueError as exc:
            return None, 400, f"X-Achilles-Project: {exc}"
    return caller, 200, ""


class BodyRejected(Exception):
    def __init__(self, status_code: int, detail: str):
        self.status_code = status_code
        self.detail = detail


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise BodyRejected(
            status.HTTP_400_BAD_REQUEST, "body is not valid gzip (Content-Encoding: gzip)"
        ) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyRejected(
            status.HTTP_413_CONTENT_TOO_LARGE, f"body exceeds {limit} bytes once unzipped"
        )
    return out


class RequestGuard:
    """Pure ASGI middleware: key, size and encoding checks before the body is read."""

    def __init__(self, app: ASGIApp, keys: KeyTable, max_body_bytes: int, read_only: bool = False):
        self.app = app
        self.keys = keys
        self.limit = max_body_bytes
        self.read_only = read_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.read_only
            and scope["type"] == "http"
            and scope["method"] in _BODY_METHODS
            and scope["path"].startswith(("/v1/", "/api/"))
        ):
            detail = "this server only reads (ACHILLES_READ_ONLY): send writes to the ingest server"
            await _error(status.HTTP_405_METHOD_NOT_ALLOWED, detail)(scope, receive, send)
            return
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        caller, code, problem = resolve_caller(headers, self.keys)
        if caller is None:
            extra = {"WWW-Authenticate": "Bearer"} if code == 401 else None
            await _error(code, problem, headers=extra)(scope, receive, send)
            return
        scope.setdefault("state", {})[CALLER_STATE] = caller
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(headers, receive)
        except BodyRejected as exc:
            await _error(exc.status_code, exc.detail)(scope, receive, send)
            return
        # The handler sees a plain body of known length.
        raw = [
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"content-encoding", b"content-length", b"transfer-encoding")
        ]
        raw.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": raw}, replay, send)

    async def _read(self, headers: Headers, receive: Receive) -> bytes:
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", ""):
            raise BodyRejected(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                f"Content-Encoding {encoding!r} is not supported: send the body plain or gzip",
            )
        declared = headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.limit:
            raise BodyRejected(
                status.HTTP_413_CONTENT_TOO_LARGE, f"body exceeds {self.limit} bytes"
            )
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BodyRejected(status.HTTP_400_BAD_REQUEST, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise BodyRejected(
                    status.HTTP_413_CONTENT_TOO_LARGE, f"body exceeds {self.limit} bytes"
                )
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        return _gunzip(body, self.limit) if encoding == "gzip" else body


def _error(code: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=code, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field, without the input (which may be megabytes)."""
    assert isinstance(exc, RequestValidationError)
    items = []
    for err in exc.errors()[:20]:
        reason = str(err.get("msg", "invalid"))
        if reason.startswith("Value error, "):
            reason = reason[len("Value error, ") :]
        items.append(
            {
                "loc": [p if isinstance(p, int) else str(p) for p in err.get("loc", ())],
                "field": _field(err.get("loc", ())),
                "reason": reason[:_MAX_REASON],
            }
        )
    return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, items)


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the disk or the quota is full."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left on device" in str(current):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


async def _os_error(request: Request, exc: Exception) -> JSONResponse:
    if is_disk_full(exc):
        log.error("disk full: refused %s %s: %s", request.method, request.url.path, exc)
        return _error(
            status.HTTP_507_INSUFFICIENT_STORAGE,
            "the server's disk is full: nothing from this request was stored; retry later",
            headers={"Retry-After": str(DISK_FULL_RETRY_AFTER_S)},
        )
    log.exception("I/O error on %s %s", request.method, request.url.path)
    return _error(status.HTTP_503_SERVICE_UNAVAILABLE, "storage error; retry later")


def install(app: FastAPI, keys: KeyTable, max_body_bytes: int, read_only: bool = False) -> None:
    app.add_middleware(RequestGuard, keys=keys, max_body_bytes=max_body_bytes, read_only=read_only)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OSError, _os_error)
