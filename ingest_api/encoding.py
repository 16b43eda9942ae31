"""Request bodies as receivers get them: size-limited, maybe gzip or deflate compressed.

Clients compress (sentry-sdk always gzips, OTel exporters when configured); the
limit applies to the decompressed size too, so a small bomb cannot fill memory.
Anything that does not decode is the client's fault: a 400, never a 5xx.
"""

from __future__ import annotations

import zlib
from typing import Any

import brotli
from fastapi import HTTPException, Request, status

from ingest_api.routers.events import _read_body
from ingest_api.sources.base import load_json

# zlib's wbits: 16 + MAX_WBITS = gzip header, MAX_WBITS = zlib header, -MAX_WBITS = raw deflate.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """`body` decoded per its Content-Encoding; 400 if it does not decode, 413 past `limit`."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "br":
        return _unbrotli(body, limit)
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"content encoding {encoding!r} is not supported: use gzip, br, deflate or none",
        )
    try:
        # Some clients send raw deflate without the zlib header. Why: zlib raises on
        # the missing header (it does not return empty), so pick by the header's check.
        if encoding == "deflate" and not _zlib_header(body):
            wbits = -zlib.MAX_WBITS
        decoder = zlib.decompressobj(wbits)
        out = decoder.decompress(body, limit + 1)
    except zlib.error as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"body is not valid {encoding}: {exc}"
        ) from None
    if len(out) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"decompressed body exceeds {limit} bytes"
        )
    if not decoder.eof:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is truncated {encoding}")
    return out


def _zlib_header(body: bytes) -> bool:
    """RFC 1950: method 8 (deflate) and a header that is a multiple of 31."""
    return len(body) >= 2 and body[0] & 0x0F == 8 and int.from_bytes(body[:2], "big") % 31 == 0


def _unbrotli(body: bytes, limit: int) -> bytes:
    """Brotli (sentry-sdk's default when the brotli module is installed), bounded."""
    decoder = brotli.Decompressor()
    try:
        out = decoder.process(body, output_buffer_limit=limit + 1)
    except brotli.error as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not valid br: {exc}") from None
    if len(out) > limit or not decoder.can_accept_more_data():
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"decompressed body exceeds {limit} bytes"
        )
    if not decoder.is_finished():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "body is truncated br")
    return out


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, decompressed, at most `limit` bytes either way."""
    raw = await _read_body(request, limit)
    return decompress(raw, request.headers.get("content-encoding", ""), limit)


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as one JSON object (lone surrogates in real payloads tolerated): 400
    when it is not JSON or not an object."""
    body = await read_body(request, limit)
    try:
        payload = load_json(body)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "body must be a JSON object")
    return payload
