"""`dbt build` inside the run's own process, for the whole-project build.

dagster-dbt's `DbtCliResource.cli` starts `dbt --version` in a subprocess (~6 s
here), opens a dbt adapter in this process (~4 s) and then starts dbt itself in a
third process that imports dbt again and re-reads the project: about 17 s of a
small build's 30 s went to that. Here dbt runs through its programmatic entry
point (`dbtRunner`) in this process, with:
- a target folder per data dir that outlives the run, so partial parsing stays warm;
- `--no-write-json`: nobody reads run_results.json or manifest.json of a build;
- dbt's log file at warnings and errors only (debug, its default, writes every SQL
  statement: ~2,600 lines a small build); the run's own log keeps dbt's info lines;
- dbt's node results turned into Dagster's asset events by dagster-dbt's own
  translation, as they happen, so the UI shows the same materializations and checks.
  Only the result events are converted and handed over: dbt calls back for every event
  it fires, debug ones included (~27 per node), and converting them all cost ~10 % of a
  small build.

The build's thread runs at the build's niceness (Linux keeps nice per thread; dbt's
and DuckDB's threads inherit it), and the DuckDB file is closed when dbt is done,
so the steps after it open the warehouse as usual.
"""

from __future__ import annotations

import queue
import shutil
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from orchestration.fingerprint import DBT_PROJECT_DIR
from orchestration.priority import lower_priority

PARTIAL_PARSE = "partial_parse.msgpack"
# The dbt events dagster-dbt turns into asset events (DbtCoreCliEventMessage).
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
_DONE = object()


class DbtBuildFailed(RuntimeError):
    """dbt ran and reported failures (a model error or a failing error-severity test)."""


def target_dir(data_dir: Path) -> Path:
    """dbt's target folder for builds of `data_dir`: kept between runs (partial parsing);
    seeded with the project's own partial-parse file the first time."""
    target = Path(data_dir).resolve() / "warehouse" / "dbt_target"
    target.mkdir(parents=True, exist_ok=True)
    seed = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE
    if seed.exists() and not (target / PARTIAL_PARSE).exists():
        shutil.copy(seed, target / PARTIAL_PARSE)
    return target


def _close_duckdb() -> None:
    """dbt-duckdb keeps the database open for the life of the process (keep_open):
    close it, or the next step's own connection to the same file would be refused."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()


def _invoke(args: list[str], events: queue.Queue[Any], nice: int) -> None:
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    def on_event(event: Any) -> None:
        if event.info.name in RESULT_EVENTS:
            events.put(msg_to_dict(event))

    lower_priority(nice)  # this thread, and the threads dbt and DuckDB start from it
    try:
        result = dbtRunner(callbacks=[on_event]).invoke(args)
        events.put(result)
    except BaseException as exc:  # handed to the generator, raised there
        events.put(exc)
    finally:
        try:
            _close_duckdb()
        finally:
            events.put(_DONE)


def _failures(result: Any) -> list[str]:
    run = getattr(result, "result", None)
    lines = []
    for r in getattr(run, "results", None) or []:
        if str(r.status) in {"error", "fail", "runtime error"}:
            lines.append(f"{r.node.unique_id}: {r.status}: {(r.message or '').strip()[:500]}")
    return lines


def build(
    context: AssetExecutionContext,
    args: list[str],
    data_dir: Path,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    nice: int,
) -> Iterator[Any]:
    """Run `dbt <args>` in this process and yield the Dagster asset events of its
    results as they come; raise DbtBuildFailed when dbt did not succeed."""
    target = target_dir(data_dir)
    full_args = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
        "--log-level-file",
        "warn",
        "--no-write-json",
        "--no-send-anonymous-usage-stats",
    ]
    context.log.info(f"dbt (in process): dbt {' '.join(args)}")
    events: queue.Queue[Any] = queue.Queue()
    worker = threading.Thread(target=_invoke, args=(full_args, events, nice), name="dbt")
    worker.start()
    outcome: Any = None
    while (item := events.get()) is not _DONE:
        if isinstance(item, dict):
            message = DbtCoreCliEventMessage(raw_event=item, event_history_metadata={})
            yield from message.to_default_asset_events(
                manifest=manifest, dagster_dbt_translator=translator, context=context
            )
        else:
            outcome = item
    worker.join()
    if isinstance(outcome, BaseException):
        raise outcome
    if outcome is None or not outcome.success:
        detail = "\n".join(_failures(outcome)) or str(getattr(outcome, "exception", "")) or "?"
        raise DbtBuildFailed(f"dbt {' '.join(args)} failed:\n{detail}")
