"""OTLP (OpenTelemetry) traces and logs -> contract events.

Decoding uses the official generated classes (`opentelemetry-proto`): protobuf as
is; OTLP/JSON through protobuf's JSON reader after turning its hex trace and span
ids into the base64 the reader expects.

Traces: OTel GenAI semantic-convention spans (`gen_ai.operation.name`):
  chat / text_completion / generate_content / embeddings -> `llm_call`;
  execute_tool -> `agent_action` (the tool call); invoke_agent / create_agent and
  OpenLLMetry's workflow/agent/task spans -> `agent_action` (delegate).
  Parent links follow the span tree (`parent_id` = the parent span's event id); a
  failed span (status ERROR or `error.type`) adds an `error` whose parent is it.
  Session: `gen_ai.conversation.id` (or `session.id`) on any span of the trace or
  on its resource, else `otel-<trace id>`. Other spans are counted, not stored.
Metrics: one row per data point, landed apart from the events (`parse_metrics`).
Logs: Claude Code's (`event.name` api_request, tool_result, tool_decision,
  user_prompt, api_error; session in `session.id`) and Codex's (`codex.*`; session in
  `conversation.id`) events, mapped as the transcript importers map the same facts.
  Codex's api_request is an HTTP attempt without tokens: only a failed one is kept (an
  error); its usage is the sse_event response.completed.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from achilles_core.contract import SESSION_ID_PATTERN, json_value_problem
from ingest_api.sources.base import ParseResult, iso
from ingest_api.sources.claude_code import (
    ToolOutcome,
    action_kind,
    tool_call_events,
    tool_outcome,
)
from ingest_api.sources.codex import _ABORTED, _REJECTED, reported_call_events

_SESSION_RE = re.compile(SESSION_ID_PATTERN)
_ID_KEYS = ("traceId", "spanId", "parentSpanId")
_STATUS_ERROR = 2  # Status.STATUS_CODE_ERROR
_LLM_OPS = {"chat", "text_completion", "generate_content", "embeddings", "completion"}
_AGENT_OPS = {"invoke_agent", "create_agent"}
_TRACELOOP_KINDS = {"workflow", "agent", "task", "tool"}
# Attributes copied from a span into the event's attributes (short, analytic ones).
_KEEP = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.request.model",
    "gen_ai.response.id",
    "gen_ai.response.finish_reasons",
    "gen_ai.agent.name",
    "gen_ai.agent.id",
    "gen_ai.tool.call.id",
    "gen_ai.tool.type",
    "gen_ai.usage.total_tokens",
    "traceloop.span.kind",
    "traceloop.workflow.name",
    "traceloop.entity.name",
    "service.name",
    "error.type",
)
_KEEP_SET = frozenset(_KEEP)
# what Claude Code ("<REDACTED>") and Codex ("[REDACTED]") send as `prompt` unless told
# to log prompts: not the person's text
_REDACTED = frozenset({"<REDACTED>", "[REDACTED]"})


class OtlpDecodeError(ValueError):
    """The body is not an OTLP export request."""


@dataclass
class OtlpResult:
    """Events plus OTLP's own accounting of what was not kept."""

    parse: ParseResult = field(default_factory=ParseResult)
    # records that could not be mapped, with a reason (reported as partial success)
    rejected: list[str] = field(default_factory=list)


def _hex_to_b64(node: Any) -> None:
    """OTLP/JSON writes ids as hex; protobuf's JSON reader wants base64 for bytes."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise OtlpDecodeError(f"{key} is not hex: {value[:40]!r}") from None
            else:
                _hex_to_b64(value)
    elif isinstance(node, list):
        for value in node:
            _hex_to_b64(value)


def decode(body: bytes, content_type: str, message: type[Message]) -> Any:
    """An OTLP export request from a protobuf or JSON body."""
    request = message()
    if content_type == "application/json":
        try:
            doc = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError as exc:
            raise OtlpDecodeError(f"body is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise OtlpDecodeError("body must be a JSON object")
        _hex_to_b64(doc)
        try:
            json_format.ParseDict(doc, request, ignore_unknown_fields=True)
        except (json_format.ParseError, TypeError, ValueError) as exc:
            raise OtlpDecodeError(f"not an OTLP/JSON request: {exc}") from None
        return request
    try:
        request.ParseFromString(body)
    except (DecodeError, ValueError) as exc:
        raise OtlpDecodeError(f"not an OTLP protobuf request: {exc}") from None
    return request


def decode_traces(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    return decode(body, content_type, ExportTraceServiceRequest)


def decode_logs(body: bytes, content_type: str) -> ExportLogsServiceRequest:
    return decode(body, content_type, ExportLogsServiceRequest)


def value(v: AnyValue) -> Any:
    """An AnyValue as plain Python."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return attrs(v.kvlist_value.values)
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, kind)


def attrs(kvs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in kvs}


def _int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, float) and raw >= 0:
        return int(raw)
    if isinstance(raw, str):
        try:
            number = float(raw)
        except ValueError:
            return None
        return int(number) if number >= 0 else None
    return None


def _float(raw: Any) -> float | None:
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _first(a: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if a.get(key) is not None:
            return a[key]
    return None


def _nanos(ts: int, fallback: datetime) -> datetime:
    if ts <= 0:
        return fallback
    # Exact: whole seconds, then microseconds (a float would round across a second).
    return datetime.fromtimestamp(ts // 10**9, UTC).replace(microsecond=(ts // 1000) % 10**6)


def _iso_nanos(ts: int, fallback: datetime) -> str:
    """`iso(_nanos(ts, fallback))`, formatted without building a datetime per span."""
    if ts <= 0:
        return iso(fallback)
    # fixed64 nanoseconds end in year 2554: every value has a four-digit year
    seconds, nanos = divmod(ts, 10**9)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    micros = nanos // 1000
    return f"{text}.{micros:06d}Z" if micros else f"{text}Z"


def _session(value_: Any) -> str | None:
    return value_ if isinstance(value_, str) and _SESSION_RE.match(value_) else None


def _span_session(a: dict[str, Any]) -> str | None:
    return _session(_first(a, "gen_ai.conversation.id", "session.id", "conversation.id"))


# -- traces --------------------------------------------------------------------------
def parse_traces(request: ExportTraceServiceRequest, *, received_at: datetime) -> OtlpResult:
    """GenAI spans of one export request as contract events."""
    out = OtlpResult()
    spans: list[tuple[dict[str, Any], dict[str, Any], Any]] = []
    trace_sessions: dict[bytes, str] = {}
    for rs in request.resource_spans:
        resource = attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            for span in ss.spans:
                a = attrs(span.attributes)
                spans.append((resource, a, span))
                sid = _span_session(a) or _span_session(resource)
                if sid and span.trace_id not in trace_sessions:
                    trace_sessions[span.trace_id] = sid
    for resource, a, span in spans:
        out.parse.lines += 1
        op = a.get("gen_ai.operation.name")
        tl_kind = a.get("traceloop.span.kind")
        if op in _LLM_OPS:
            event_type = "llm_call"
        elif op == "execute_tool" or op in _AGENT_OPS or tl_kind in _TRACELOOP_KINDS:
            event_type = "agent_action"
        else:
            out.parse.skipped["not a GenAI span"] += 1
            continue
        if len(span.span_id) != 8 or len(span.trace_id) != 16:
            out.rejected.append(f"span {span.name!r}: trace_id or span_id missing")
            continue
        trace_hex = span.trace_id.hex()
        session_id = trace_sessions.get(span.trace_id) or f"otel-{trace_hex}"
        start_ns = span.start_time_unix_nano
        end_ns = span.end_time_unix_nano
        span_hex = span.span_id.hex()
        event: dict[str, Any] = {
            "session_id": session_id,
            "event_id": f"span-{span_hex}",
            "event_type": event_type,
            "source_type": "agent",
            "timestamp": _iso_nanos(start_ns, received_at),
            "actor": _first(a, "gen_ai.agent.name", "gen_ai.provider.name", "gen_ai.system")
            or resource.get("service.name"),
            "trace_id": trace_hex,
            "span_id": span_hex,
        }
        if span.parent_span_id:
            event["parent_id"] = f"span-{span.parent_span_id.hex()}"
        if end_ns >= start_ns > 0:
            event["duration_ms"] = (end_ns - start_ns) // 10**6
        failed = span.status.code == _STATUS_ERROR or a.get("error.type") is not None
        if event_type == "llm_call":
            event["model"] = _first(a, "gen_ai.response.model", "gen_ai.request.model")
            event["input_tokens"] = _int(
                _first(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
            )
            event["output_tokens"] = _int(
                _first(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
            )
            cache_read = _int(
                _first(
                    a,
                    "gen_ai.usage.cache_read.input_tokens",
                    "gen_ai.usage.cache_read_input_tokens",
                )
            )
            cache_write = _int(
                _first(
                    a,
                    "gen_ai.usage.cache_creation.input_tokens",
                    "gen_ai.usage.cache_creation_input_tokens",
                )
            )
            # input_tokens is uncached input in the contract; GenAI counts include cache reads.
            if event["input_tokens"] is not None and cache_read:
                event["input_tokens"] = max(event["input_tokens"] - cache_read, 0)
            event["cache_read_tokens"] = cache_read
            event["cache_write_tokens"] = cache_write
            event["reasoning_tokens"] = _int(a.get("gen_ai.usage.reasoning_tokens"))
            event["status"] = "error" if failed else "ok"
        else:
            tool = _first(a, "gen_ai.tool.name", "traceloop.entity.name")
            if op == "execute_tool" or tl_kind == "tool":
                event["tool_name"] = str(tool or span.name)[:256]
                event["action_kind"] = "other"
            else:
                event["tool_name"] = str(_first(a, "gen_ai.agent.name") or tool or span.name)[:256]
                event["action_kind"] = "delegate"
            event["status"] = "error" if failed else "ok"
        # (landed and hashed with sorted keys: the order here does not matter)
        kept = {k: v for k, v in a.items() if k in _KEEP_SET and v is not None}
        kept["span_name"] = span.name
        event["attributes"] = kept
        out.parse.events.append({k: v for k, v in event.items() if v is not None})
        if failed:
            end = _nanos(end_ns, _nanos(start_ns, received_at))
            out.parse.events.append(
                {
                    "session_id": session_id,
                    "event_id": f"span-{span_hex}:error",
                    "event_type": "error",
                    "source_type": "agent",
                    "timestamp": iso(end),
                    "parent_id": event["event_id"],
                    "severity": "error",
                    "error_type": str(a.get("error.type") or "span_error")[:256],
                    "message": span.status.message or None,
                    "trace_id": trace_hex,
                    "span_id": span_hex,
                }
            )
    return out


# -- logs ----------------------------------------------------------------------------
def _bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return None


def _json_obj(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw.startswith("{"):
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _log_event(
    name: str, a: dict[str, Any], session_id: str, ts: datetime, agent: str
) -> list[dict[str, Any]]:
    """One Claude Code or Codex telemetry event as contract events (maybe none)."""
    base: dict[str, Any] = {"session_id": session_id, "timestamp": iso(ts), "actor": agent}
    if name == "codex.api_request":
        # why: Codex's api_request is one HTTP attempt (status, error.message, attempt) with
        # no token counts; its usage comes in the sse_event response.completed. Mapped as an
        # llm_call it added an empty second call per response. Only a failed attempt counts.
        status_code = _int(a.get("http.response.status_code"))
        message = a.get("error.message")
        if not message and (status_code is None or status_code < 400):
            return []
        return [_api_error(base, a, message or f"HTTP {status_code}", status_code)]
    if name in ("api_request", "sse_event", "codex.sse_event"):
        output = _int(_first(a, "output_tokens", "output_token_count"))
        inp = _int(_first(a, "input_tokens", "input_token_count"))
        if name.endswith("sse_event") and output is None and inp is None:
            return []  # Codex streams many sse events; only completions carry counts
        cache_read = _int(_first(a, "cache_read_tokens", "cached_token_count"))
        if agent == "codex" and inp is not None and cache_read:
            inp = max(inp - cache_read, 0)  # Codex counts cached input inside input
        event = {
            **base,
            "event_type": "llm_call",
            "source_type": "agent",
            "model": a.get("model"),
            "input_tokens": inp,
            "output_tokens": output,
            "cache_read_tokens": cache_read,
            "cache_write_tokens": _int(a.get("cache_creation_tokens")),
            "reasoning_tokens": _int(_first(a, "reasoning_tokens", "reasoning_token_count")),
            "cost_usd": _float(a.get("cost_usd")),
            "duration_ms": _int(a.get("duration_ms")),
        }
        request_id = _first(a, "request_id", "request.id")
        if isinstance(request_id, str) and request_id:
            event["event_id"] = request_id[:128]
        return [event]
    if name in ("tool_result", "codex.tool_result"):
        tool = str(_first(a, "tool_name", "tool") or "unknown")[:256]
        # why: Claude Code names the tool call's id `use_id` (on a failed call's event);
        # without it the action could not take the transcript's tool_use id
        call_id = _first(a, "tool_use_id", "use_id", "call_id", "tool_call_id")
        success = _bool(a.get("success"))
        duration = _int(a.get("duration_ms"))
        if agent == "codex" and isinstance(call_id, str) and call_id:
            # why: Codex's tool names and output (exec header, exit code, argv lists) are
            # read as its rollout importer reads them: the same kinds, runs and errors
            return reported_call_events(
                session_id,
                call_id[:128],
                ts,
                tool,
                _first(a, "arguments"),
                str(a.get("output") or a.get("error") or ""),
                success,
                duration,
            )
        status = "ok" if success is not False else "error"
        if a.get("decision") == "reject":
            status = "rejected"
        text = str(a.get("error") or a.get("output") or "").strip()
        if status == "error" and agent == "codex":
            # why: Codex answers a refused call "rejected by user" and an interrupted one
            # "aborted" with success=false; the rollout importer calls them rejected and
            # cancelled, and so must this copy of the same call (and its tool_decision)
            if _REJECTED.match(text):
                status = "rejected"
            elif _ABORTED.match(text):
                status = "cancelled"
        params = _json_obj(_first(a, "tool_parameters", "arguments"))
        tool_input: dict[str, Any] = {}
        command = _first(params, "full_command", "bash_command", "command")
        if isinstance(command, str):
            tool_input["command"] = command
        for key in ("file_path", "path", "notebook_path"):
            if isinstance(params.get(key), str):
                tool_input[key] = params[key]
        outcome = ToolOutcome(status=status, output=text, duration_ms=duration)
        if status == "error" and agent == "claude-code":
            # why: read the error as the transcript importer and the hooks read it
            # ("Exit code N" gives the exit code and error type, refusals are rejected)
            outcome = tool_outcome(text, True, text)
            outcome.duration_ms = duration
        if isinstance(call_id, str) and call_id:
            return tool_call_events(session_id, call_id[:128], ts, tool, tool_input, outcome)
        # No call id (older versions): the action alone, id derived from its content.
        return [
            {
                **base,
                "event_type": "agent_action",
                "source_type": "agent",
                "tool_name": tool,
                "action_kind": action_kind(tool),
                "status": outcome.status,
                "duration_ms": duration,
                "attributes": {"error": a["error"]} if a.get("error") else None,
            }
        ]
    if name in ("tool_decision", "codex.tool_decision"):
        decision = str(a.get("decision") or "").lower()
        if decision not in ("reject", "denied", "deny", "abort"):
            return []  # accepted calls are known from their tool_result
        tool = str(_first(a, "tool_name", "tool") or "unknown")[:256]
        call_id = _first(a, "tool_use_id", "call_id")
        event = {
            **base,
            "event_type": "agent_action",
            "source_type": "agent",
            "tool_name": tool,
            "action_kind": action_kind(tool),
            "status": "rejected",
            "attributes": {"decision_source": a.get("source")} if a.get("source") else None,
        }
        if isinstance(call_id, str) and call_id:
            event["event_id"] = call_id[:128]
            event["revision"] = 1
        return [event]
    if name in ("user_prompt", "codex.user_prompt"):
        prompt = a.get("prompt")
        if not isinstance(prompt, str) or prompt in _REDACTED:
            prompt = None  # why: the placeholder was stored as the prompt's text
        length = _int(a.get("prompt_length"))
        if length is None and prompt is not None:
            length = len(prompt)
        return [
            {
                **base,
                "event_type": "human_action",
                "source_type": "human",
                "action_kind": "prompt",
                "message": prompt,
                # `length`, as the transcript importers and the hook receiver name it
                "attributes": {"length": length} if length is not None else None,
            }
        ]
    if name in ("api_error", "codex.api_error"):
        return [_api_error(base, a, a.get("error"), a.get("status_code"))]
    return []


def _api_error(
    base: dict[str, Any], a: dict[str, Any], message: Any, status_code: Any
) -> dict[str, Any]:
    """A failed model API call (Claude Code's api_error, Codex's failed api_request)."""
    return {
        **base,
        "event_type": "error",
        "source_type": "agent",
        "severity": "error",
        "error_type": "api_error",
        "model": a.get("model"),
        "message": str(message or "")[:65536] or None,
        "duration_ms": _int(a.get("duration_ms")),
        "attributes": {"status_code": status_code, "attempt": a.get("attempt")},
    }


def parse_logs(request: ExportLogsServiceRequest, *, received_at: datetime) -> OtlpResult:
    """Claude Code and Codex telemetry log records as contract events."""
    out = OtlpResult()
    for rl in request.resource_logs:
        resource = attrs(rl.resource.attributes)
        service = str(resource.get("service.name") or "")
        for sl in rl.scope_logs:
            for record in sl.log_records:
                out.parse.lines += 1
                a = attrs(record.attributes)
                name = a.get("event.name")
                if not isinstance(name, str):
                    body = value(record.body)
                    name = body if isinstance(body, str) else None
                if not name:
                    out.parse.skipped["no event.name"] += 1
                    continue
                short = name.removeprefix("claude_code.")
                agent = "codex" if name.startswith("codex.") or "codex" in service else None
                agent = agent or "claude-code"
                sid = _session(_first(a, "session.id", "conversation.id", "thread.id"))
                sid = sid or _session(_first(resource, "session.id"))
                if sid is None:
                    out.rejected.append(f"log {name!r}: no valid session.id")
                    continue
                ts = _nanos(record.time_unix_nano or record.observed_time_unix_nano, received_at)
                events = _log_event(short, a, sid, ts, agent)
                if not events:
                    out.parse.skipped[f"event {short}"] += 1
                    continue
                for event in events:
                    out.parse.events.append({k: v for k, v in event.items() if v is not None})
                out.parse.sessions.setdefault(sid, {"agent": agent})
    return out


# -- metrics -------------------------------------------------------------------------
_TEMPORALITY = {1: "delta", 2: "cumulative"}
_TEXT_MAX = 256


def decode_metrics(body: bytes, content_type: str) -> ExportMetricsServiceRequest:
    return decode(body, content_type, ExportMetricsServiceRequest)


def _text(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and 0 < len(raw) <= _TEXT_MAX else None


def _metric_session(raw: Any) -> str | None:
    # fullmatch, as the contract: `$` alone would let "abc\n" through
    return raw if isinstance(raw, str) and _SESSION_RE.fullmatch(raw) else None


def parse_metrics(
    request: ExportMetricsServiceRequest, *, received_at: datetime, max_attributes_bytes: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """One metric row per data point (METRIC_SCHEMA's columns), and the points refused.

    Claude Code's metrics (claude_code.token.usage, cost.usage, lines_of_code.count,
    session.count, ...) carry `session.id`, `model` and `type` attributes; those get
    columns of their own, every attribute is kept as JSON. A point is refused, and
    reported as OTLP partial success, when its name is missing or over 256 characters,
    its value is NaN or infinite, or its attributes are not storable or too large.
    """
    rows: list[dict[str, Any]] = []
    rejected: list[str] = []
    for rm in request.resource_metrics:
        resource = attrs(rm.resource.attributes)
        resource_json = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS).decode()
        service = _text(resource.get("service.name"))
        resource_session = _metric_session(resource.get("session.id"))
        for sm in rm.scope_metrics:
            scope = sm.scope.name or None
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(metric, kind)
                name = metric.name
                if not name or len(name) > _TEXT_MAX:
                    rejected.append(f"metric {name[:40]!r}: name must be 1-256 characters")
                    continue
                temporality = _TEMPORALITY.get(getattr(data, "aggregation_temporality", 0))
                monotonic = data.is_monotonic if kind == "sum" else None
                for point in data.data_points:
                    a = attrs(point.attributes)
                    count: int | None = None
                    if kind in ("gauge", "sum"):
                        which = point.WhichOneof("value")
                        number = getattr(point, which) if which else None
                    else:  # histogram, exponential_histogram, summary
                        has_sum = kind == "summary" or point.HasField("sum")
                        number = point.sum if has_sum else None
                        count = point.count
                    if number is not None and not math.isfinite(number):
                        rejected.append(f"metric {name!r}: value is NaN or infinite")
                        continue
                    problem = json_value_problem(a)
                    try:
                        attributes_json = orjson.dumps(a, option=orjson.OPT_SORT_KEYS).decode()
                    except TypeError:
                        problem = problem or "holds text that is not UTF-8"
                    if problem is None and len(attributes_json) > max_attributes_bytes:
                        problem = f"are over {max_attributes_bytes} bytes as JSON"
                    if problem is not None:
                        rejected.append(f"metric {name!r}: attributes {problem}")
                        continue
                    ts = _nanos(point.time_unix_nano, received_at)
                    start = _nanos(point.start_time_unix_nano, ts)
                    row = {
                        "metric_name": name,
                        "metric_type": kind,
                        "unit": metric.unit[:_TEXT_MAX] or None,
                        "value": None if number is None else float(number),
                        "point_count": count,
                        "is_monotonic": monotonic,
                        "temporality": temporality,
                        "start_time": start if point.start_time_unix_nano else None,
                        "observed_at": ts,
                        "session_id": _metric_session(a.get("session.id")) or resource_session,
                        "model": _text(a.get("model")),
                        "type_attribute": _text(a.get("type")),
                        "service_name": service,
                        "attributes": attributes_json,
                        "resource_attributes": resource_json,
                        "scope_name": scope,
                    }
                    identity = {
                        k: (iso(v) if isinstance(v, datetime) else v) for k, v in row.items()
                    }
                    row["point_id"] = hashlib.sha256(
                        orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)
                    ).hexdigest()
                    rows.append(row)
    return rows, rejected
