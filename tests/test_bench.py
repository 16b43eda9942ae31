"""The benchmark harness at a tiny scale: every figure is reported, and the
hand-written SQL computes exactly the marts dbt builds. Speed is measured by
`achilles bench`, never asserted here. The product CLI reaches the harness
only inside `achilles bench`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import achilles.cli
from achilles_core.settings import Settings
from benchmarks.bench import REPORT_KEYS, TARGETS, _get, run_bench


def test_the_cli_does_not_import_the_harness():
    code = "import sys, achilles.cli; print(sorted(m for m in sys.modules if 'benchmarks' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bench_says_so_without_a_checkout(tmp_path, monkeypatch):
    # As from a wheel: no benchmarks package, no checkout beside the installed achilles.
    for name in ("benchmarks", "benchmarks.bench"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(achilles.cli, "__file__", str(tmp_path / "achilles" / "cli.py"))
    result = CliRunner().invoke(achilles.cli.app, ["bench", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "needs a checkout of the repository" in result.output


def test_the_client_ceilings_receiver_stops_when_sigterm_is_ignored():
    """The do-nothing receiver is a child process; a SIGTERM this process ignores is
    ignored in the child too, and a CI run once hung on it forever."""
    import signal
    import threading

    from benchmarks.otlp_spans import client_ceiling, make_spans

    rates: list[float] = []
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        # in a thread, so that a receiver that never exits fails this test, not hangs it
        worker = threading.Thread(
            target=lambda: rates.append(client_ceiling(make_spans(200, 8), 1)), daemon=True
        )
        worker.start()
        worker.join(timeout=120)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not worker.is_alive(), "the receiver did not stop"
    assert rates and rates[0] > 0


@pytest.mark.slow
def test_bench_reports_every_figure_and_hand_sql_matches_dbt(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    out = tmp_path / "report.json"
    lines: list[str] = []
    report = run_bench(
        settings,
        20_000,
        out,
        seed=3,
        echo=lines.append,
        ingest_batches=20,
        read_idle_s=2.0,
        dagster=False,
        import_copies=2,
    )

    assert json.loads(out.read_text()) == json.loads(json.dumps(report, default=str))
    for key in REPORT_KEYS:
        value = _get(report, key)
        if key in ("build.dagster_s", "freshness.p50_s", "freshness.p95_s"):
            assert value is None  # the Dagster job and daemon are skipped here to stay fast
            continue
        assert value is not None, key
        if not isinstance(value, bool):
            assert value > 0, (key, value)

    assert report["build"]["hand_sql_equal"] is True, report["build"]["hand_sql_compare"]
    compared = {t: r for t, r in report["build"]["hand_sql_compare"].items() if "rows" in r}
    assert set(compared) == {"events", "sessions"}
    for table, result in compared.items():
        assert result["equal"] and result["rows"] > 0, (table, result)
    assert report["meta"]["events_generated"] >= 19_000
    # the insight step's second pass looks only at the sessions the +1 % added
    first, again = report["insights"]["first_pass"], report["insights"]["incremental"]
    assert first["sessions_evaluated"] == report["meta"]["sessions"]
    assert 0 < again["sessions_evaluated"] < first["sessions_evaluated"]
    assert report["read"]["idle"]["errors"] == 0
    assert {t["key"] for t in report["targets"]} == {k for k, *_ in TARGETS}
    assert all(
        t["status"] in ("pass", "miss") or t["key"] == "freshness.p95_s" for t in report["targets"]
    )
    assert any("build.hand_sql_equal" in line for line in lines)  # the printed table
    assert not (tmp_path / "data" / "bench" / "work").exists()  # scratch removed
