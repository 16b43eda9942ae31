"""The hand-written limit for the build: `hand_sql.sql` run by DuckDB alone.

`run_hand_sql()` computes the marts from the landing zone into a fresh DuckDB
file (no dbt, no Dagster) and returns the elapsed time; `compare()` checks, mart
by mart, that its rows equal the rows dbt built (EXCEPT ALL both ways over every
column of the dbt table, plus row counts).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb

from orchestration.publish import DBT_MARTS

SCRIPT = Path(__file__).with_name("hand_sql.sql")

# The marts whose rules the hand-written script still re-implements exactly. The
# usage marts are priced by a Python model (genai-prices); the error clusters,
# correlations and agent performance follow issue 10's rules (normalisation of
# runner output, the change_set and self correlators), which the script predates.
MARTS = ("events", "sessions")
NOT_COMPARED = tuple(t for t in DBT_MARTS if t not in MARTS)


def us(seconds: float) -> int:
    """The dbt macro seconds_to_us: round(seconds * 1e6) as an integer."""
    return int(round(float(seconds) * 1_000_000))


def render(landing_glob: str, dedupe_window_s: float, correlation_window_s: float) -> str:
    return (
        SCRIPT.read_text()
        .replace("{landing_glob}", landing_glob.replace("'", "''"))
        .replace("{dedupe_window_us}", str(us(dedupe_window_s)))
        .replace("{correlation_window_us}", str(us(correlation_window_s)))
    )


def run_hand_sql(
    events_dir: Path,
    out_db: Path,
    dedupe_window_s: float = 2.0,
    correlation_window_s: float = 10.0,
    threads: int | None = None,
) -> float:
    """Build the marts into `out_db` (replaced) from the landing zone whose default
    project's folder is `events_dir`; returns wall seconds (connect to close)."""
    out_db = Path(out_db)
    for p in (out_db, out_db.with_name(out_db.name + ".wal")):
        p.unlink(missing_ok=True)
    # Every project's folders: `events/` (project default) and each `events.<p>/` beside it.
    landing = Path(events_dir).resolve().parent
    sql = render(
        str(landing / "events*" / "*" / "*.parquet"), dedupe_window_s, correlation_window_s
    )
    t0 = time.perf_counter()
    con = duckdb.connect(str(out_db))
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute(sql)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - t0


def compare(hand_db: Path, dbt_db: Path, tables: tuple[str, ...] = MARTS) -> dict[str, Any]:
    """Per table: rows on each side and rows only on one side (EXCEPT ALL over the
    columns both sides have; `not_compared` lists the dbt columns the script lacks,
    the cost columns priced by the Python model)."""
    con = duckdb.connect()
    result: dict[str, Any] = {"equal": True, "tables": {}}
    for table in NOT_COMPARED:
        result["tables"][table] = {"equal": None, "not_compared": "no hand-written twin"}
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{hand_db}' AS hand (READ_ONLY)")
        con.execute(f"ATTACH '{dbt_db}' AS dbt (READ_ONLY)")
        for table in tables:

            def columns(db: str, table: str = table) -> list[str]:
                return [
                    r[0]
                    for r in con.execute(
                        "select column_name from duckdb_columns() where database_name = ? "
                        "and schema_name = 'main' and table_name = ? order by column_index",
                        [db, table],
                    ).fetchall()
                ]

            hand_cols = set(columns("hand"))
            cols = [c for c in columns("dbt") if c in hand_cols]
            not_compared = [c for c in columns("dbt") if c not in hand_cols]
            if not cols:
                result["tables"][table] = {"error": "missing in the dbt warehouse"}
                result["equal"] = False
                continue
            sel = ", ".join(f'"{c}"' for c in cols)
            a, b = f"select {sel} from dbt.main.{table}", f"select {sel} from hand.main.{table}"
            try:
                (n_dbt,) = con.execute(f"select count(*) from dbt.main.{table}").fetchall()[0]
                (n_hand,) = con.execute(f"select count(*) from hand.main.{table}").fetchall()[0]
                only_dbt = con.execute(f"select count(*) from ({a} except all {b})").fetchall()[0][
                    0
                ]
                only_hand = con.execute(f"select count(*) from ({b} except all {a})").fetchall()[0][
                    0
                ]
            except duckdb.Error as exc:
                result["tables"][table] = {"error": str(exc).splitlines()[0]}
                result["equal"] = False
                continue
            equal = n_dbt == n_hand and only_dbt == 0 and only_hand == 0
            result["tables"][table] = {
                "rows": n_dbt,
                "hand_rows": n_hand,
                "only_dbt": only_dbt,
                "only_hand": only_hand,
                "equal": equal,
                "not_compared": not_compared,
            }
            result["equal"] = result["equal"] and equal
    finally:
        con.close()
    return result


if __name__ == "__main__":
    import json
    import sys

    events_dir, out_db = Path(sys.argv[1]), Path(sys.argv[2])
    seconds = run_hand_sql(events_dir, out_db)
    print(f"hand SQL: {seconds:.2f} s")
    if len(sys.argv) > 3:
        print(json.dumps(compare(out_db, Path(sys.argv[3])), indent=2))
