"""Leftovers of killed processes and concurrent runs (issue 13, part 6)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from achilles.cli import app as cli
from achilles_core.landing import LEFTOVER_TEMP_AGE_S
from achilles_core.settings import Settings
from ingest_api.app import create_app
from orchestration.pipeline import RunInProgress, remove_leftovers, run_lock, run_pipeline
from tests.pipeline_fixtures import SAMPLES, land_sessions


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _temp_files(settings: Settings) -> tuple[Path, Path]:
    folder = settings.events_dir / "s1"
    folder.mkdir(parents=True)
    old = folder / ".tmp-dead.partial"
    fresh = folder / ".tmp-inflight.partial"
    old.write_bytes(b"PAR1 half")
    fresh.write_bytes(b"PAR1 half")
    _age(old, LEFTOVER_TEMP_AGE_S + 60)
    return old, fresh


def test_server_start_removes_a_killed_servers_temp_files(settings):
    old, fresh = _temp_files(settings)
    with TestClient(create_app(settings)):
        pass
    assert not old.exists()
    assert fresh.exists()  # may be another worker's write in flight


def test_run_removes_unfinished_snapshots_and_temp_files(settings):
    old, fresh = _temp_files(settings)
    settings.warehouse_dir.mkdir(parents=True)
    dead = settings.warehouse_dir / ".publish-0123abcd.duckdb"
    dead.write_bytes(b"half a database")
    (settings.warehouse_dir / ".publish-0123abcd.duckdb.wal").write_bytes(b"wal")
    removed = remove_leftovers(settings)
    assert not dead.exists() and not old.exists() and fresh.exists()
    assert len(removed) == 3
    assert list(settings.warehouse_dir.iterdir()) == []


def test_a_second_run_says_another_run_is_in_progress(settings):
    with run_lock(settings):
        with pytest.raises(RunInProgress) as caught:
            run_pipeline(settings, quiet=True)
        assert caught.value.pid == os.getpid()
        out = CliRunner().invoke(cli, ["run", "--data-dir", str(settings.data_dir)])
    assert out.exit_code == 1
    assert f"another run is in progress (pid {os.getpid()})" in out.output
    assert "Traceback" not in out.output


def test_the_lock_goes_with_its_holder(settings):
    with run_lock(settings):
        pass
    with run_lock(settings):  # released: taken again at once
        pass


def _group_pids(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def _has_open(pid: int, path: Path) -> bool:
    """The process has `path` open (dbt writing the build warehouse)."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def _group_members(pgid: int) -> list[str]:
    """Command lines of the live processes in the group."""
    found = []
    for pid in _group_pids(pgid):
        try:
            found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


@pytest.mark.slow
def test_killed_run_leaves_no_dbt_writing(tmp_path):
    import json

    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    land_sessions(settings, json.loads(SAMPLES.read_text())[:2])
    achilles = str(Path(sys.executable).with_name("achilles"))
    build_db = settings.build_db.resolve()
    run = subprocess.Popen(
        [achilles, "run", "--data-dir", str(settings.data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        pgid = None
        while time.monotonic() < deadline:
            kids = _children(run.pid)
            if kids and pgid is None:
                pgid = kids[0]
            # dbt runs in the run's own process: wait until it has the warehouse open
            if pgid and any(_has_open(p, build_db) for p in _group_pids(pgid)):
                break
            assert run.poll() is None, "the run ended before dbt started"
            time.sleep(0.2)
        else:
            pytest.fail("dbt never started")
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 15
        while _group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group_members(pgid) == []
        # And the lock went with it: a new run may start at once.
        with run_lock(settings):
            pass
    finally:
        if run.poll() is None:
            run.kill()
