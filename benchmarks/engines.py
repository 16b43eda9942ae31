"""Build time and peak memory per engine (issue 17), side by side on the same landing files.

    python -m benchmarks.engines --events 100000 [--sessions 100] [--root DIR]

Generates the events once, then for each engine copies the landing zone into a fresh
data dir and times `achilles run` there (the whole job: landing, dbt, the export and
load on Spark, insights, publish). Peak memory is the largest resident set of any
process of the run (the JVM on Spark), from the kernel's accounting of the finished
child. On Spark it also counts the Parquet files of each table. Needs `achilles[spark]`
and Java for the Spark engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from achilles.generate.driver import generate

ENGINES = ("duckdb", "spark_session")


def measure(engine: str, landing: Path, root: Path) -> dict[str, Any]:
    data = root / engine / "data"
    shutil.rmtree(data.parent, ignore_errors=True)
    shutil.copytree(landing, data / "landing")
    env = {**os.environ, "ACHILLES_ENGINE": engine, "ACHILLES_DATA_DIR": str(data)}
    command = [str(Path(sys.executable).parent / "achilles"), "run", "--data-dir", str(data)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{engine}: achilles run failed; see {data}/logs/pipeline.log")
    result: dict[str, Any] = {
        "build_s": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }
    tables = data / "warehouse" / "spark" / "tables" / "achilles.db"
    if tables.is_dir():
        result["files_per_table"] = {
            t.name: sum(1 for _ in t.rglob("*.parquet")) for t in sorted(tables.iterdir())
        }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--root", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    args = parser.parse_args(argv)
    root = args.root or Path(tempfile.mkdtemp(prefix="achilles-engines-"))
    source = root / "source"
    shutil.rmtree(source, ignore_errors=True)
    generate(source / "events", args.sessions, seed=7, target_events=args.events)
    report = {
        "events": args.events,
        "sessions": args.sessions,
        **{e: measure(e, source, root) for e in args.engines.split(",")},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
