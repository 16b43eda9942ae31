"""Run the whole pipeline once on a persistent Dagster instance.

Used by `achilles run`, the demo and the tests; runs show up in the Dagster UI
because the instance lives under the data dir. The run happens in a child process
started with the settings as its environment: dbt, which dagster-dbt starts with
the environment of the process it runs in, then reads the same settings, and
nobody's `os.environ` is changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from achilles_core.settings import ENV_PREFIX, Settings, settings_env

# The queue is looked at every second, not Dagster's default 5 s: a sensor's run
# starts that much sooner (freshness, issue 16).
DAGSTER_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
  dequeue_interval_seconds: 1
"""
# What earlier versions wrote: replaced by the current one (a user's own edits are kept).
_OLDER_DAGSTER_YAMLS = {"telemetry:\n  enabled: false\nrun_queue:\n  max_concurrent_runs: 1\n"}
QUIET, FULL_REFRESH = "--quiet", "--full-refresh"


def prepare_dagster_home(settings: Settings) -> Path:
    """Create the Dagster instance folder under the data dir; returns its path."""
    home = settings.dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() in _OLDER_DAGSTER_YAMLS:
        config.write_text(DAGSTER_YAML)
    return home


def dagster_env(settings: Settings) -> dict[str, str]:
    """Environment for a Dagster process: this one's, with every ACHILLES_* variable
    replaced by the settings (so the child builds exactly these) and its instance."""
    from orchestration.project import dbt_settings_vars

    inherited = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return {
        **inherited,
        **settings_env(settings),
        **dbt_settings_vars(settings),
        "DAGSTER_HOME": str(prepare_dagster_home(settings)),
    }


class RunInProgress(RuntimeError):
    """Another `achilles run` (or demo) holds the data dir's run lock."""

    def __init__(self, pid: int | None):
        self.pid = pid
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"another run is in progress ({who})")


RUN_LOCK = "run.lock"


# Run locks this process holds for the rest of its life, by lock file: a run the
# Dagster daemon or UI started takes the lock in its first step and keeps it until
# its run worker exits (all steps run in that one process: in_process_executor).
_HELD_FOR_PROCESS: dict[Path, int] = {}


def _lock_path(settings: Settings) -> Path:
    path = Path(settings.data_dir).resolve() / RUN_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _acquire(path: Path, wait: bool, patience_s: float = 0.0) -> int:
    """An fd holding `path`'s flock (raises RunInProgress naming the holder, when not
    `wait`ing and the lock stays taken for `patience_s`)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    give_up = time.monotonic() + patience_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            break
        except BlockingIOError:
            if time.monotonic() < give_up:
                time.sleep(0.2)
                continue
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise RunInProgress(int(holder) if holder.isdigit() else None) from None
        except BaseException:
            os.close(fd)
            raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


@contextlib.contextmanager
def run_lock(settings: Settings, wait: bool = False) -> Iterator[None]:
    """Hold the data dir's run lock: one pipeline run at a time per data dir.

    `flock` is dropped by the kernel when its holder dies, even by SIGKILL, so a
    killed run never blocks the next. The file names the holder's pid.
    """
    path = _lock_path(settings)
    if path in _HELD_FOR_PROCESS:  # this process already holds it (see below)
        yield
        return
    fd = _acquire(path, wait)
    try:
        yield
    finally:
        os.close(fd)  # releases the lock


# How long a run of the daemon or UI waits for the run lock. The run before it is
# marked finished before its worker process exits and lets go of the lock, and the queue
# starts the next run within a second of that mark (a run queued behind another,
# orchestration/defs/automation.py): that worker's exit is waited for, a run that
# is really in progress is not.
LOCK_PATIENCE_S = 20.0


def hold_run_lock_for_process(settings: Settings) -> None:
    """A run not started by `achilles run` (whose parent holds the lock and names
    itself in PARENT_PID_VAR), i.e. by the Dagster daemon or UI: take the data dir's
    run lock until this process exits, or raise RunInProgress if another run keeps it
    for LOCK_PATIENCE_S."""
    if os.environ.get(PARENT_PID_VAR):
        return
    path = _lock_path(settings)
    if path not in _HELD_FOR_PROCESS:
        _HELD_FOR_PROCESS[path] = _acquire(path, wait=False, patience_s=LOCK_PATIENCE_S)


def remove_leftovers(settings: Settings) -> list[Path]:
    """Files a killed run or server left: unfinished snapshots and landing temp files.

    Called under the run lock, so no publish is in flight; landing temp files are
    removed only once old enough not to be a server's write in progress."""
    from achilles_core.landing import LEFTOVER_TEMP_AGE_S, project_zones

    removed = []
    for p in Path(settings.warehouse_dir).glob(".publish-*.duckdb*"):
        p.unlink(missing_ok=True)
        removed.append(p)
    for _, zone in project_zones(settings):
        removed += zone.remove_leftover_temp_files(LEFTOVER_TEMP_AGE_S)
    return removed


# The job's steps (Dagster step keys) in order, as `achilles run` names them.
STAGES = {
    "landing__events": "landing",
    "achilles_dbt_models": "dbt build",
    "insights": "insights",
    "warehouse__published": "publish",
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Dagster's console lines: "... - dagster - DEBUG - <job> - <run id> - <step> - STEP_START - ..."
_STEP_START = re.compile(r" - (\w+) - STEP_START - ")
_LEVEL = re.compile(r" - dagster - (WARNING|ERROR|CRITICAL) - ")
# dbt's: "12 of 91 START sql view model main.sessions ...... [RUN]", after the time of
# day when dbt runs in the run's own process ("05:18:55  12 of 91 START ...")
_DBT_START = re.compile(
    r"^(?:\d\d:\d\d:\d\d\s+)?(\d+) of (\d+) START (?:sql \w+ model \w+\.(\S+)|test |unit_test )"
)


@dataclass
class Progress:
    """Where a run is: stage n of m, and within dbt, node n of m."""

    stage: str
    stage_n: int
    stage_m: int = len(STAGES)
    model: str | None = None
    node_n: int | None = None
    node_m: int | None = None
    is_model: bool = False


def parse_progress(line: str, current: Progress | None) -> Progress | None:
    """The progress a line of the run's output announces, or None if it tells none."""
    step = _STEP_START.search(line)
    if step and step.group(1) in STAGES:
        key = step.group(1)
        return Progress(STAGES[key], list(STAGES).index(key) + 1)
    dbt = _DBT_START.match(line)
    if dbt and current is not None:
        return Progress(
            current.stage,
            current.stage_n,
            model=dbt.group(3),  # None for a test
            node_n=int(dbt.group(1)),
            node_m=int(dbt.group(2)),
            is_model=dbt.group(3) is not None,
        )
    return None


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def run_pipeline(
    settings: Settings,
    quiet: bool = False,
    full_refresh: bool = False,
    wait: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> bool:
    """Materialize every asset once; True when the run (dbt tests included) succeeded.

    `full_refresh`: dbt re-derives every session (its --full-refresh flag) instead of
    only those with new landing files.
    `quiet`: the console gets warnings only; the whole output (Dagster's step events,
    dbt's lines, no colour codes) goes to `pipeline_log_path()`, and `progress` is
    told each stage and dbt node as it starts. The run is also in the Dagster
    instance (and so in the UI).
    `wait`: when another run holds the data dir, wait for it instead of raising
    `RunInProgress`.
    """
    from orchestration.project import prepare_manifest

    with run_lock(settings, wait=wait):
        remove_leftovers(settings)
        prepare_manifest(settings)
        cmd = [sys.executable, "-m", "orchestration.pipeline"]
        cmd += [QUIET] if quiet else []
        cmd += [FULL_REFRESH] if full_refresh else []
        env = {**dagster_env(settings), PARENT_PID_VAR: str(os.getpid())}
        if not quiet:
            return _supervise(cmd, env, None) == 0
        env["DBT_USE_COLORS"] = "false"  # log files get no colour codes
        with open(pipeline_log_path(settings), "a") as log:
            log.write(f"\n=== achilles run at {datetime.now(UTC).isoformat()} ===\n")
            return _supervise(cmd, env, log, progress) == 0


def _follow(stream: IO[str], log: IO[str], progress: Callable[[Progress], None] | None) -> None:
    """Copy the child's output to the log without colour codes; pass on warnings and
    errors to our stderr and progress to the callback."""
    current: Progress | None = None
    for raw in stream:
        line = strip_ansi(raw)
        log.write(line)
        if _LEVEL.search(line):
            sys.stderr.write(line)
        found = parse_progress(line, current)
        if found is not None:
            current = found
            if progress is not None:
                progress(found)
    log.flush()


def _supervise(
    cmd: list[str],
    env: dict[str, str],
    log: IO[str] | None,
    progress: Callable[[Progress], None] | None = None,
) -> int:
    """Run the child in its own process group and take the group down with us: on
    Ctrl-C or SIGTERM here, and (through the child's watchdog) on SIGKILL here."""
    pipe = subprocess.PIPE if log is not None else None
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=pipe,
        stderr=subprocess.STDOUT if log is not None else None,
        text=True,
        errors="replace",
        start_new_session=True,
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, stop)
    try:
        if log is not None and proc.stdout is not None:
            _follow(proc.stdout, log, progress)
        return proc.wait()
    except KeyboardInterrupt:
        _kill_group(proc)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


PARENT_PID_VAR = "ACHILLES_PIPELINE_PARENT_PID"


def _watch_parent(parent: int) -> None:
    """In the child: when the process that started us is gone (killed, even by
    SIGKILL), kill our whole process group, dbt included, so nothing keeps writing."""

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            time.sleep(0.5)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _execute(quiet: bool, full_refresh: bool) -> bool:
    """The child's side: the settings and the instance come from the environment."""
    from dagster import DagsterInstance

    from orchestration.definitions import build_definitions
    from orchestration.defs.automation import RUN_PID_TAG

    settings = Settings(_env_file=None)
    job = build_definitions(settings).resolve_job_def("achilles_pipeline")
    run_config: dict = {"ops": {"achilles_dbt_models": {"config": {"full_refresh": full_refresh}}}}
    # Quiet: everything goes to the log file, where step events (debug) tell the
    # parent which stage is running; otherwise info, as in the UI.
    level = "DEBUG" if quiet else "INFO"
    run_config["loggers"] = {"console": {"config": {"log_level": level}}}
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config=run_config,
            raise_on_error=False,
            tags={RUN_PID_TAG: str(os.getpid())},
        )
    return result.success


def pipeline_log_path(settings: Settings) -> Path:
    folder = Path(settings.data_dir).resolve() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "pipeline.log"


if __name__ == "__main__":
    if os.environ.get(PARENT_PID_VAR, "").isdigit():
        _watch_parent(int(os.environ[PARENT_PID_VAR]))
    sys.exit(0 if _execute(QUIET in sys.argv, FULL_REFRESH in sys.argv) else 1)
