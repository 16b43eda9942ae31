"""Freshness (issue 16) end to end: with the production scheduling running (`achilles
daemon`) and events arriving steadily, a marker session's session summary and the
insight it trips reach the read API without anyone starting a run. The bench
(`benchmarks/freshness.py`) measures how soon; this test only that it happens."""

from __future__ import annotations

import shutil

import pytest

from benchmarks.freshness import run_freshness

pytestmark = pytest.mark.slow


def test_live_markers_reach_their_summary_and_insight_through_the_daemon(built, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(
        built.settings.data_dir, data, ignore=shutil.ignore_patterns("dagster_home", "*.lock")
    )
    result = run_freshness(
        data,
        tmp_path / "logs",
        echo=lambda _: None,
        rate=200.0,
        seconds=12.0,
        marker_every_s=5.0,
        warmup_s=2.0,
        settle_s=300.0,
        env={"ACHILLES_SENSOR_INTERVAL_S": "5"},
    )
    logs = "\n".join(
        p.read_text(errors="replace")[-3000:] for p in sorted((tmp_path / "logs").glob("*.log"))
    )
    assert result["markers"] >= 2, result
    assert result["missed"] == 0, (result, logs)
    assert result["ingest_failed_requests"] == 0, result
    # each figure is over every marker, and a marker is seen whole only once published
    assert 0 < result["summary_p50_s"] <= result["p50_s"] <= result["p95_s"], result
    assert result["insight_p95_s"] <= result["p95_s"], result
