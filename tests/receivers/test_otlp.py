"""The OTLP/HTTP receiver: the real OpenLLMetry payload, Claude Code and Codex
telemetry events, bad input, and the real OTel SDK exporters (protobuf and JSON)
against a real `achilles serve`."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from achilles_core.contract import validate_event
from ingest_api.sources.otlp import decode_traces, parse_logs, parse_traces

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "otel-genai"
OPENLLMETRY = FIXTURE / "genai-interlingua__openllmetry__in.json"
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PB = {"Content-Type": "application/x-protobuf"}


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        v = AnyValue(bool_value=value)
    elif isinstance(value, int):
        v = AnyValue(int_value=value)
    elif isinstance(value, float):
        v = AnyValue(double_value=value)
    else:
        v = AnyValue(string_value=str(value))
    return KeyValue(key=key, value=v)


def logs_request(records: list[dict[str, Any]], service: str = "claude-code") -> bytes:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.append(_kv("service.name", service))
    sl = rl.scope_logs.add()
    for n, attrs in enumerate(records):
        rec = sl.log_records.add()
        rec.time_unix_nano = 1_764_504_000_000_000_000 + n * 1_000_000_000
        rec.body.string_value = f"claude_code.{attrs['event.name']}"
        rec.attributes.extend(_kv(k, v) for k, v in attrs.items())
    return req.SerializeToString()


def test_the_real_openllmetry_payload_imports() -> None:
    result = parse_traces(
        decode_traces(OPENLLMETRY.read_bytes(), "application/json"), received_at=AT
    )
    assert result.rejected == []
    by_type = {e["event_type"]: e for e in result.parse.events}
    for event in result.parse.events:
        validate_event(event)
    chat, workflow = by_type["llm_call"], by_type["agent_action"]
    assert chat["model"] == "gpt-4o-mini-2024-07-18"
    # GenAI input counts include cache reads; the contract's input_tokens does not.
    assert (chat["input_tokens"], chat["cache_read_tokens"]) == (412 - 256, 256)
    assert chat["output_tokens"] == 27 and chat["reasoning_tokens"] == 8
    assert chat["parent_id"] == workflow["event_id"] == "span-aaa24d5a6cca68bf"
    assert workflow["action_kind"] == "delegate" and workflow["tool_name"] == "support_triage"
    assert chat["session_id"] == workflow["session_id"]


def test_genai_tool_span_with_conversation_and_error() -> None:
    req = ExportTraceServiceRequest()
    spans = req.resource_spans.add().scope_spans.add().spans
    root, tool = spans.add(), spans.add()
    for span, sid in ((root, b"\x01" * 8), (tool, b"\x02" * 8)):
        span.trace_id, span.span_id = b"\x0a" * 16, sid
        span.start_time_unix_nano, span.end_time_unix_nano = 10**18, 10**18 + 5 * 10**6
    root.name = "invoke_agent planner"
    root.attributes.extend(
        [_kv("gen_ai.operation.name", "invoke_agent"), _kv("gen_ai.conversation.id", "conv-1")]
    )
    tool.name, tool.parent_span_id = "execute_tool grep", b"\x01" * 8
    tool.attributes.extend(
        [
            _kv("gen_ai.operation.name", "execute_tool"),
            _kv("gen_ai.tool.name", "grep"),
            _kv("error.type", "TimeoutError"),
        ]
    )
    tool.status.code, tool.status.message = 2, "timed out"
    events = parse_traces(req, received_at=AT).parse.events
    for e in events:
        validate_event(e)
    action, error = events[1], events[2]
    assert {e["session_id"] for e in events} == {"conv-1"}
    assert action["status"] == "error" and action["parent_id"] == events[0]["event_id"]
    assert action["duration_ms"] == 5
    assert error["event_type"] == "error" and error["parent_id"] == action["event_id"]
    assert error["error_type"] == "TimeoutError" and error["message"] == "timed out"


CLAUDE_EVENTS = [
    {"event.name": "user_prompt", "session.id": "cc-1", "prompt_length": 12},
    {
        "event.name": "api_request",
        "session.id": "cc-1",
        "model": "claude-sonnet-4-5",
        "input_tokens": 10,
        "output_tokens": 200,
        "cache_read_tokens": 3000,
        "cache_creation_tokens": 400,
        "cost_usd": 0.0123,
        "duration_ms": 2500,
    },
    {
        "event.name": "tool_result",
        "session.id": "cc-1",
        "tool_name": "Bash",
        "tool_use_id": "toolu_01",
        "success": "false",
        "duration_ms": 40,
        "error": "Exit code 1",
        "tool_parameters": json.dumps({"bash_command": "ls", "full_command": "ls /nope"}),
    },
    {
        "event.name": "tool_decision",
        "session.id": "cc-1",
        "tool_name": "Edit",
        "decision": "reject",
        "source": "user_reject",
        "tool_use_id": "toolu_02",
    },
    {
        "event.name": "api_error",
        "session.id": "cc-1",
        "model": "claude-sonnet-4-5",
        "error": "overloaded",
        "status_code": "529",
    },
]


def test_claude_code_telemetry_maps_like_the_importers() -> None:
    req = ExportLogsServiceRequest()
    req.ParseFromString(logs_request(CLAUDE_EVENTS))
    result = parse_logs(req, received_at=AT)
    assert result.rejected == []
    for e in result.parse.events:
        validate_event(e)
    prompt, llm, action, error, rejected, api_error = result.parse.events
    assert prompt["event_type"] == "human_action" and prompt["action_kind"] == "prompt"
    assert (llm["event_type"], llm["input_tokens"], llm["output_tokens"]) == ("llm_call", 10, 200)
    assert (llm["cache_read_tokens"], llm["cache_write_tokens"], llm["cost_usd"]) == (
        3000,
        400,
        0.0123,
    )
    assert llm["duration_ms"] == 2500
    # The tool call keeps the transcript's id (the tool_use id) and gives one error.
    assert action["event_id"] == "toolu_01" and action["status"] == "error"
    assert action["action_kind"] == "command" and action["duration_ms"] == 40
    assert error["event_id"] == "toolu_01:error" and error["parent_id"] == "toolu_01"
    assert rejected["event_id"] == "toolu_02" and rejected["status"] == "rejected"
    assert api_error["event_type"] == "error" and api_error["message"] == "overloaded"


def test_codex_telemetry() -> None:
    records = [
        {"event.name": "codex.user_prompt", "conversation.id": "cx-1", "prompt_length": 3},
        {
            "event.name": "codex.sse_event",
            "conversation.id": "cx-1",
            "event.kind": "response.created",
        },
        {
            "event.name": "codex.sse_event",
            "conversation.id": "cx-1",
            "event.kind": "response.completed",
            "model": "gpt-5-codex",
            "input_token_count": 1000,
            "output_token_count": 50,
            "cached_token_count": 800,
            "reasoning_token_count": 20,
        },
        {
            "event.name": "codex.tool_result",
            "conversation.id": "cx-1",
            "tool_name": "shell",
            "call_id": "call_1",
            "success": "true",
            "duration_ms": 12,
            "arguments": '{"command": ["ls"]}',
        },
        {
            "event.name": "codex.tool_decision",
            "conversation.id": "cx-1",
            "tool_name": "shell",
            "call_id": "call_2",
            "decision": "denied",
        },
    ]
    req = ExportLogsServiceRequest()
    req.ParseFromString(logs_request(records, service="codex_cli_rs"))
    events = parse_logs(req, received_at=AT).parse.events
    for e in events:
        validate_event(e)
    kinds = [(e["event_type"], e.get("status")) for e in events]
    assert kinds == [
        ("human_action", None),
        ("llm_call", None),
        ("agent_action", "ok"),
        ("agent_action", "rejected"),
    ]
    llm = events[1]
    assert (llm["input_tokens"], llm["cache_read_tokens"], llm["output_tokens"]) == (200, 800, 50)
    assert events[2]["event_id"] == "call_1" and events[0]["actor"] == "codex"


# -- endpoints ----------------------------------------------------------------------
def test_traces_json_and_gzip_protobuf(client) -> None:
    body = OPENLLMETRY.read_bytes()
    r = client.post("/v1/traces", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert "partialSuccess" not in r.json()
    pb = decode_traces(body, "application/json").SerializeToString()
    r = client.post(
        "/v1/traces", content=gzip.compress(pb), headers={**PB, "Content-Encoding": "gzip"}
    )
    assert r.status_code == 200
    resp = ExportTraceServiceResponse()
    resp.ParseFromString(r.content)
    assert not resp.HasField("partial_success")
    events = client.get("/v1/sessions/otel-77d66be22a4ffc8149309684b3a319f7/events").json()[
        "events"
    ]
    assert sorted(e["event_type"] for e in events) == ["agent_action", "llm_call"]


def test_logs_partial_success_for_rejected_records(client) -> None:
    records = [*CLAUDE_EVENTS, {"event.name": "api_request", "model": "x"}]  # no session
    r = client.post("/v1/logs", content=logs_request(records), headers=PB)
    assert r.status_code == 200
    resp = ExportLogsServiceResponse()
    resp.ParseFromString(r.content)
    assert resp.partial_success.rejected_log_records == 1
    assert "session.id" in resp.partial_success.error_message
    events = client.get("/v1/sessions/cc-1/events").json()["events"]
    assert {"toolu_01", "toolu_01:error", "toolu_02"} <= {e["event_id"] for e in events}


@pytest.mark.parametrize("path", ["/v1/traces", "/v1/logs", "/v1/metrics"])
@pytest.mark.parametrize(
    "body, headers",
    [
        (b"\xff\xff\xff\xff garbage", PB),
        (b"{not json", {"Content-Type": "application/json"}),
        (
            b'{"resourceSpans": 7, "resourceLogs": 7, "resourceMetrics": 7}',
            {"Content-Type": "application/json"},
        ),
        (
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}',
            {"Content-Type": "application/json"},
        ),
        (b"not gzip", {**PB, "Content-Encoding": "gzip"}),
    ],
)
def test_garbage_is_400(client, path: str, body: bytes, headers: dict[str, str]) -> None:
    assert client.post(path, content=body, headers=headers).status_code == 400


def test_a_key_and_a_known_content_type_are_required(client) -> None:
    body = OPENLLMETRY.read_bytes()
    r = client.post(
        "/v1/traces",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": ""},
    )
    assert r.status_code == 401
    assert (
        client.post("/v1/traces", content=body, headers={"Content-Type": "text/plain"}).status_code
        == 415
    )


# -- the real OTel SDK exporters against a real server -----------------------------
def _export_spans(exporter: Any, n_spans: int, conversation: str) -> None:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "agent-app"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("invoke_agent coder") as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        root.set_attribute("gen_ai.conversation.id", conversation)
        for i in range(n_spans - 1):
            with tracer.start_as_current_span("chat") as span:
                span.set_attribute("gen_ai.operation.name", "chat")
                span.set_attribute("gen_ai.request.model", "gpt-4o")
                span.set_attribute("gen_ai.usage.input_tokens", 100 + i)
                span.set_attribute("gen_ai.usage.output_tokens", 7)
    provider.force_flush()
    provider.shutdown()


def _export_logs(exporter: Any, session: str) -> None:
    from opentelemetry._logs import LogRecord
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider()
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    logger = provider.get_logger("com.anthropic.claude_code.events")
    for attrs in CLAUDE_EVENTS:
        logger.emit(
            LogRecord(
                body=f"claude_code.{attrs['event.name']}",
                attributes={**attrs, "session.id": session},
            )
        )
    provider.force_flush()
    provider.shutdown()


@pytest.mark.slow
def test_real_otel_sdk_exporters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter as JsonLogs
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter as JsonSpans
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as PbLogs
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as PbSpans

    from achilles.client import AchillesClient
    from achilles.server import ServerProcess

    with ServerProcess(tmp_path / "data") as server:
        # Exactly what a user sets: the endpoint, the key header, gzip.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", server.url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20dev-key")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        _export_spans(PbSpans(), 5, "conv-pb")
        _export_spans(JsonSpans(), 5, "conv-json")
        _export_logs(PbLogs(), "cc-pb")
        _export_logs(JsonLogs(), "cc-json")
        with AchillesClient(server.url, "dev-key") as client:
            for sid in ("conv-pb", "conv-json"):
                events = list(client.iter_events(sid))
                assert (
                    sorted(e["event_type"] for e in events) == ["agent_action"] + ["llm_call"] * 4
                )
                root = next(e for e in events if e["event_type"] == "agent_action")
                assert all(e["parent_id"] == root["event_id"] for e in events if e is not root)
            for sid in ("cc-pb", "cc-json"):
                events = {e["event_id"]: e for e in client.iter_events(sid)}
                assert events["toolu_01"]["status"] == "error"
                assert events["toolu_02"]["status"] == "rejected"
                assert sum(e["event_type"] == "llm_call" for e in events.values()) == 1


def test_saturated_answers_503_with_retry_after(client, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest_api.routers import otlp

    monkeypatch.setattr(otlp, "MAX_IN_FLIGHT", 0)
    r = client.post(
        "/v1/traces", content=OPENLLMETRY.read_bytes(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 503 and r.headers["retry-after"] == "1"


# Records in the shape the clients send them: Claude Code's `logOTelEvent` gives every
# attribute as a string (with event.sequence and prompt.id); Codex's tracing events
# give `conversation.id`, `http.response.status_code`, `error.message`, ...
def _parsed(records: list[dict[str, Any]], service: str = "claude-code") -> list[dict[str, Any]]:
    req = ExportLogsServiceRequest()
    req.ParseFromString(logs_request(records, service=service))
    result = parse_logs(req, received_at=AT)
    assert result.rejected == []
    for e in result.parse.events:
        validate_event(e)
    return result.parse.events


def test_claude_code_failed_tool_result_takes_the_tool_use_id_from_use_id() -> None:
    # Claude Code's failed tool_result carries the call's id as `use_id`
    # (services/tools/toolExecution.ts); its successful one carries none.
    events = _parsed(
        [
            {
                "event.name": "tool_result",
                "event.sequence": 7,
                "prompt.id": "p-1",
                "session.id": "cc-2",
                "tool_name": "Bash",
                "use_id": "toolu_01Abc",
                "success": "false",
                "duration_ms": "40",
                "error": "Exit code 1\nls: /nope: No such file or directory",
                "tool_parameters": json.dumps({"bash_command": "ls", "full_command": "ls /nope"}),
            }
        ]
    )
    action, error = events
    assert action["event_id"] == "toolu_01Abc" and action["status"] == "error"
    assert error["parent_id"] == "toolu_01Abc" and error["error_type"] == "exit_code_1"


def test_a_redacted_prompt_is_not_stored_as_text() -> None:
    records = [
        {
            "event.name": "user_prompt",
            "session.id": "cc-3",
            "prompt_length": "12",
            "prompt": "<REDACTED>",
        },
        {
            "event.name": "codex.user_prompt",
            "conversation.id": "cx-3",
            "prompt_length": 5,
            "prompt": "[REDACTED]",
        },
    ]
    claude, codex = _parsed(records)
    for prompt, length in ((claude, 12), (codex, 5)):
        assert "message" not in prompt
        # the importers' and the hook receiver's name for it
        assert prompt["attributes"] == {"length": length}


def test_codex_api_request_is_an_http_attempt_not_an_llm_call() -> None:
    common = {"conversation.id": "cx-4", "model": "gpt-5-codex", "slug": "gpt-5-codex"}
    records = [
        {
            **common,
            "event.name": "codex.api_request",
            "duration_ms": "900",
            "http.response.status_code": 200,
            "attempt": 1,
        },
        {
            **common,
            "event.name": "codex.api_request",
            "duration_ms": "30",
            "http.response.status_code": 429,
            "error.message": "http 429 Too Many Requests",
            "attempt": 2,
        },
        {
            **common,
            "event.name": "codex.sse_event",
            "event.kind": "response.completed",
            "input_token_count": 1000,
            "output_token_count": 50,
            "cached_token_count": 800,
            "reasoning_token_count": 20,
            "tool_token_count": 0,
        },
    ]
    events = _parsed(records, service="codex_cli_rs")
    assert [e["event_type"] for e in events] == ["error", "llm_call"]
    error, llm = events
    assert (
        error["message"] == "http 429 Too Many Requests"
        and error["attributes"]["status_code"] == 429
    )
    assert (llm["input_tokens"], llm["cache_read_tokens"], llm["output_tokens"]) == (200, 800, 50)


def test_codex_refused_call_is_rejected_in_its_result_as_in_its_decision() -> None:
    common = {"conversation.id": "cx-5", "tool_name": "shell"}
    records = [
        {
            **common,
            "event.name": "codex.tool_decision",
            "call_id": "call_9",
            "decision": "denied",
            "source": "user",
        },
        {
            **common,
            "event.name": "codex.tool_result",
            "call_id": "call_9",
            "arguments": '{"command":["bash","-lc","rm -rf build"]}',
            "duration_ms": "3",
            "success": "false",
            "output": "exec command rejected by user",
        },
        {
            **common,
            "event.name": "codex.tool_result",
            "call_id": "call_10",
            "arguments": '{"command":["bash","-lc","sleep 60"]}',
            "duration_ms": "3",
            "success": "false",
            "output": "aborted",
        },
    ]
    decision, result, aborted = _parsed(records, service="codex_cli_rs")
    assert decision["event_id"] == result["event_id"] == "call_9"
    assert decision["status"] == result["status"] == "rejected"
    assert aborted["status"] == "cancelled"
    # refusals are not errors: no error event for either


def test_codex_tool_result_is_read_as_the_rollout_reads_the_same_call() -> None:
    """A test run Codex reports over OTLP (exec header, argv list) is a test run with its
    failures, under the same ids, kinds and outcomes as the same call in a rollout."""
    from ingest_api.sources.codex import parse_codex
    from tests.ingest_api.sources.test_codex import CTX, META, call, output

    out = (
        "Chunk ID: 9f3a\nWall time: 1.4 seconds\nProcess exited with code 1\n"
        "Original token count: 60\nOutput:\n"
        "FAILED tests/test_cart.py::test_total - AssertionError: assert 3 == 4\n"
        "========================= 1 failed, 5 passed in 0.31s =========================\n"
    )
    args = {"command": ["bash", "-lc", "python -m pytest -q tests/test_cart.py"], "workdir": "/p"}
    common = {"conversation.id": "s-1", "tool_name": "shell", "call_id": "call_7"}
    reported = _parsed(
        [
            {
                **common,
                "event.name": "codex.tool_result",
                "arguments": json.dumps(args),
                "duration_ms": "1400",
                "success": "false",
                "output": out,
            },
            {
                **common,
                "event.name": "codex.tool_result",
                "call_id": "call_8",
                "arguments": json.dumps({"cmd": "ls src"}),
                "duration_ms": "5",
                "success": "true",
                "output": "main.py\n",  # a preview without its exit header
            },
        ],
        service="codex_cli_rs",
    )
    rollout = parse_codex(
        [
            META,
            CTX,
            call("2026-01-01T00:00:01Z", "call_7", "shell", args),
            output("2026-01-01T00:00:02.4Z", "call_7", out),
        ],
        source="x.jsonl",
    ).events

    def shape(events):
        keep = ("event_id", "event_type", "status", "action_kind", "error_type", "file_path")
        return sorted(
            tuple(e.get(k) for k in keep)
            for e in events
            if e["event_type"] != "session_start" and e.get("event_id") != "call_8"
        )

    assert shape(reported) == shape(rollout)
    run = next(e for e in reported if e["event_type"] == "test_run")
    assert (run["status"], run["parent_id"]) == ("failed", "call_7")
    (failure,) = [e for e in reported if e.get("parent_id") == "call_7:run"]
    assert failure["file_path"] == "tests/test_cart.py"
    listing = next(e for e in reported if e["event_id"] == "call_8")
    assert (listing["status"], listing["action_kind"]) == ("ok", "read")
