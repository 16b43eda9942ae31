"""Building on Spark (issue 17): what the dbt step adds around dbt when the engine is
Spark (`ACHILLES_ENGINE=spark_session` or `spark_thrift`). Serving stays DuckDB.

Before dbt: int_model_prices' rows go to a file (Spark runs no Python model; the SQL
model of that name reads it). After dbt: the dbt project's on-run-end hook has written
the tables serving reads as Parquet folders (macros/spark_export.sql); they are loaded
into the DuckDB build warehouse cast to the published types, so the insight step and
publishing run unchanged and the snapshot has the same columns and types whichever
engine built it. The published types are part of the contract: published_columns.json,
which a test checks against a DuckDB build.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from achilles_core.landing import manifest_path
from achilles_core.pricing import write_price_file
from achilles_core.settings import Settings

CONTRACT = Path(__file__).with_name("published_columns.json")
# <table>__build_scope: what each session of a session-scoped table was derived from.
BUILD_SCOPE_COLUMNS = [
    ["project_id", "VARCHAR"],
    ["session_id", "VARCHAR"],
    ["landing_files", "VARCHAR[]"],
    ["rederived", "BOOLEAN"],
]


def is_spark(settings: Settings) -> bool:
    return settings.engine != "duckdb"


def check_installed(settings: Settings) -> None:
    """A Spark engine needs dbt-spark, pyspark (for spark_session) and Java: say so plainly
    instead of dbt's "Could not find adapter type spark"."""
    if not is_spark(settings):
        return
    needs = ("dbt.adapters.spark",) + (
        ("pyhive", "thrift") if settings.engine == "spark_thrift" else ("pyspark",)
    )
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        raise RuntimeError(
            f"ACHILLES_ENGINE={settings.engine} needs {', '.join(missing)}: install the "
            "extra with `make setup-spark` (or `pip install 'achilles[spark]'`)"
        )
    if settings.engine == "spark_session" and shutil.which("java") is None:
        raise RuntimeError(
            "ACHILLES_ENGINE=spark_session runs Spark in this process and needs Java 17 "
            "(`java` on PATH or JAVA_HOME), e.g. Debian's openjdk-17-jre-headless"
        )


def export_dir(settings: Settings) -> Path:
    return settings.warehouse_dir / "spark" / "export"


def price_file(settings: Settings) -> Path:
    return settings.warehouse_dir / "model_prices.parquet"


def published_columns() -> dict[str, list[list[str]]]:
    """Table -> [[column, DuckDB type], ...] of every dbt-built table the snapshot holds."""
    columns: dict[str, list[list[str]]] = json.loads(CONTRACT.read_text())
    return columns


def read_columns(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, list[list[str]]]:
    """The same shape as published_columns(), read off a DuckDB database."""
    return {
        table: [
            [name, kind]
            for name, kind in con.execute(
                "select column_name, data_type from duckdb_columns() "
                "where table_name = ? and schema_name = 'main' order by column_index",
                [table],
            ).fetchall()
        ]
        for table in tables
    }


def _exported(contract: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    tables = dict(contract)
    for table in contract:
        tables[f"{table}__build_scope"] = BUILD_SCOPE_COLUMNS
    return tables


def spark_vars(settings: Settings) -> dict[str, Any]:
    """The dbt vars of a Spark build: the prices file and what to export where."""
    return {
        "model_prices": str(price_file(settings)),
        "spark_export": {
            "tables": sorted(_exported(published_columns())),
            "dir": str(export_dir(settings)),
        },
    }


def prepare(settings: Settings) -> None:
    """Before dbt: price the models of the listed landing files; empty the export."""
    listing = manifest_path(settings)
    with duckdb.connect() as con:
        files = [
            path
            for (path,) in con.execute(
                "select path from read_parquet($m) where kind = 'events' order by path",
                {"m": str(listing)},
            ).fetchall()
        ]
    write_price_file(files, price_file(settings))
    shutil.rmtree(export_dir(settings), ignore_errors=True)


def load_export(settings: Settings) -> dict[str, int]:
    """After dbt: the exported tables into the DuckDB build warehouse, cast to the
    published types; returns rows per table. A table not exported (a __build_scope the
    build did not make) is dropped there, so no older state stands in for it."""
    folder = export_dir(settings)
    counts: dict[str, int] = {}
    con = duckdb.connect(
        str(settings.build_db), config={"memory_limit": settings.duckdb_memory_limit}
    )
    try:
        for table, columns in _exported(published_columns()).items():
            files = sorted(str(p) for p in (folder / table).glob("*.parquet"))
            name = f'main."{table}"'
            _drop(con, table)  # a DuckDB build's view or table, or an older load
            if not (folder / table).is_dir():
                continue
            typed = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in columns)
            if files:
                source = "read_parquet($files)"
            else:  # Spark writes no file for an empty table
                source = "(select " + ", ".join(f'null::{t} as "{c}"' for c, t in columns)
                source += " where false)"
            con.execute(
                f"create table {name} as select {typed} from {source}",
                {"files": files} if files else {},
            )
            (counts[table],) = con.execute(f"select count(*) from {name}").fetchone() or (0,)
    finally:
        con.close()
    return counts


def _drop(con: duckdb.DuckDBPyConnection, table: str) -> None:
    (views,) = con.execute(
        "select count(*) from duckdb_views() where view_name = ? and schema_name = 'main'",
        [table],
    ).fetchone() or (0,)
    con.execute(f'drop {"view" if views else "table"} if exists main."{table}"')


# What every Spark engine must run with (profiles.yml passes them to a session; a Thrift
# Server takes them at its start, as a session's settings do not reach its parser).
SPARK_SQL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parser.escapedStringLiterals": "true",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}


def thrift_server_command(
    spark_home: Path, folder: Path, port: int, memory: str = "4g", shuffle_partitions: int = 4
) -> list[str]:
    """A local Spark Thrift Server from the pyspark wheel (`spark_home` = the pyspark
    package folder), its tables and metastore under `folder`: what the tests start and
    README "Scaling out" shows."""
    conf = {
        **SPARK_SQL_SETTINGS,
        "spark.ui.enabled": "false",
        "spark.driver.memory": memory,
        "spark.sql.shuffle.partitions": str(shuffle_partitions),  # one machine's worth
        "spark.sql.warehouse.dir": str(folder / "tables"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
    }
    return [
        str(spark_home / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--name",
        "achilles-thrift-server",
        *[arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")],
        "--hiveconf",
        f"hive.server2.thrift.port={port}",
        "--hiveconf",
        "hive.server2.thrift.bind.host=127.0.0.1",
        "spark-internal",
    ]
