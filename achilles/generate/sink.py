"""Where a simulated session's events go: rows built exactly as the ingest API
would land them, written to the landing zone in chunks."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from achilles_core.landing import COLUMNS, SCHEMA, LandingZone

# Module-level aliases: emit() runs once per event, tens of millions of times.
_SORT = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps
_Fragment = orjson.Fragment
_sha256 = hashlib.sha256

# The fields of one buffered row, in the order emit() builds the tuple.
ROW_FIELDS = (
    "event_id",
    "event_id_source",
    "event_type",
    "source_type",
    "timestamp",
    "actor",
    "file_path",
    "message",
    "error_type",
    "severity",
    "status",
    "parent_id",
    "trace_id",
    "span_id",
    "model",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "attributes",
    "event_hash",
)
# Columns that are one value per file, filled in flush().
PER_FILE_COLUMNS = ("session_id", "received_at", "batch_id", "batch_index")
# What only agent logs carry (tool names, cache tokens, revisions): null here.
AGENT_LOG_COLUMNS = (
    "tool_name",
    "action_kind",
    "duration_ms",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "parent_session_id",
    "revision",
)
if sorted(ROW_FIELDS + PER_FILE_COLUMNS + AGENT_LOG_COLUMNS) != sorted(COLUMNS):
    raise RuntimeError("the generator's row fields no longer match the landing SCHEMA")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SessionSink:
    """Collects one session's rows and lands them in chunks of `chunk_rows`.

    `event_hash` and the derived `event_id` are computed the way the API does
    (`contract.compute_event_hash`, `contract.derived_event_id`), inlined for
    speed; tests/test_generate.py checks them against the contract.
    """

    def __init__(self, zone: LandingZone, seed: int, session_id: str, chunk_rows: int):
        self.zone = zone
        self.seed = seed
        self.sid = session_id
        self.chunk_rows = chunk_rows
        self.rows: list[tuple] = []
        self.count = 0
        self.chunks = 0
        self.files: list[Path] = []
        self.types: Counter[str] = Counter()
        self.min_ts: int | None = None
        self.max_ts: int | None = None

    def emit(
        self,
        ts: int,
        event_type: str,
        source_type: str,
        actor: str | None = None,
        file_path: str | None = None,
        message: str | None = None,
        error_type: str | None = None,
        severity: str | None = None,
        status: str | None = None,
        parent_id: str | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        model: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost_usd: float | None = None,
        attributes: dict | None = None,
        client_id: str | None = None,
    ) -> None:
        c: dict[str, Any] = {"event_type": event_type, "source_type": source_type}
        if actor is not None:
            c["actor"] = actor
        if file_path is not None:
            c["file_path"] = file_path
        if message is not None:
            c["message"] = message
        if error_type is not None:
            c["error_type"] = error_type
        if severity is not None:
            c["severity"] = severity
        if status is not None:
            c["status"] = status
        if parent_id is not None:
            c["parent_id"] = parent_id
        if trace_id is not None:
            c["trace_id"] = trace_id
        if span_id is not None:
            c["span_id"] = span_id
        if model is not None:
            c["model"] = model
        if input_tokens is not None:
            c["input_tokens"] = input_tokens
        if output_tokens is not None:
            c["output_tokens"] = output_tokens
        if cost_usd is not None:
            c["cost_usd"] = cost_usd
        if attributes is not None:
            attrs_json = _dumps(attributes, option=_SORT)
            c["attributes"] = _Fragment(attrs_json)
            attrs_text = attrs_json.decode()
        else:
            attrs_text = None
        ehash = _sha256(_dumps(c, option=_SORT)).hexdigest()
        if client_id is None:
            eid = "h-" + _sha256(f"{self.sid}|{ehash}|{ts}".encode()).hexdigest()[:32]
            src = "derived"
        else:
            eid, src = client_id, "client"
        self.rows.append(
            (
                eid,
                src,
                event_type,
                source_type,
                ts,
                actor,
                file_path,
                message,
                error_type,
                severity,
                status,
                parent_id,
                trace_id,
                span_id,
                model,
                input_tokens,
                output_tokens,
                cost_usd,
                attrs_text,
                ehash,
            )
        )
        if len(self.rows) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        rows = self.rows
        if not rows:
            return
        self.rows = []
        n = len(rows)
        self.count += n
        cols = dict(zip(ROW_FIELDS, zip(*rows, strict=True), strict=True))
        stamps = cols["timestamp"]
        lo, hi = min(stamps), max(stamps)
        self.min_ts = lo if self.min_ts is None else min(self.min_ts, lo)
        self.max_ts = hi if self.max_ts is None else max(self.max_ts, hi)
        self.types.update(cols["event_type"])
        # The API stamps arrival; here: a little after the chunk's last event.
        jitter = int(_sha256(f"{self.sid}|{self.chunks}".encode()).hexdigest()[:6], 16)
        received = hi + 1_500_000 + jitter % 3_000_000
        batch_id = _sha256(
            f"achilles-generate|{self.seed}|{self.sid}|{self.chunks}".encode()
        ).hexdigest()[:32]
        self.chunks += 1
        per_file = {
            "session_id": [self.sid] * n,
            "received_at": [received] * n,
            "batch_id": [batch_id] * n,
            "batch_index": range(n),
        }
        arrays = [
            pa.nulls(n, SCHEMA.field(name).type)
            if name in AGENT_LOG_COLUMNS
            else pa.array(
                cols[name] if name in cols else per_file[name], type=SCHEMA.field(name).type
            )
            for name in COLUMNS
        ]
        table = pa.Table.from_arrays(arrays, schema=SCHEMA)
        received_dt = _EPOCH + timedelta(microseconds=received)
        self.files.append(self.zone.write_table(self.sid, table, received_dt))

    @property
    def total(self) -> int:
        return self.count + len(self.rows)
