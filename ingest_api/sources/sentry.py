"""Sentry SDK events -> `error` events (source_type external).

Pure functions: `parse_envelope` splits an envelope body into its event payloads;
`parse_sentry_event` maps one Sentry event (as the SDKs send it to the store or
envelope endpoint, or as Sentry stores it) to one contract event.

The session: the `achilles.session_id` tag when the application sets it (the join
to an agent session), else one session per Sentry project and environment,
`sentry-<project>-<environment>`, so unjoined errors still group sensibly.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from achilles_core.contract import EVENT_ID_MAX, PATH_MAX, SESSION_ID_PATTERN
from ingest_api.sources.base import ParseResult, iso, load_json

SESSION_TAG = "achilles.session_id"
# Envelope item types that carry an error event; the others (transaction, session,
# client_report, attachment, check_in...) are read and counted, not stored.
EVENT_ITEM_TYPES = ("event", "error")
# Frames kept in attributes.stack: the innermost ones, where the error surfaced.
MAX_FRAMES = 30
# Below the contract's default 16 KiB attributes limit, with room to spare.
ATTRIBUTES_BUDGET = 12 * 1024
_FRAME_KEYS = ("filename", "abs_path", "module", "function", "lineno", "colno", "in_app")
# Why: a longer message (a huge exception value) was refused whole by the contract;
# Sentry itself trims messages and exception values to 8192 characters.
MESSAGE_MAX = 8192
_SESSION_RE = re.compile(SESSION_ID_PATTERN)
_HEX_ID = re.compile(r"[0-9a-fA-F]{16,32}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_LEVELS = {
    "fatal": "fatal",
    "critical": "critical",
    "error": "error",
    "warning": "warning",
    "warn": "warning",
    "info": "info",
    "log": "info",
    "debug": "debug",
}


class EnvelopeError(ValueError):
    """The body is not a Sentry envelope."""


def parse_envelope(body: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """The event payloads of an envelope, and the types of the items skipped.

    Format: a header line, then items of one header line (with an optional
    `length` in bytes) and a payload (that many bytes, else up to the newline).
    """
    pos = body.find(b"\n")
    header_line = body if pos < 0 else body[:pos]
    try:
        header = load_json(header_line)
    except ValueError as exc:
        raise EnvelopeError(f"envelope header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise EnvelopeError("envelope header must be a JSON object")
    events: list[dict[str, Any]] = []
    skipped: list[str] = []
    pos = len(body) if pos < 0 else pos + 1
    while pos < len(body):
        end = body.find(b"\n", pos)
        line = body[pos : len(body) if end < 0 else end]
        pos = len(body) if end < 0 else end + 1
        if not line.strip():
            continue
        try:
            item = load_json(line)
        except ValueError as exc:
            raise EnvelopeError(f"item header is not JSON: {exc}") from None
        if not isinstance(item, dict):
            raise EnvelopeError("item header must be a JSON object")
        length = item.get("length")
        if isinstance(length, int) and not isinstance(length, bool) and length >= 0:
            if pos + length > len(body):
                raise EnvelopeError("item is shorter than its declared length")
            payload = body[pos : pos + length]
            pos += length
            if pos < len(body) and body[pos : pos + 1] == b"\n":
                pos += 1
        else:
            end = body.find(b"\n", pos)
            payload = body[pos : len(body) if end < 0 else end]
            pos = len(body) if end < 0 else end + 1
        kind = item.get("type")
        if kind not in EVENT_ITEM_TYPES:
            skipped.append(str(kind))
            continue
        try:
            event = load_json(payload)
        except ValueError as exc:
            raise EnvelopeError(f"event item is not JSON: {exc}") from None
        if not isinstance(event, dict):
            raise EnvelopeError("event item must be a JSON object")
        if "event_id" not in event and isinstance(header.get("event_id"), str):
            event["event_id"] = header["event_id"]
        events.append(event)
    return events, skipped


def _timestamp(value: Any, fallback: datetime) -> datetime:
    """Sentry sends epoch seconds (float) or ISO 8601, sometimes without an offset (UTC)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return fallback
    if isinstance(value, str) and value:
        text = value.replace("Z", "+00:00")
        # Python takes at most microseconds: cut nanosecond fractions (Go SDK).
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        try:
            ts = datetime.fromisoformat(text)
            return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        except (ValueError, OverflowError):  # why: year 9999 with a negative offset overflows
            return fallback
    return fallback


def _tags(event: dict[str, Any]) -> dict[str, str]:
    """Tags as a dict: SDKs send an object, stored events a list of pairs."""
    raw = event.get("tags")
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items() if v is not None}
    if isinstance(raw, list):
        out = {}
        for pair in raw:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                out[str(pair[0])] = str(pair[1])
        return out
    return {}


def _exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    raw = event.get("exception")
    values = raw.get("values") if isinstance(raw, dict) else raw
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, dict)]


def _threads(event: dict[str, Any], exc: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The threads that may hold the stack: the exception's own (`thread_id`), the
    crashed one, the current one, in that order."""
    raw = event.get("threads")
    values = raw.get("values") if isinstance(raw, dict) else raw
    if not isinstance(values, list):
        return []
    threads = [t for t in values if isinstance(t, dict)]
    thread_id = exc.get("thread_id") if exc else None
    return [
        *(t for t in threads if thread_id is not None and t.get("id") == thread_id),
        *(t for t in threads if t.get("crashed") is True),
        *(t for t in threads if t.get("current") is True),
    ]


def _frames(exc: dict[str, Any] | None, event: dict[str, Any]) -> list[dict[str, Any]]:
    """Frames oldest call first, as Sentry orders them; the event's own stacktrace
    (Elixir SDK) stands in when the exception has none, then the threads' (why:
    `capture_message` and logging events with attach_stacktrace, and Java/Cocoa
    crashes, carry their stack in `threads.values[].stacktrace` only)."""
    for holder in (exc or {}, event, *_threads(event, exc)):
        trace = holder.get("stacktrace")
        if isinstance(trace, dict) and isinstance(trace.get("frames"), list):
            return [f for f in trace["frames"] if isinstance(f, dict)]
    return []


def _message(event: dict[str, Any], exc: dict[str, Any] | None) -> str | None:
    if exc and isinstance(exc.get("value"), str) and exc["value"]:
        return exc["value"]
    for key in ("logentry", "message"):
        raw = event.get(key)
        if isinstance(raw, str) and raw:
            return raw
        if isinstance(raw, dict):
            for inner in ("formatted", "message"):
                if isinstance(raw.get(inner), str) and raw[inner]:
                    return raw[inner]
    return None


def _hex_id(value: Any) -> str | None:
    """A trace or span id as Sentry sends it (hex); anything else is dropped, not refused."""
    return value if isinstance(value, str) and _HEX_ID.fullmatch(value) else None


def _slug(value: str) -> str:
    return _UNSAFE.sub("-", value).strip("-.")[:40] or "default"


def session_for(event: dict[str, Any], project: str) -> str:
    """The session an error joins: the tag's agent session, else project/environment."""
    tagged = _tags(event).get(SESSION_TAG)
    if tagged and _SESSION_RE.match(tagged):
        return tagged
    env = event.get("environment")
    env_text = env if isinstance(env, str) and env else "default"
    return f"sentry-{_slug(project)}-{_slug(env_text)}"


def _frame_file(frame: dict[str, Any]) -> str | None:
    for key in ("abs_path", "filename"):
        if isinstance(frame.get(key), str) and frame[key]:
            return str(frame[key])
    return None


def _top_frame(frames: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The innermost in-app frame (the last one), else the innermost one not marked
    out of the app, else the innermost frame; frames with a file first.

    Why: SDKs leave `in_app` unset where they cannot tell (Java marks only its
    excluded packages false, Elixir's innermost frame is a module without a file),
    and an unset frame is likelier the app's than a library frame marked false.
    """
    with_file = [f for f in frames if _frame_file(f)] or frames
    for keep in (lambda f: f.get("in_app") is True, lambda f: f.get("in_app") is not False):
        for frame in reversed(with_file):
            if keep(frame):
                return frame
    return with_file[-1] if with_file else None


def _fit(attributes: dict[str, Any], limit: int = ATTRIBUTES_BUDGET) -> None:
    """Shrink attributes below the contract's size limit: fewer frames, then no tags."""
    for frames in (10, 3):
        if len(orjson.dumps(attributes)) <= limit:
            return
        if attributes.get("stack"):
            attributes["stack"] = attributes["stack"][-frames:]
    for key in ("tags", "exceptions", "fingerprint", "stack"):
        if len(orjson.dumps(attributes)) <= limit:
            return
        attributes.pop(key, None)


def parse_sentry_event(
    event: dict[str, Any], *, project: str, received_at: datetime
) -> ParseResult:
    """One Sentry event -> one `error` event (or none, for events with nothing to keep)."""
    result = ParseResult(lines=1)
    exceptions = _exceptions(event)
    main = exceptions[-1] if exceptions else None  # Sentry lists the outermost last
    message = _message(event, main)
    if main is None and message is None:
        result.skipped["no exception or message"] += 1
        return result
    frames = _frames(main, event)
    top = _top_frame(frames)
    raw_id = event.get("event_id")
    if isinstance(raw_id, str) and raw_id:
        event_id = f"sentry-{raw_id}"[:EVENT_ID_MAX]
    else:
        # No id (some hand-rolled clients): derive one from the content, so a retry dedupes.
        digest = hashlib.sha256(repr(sorted(event.items(), key=str)).encode()).hexdigest()
        event_id = f"sentry-h{digest[:32]}"
    tags = _tags(event)
    session_id = session_for(event, project)
    contexts = event.get("contexts")
    trace: dict[str, Any] = {}
    if isinstance(contexts, dict) and isinstance(contexts.get("trace"), dict):
        trace = contexts["trace"]
    level = event.get("level")
    error_type = None
    if main is not None and isinstance(main.get("type"), str):
        error_type = main["type"][:256]
    mechanism = main.get("mechanism") if main else None
    attributes: dict[str, Any] = {
        "sentry_project": project,
        "sentry_event_id": raw_id if isinstance(raw_id, str) else None,
        "platform": event.get("platform"),
        "environment": event.get("environment"),
        "release": event.get("release"),
        "logger": event.get("logger"),
        "server_name": event.get("server_name"),
        "transaction": event.get("transaction") or event.get("culprit"),
        "tags": tags or None,
        "fingerprint": event.get("fingerprint"),
        "handled": mechanism.get("handled") if isinstance(mechanism, dict) else None,
        "exceptions": [
            {"type": e.get("type"), "value": str(e.get("value"))[:500]}
            for e in exceptions[-5:]
            if e.get("type") or e.get("value")
        ]
        or None,
        "stack": [
            {k: f[k] for k in _FRAME_KEYS if f.get(k) is not None} for f in frames[-MAX_FRAMES:]
        ]
        or None,
    }
    if top is not None:
        attributes["top_frame"] = {k: top[k] for k in _FRAME_KEYS if top.get(k) is not None}
    top_file = _frame_file(top) if top is not None else None
    file_path = top_file[:PATH_MAX] if top_file else None
    _fit(attributes)
    out: dict[str, Any] = {
        "session_id": session_id,
        "event_id": event_id,
        "event_type": "error",
        "source_type": "external",
        "timestamp": iso(_timestamp(event.get("timestamp"), received_at)),
        "actor": f"sentry:{_slug(project)}",
        "error_type": error_type,
        "message": message[:MESSAGE_MAX] if message else None,
        "severity": _LEVELS.get(level.lower()) if isinstance(level, str) else "error",
        "file_path": file_path,
        "trace_id": _hex_id(trace.get("trace_id")),
        "span_id": _hex_id(trace.get("span_id")),
        "attributes": {k: v for k, v in attributes.items() if v is not None},
    }
    result.events.append({k: v for k, v in out.items() if v is not None})
    return result
