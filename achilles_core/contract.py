"""The event contract: what an event is, how it is validated and hashed.

`validate_event` turns a client's JSON object into an `Event` or raises
`EventValidationError` naming every bad field. `compute_event_hash` is the
content hash deduplication relies on; it leaves out the timestamp, the
identifiers and everything the server adds, so a re-stamped retry hashes the same.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from achilles_core.vocab import (
    ACTION_KINDS,
    STATUS_RULES,
    ActionKind,
    EventType,
    Severity,
    SourceType,
)

SESSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
_SESSION_ID_RE = re.compile(SESSION_ID_PATTERN)
EVENT_ID_MAX = 128
SHORT_TEXT_MAX = 256
PATH_MAX = 4096
# Bounds on numbers, so no accepted value can overflow a warehouse column
# (cost_usd is a decimal(38,12) there): far above any real call or session.
MAX_TOKENS = 10**12
MAX_COST_USD = 10.0**9
MAX_DURATION_MS = 10**12
MAX_REVISION = 10**6
# JSON values inside attributes: as deep as this, integers within int64, floats finite,
# so every accepted value re-serialises (orjson stops at 255 levels and at 64-bit ints).
MAX_JSON_DEPTH = 64
_INT64 = 2**63
# RFC 3339 date-time with an offset; a bare "1763720103" is not a timestamp here.
RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)
# Identity and time are not content: a retry may be re-stamped or re-numbered.
HASH_EXCLUDED = {"session_id", "event_id", "timestamp"}


class Limits(BaseModel):
    """The size limits validation enforces (taken from settings)."""

    max_future_skew_s: float = 600.0
    max_attributes_bytes: int = 16 * 1024
    max_message_chars: int = 64 * 1024


def _check_session_id(value: str) -> str:
    # fullmatch: `$` alone would also match before a final newline ("abc\n").
    if not isinstance(value, str) or not _SESSION_ID_RE.fullmatch(value):
        raise ValueError(
            "must be 1-128 characters of letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return value


def _short(value: str | None, limit: int = SHORT_TEXT_MAX) -> str | None:
    if value is not None and len(value) > limit:
        raise ValueError(f"must be at most {limit} characters")
    return value


class Event(BaseModel):
    """One validated event, timestamps normalized to UTC."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    session_id: str
    event_type: EventType
    source_type: SourceType
    timestamp: datetime
    event_id: str | None = Field(None, min_length=1, max_length=EVENT_ID_MAX)
    actor: str | None = None
    file_path: str | None = None
    message: str | None = None
    error_type: str | None = None
    severity: Severity | None = None
    status: str | None = None
    parent_id: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    model: str | None = None
    input_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    output_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    cost_usd: float | None = Field(None, ge=0, le=MAX_COST_USD)
    attributes: dict[str, Any] | None = None
    # What agent logs add (docs/agent-logs.md).
    tool_name: str | None = None
    action_kind: ActionKind | None = None
    duration_ms: int | None = Field(None, ge=0, le=MAX_DURATION_MS)
    cache_read_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    cache_write_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    cache_write_1h_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    reasoning_tokens: int | None = Field(None, ge=0, le=MAX_TOKENS)
    parent_session_id: str | None = None
    # Completeness order of one event_id: the highest revision wins (0 when absent).
    revision: int | None = Field(None, ge=0, le=MAX_REVISION)

    @field_validator("session_id")
    @classmethod
    def _session_id(cls, value: str) -> str:
        return _check_session_id(value)

    @field_validator(
        "actor", "error_type", "status", "parent_id", "trace_id", "span_id", "model", "tool_name"
    )
    @classmethod
    def _short_text(cls, value: str | None) -> str | None:
        return _short(value)

    @field_validator("parent_session_id")
    @classmethod
    def _parent_session_id(cls, value: str | None) -> str | None:
        return None if value is None else _check_session_id(value)

    @field_validator("file_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return _short(value, PATH_MAX)

    @field_validator("severity", mode="before")
    @classmethod
    def _lower_severity(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("timestamp", mode="before")
    @classmethod
    def _rfc3339(cls, value: object) -> object:
        return check_rfc3339(value)

    @field_validator("timestamp")
    @classmethod
    def _offset(cls, value: datetime) -> datetime:
        return to_utc(value)


# The fields that make up an event's content, in landing-file column order: every
# field of Event but its id and its time.
CONTENT_FIELDS = tuple(f for f in Event.model_fields if f not in ("event_id", "timestamp"))


class EventValidationError(ValueError):
    """An event broke the contract; `errors` lists (field, reason) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{f}: {r}" for f, r in errors))

    @property
    def field(self) -> str:
        return self.errors[0][0]

    @property
    def reason(self) -> str:
        return self.errors[0][1]


def _pydantic_errors(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "event"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "missing":
            msg = "required"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif err["type"] in ("enum", "literal_error"):
            msg = f"must be one of: {err['ctx']['expected']}".replace("'", "")
        out.append((field, msg))
    return out


def validate_event(raw: Any, *, limits: Limits | None = None, now: datetime | None = None) -> Event:
    """Check one client event against the contract and return it normalized.

    Raises `EventValidationError` listing every broken rule by field name.
    """
    limits = limits or Limits()
    if not isinstance(raw, dict):
        raise EventValidationError([("event", "must be a JSON object")])
    try:
        event = Event.model_validate(raw)
    except ValidationError as exc:
        raise EventValidationError(_pydantic_errors(exc)) from None

    errors: list[tuple[str, str]] = []
    now = now or datetime.now(UTC)
    if event.timestamp > now + timedelta(seconds=limits.max_future_skew_s):
        errors.append(("timestamp", f"is more than {limits.max_future_skew_s:g} s in the future"))
    allowed = STATUS_RULES.get(event.event_type)
    if allowed is not None:
        if event.status is None:
            errors.append(
                ("status", f"required for {event.event_type}: one of {', '.join(allowed)}")
            )
        elif event.status not in allowed:
            errors.append(("status", f"must be one of {', '.join(allowed)} for {event.event_type}"))
    if event.message is not None and len(event.message) > limits.max_message_chars:
        errors.append(("message", f"must be at most {limits.max_message_chars} characters"))
    if event.attributes is not None:
        problem = json_value_problem(event.attributes)
        if problem is not None:
            raise EventValidationError([("attributes", problem)])
        size = len(orjson.dumps(event.attributes))
        if size > limits.max_attributes_bytes:
            errors.append(
                (
                    "attributes",
                    f"is {size} bytes as JSON; the limit is {limits.max_attributes_bytes}",
                )
            )
    if errors:
        raise EventValidationError(errors)
    return event


def event_content(event: Event) -> dict[str, Any]:
    """The hashed part of an event: non-null content fields, enums as strings."""
    return event.model_dump(mode="json", exclude_none=True, exclude=HASH_EXCLUDED)


def compute_event_hash(event: Event) -> str:
    """Stable SHA-256 over the event's content (not its timestamp, ids or server fields).

    Keys are sorted at every depth and null fields are left out, so the hash does
    not depend on key order, on which optional fields a client spelled as null, or
    on the process that computed it.
    """
    canonical = orjson.dumps(event_content(event), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def derived_event_id(session_id: str, event_hash: str, timestamp: datetime) -> str:
    """Id for an event sent without one: deterministic, so replays give the same id."""
    micros = to_micros(timestamp)
    digest = hashlib.sha256(f"{session_id}|{event_hash}|{micros}".encode()).hexdigest()
    return "h-" + digest[:32]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(timestamp: datetime) -> int:
    """Exact microseconds since the epoch (no float rounding)."""
    return (timestamp - _EPOCH) // timedelta(microseconds=1)


def check_session_id(value: str) -> str:
    """Validate a session id on its own (path parameters, session start)."""
    return _check_session_id(value)


def check_rfc3339(value: object) -> object:
    """Only RFC 3339 strings are times: no bare numbers, no dates without a time."""
    if not isinstance(value, str) or not RFC3339_RE.fullmatch(value):
        raise ValueError(
            "must be an RFC 3339 date-time with a UTC offset, e.g. 2026-01-31T12:00:00Z"
        )
    return value


def to_utc(value: datetime) -> datetime:
    """The time in UTC; ValueError (not OverflowError) when UTC falls outside years 1-9999."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a UTC offset, e.g. 2026-01-31T12:00:00Z or +02:00")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range: in UTC it falls outside years 1-9999") from None


def json_value_problem(value: Any, depth: int = 0) -> str | None:
    """Why a JSON value cannot be stored as is (None when it can): too deep, an
    integer outside int64, NaN or Infinity. Walked before anything serialises it."""
    if depth > MAX_JSON_DEPTH:
        return f"is nested deeper than {MAX_JSON_DEPTH} levels"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, int):
        return None if -_INT64 <= value < _INT64 else "holds an integer outside the int64 range"
    if isinstance(value, float):
        return None if math.isfinite(value) else "holds NaN or Infinity, which JSON does not allow"
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return f"holds a {type(value).__name__}, which is not JSON"
    for item in items:
        problem = json_value_problem(item, depth + 1)
        if problem is not None:
            return problem
    return None


# -- the fast path ------------------------------------------------------------------
# Parsers and receivers hand over plain dicts whose values already have the contract's
# exact Python types. For those, the same rules are checked here on the dict itself,
# without building an Event: the bulk paths (import, OTLP) spend most of their time in
# that model otherwise. Anything unusual (a coercion pydantic would make, a rule
# broken) answers None, and the caller takes `validate_event`, which gives the same
# row or the error message. tests/ingest_api/test_fast_path.py holds both to one table.

_TEXT_LIMITS: dict[str, int] = {
    **dict.fromkeys(
        ("actor", "error_type", "status", "parent_id", "trace_id", "span_id", "model"),
        SHORT_TEXT_MAX,
    ),
    "tool_name": SHORT_TEXT_MAX,
    "file_path": PATH_MAX,
}
_INT_LIMITS: dict[str, int] = {
    **dict.fromkeys(
        (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "cache_write_1h_tokens",
            "reasoning_tokens",
        ),
        MAX_TOKENS,
    ),
    "duration_ms": MAX_DURATION_MS,
    "revision": MAX_REVISION,
}
_EVENT_TYPES = frozenset(EventType)
_SOURCE_TYPES = frozenset(SourceType)
_SEVERITIES = frozenset(Severity)
_ACTION_KIND_SET = frozenset(ACTION_KINDS)
_FIELDS = frozenset(Event.model_fields)
# The times parsers write: whole, milli- or microseconds, with an offset.
_MIN_MICROS = to_micros(datetime.min.replace(tzinfo=UTC))
_MAX_MICROS = to_micros(datetime.max.replace(tzinfo=UTC))
_FAST_TS_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?(?:Z|[+-]\d{2}:\d{2})"
)


_TEXT, _COUNT, _CHECKED = 0, 1, 2
_RULES: dict[str, tuple[int, int]] = {
    **{key: (_TEXT, limit) for key, limit in _TEXT_LIMITS.items()},
    **{key: (_COUNT, limit) for key, limit in _INT_LIMITS.items()},
    **dict.fromkeys(("session_id", "event_type", "source_type", "timestamp"), (_CHECKED, 0)),
}


def _plain_json(attributes: dict[str, Any]) -> bool:
    """`json_value_problem(attributes) is None`, quicker for the usual flat object."""
    for v in attributes.values():
        t = type(v)
        if t is str or t is bool or v is None:
            continue
        if t is int and -_INT64 <= v < _INT64:
            continue
        if t is float and math.isfinite(v):
            continue
        return json_value_problem(attributes) is None
    return True


def fast_check(raw: Any, limits: Limits, now_micros: int) -> tuple[int, str] | None:
    """(timestamp in µs, content hash) of a dict that surely passes `validate_event`
    unchanged; None when it may not (then `validate_event` decides)."""
    if type(raw) is not dict or not raw.keys() <= _FIELDS:
        return None
    sid = raw.get("session_id")
    if type(sid) is not str or not _SESSION_ID_RE.fullmatch(sid):
        return None
    if raw.get("event_type") not in _EVENT_TYPES or raw.get("source_type") not in _SOURCE_TYPES:
        return None
    ts = raw.get("timestamp")
    if type(ts) is not str or not _FAST_TS_RE.fullmatch(ts):
        return None
    try:
        micros = to_micros(datetime.fromisoformat(ts))
    except (ValueError, OverflowError):
        return None
    if not _MIN_MICROS <= micros <= _MAX_MICROS:  # outside years 1-9999 in UTC
        return None
    if micros > now_micros + limits.max_future_skew_s * 1_000_000:
        return None
    content: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        rule = _RULES.get(key)
        if rule is not None:
            kind, limit = rule
            if kind == _TEXT:
                if type(value) is not str or len(value) > limit:
                    return None
            elif kind == _COUNT:
                if type(value) is not int or not 0 <= value <= limit:
                    return None
            elif type(value) is not str:  # checked above, but a StrEnum member is not a str
                return None
        elif key == "event_id":
            if type(value) is not str or not 1 <= len(value) <= EVENT_ID_MAX:
                return None
        elif key == "message":
            if type(value) is not str or len(value) > limits.max_message_chars:
                return None
        elif key == "cost_usd":
            if type(value) is not float or not 0 <= value <= MAX_COST_USD:
                return None
        elif key == "severity":
            if value not in _SEVERITIES or type(value) is not str:
                return None
        elif key == "action_kind":
            if value not in _ACTION_KIND_SET or type(value) is not str:
                return None
        elif key == "parent_session_id":
            if type(value) is not str or not _SESSION_ID_RE.fullmatch(value):
                return None
        else:  # attributes (the keys are all fields of Event)
            if type(value) is not dict or not _plain_json(value):
                return None
            try:
                size = len(orjson.dumps(value))
            except TypeError:  # a key that is not a string
                return None
            if size > limits.max_attributes_bytes:
                return None
        if key not in HASH_EXCLUDED:
            content[key] = value
    allowed = STATUS_RULES.get(raw["event_type"])
    if allowed is not None and raw.get("status") not in allowed:
        return None
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # e.g. a lone surrogate, which the validated path reports
        return None
    return micros, hashlib.sha256(canonical).hexdigest()


def derived_event_id_micros(session_id: str, event_hash: str, micros: int) -> str:
    """`derived_event_id` from the time in µs."""
    digest = hashlib.sha256(f"{session_id}|{event_hash}|{micros}".encode()).hexdigest()
    return "h-" + digest[:32]
