"""`achilles bench`: ingest, build, incremental, read and scale figures in one report.

    python -m benchmarks.bench --events 1000000 [--out report.json] [--seed 0] [--keep]

Everything runs in a scratch folder, `<data_dir>/bench/work/`, never in the data
dir's own landing zone or warehouse. What is measured, in order:

1. ingest   — `benchmarks/ingest.py`: the same 500-event batches (a bounded number,
              `ingest_batches`) validated, hashed, deduplicated and durably landed
              (temp file, fsync, rename, fsync dir) in one process (the ceiling), and
              POSTed to a real uvicorn server with INGEST_WORKERS workers (the
              production recommendation on this 2-core machine: one worker per core)
              by 4 client threads of this process.
2. scale    — N/10 generated events, `dbt build --full-refresh` (the CLI, as the
              pipeline runs it: data tests included, unit tests excluded, at the
              build's niceness) on a fresh warehouse: `scale.small_s`.
3. build    — N generated events, the same `dbt build --full-refresh`: `build.full_s`
              (wall time of the dbt process, including dbt's ~4 s start-up) and the
              peak RSS of the dbt process tree (polled from /proc every 0.1 s).
              `hand_sql.sql` on the same landing files into a fresh DuckDB file:
              `build.hand_sql_s`, and its rows are compared with the dbt marts.
4. read     — the warehouse is published; a real server (INGEST_WORKERS workers)
              answers a steady, rate-bounded loop over the five session read
              endpoints for `read_idle_s` (idle), then while the whole Dagster job
              (landing compaction -> dbt build -> insights -> publish) rebuilds a fresh
              warehouse: `build.dagster_s`, `read.p95_during_build_ms`.
              Between the two, the dashboard's pages are fetched a few rounds
              (`ui.p95_ms`).
   insights — the insight step (orchestration/graphs, no narration) on the warehouse
              of the full build, in this process, right after that build (before the
              hand-written script): `insights.first_pass_s` (every session is new to it).
5. incremental — 1 % more events (new sessions, another seed, after the last ones)
              are appended to the landing zone; the same `dbt build` without
              --full-refresh on the built warehouse: `build.incremental_s`; reads keep
              running (`read.p95_during_incremental_ms`). Then the insight step again:
              `insights.incremental_s` (only the sessions whose marts rows changed).
6. reads under ingest — the same read loop while another process
              (`benchmarks/ingest_load.py`) posts 500-event batches at a steady
              UNDER_INGEST_RATE events/s for `read_idle_s`: first reading from the
              ingest server itself (`read.p95_under_ingest_shared_ms`), then from a
              read-only server beside it (`achilles serve --read-only`, a process of
              its own): `read.p95_under_ingest_ms`. Last, so the load's events do not
              change the builds measured before.
7. freshness — `benchmarks/freshness.py` on the same data dir: the production
              scheduling (`achilles daemon`, default sensor interval) and an ingest
              server, a steady FRESHNESS_RATE events/s, and a marker session every
              10 s whose third identical failure trips `repeated_error`. From each
              marker's 2xx to its session summary and its insight in
              `/v1/insights/recent`: `freshness.p50_s`, `freshness.p95_s`. Skipped
              (None) without the Dagster job or with `freshness_s` 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from achilles.generate import GenerateStats

REPO = Path(__file__).resolve().parent.parent
INGEST_WORKERS = 2  # uvicorn workers: one per core on the 2-core reference machine
READ_RATE_HZ = 20.0  # requests per second of the read loop (bounded, not a stress test)
READ_SESSIONS = 40
# Events/s of the ingest load while reads are measured (issue 13: reads went from a
# p95 of 25 ms to 429 ms under 13,000 events/s).
UNDER_INGEST_RATE = 13_000.0
FRESHNESS_RATE = 1_000.0  # events/s of live ingest while freshness is measured (#16)
EVENTS_PER_SESSION = 1000  # generator sessions = N / this (mean session ~1,000 events)

# (dotted key, comparison, threshold, text)
TARGETS: list[tuple[str, str, float, str]] = [
    ("ingest.ratio", ">=", 0.5, ">= 0.5"),
    # OTLP receiver (#12): spans sent by the real OTel SDK exporter -> landed.
    ("otlp.spans_per_s", ">=", 40_000.0, ">= 40,000 spans/s"),
    ("otlp.spans_lost", "<=", 0.0, "0 spans lost"),
    ("build.ratio", "<=", 2.0, "<= 2.0 at 10M events"),
    ("build.peak_rss_mb", "<=", 4096.0, "<= 4096 MB (4 GiB)"),
    ("build.incremental_ratio", "<=", 0.1, "<= 0.1"),
    ("insights.first_pass_s", "<=", 30.0, "<= 30 s at 10M events"),
    ("freshness.p95_s", "<=", 60.0, "<= 60 s at 1,000 events/s"),
    ("read.p95_during_build_ms", "<", 50.0, "< 50 ms"),
    ("read.p95_under_ingest_ms", "<", 50.0, "< 50 ms"),
    ("ui.p95_ms", "<", 300.0, "< 300 ms at 10M events"),
    ("scale.ratio", "<=", 11.0, "<= 11 (10x events)"),
    ("import.ratio", ">=", 0.5, ">= 0.5 (orjson parsing alone = 1)"),
    ("import.reimport_unchanged_s", "<", 2.0, "< 2 s for ~1,000 unchanged files"),
]

# Keys every report has (the test checks them).
REPORT_KEYS = [
    "ingest.http_events_per_s",
    "ingest.inprocess_events_per_s",
    "ingest.ratio",
    "ingest.p95_batch_ms",
    "otlp.spans_per_s",
    "otlp.client_ceiling_spans_per_s",
    "build.full_s",
    "build.hand_sql_s",
    "build.hand_sql_equal",
    "build.ratio",
    "build.peak_rss_mb",
    "build.incremental_s",
    "build.incremental_ratio",
    "build.dagster_s",
    "insights.first_pass_s",
    "insights.incremental_s",
    "freshness.p50_s",
    "freshness.p95_s",
    "read.p95_ms",
    "read.p95_during_build_ms",
    "read.p95_under_ingest_ms",
    "ui.p95_ms",
    "scale.small_s",
    "scale.full_s",
    "scale.ratio",
    "import.lines_per_s",
    "import.parse_ceiling_lines_per_s",
    "import.ratio",
    "import.reimport_unchanged_s",
]


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _p95_ms(samples: list[float]) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0] * 1000
    return statistics.quantiles(samples, n=20, method="inclusive")[-1] * 1000


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    out += [int(c) for c in f.read().split()]
            except (FileNotFoundError, ProcessLookupError):
                pass
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kb(p)
        stack += _children(p)
    return total / 1024


class PeakRSS:
    """Polls the RSS of a process tree in a thread; `.peak_mb` is the largest seen."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores, from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_measured(
    cmd: list[str], env: dict[str, str], log_path: Path, cwd: Path = REPO, nice: int = 0
) -> dict:
    """Run a command to completion: wall seconds, exit code, peak tree RSS, and the CPU
    it used vs. what the rest of the machine used meanwhile (`other_cpu_s`: load from
    outside the measured process tree; the bench's own read loop counts there too).
    `nice`: the child's CPU niceness, as the pipeline gives its dbt process."""
    busy0, child0 = _busy_cpu_s(), _children_cpu_s()
    t0 = time.perf_counter()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(nice)) if nice > 0 else None,
        )
        with PeakRSS(proc.pid) as rss:
            code = proc.wait()
    seconds = time.perf_counter() - t0
    cpu = _children_cpu_s() - child0
    return {
        "seconds": seconds,
        "returncode": code,
        "peak_rss_mb": rss.peak_mb,
        "cpu_s": round(cpu, 1),
        "other_cpu_s": round(max(0.0, _busy_cpu_s() - busy0 - cpu), 1),
    }


# ---------------------------------------------------------------------------
# dbt, Dagster, generator
# ---------------------------------------------------------------------------


class Bench:
    def __init__(self, settings: Any, work: Path, echo: Callable[[str], Any]):
        from orchestration.project import DBT_EXECUTABLE, DBT_PROJECT_DIR

        self.settings = settings
        self.work = work
        self.echo = echo
        self.dbt = str(DBT_EXECUTABLE)
        self.project = DBT_PROJECT_DIR
        self.target = work / "dbt_target"
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def data_settings(self, data_dir: Path) -> Any:
        return self.settings.model_copy(update={"data_dir": data_dir.resolve()})

    def dbt_env(self, data_dir: Path) -> dict[str, str]:
        from orchestration.project import dbt_env

        env = dbt_env(self.data_settings(data_dir))
        env["DBT_TARGET_PATH"] = str(self.target)
        env["DBT_LOG_PATH"] = str(self.logs / "dbt")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def dbt_vars(self) -> str:
        return json.dumps(
            {
                "dedupe_window_s": self.settings.dedupe_window_s,
                "correlation_window_s": self.settings.correlation_window_s,
            }
        )

    def dbt_cmd(self, command: str, *extra: str) -> list[str]:
        return [
            self.dbt,
            command,
            "--project-dir",
            str(self.project),
            "--profiles-dir",
            str(self.project),
            *extra,
        ]

    def dbt_parse(self, data_dir: Path) -> None:
        """Untimed: the timed builds then start with a warm partial-parse cache."""
        (data_dir / "warehouse").mkdir(parents=True, exist_ok=True)
        cmd = self.dbt_cmd("parse", "--quiet", "--vars", self.dbt_vars())
        subprocess.run(cmd, env=self.dbt_env(data_dir), cwd=REPO, capture_output=True, check=False)

    def dbt_build(self, data_dir: Path, label: str, full_refresh: bool) -> dict:
        """`dbt build` as the pipeline runs it: data tests included, unit tests (which
        check the SQL on fixed inputs, not the data) excluded, dbt's log file at
        warnings, at the build's niceness (run_results.json is kept: the report reads it)."""
        (data_dir / "warehouse").mkdir(parents=True, exist_ok=True)
        extra = ["--exclude-resource-type", "unit_test", "--log-level-file", "warn"]
        extra += ["--vars", self.dbt_vars()]
        extra += ["--full-refresh"] if full_refresh else []
        result = run_measured(
            self.dbt_cmd("build", *extra),
            self.dbt_env(data_dir),
            self.logs / f"dbt-{label}.log",
            nice=self.settings.build_nice,
        )
        result["dbt"] = self.run_results(label)
        result["dbt"]["cpu_s"] = result["cpu_s"]
        result["dbt"]["other_cpu_s"] = result["other_cpu_s"]
        if result["returncode"] != 0:
            raise RuntimeError(
                f"dbt build ({label}) failed with {result['returncode']}; see "
                f"{self.logs / f'dbt-{label}.log'}"
            )
        return result

    def run_results(self, label: str) -> dict[str, Any]:
        """dbt's own elapsed time and its slowest nodes, kept beside the log."""
        path = self.target / "run_results.json"
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        shutil.copy(path, self.logs / f"run_results-{label}.json")
        nodes = sorted(data["results"], key=lambda r: -r["execution_time"])
        models = [r for r in nodes if r["unique_id"].startswith("model.")]
        tests = [r for r in nodes if not r["unique_id"].startswith("model.")]
        return {
            "elapsed_s": round(data.get("elapsed_time", 0.0), 2),
            "models_s": {
                r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in models
            },
            "tests_total_s": round(sum(r["execution_time"] for r in tests), 2),
            "slowest_tests_s": {
                r["unique_id"].split(".", 2)[-1][:60]: round(r["execution_time"], 2)
                for r in tests[:3]
            },
        }

    def dagster_job(self, data_dir: Path) -> dict:
        """The whole Dagster job (run_pipeline), in a child process so its tree is measured."""
        env = {
            **os.environ,
            "ACHILLES_DATA_DIR": str(data_dir.resolve()),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        code = (
            "import sys\n"
            "from achilles_core.settings import Settings\n"
            "from orchestration.pipeline import run_pipeline\n"
            "ok = run_pipeline(Settings(data_dir=sys.argv[1]), quiet=True)\n"
            "sys.exit(0 if ok else 1)\n"
        )
        return run_measured(
            [sys.executable, "-c", code, str(data_dir.resolve())], env, self.logs / "dagster.log"
        )

    @staticmethod
    def dagster_steps(data_dir: Path) -> dict[str, float]:
        """Seconds per step of the newest Dagster run, from the instance's event log."""
        import sqlite3

        runs = sorted(
            (data_dir / "dagster_home" / "history" / "runs").glob("*-*.db"),
            key=lambda p: p.stat().st_mtime,
        )
        if not runs:
            return {}
        con = sqlite3.connect(runs[-1])
        try:
            rows = con.execute(
                "select dagster_event_type, step_key, timestamp from event_logs where "
                "dagster_event_type in ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE') order by id"
            ).fetchall()
        except sqlite3.Error:
            return {}
        finally:
            con.close()
        starts: dict[str, datetime] = {}
        out: dict[str, float] = {}
        for kind, step, ts in rows:
            at = datetime.fromisoformat(ts)
            if kind == "STEP_START":
                starts[step] = at
            elif step in starts:
                out[step] = round((at - starts[step]).total_seconds(), 2)
        return out

    def generate(
        self,
        data_dir: Path,
        events: int,
        seed: int,
        start: datetime | None = None,
        sessions: int | None = None,
    ) -> GenerateStats:
        from achilles.generate import generate

        sessions = sessions or max(4, events // EVENTS_PER_SESSION)
        return generate(
            data_dir / "landing" / "events",
            sessions,
            seed,
            target_events=events,
            start=start,
            workers=max(1, min(2, os.cpu_count() or 1)),
        )


# ---------------------------------------------------------------------------
# Read loop
# ---------------------------------------------------------------------------

ENDPOINTS = ("", "/events", "/errors", "/correlations", "/agent-performance")


class ReadLoop:
    """GETs the session read endpoints at a steady rate; latencies per phase."""

    def __init__(self, base_url: str, session_ids: list[str], rate_hz: float = READ_RATE_HZ):
        self.base_url = base_url
        self.paths = [f"/v1/sessions/{sid}{ep}" for sid in session_ids for ep in ENDPOINTS]
        self.interval = 1.0 / rate_hz
        self.phase = "warmup"
        self.samples: dict[str, list[tuple[str, float]]] = {}
        self.errors: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        headers = {"Authorization": "Bearer dev-key"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=30) as http:
            i, next_at = 0, time.perf_counter()
            while not self._stop.is_set():
                path = self.paths[i % len(self.paths)]
                endpoint = ENDPOINTS[i % len(ENDPOINTS)] or "/"
                i += 1
                phase = self.phase
                t0 = time.perf_counter()
                try:
                    ok = http.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - t0
                if ok:
                    self.samples.setdefault(phase, []).append((endpoint, took))
                else:
                    self.errors[phase] = self.errors.get(phase, 0) + 1
                next_at = max(next_at + self.interval, time.perf_counter())
                self._stop.wait(max(0.0, next_at - time.perf_counter()))

    def start(self) -> ReadLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def stats(self, phase: str) -> dict[str, Any]:
        samples = self.samples.get(phase, [])
        times = [t for _, t in samples]
        by_ep: dict[str, list[float]] = {}
        for ep, t in samples:
            by_ep.setdefault(ep, []).append(t)
        return {
            "requests": len(times),
            "errors": self.errors.get(phase, 0),
            "p50_ms": _round(statistics.median(times) * 1000) if times else None,
            "p95_ms": _round(_p95_ms(times)),
            "max_ms": _round(max(times) * 1000) if times else None,
            "p95_ms_by_endpoint": {ep: _round(_p95_ms(v)) for ep, v in sorted(by_ep.items())},
        }


def _ingest_load(url: str, seconds: float, out: Path, echo: Callable[[str], Any]) -> dict:
    """`benchmarks/ingest_load.py` in its own process: UNDER_INGEST_RATE events/s to `url`."""
    echo(f"[read] under {UNDER_INGEST_RATE:,.0f} events/s of ingest for {seconds:.0f} s")
    cmd = [sys.executable, "-m", "benchmarks.ingest_load", url]
    cmd += ["--rate", str(UNDER_INGEST_RATE), "--seconds", str(seconds), "--out", str(out)]
    cmd += ["--prefix", out.stem]  # new sessions for each load
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"ingest load failed: {run.stderr[-2000:]}")
    result: dict = json.loads(out.read_text())
    return result


# Dashboard pages (#14), each fetched UI_ROUNDS times after one warm-up round.
UI_PAGES = (
    "/ui",
    "/ui/sessions",
    "/ui/sessions?sort=cost&order=desc",
    "/ui/sessions?failures=yes",
    "/ui/clusters",
    "/ui/agents",
    "/ui/incidents",
)
UI_ROUNDS = 5


def measure_ui(base_url: str, session_ids: list[str], rounds: int = UI_ROUNDS) -> dict[str, Any]:
    """Latency of the dashboard's pages (server-side render, HTML only: the browser's
    drawing is not counted), the list pages plus one timeline per picked session."""
    paths = [*UI_PAGES, *(f"/ui/sessions/{sid}" for sid in session_ids)]
    times: list[float] = []
    by_page: dict[str, list[float]] = {}
    errors = 0
    headers = {"Authorization": "Bearer dev-key"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for path in paths:
            http.get(path)  # warm-up: first snapshot open, template compile
        for _ in range(rounds):
            for path in paths:
                t0 = time.perf_counter()
                ok = http.get(path).status_code == 200
                took = time.perf_counter() - t0
                if not ok:
                    errors += 1
                    continue
                times.append(took)
                page = "/ui/sessions/{id}" if path.count("/") == 3 else path.split("?")[0]
                by_page.setdefault(page, []).append(took)
    return {
        "p95_ms": _round(_p95_ms(times)),
        "p50_ms": _round(statistics.median(times) * 1000) if times else None,
        "max_ms": _round(max(times) * 1000) if times else None,
        "requests": len(times),
        "errors": errors,
        "p95_ms_by_page": {p: _round(_p95_ms(v)) for p, v in sorted(by_page.items())},
    }


def pick_sessions(published: Path, n: int = READ_SESSIONS) -> list[str]:
    """A fixed spread of sessions (pseudo-random by id hash) plus the longest one."""
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        sampled = con.execute(
            "select session_id from sessions order by md5(session_id) limit ?", [n - 1]
        ).fetchall()
        ids = [r[0] for r in sampled]
        longest = con.execute(
            "select session_id from sessions order by event_count desc, session_id limit 1"
        ).fetchone()
    finally:
        con.close()
    if longest and longest[0] not in ids:
        ids.append(longest[0])
    return ids


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def measure_insights(settings: Any) -> dict[str, Any]:
    """One pass of the insight step on the build warehouse: seconds and what it did."""
    import duckdb

    from orchestration.graphs.graph import run_insights

    con = duckdb.connect(
        str(settings.build_db), config={"memory_limit": settings.duckdb_memory_limit}
    )
    try:
        t = time.perf_counter()
        totals = run_insights(con, settings.insight.model_copy(update={"llm_provider": "none"}))
        seconds = time.perf_counter() - t
    finally:
        con.close()
    keys = ("sessions_evaluated", "detected", "new", "changed", "resolved")
    return {"seconds": _round(seconds), **{k: totals[k] for k in keys}}


def _round(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


def _get(report: dict, dotted: str) -> Any:
    cur: Any = report
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def judge(report: dict) -> list[dict[str, Any]]:
    out = []
    for key, op, threshold, text in TARGETS:
        value = _get(report, key)
        if value is None:
            ok = None
        elif op == ">=":
            ok = value >= threshold
        elif op == "<=":
            ok = value <= threshold
        else:
            ok = value < threshold
        out.append(
            {
                "key": key,
                "target": text,
                "value": value,
                "status": "n/a" if ok is None else ("pass" if ok else "miss"),
            }
        )
    return out


def format_table(report: dict) -> str:
    targets = {t["key"]: t for t in report.get("targets", [])}
    lines = [
        f"Achilles bench — {report['meta']['events_generated']:,} events "
        f"({report['meta']['sessions']:,} sessions), {report['meta']['cpus']} cores",
        f"{'figure':<32} {'value':>14}  {'target':<22} status",
        "-" * 78,
    ]
    for key in REPORT_KEYS:
        value = _get(report, key)
        if isinstance(value, bool) or value is None:
            shown = str(value)
        elif isinstance(value, float):
            shown = f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
        else:
            shown = f"{value:,}"
        t = targets.get(key)
        lines.append(
            f"{key:<32} {shown:>14}  {(t['target'] if t else ''):<22} {t['status'] if t else ''}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def run_bench(
    settings: Any,
    events: int,
    out: Path | None = None,
    seed: int = 0,
    echo: Callable[[str], Any] = print,
    *,
    ingest_batches: int = 300,
    read_idle_s: float = 10.0,
    dagster: bool = True,
    keep: bool = False,
    import_copies: int = 170,
    freshness_s: float = 180.0,
) -> dict[str, Any]:
    """Run every benchmark at `events` events; write the JSON report and return it.

    `settings` gives the data dir (scratch space and default report path:
    `<data_dir>/bench/report.json`) and the dbt vars (dedupe and correlation
    windows). The scratch folder `<data_dir>/bench/work` is removed at the end
    unless `keep`. `dagster=False` skips the Dagster job (the test does, to stay
    fast): `build.dagster_s` is then None and `read.p95_during_build_ms` is measured
    during the incremental dbt build instead.
    """
    from benchmarks import hand_sql, import_bench, ingest
    from orchestration.publish import publish

    if events < 100:
        raise ValueError("events must be at least 100")
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    data_dir = Path(settings.data_dir).resolve()
    bench_dir = data_dir / "bench"
    work = bench_dir / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    out = Path(out) if out else bench_dir / "report.json"
    b = Bench(settings, work, echo)
    report: dict[str, Any] = {
        "meta": {
            "events_requested": events,
            "seed": seed,
            "started_at": started.isoformat(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(),
            "work_dir": str(work),
            "logs": str(b.logs),
            "notes": {
                "ingest": f"{ingest_batches} batches of {ingest.BATCH} events; HTTP: uvicorn "
                f"with {INGEST_WORKERS} workers (one per core, the production recommendation "
                "here), 4 client threads in the bench process on the same machine",
                "build.full_s": "`dbt build --full-refresh --exclude-resource-type unit_test` "
                "via the dbt CLI on a fresh warehouse (data tests included), wall time of the "
                "dbt process (start-up included)",
                "build.dagster_s": "the whole Dagster job (run_pipeline: compaction, dbt "
                "build, insights, publish) on a fresh warehouse, in a child process",
                "build.hand_sql_s": "benchmarks/hand_sql.sql in one DuckDB connection to a "
                "fresh file, from the same landing files",
                "build.incremental_s": "the same `dbt build` without --full-refresh after "
                "appending 1 % more events (new sessions) to the built warehouse",
                "insights": "run_insights (no narration) in the bench process on the build "
                "warehouse: first_pass_s after the full dbt build, incremental_s after the "
                "incremental one (import of the step excluded)",
                "read": f"{READ_RATE_HZ:.0f} req/s steady loop over GET /v1/sessions/{{id}}"
                "[, /events, /errors, /correlations, /agent-performance] for "
                f"{READ_SESSIONS} sessions; server with {INGEST_WORKERS} workers",
                "read.p95_under_ingest_ms": "the same read loop against a read-only server "
                "(`achilles serve --read-only`, 1 worker) while a separate process posts "
                f"500-event batches at {UNDER_INGEST_RATE:,.0f} events/s to the ingest server "
                f"({INGEST_WORKERS} workers; benchmarks/ingest_load.py); "
                "read.p95_under_ingest_shared_ms: the same, reading from the ingest server",
                "scale.small_s": "same as build.full_s at N/10 events",
                "ui": f"GET of the dashboard's pages ({', '.join(UI_PAGES)}, and "
                "/ui/sessions/{id} for the read sessions), "
                f"{UI_ROUNDS} rounds after a warm-up, one client, while the read loop runs",
            },
        }
    }

    def save() -> None:
        report["targets"] = judge(report)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(json.dumps(report, indent=2, default=str))
        os.replace(tmp, out)

    # 1. Ingest ------------------------------------------------------------
    echo(f"[ingest] {ingest_batches} batches x {ingest.BATCH} events")
    batches = ingest.make_batches(ingest_batches)
    ip = ingest.inprocess(work / "ingest-inprocess", batches)
    http = ingest.over_http(work / "ingest-http", batches, workers=INGEST_WORKERS)
    report["ingest"] = {
        "batches": ingest_batches,
        "batch_events": ingest.BATCH,
        "workers": INGEST_WORKERS,
        "http_events_per_s": round(http["events_per_s"]),
        "inprocess_events_per_s": round(ip["events_per_s"]),
        "ratio": round(http["events_per_s"] / ip["events_per_s"], 3),
        "p95_batch_ms": _round(http["p95_batch_ms"]),
        "inprocess_p95_batch_ms": _round(ip["p95_batch_ms"]),
    }
    for d in ("ingest-inprocess", "ingest-http"):
        shutil.rmtree(work / d, ignore_errors=True)
    echo(f"[ingest] http {http['events_per_s']:,.0f}/s, in-process {ip['events_per_s']:,.0f}/s")
    save()

    # 1b. Import of real agent logs (benchmarks/import_bench.py) ----------
    report["import"] = import_bench.run_import_bench(work, import_copies, echo)
    shutil.rmtree(work / "import-corpus", ignore_errors=True)
    shutil.rmtree(work / "import-data", ignore_errors=True)
    save()

    # 1c. OTLP spans, sent by the real OTel SDK exporter -> landed ------------
    from benchmarks import otlp_spans

    n_spans = min(max(events // 5, 2_000), 200_000)
    echo(f"[otlp] {n_spans:,} GenAI spans through the OTel SDK exporter")
    report["otlp"] = otlp_spans.measure(n_spans, workers=INGEST_WORKERS)
    otlp = report["otlp"]
    echo(
        f"[otlp] {otlp['spans_per_s']:,}/s, lost {otlp['spans_lost']:,}; the exporters alone, "
        f"against a receiver that does nothing: {otlp['client_ceiling_spans_per_s']:,}/s"
    )
    save()

    # 2. Scale: N/10 -------------------------------------------------------
    small_dir, full_dir = work / "small", work / "full"
    small_n = max(100, events // 10)
    echo(f"[scale] generating {small_n:,} events")
    gs = b.generate(small_dir, small_n, seed)
    b.dbt_parse(small_dir)
    echo("[scale] dbt build --full-refresh (N/10)")
    small = b.dbt_build(small_dir, "small", full_refresh=True)
    report["scale"] = {
        "small_events": gs.events,
        "small_s": _round(small["seconds"]),
        "small_dbt": small["dbt"],
    }
    shutil.rmtree(small_dir, ignore_errors=True)
    echo(f"[scale] {small['seconds']:.1f} s")
    save()

    # 3. Full build and the hand-written limit ------------------------------
    echo(f"[build] generating {events:,} events")
    gen = b.generate(full_dir, events, seed)
    report["meta"].update(
        events_generated=gen.events,
        sessions=gen.sessions,
        landing_files=gen.files,
        landing_mb=round(gen.bytes_written / 2**20, 1),
        generate_s=_round(gen.elapsed_s),
    )
    echo(f"[build] {gen.events:,} events in {gen.elapsed_s:.1f} s; dbt build --full-refresh")
    b.dbt_parse(full_dir)
    full = b.dbt_build(full_dir, "full", full_refresh=True)
    echo(f"[build] dbt {full['seconds']:.1f} s, peak RSS {full['peak_rss_mb']:.0f} MB")
    fs = b.data_settings(full_dir)
    # The insight step's first pass, right after the build as the pipeline runs it: the
    # hand-written script below fills memory and the page cache with a copy of its own
    # (measured after it, the first pass at 10 M read the warehouse cold: +2.4 s).
    first_pass = measure_insights(fs)
    echo("[build] hand SQL")
    hand_db = work / "hand.duckdb"
    hand_s = hand_sql.run_hand_sql(
        fs.events_dir, hand_db, settings.dedupe_window_s, settings.correlation_window_s
    )
    cmp = hand_sql.compare(hand_db, fs.build_db)
    hand_db.unlink(missing_ok=True)
    report["build"] = {
        "full_s": _round(full["seconds"]),
        "full_dbt": full["dbt"],
        "hand_sql_s": _round(hand_s),
        "hand_sql_equal": cmp["equal"],
        "hand_sql_compare": cmp["tables"],
        "ratio": _round(full["seconds"] / hand_s),
        "peak_rss_mb": _round(full["peak_rss_mb"], 0),
    }
    report["scale"].update(
        full_events=gen.events,
        full_s=_round(full["seconds"]),
        ratio=_round(full["seconds"] / small["seconds"]),
    )
    echo(f"[build] hand SQL {hand_s:.1f} s, equal to the dbt marts: {cmp['equal']}")
    save()

    # 3b. The insight step's first pass over every session (measured above) ---------
    report["insights"] = {"first_pass_s": first_pass.pop("seconds"), "first_pass": first_pass}
    echo(
        f"[insights] first pass {report['insights']['first_pass_s']} s, "
        f"{first_pass['sessions_evaluated']:,} sessions"
    )
    save()

    # 4. Reads, idle and during the Dagster job -----------------------------
    from achilles.server import ServerProcess

    t = time.perf_counter()
    publish(fs)
    report["build"]["publish_s"] = _round(time.perf_counter() - t)
    sessions = pick_sessions(fs.published_db)
    with ServerProcess(full_dir, workers=INGEST_WORKERS, log_path=b.logs / "server.log") as srv:
        loop = ReadLoop(srv.url, sessions).start()
        try:
            time.sleep(min(3.0, read_idle_s / 3))  # warm-up: connections, first opens
            loop.phase = "idle"
            echo(f"[read] idle for {read_idle_s:.0f} s")
            time.sleep(read_idle_s)
            loop.phase = "ui"
            report["ui"] = measure_ui(srv.url, sessions)
            echo(f"[ui] dashboard pages p95 {report['ui']['p95_ms']} ms (reads still running)")
            save()
            if dagster:
                loop.phase = "build"
                for p in (fs.build_db, fs.build_db.with_name(fs.build_db.name + ".wal")):
                    p.unlink(missing_ok=True)  # a fresh warehouse for the Dagster job
                echo("[build] Dagster job (fresh warehouse) with reads running")
                dj = b.dagster_job(full_dir)
                loop.phase = "between"
                report["build"].update(
                    dagster_s=_round(dj["seconds"]),
                    dagster_ok=dj["returncode"] == 0,
                    dagster_peak_rss_mb=_round(dj["peak_rss_mb"], 0),
                    dagster_steps_s=b.dagster_steps(full_dir),
                    dagster_cpu_s=dj["cpu_s"],
                )
                echo(f"[build] Dagster job {dj['seconds']:.1f} s (ok: {dj['returncode'] == 0})")
            else:
                report["build"].update(dagster_s=None, dagster_ok=None, dagster_peak_rss_mb=None)
            save()

            # 5. Incremental ------------------------------------------------
            inc_n = max(8, gen.events // 100)
            last = gen.last_timestamp or datetime(2026, 1, 1, tzinfo=UTC)
            echo(f"[incremental] appending {inc_n:,} events")
            ginc = b.generate(
                full_dir,
                inc_n,
                seed + 1_000_003,
                start=last + timedelta(minutes=10),
                sessions=max(1, gen.sessions // 100),
            )
            loop.phase = "incremental"
            inc = b.dbt_build(full_dir, "incremental", full_refresh=False)
            loop.phase = "done"
            inc_insights = measure_insights(fs)
            report["insights"].update(
                incremental_s=inc_insights.pop("seconds"), incremental=inc_insights
            )
            echo(
                f"[insights] incremental {report['insights']['incremental_s']} s, "
                f"{inc_insights['sessions_evaluated']:,} sessions"
            )

            # 6. Reads under ingest -----------------------------------------
            # First against the ingest server itself, then against a read-only server
            # (a process of its own, the recommended layout) while the load goes to the
            # ingest server.
            loop.phase = "ingest"
            load_shared = _ingest_load(srv.url, read_idle_s, work / "load-shared.json", echo)
            loop.phase = "after_ingest"
        finally:
            loop.stop()
    with (
        ServerProcess(
            full_dir, workers=INGEST_WORKERS, log_path=b.logs / "server-ingest.log"
        ) as ingest_srv,
        ServerProcess(
            full_dir,
            workers=1,
            env={"ACHILLES_READ_ONLY": "true"},
            log_path=b.logs / "server-read.log",
        ) as read_srv,
    ):
        read_loop = ReadLoop(read_srv.url, sessions).start()
        try:
            time.sleep(2.0)  # warm-up
            read_loop.phase = "ingest"
            load = _ingest_load(ingest_srv.url, read_idle_s, work / "load-separate.json", echo)
            read_loop.phase = "done"
        finally:
            read_loop.stop()
    report["build"].update(
        incremental_events=ginc.events,
        incremental_s=_round(inc["seconds"]),
        incremental_dbt=inc["dbt"],
        incremental_ratio=_round(inc["seconds"] / full["seconds"], 3),
        incremental_peak_rss_mb=_round(inc["peak_rss_mb"], 0),
    )
    idle, during, during_inc = loop.stats("idle"), loop.stats("build"), loop.stats("incremental")
    if not dagster:
        during = during_inc
        report["meta"]["notes"]["read.p95_during_build_ms"] = (
            "Dagster job skipped: measured during the incremental dbt build"
        )
    under_ingest, shared = read_loop.stats("ingest"), loop.stats("ingest")
    report["read"] = {
        "p95_ms": idle["p95_ms"],
        "p95_during_build_ms": during["p95_ms"],
        "p95_during_incremental_ms": during_inc["p95_ms"],
        "p95_under_ingest_ms": under_ingest["p95_ms"],
        "p95_under_ingest_shared_ms": shared["p95_ms"],
        "idle": idle,
        "during_build": during,
        "during_incremental": during_inc,
        "under_ingest": {
            **under_ingest,
            "ingest_events_per_s": _round(load["events_per_s"], 0),
            "ingest_target_events_per_s": load["target_events_per_s"],
            "ingest_failed_requests": load["failed_requests"],
            "server": "read-only server (1 worker), load to the ingest server",
        },
        "under_ingest_shared": {
            **shared,
            "ingest_events_per_s": _round(load_shared["events_per_s"], 0),
            "ingest_failed_requests": load_shared["failed_requests"],
            "server": f"the ingest server itself ({INGEST_WORKERS} workers)",
        },
        "sessions": len(sessions),
        "rate_hz": READ_RATE_HZ,
    }
    echo(
        f"[incremental] {inc['seconds']:.1f} s; reads p95 idle {idle['p95_ms']} ms, "
        f"during build {during['p95_ms']} ms; under ingest {under_ingest['p95_ms']} ms from "
        f"a read-only server ({load['events_per_s']:,.0f} events/s landed), "
        f"{shared['p95_ms']} ms from the ingest server itself"
    )

    # 7. Freshness under live ingest, with the production scheduling -------
    if dagster and freshness_s > 0:
        from benchmarks.freshness import run_freshness

        report["freshness"] = run_freshness(
            full_dir, b.logs, echo, rate=FRESHNESS_RATE, seconds=freshness_s
        )
    else:
        report["freshness"] = {"p50_s": None, "p95_s": None, "skipped": True}
    save()

    report["meta"]["duration_s"] = _round(time.perf_counter() - t_start)
    report["meta"]["report"] = str(out)
    save()
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    echo("")
    echo(format_table(report))
    echo(f"\nreport: {out}")
    return report


def main(argv: list[str] | None = None) -> int:
    from achilles_core.settings import Settings

    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--ingest-batches", type=int, default=300)
    p.add_argument("--read-idle-s", type=float, default=10.0)
    p.add_argument("--no-dagster", action="store_true", help="skip the Dagster job")
    p.add_argument("--freshness-s", type=float, default=180.0, help="seconds of markers (0: skip)")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = p.parse_args(argv)
    settings = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})

    def echo(msg: str) -> None:
        print(msg, flush=True)

    report = run_bench(
        settings,
        args.events,
        args.out,
        args.seed,
        echo,
        ingest_batches=args.ingest_batches,
        read_idle_s=args.read_idle_s,
        dagster=not args.no_dagster,
        keep=args.keep,
        freshness_s=args.freshness_s,
    )
    return 0 if report["build"]["hand_sql_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
