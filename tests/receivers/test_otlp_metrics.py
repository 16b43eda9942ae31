"""OTLP metrics: Claude Code's metrics from the real OTel SDK exporters, landed as metric
rows, refused points reported as partial success, and the `metrics` mart after a build."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from achilles_core.settings import Settings

PB = {"Content-Type": "application/x-protobuf"}
T0 = 1_764_504_000_000_000_000


def _kv(key: str, text: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=text))


def metrics_request(values: list[float], session: str = "cc-m1") -> ExportMetricsServiceRequest:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    rm.resource.attributes.append(_kv("service.name", "claude-code"))
    sm = rm.scope_metrics.add()
    sm.scope.name = "com.anthropic.claude_code"
    metric = sm.metrics.add()
    metric.name, metric.unit = "claude_code.token.usage", "tokens"
    metric.sum.is_monotonic = True
    metric.sum.aggregation_temporality = 1  # delta
    for n, v in enumerate(values):
        point = metric.sum.data_points.add()
        point.start_time_unix_nano = T0
        point.time_unix_nano = T0 + (n + 1) * 10**9
        point.as_double = v
        point.attributes.extend(
            [_kv("session.id", session), _kv("model", "claude-sonnet-4-5"), _kv("type", "input")]
        )
    return req


def landed_rows(settings: Settings) -> list[dict[str, Any]]:
    files = sorted(settings.metrics_dir.glob("*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def test_points_land_as_metric_rows_and_bad_ones_are_partial_success(client, settings) -> None:
    body = metrics_request([1200.0, math.nan, 80.0]).SerializeToString()
    r = client.post("/v1/metrics", content=body, headers=PB)
    assert r.status_code == 200
    answer = ExportMetricsServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_data_points == 1
    assert "NaN" in answer.partial_success.error_message
    rows = landed_rows(settings)
    assert [r["value"] for r in rows] == [1200.0, 80.0]
    first = rows[0]
    assert first["metric_name"] == "claude_code.token.usage"
    assert (first["session_id"], first["model"], first["type_attribute"]) == (
        "cc-m1",
        "claude-sonnet-4-5",
        "input",
    )
    assert (first["service_name"], first["unit"], first["temporality"]) == (
        "claude-code",
        "tokens",
        "delta",
    )
    assert first["is_monotonic"] is True
    # The same export again repeats the points' ids (the mart keeps one copy of each).
    client.post("/v1/metrics", content=body, headers=PB)
    again = landed_rows(settings)
    assert len(again) == 4 and {r["point_id"] for r in again} == {r["point_id"] for r in rows}


def test_a_bad_session_id_is_kept_as_an_attribute_not_as_the_session(client, settings) -> None:
    body = metrics_request([5.0], session="not a session\n").SerializeToString()
    assert client.post("/v1/metrics", content=body, headers=PB).status_code == 200
    (row,) = landed_rows(settings)
    assert row["session_id"] is None and "not a session" in row["attributes"]


def test_json_metrics(client, settings) -> None:
    from google.protobuf import json_format

    body = json_format.MessageToJson(metrics_request([3.0]))
    r = client.post("/v1/metrics", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {}
    assert [row["value"] for row in landed_rows(settings)] == [3.0]


def _export_claude_code_metrics(exporter: Any, session: str) -> None:
    """What Claude Code's telemetry records, through the real SDK's MeterProvider."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(
        resource=Resource.create({"service.name": "claude-code", "service.version": "2.0.0"}),
        metric_readers=[reader],
    )
    meter = provider.get_meter("com.anthropic.claude_code")
    tokens = meter.create_counter("claude_code.token.usage", unit="tokens")
    cost = meter.create_counter("claude_code.cost.usage", unit="USD")
    lines = meter.create_counter("claude_code.lines_of_code.count", unit="count")
    sessions = meter.create_counter("claude_code.session.count", unit="count")
    model = {"session.id": session, "model": "claude-sonnet-4-5"}
    sessions.add(1, {"session.id": session})
    for kind, n in (("input", 1200), ("output", 310), ("cacheRead", 45000), ("cacheCreation", 900)):
        tokens.add(n, {**model, "type": kind})
    cost.add(0.0421, model)
    lines.add(12, {"session.id": session, "type": "added"})
    lines.add(3, {"session.id": session, "type": "removed"})
    provider.shutdown()  # collects and exports once (a flush as well would export twice)


@pytest.mark.slow
def test_real_otel_sdk_metrics_exporters_then_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.exporter.otlp.json.http.metric_exporter import (
        OTLPMetricExporter as JsonMetrics,
    )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as PbMetrics,
    )

    from achilles.server import ServerProcess
    from orchestration.pipeline import run_pipeline

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    with ServerProcess(settings.data_dir) as server:
        # Exactly what a user sets for Claude Code: the endpoint, the key header, gzip.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", server.url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20dev-key")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        _export_claude_code_metrics(PbMetrics(), "cc-metrics-pb")
        _export_claude_code_metrics(JsonMetrics(), "cc-metrics-json")
    assert run_pipeline(settings, quiet=True)

    with duckdb.connect(str(settings.published_db), read_only=True) as db:
        rows = db.execute(
            "select session_id, metric_name, type_attribute, value, unit, model, service_name"
            " from metrics order by session_id, metric_name, type_attribute"
        ).fetchall()
    for session in ("cc-metrics-json", "cc-metrics-pb"):
        mine = [r[1:] for r in rows if r[0] == session]
        assert mine == [
            ("claude_code.cost.usage", None, 0.0421, "USD", "claude-sonnet-4-5", "claude-code"),
            ("claude_code.lines_of_code.count", "added", 12.0, "count", None, "claude-code"),
            ("claude_code.lines_of_code.count", "removed", 3.0, "count", None, "claude-code"),
            ("claude_code.session.count", None, 1.0, "count", None, "claude-code"),
            (
                "claude_code.token.usage",
                "cacheCreation",
                900.0,
                "tokens",
                "claude-sonnet-4-5",
                "claude-code",
            ),  # noqa: E501
            (
                "claude_code.token.usage",
                "cacheRead",
                45000.0,
                "tokens",
                "claude-sonnet-4-5",
                "claude-code",
            ),  # noqa: E501
            (
                "claude_code.token.usage",
                "input",
                1200.0,
                "tokens",
                "claude-sonnet-4-5",
                "claude-code",
            ),  # noqa: E501
            (
                "claude_code.token.usage",
                "output",
                310.0,
                "tokens",
                "claude-sonnet-4-5",
                "claude-code",
            ),  # noqa: E501
        ]
    assert len(rows) == 16
