"""No idle work (issue 16): with nothing new since the published snapshot, `achilles run`,
the sensor and the schedule build nothing and publish nothing; new data or --force builds."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest
from dagster import DagsterRunStatus, build_schedule_context, build_sensor_context
from dagster._core.test_utils import create_run_for_test, instance_for_test
from typer.testing import CliRunner

from achilles.cli import app
from achilles_core.settings import Settings
from orchestration import fingerprint
from orchestration.defs.automation import RUN_PID_TAG, build_schedule, build_sensor
from orchestration.publish import META_TABLE
from tests.pipeline_fixtures import land_sessions

pytestmark = pytest.mark.slow


def _warehouse_state(settings: Settings) -> dict[str, tuple[int, int]]:
    """Every file of the warehouse folder with its inode and mtime: a publish renames a
    new file over the snapshot, so any publish changes this."""
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(settings.warehouse_dir.iterdir())
    }


def _published_at(settings: Settings) -> object:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return con.execute(f"select published_at from {META_TABLE}").fetchone()[0]
    finally:
        con.close()


def _new_session(sid: str) -> dict:
    return {
        "start": {"session_id": sid, "agent": "claude-code"},
        "events": [
            {
                "event_type": "agent_action",
                "source_type": "agent",
                "timestamp": "2026-11-18T10:00:00+00:00",
                "actor": "claude-code",
                "file_path": "a.py",
                "message": "edit a.py",
            }
        ],
        "outcome": "completed",
    }


def test_a_run_with_nothing_new_publishes_nothing(built):
    before = _warehouse_state(built.settings)
    published_at = _published_at(built.settings)
    result = CliRunner().invoke(app, ["run", "--data-dir", str(built.settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert "Nothing changed since the snapshot" in result.stdout
    assert "nothing published" in result.stdout
    assert _warehouse_state(built.settings) == before
    assert _published_at(built.settings) == published_at


def test_sensor_and_schedule_skip_when_nothing_landed(built):
    with instance_for_test() as instance:
        tick = build_sensor(built.settings).evaluate_tick(build_sensor_context(instance=instance))
        assert not tick.run_requests and "nothing new" in (tick.skip_message or "")
        schedule = build_schedule(built.settings)
        out = schedule.evaluate_tick(build_schedule_context(instance=instance))
        assert not out.run_requests and "nothing new" in (out.skip_message or "")


@pytest.fixture
def copied(built, tmp_path) -> Settings:
    """The built data dir, copied with its files' times (a copy's own Dagster home)."""
    target = tmp_path / "data"
    shutil.copytree(
        built.settings.data_dir, target, ignore=shutil.ignore_patterns("dagster_home", "*.lock")
    )
    return Settings(data_dir=target, _env_file=None)


@pytest.fixture
def listed(monkeypatch) -> list[Settings]:
    """Each listing of the landing zone (fingerprint.fingerprint, called through)."""
    calls: list[Settings] = []
    real_fingerprint = fingerprint.fingerprint
    monkeypatch.setattr(
        fingerprint, "fingerprint", lambda s: calls.append(s) or real_fingerprint(s)
    )
    return calls


def _pipeline_run(instance, status: DagsterRunStatus, pid: int | None = None):
    """A run of the pipeline job in `status`; with `pid`, one `achilles run` executes."""
    tags = {RUN_PID_TAG: str(pid)} if pid is not None else None
    return create_run_for_test(instance, job_name="achilles_pipeline", status=status, tags=tags)


def test_new_landing_files_start_one_run_and_force_builds(copied):
    with instance_for_test() as instance:
        sensor = build_sensor(copied)
        assert not sensor.evaluate_tick(build_sensor_context(instance=instance)).run_requests
        land_sessions(copied, [_new_session("idle-test-new")])
        first = sensor.evaluate_tick(build_sensor_context(instance=instance))
        again = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor))
        scheduled = build_schedule(copied).evaluate_tick(build_schedule_context(instance=instance))
    assert len(first.run_requests) == 1 and len(scheduled.run_requests) == 1
    # The same landing state asks for the same run key, which Dagster starts only once.
    assert again.run_requests[0].run_key == first.run_requests[0].run_key

    published_at = _published_at(copied)
    env = {"ACHILLES_DATA_DIR": str(copied.data_dir)}
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 0, result.output
    # Progress, stage by stage, and where the log is.
    assert f"Log: {copied.data_dir / 'logs' / 'pipeline.log'}" in result.stdout
    stages = [line.split("]")[0] for line in result.stdout.splitlines() if line[:1] == "["]
    assert sorted(set(stages)) == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert "[2/4] dbt build: 1 of " in result.stdout
    assert _published_at(copied) != published_at
    con = duckdb.connect(str(copied.published_db), read_only=True)
    try:
        assert con.execute(
            "select count(*) from sessions where session_id = 'idle-test-new'"
        ).fetchone() == (1,)
    finally:
        con.close()

    # Built: a second run is idle again, and --force builds all the same.
    assert "Nothing changed" in CliRunner().invoke(app, ["run"], env=env).stdout
    published_at = _published_at(copied)
    forced = CliRunner().invoke(app, ["run", "--force"], env=env)
    assert forced.exit_code == 0, forced.output
    assert "Nothing changed" not in forced.stdout
    assert _published_at(copied) != published_at


def test_a_killed_runs_leftover_does_not_hold_the_sensor_forever(copied, listed):
    """A run of `achilles run` killed with -9 stays "started" in the instance; the
    sensor marks it failed once its process is gone, and goes on. While a run is alive,
    neither the sensor nor the schedule asks for another."""
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    land_sessions(copied, [_new_session("idle-test-after-kill")])
    with instance_for_test() as instance:
        live = _pipeline_run(instance, DagsterRunStatus.STARTED, pid=os.getpid())
        # While a run is in progress a look does not list the landing zone (that costs
        # the build CPU at every look).
        sensor = build_sensor(copied)
        waiting = sensor.evaluate_tick(build_sensor_context(instance=instance))
        assert not waiting.run_requests and "in progress" in (waiting.skip_message or "")
        assert listed == []
        # nor does the schedule pile a second run behind it (its missed tick at a
        # daemon's start used to)
        schedule = build_schedule(copied)
        held = schedule.evaluate_tick(build_schedule_context(instance=instance))
        assert not held.run_requests and "in progress" in (held.skip_message or "")
        assert listed == []

        instance.report_run_failed(live)
        dead = _pipeline_run(instance, DagsterRunStatus.STARTED, pid=gone.pid)
        tick = sensor.evaluate_tick(build_sensor_context(instance=instance))
        assert len(tick.run_requests) == 1 and len(listed) == 1
        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE


def test_the_next_run_queues_behind_a_running_one_once_new_files_land(copied, listed):
    """While the daemon's run builds, the sensor asks for the next run as soon as files
    land that the running one does not build: it waits in Dagster's queue and starts when
    the first ends (freshness, issue 16). Never before the running one has recorded what
    it builds from, never a second one, never behind `achilles run`'s own runs."""
    sensor = build_sensor(copied)

    def look(instance):
        return sensor.evaluate_tick(build_sensor_context(instance=instance))

    with instance_for_test() as instance:
        running = _pipeline_run(instance, DagsterRunStatus.STARTED)
        land_sessions(copied, [_new_session("queue-test-before-landing-step")])
        # Before its landing step the running run builds whatever has landed: no listing.
        assert not look(instance).run_requests and listed == []

        fingerprint.record_pending(copied, running.run_id)  # its landing step
        listed.clear()
        quiet = look(instance)
        assert not quiet.run_requests and "in progress" in (quiet.skip_message or "")
        assert len(listed) == 1

        land_sessions(copied, [_new_session("queue-test-while-building")])
        behind = look(instance)
        assert len(behind.run_requests) == 1
        assert behind.run_requests[0].run_key == f"landing-{behind.cursor}"

        # the one asked for, not yet queued (a queued run needs a code location here)
        _pipeline_run(instance, DagsterRunStatus.NOT_STARTED)
        listed.clear()
        land_sessions(copied, [_new_session("queue-test-one-queued-is-enough")])
        assert not look(instance).run_requests and listed == []

    with instance_for_test() as instance:
        own = _pipeline_run(instance, DagsterRunStatus.STARTED, pid=os.getpid())
        fingerprint.record_pending(copied, own.run_id)
        land_sessions(copied, [_new_session("queue-test-behind-achilles-run")])
        assert not look(instance).run_requests  # the queue does not count that run
