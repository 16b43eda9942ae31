"""Runs the Dagster daemon or UI starts hold the data dir's run lock, as `achilles run` does.

Without it, an `achilles run` beside a daemon run failed on DuckDB's file lock
instead of saying plainly that another run is in progress (issue: reliability, 6).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import materialize

from achilles_core.settings import Settings
from orchestration import pipeline
from orchestration.defs.landing import landing_events
from orchestration.pipeline import PARENT_PID_VAR, run_lock

REPO = Path(__file__).resolve().parents[2]

TRY_LOCK = """
import sys
from achilles_core.settings import Settings
from orchestration.pipeline import RunInProgress, run_lock
try:
    with run_lock(Settings(data_dir=sys.argv[1], _env_file=None)):
        print("acquired")
except RunInProgress as exc:
    print(exc)
"""


def _try_lock_elsewhere(data_dir: Path) -> str:
    """What an `achilles run` in another process meets: its run_lock's outcome."""
    out = subprocess.run(
        [sys.executable, "-c", TRY_LOCK, str(data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return out.stdout.strip()


def test_a_daemon_started_run_takes_the_run_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PARENT_PID_VAR, raising=False)  # not started by `achilles run`
    monkeypatch.setattr(pipeline, "LOCK_PATIENCE_S", 0.5)
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)

    # While an `achilles run` holds the data dir, a daemon run fails plainly.
    with run_lock(settings):
        held = materialize([landing_events], resources={"settings": settings}, raise_on_error=False)
    assert not held.success
    failures = [e for e in held.all_events if e.is_step_failure]
    assert failures
    error = failures[0].step_failure_data.error
    assert error is not None and error.cause is not None
    assert error.cause.cls_name == "RunInProgress"
    assert f"another run is in progress (pid {os.getpid()})" in error.cause.message

    # Once free, the daemon run holds the lock until its process ends: an
    # `achilles run` elsewhere is told so, with this process's pid.
    assert _try_lock_elsewhere(settings.data_dir) == "acquired"
    free = materialize([landing_events], resources={"settings": settings})
    assert free.success
    assert _try_lock_elsewhere(settings.data_dir) == (
        f"another run is in progress (pid {os.getpid()})"
    )
    # ...while this process's own later steps or runs go on under the lock it holds.
    with run_lock(settings):
        pass


HOLD_THEN_EXIT = """
import sys, time
from achilles_core.settings import Settings
from orchestration.pipeline import run_lock
with run_lock(Settings(data_dir=sys.argv[1], _env_file=None)):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_queued_run_waits_for_the_last_runs_worker_to_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dagster marks a run finished before its worker process exits and drops the lock;
    the run queued behind it starts within a second of that mark. It waits for the
    lock (up to LOCK_PATIENCE_S) instead of failing."""
    monkeypatch.delenv(PARENT_PID_VAR, raising=False)
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    settings.data_dir.mkdir(parents=True)
    worker = subprocess.Popen(
        [sys.executable, "-c", HOLD_THEN_EXIT, str(settings.data_dir), "1.5"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "held"
        assert pipeline.LOCK_PATIENCE_S >= 10
        result = materialize(
            [landing_events], resources={"settings": settings}, raise_on_error=False
        )
    finally:
        worker.wait(timeout=30)
    assert result.success
