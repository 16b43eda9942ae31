"""A failed build must leave the last good snapshot in place; readers survive a swap; a
small build publishes only the sessions it changed, with the rows a whole publish has."""

import shutil
from pathlib import Path

import duckdb
import pytest

from achilles_core.settings import Settings
from ingest_api.service import IngestService
from orchestration.pipeline import pipeline_log_path, run_pipeline
from orchestration.publish import (
    FULL_REFRESH_MARKER,
    PUBLISHED_TABLES,
    SCOPE_TABLE,
    mark_full_refresh,
    publish,
)
from tests.pipeline_fixtures import build_warehouse

pytestmark = pytest.mark.slow


def test_failed_build_keeps_the_last_snapshot_and_readers_keep_reading(tmp_path):

    built = build_warehouse(tmp_path / "data")
    assert built.run_ok
    published = built.settings.published_db
    before = published.read_bytes()
    reader = duckdb.connect(str(published), read_only=True)

    # Another process holding the build warehouse makes dbt fail at once (DuckDB's
    # lock); nothing may be published. (A corrupt landing file no longer fails a build:
    # it is quarantined, see test_poison_pipeline.)
    holder = duckdb.connect(str(built.settings.build_db))
    try:
        assert (
            run_pipeline(Settings(data_dir=built.settings.data_dir, _env_file=None), quiet=True)
            is False
        )
    finally:
        holder.close()
    assert published.read_bytes() == before
    assert reader.execute("select count(*) from sessions where project_id = 'default'").fetchone()[
        0
    ] == len(built.sessions)
    reader.close()


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: sorted(map(repr, con.execute(f"select * from {t}").fetchall()))
            for t in [*PUBLISHED_TABLES, SCOPE_TABLE]
        } | {
            "columns": con.execute(
                "select table_name, column_name, data_type from duckdb_columns() "
                "order by table_name, column_index"
            ).fetchall()
        }
    finally:
        con.close()


def test_a_small_change_publishes_only_its_sessions_and_equals_a_whole_publish(built, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(built.settings.data_dir, data, ignore=shutil.ignore_patterns("dagster_home"))
    settings = Settings(data_dir=data, _env_file=None)
    before = _tables(settings.published_db)
    # A new session, and one more event of a sample session (a new landing file of it).
    grown = built.sessions[0]["start"]["session_id"]
    new_event = {
        "event_type": "error",
        "source_type": "agent",
        "timestamp": "2026-11-18T12:00:00+00:00",
        "actor": "pytest",
        "error_type": "AssertionError",
        "message": "assert total == 42 (published incrementally)",
    }
    service = IngestService(settings)
    assert service.ingest([new_event], grown)[0].status == "accepted"
    assert service.ingest([{**new_event, "message": "a new session"}], "publish-new")[0].status
    assert run_pipeline(settings, quiet=True)

    log = pipeline_log_path(settings).read_text()
    assert "changed sessions only in events, sessions," in log, log[-3000:]
    incremental = tmp_path / "incremental.duckdb"
    shutil.copyfile(settings.published_db, incremental)
    after = _tables(incremental)
    assert after["events"] != before["events"]
    assert any("published incrementally" in r for r in after["events"])
    assert any("'publish-new'" in r for r in after["sessions"])

    # The same build published whole (as after a full refresh) holds the same rows.
    mark_full_refresh(settings)
    assert publish(settings)["incremental"] == []
    assert not (settings.warehouse_dir / FULL_REFRESH_MARKER).exists()
    assert _tables(settings.published_db) == after


def test_the_published_types_on_file_are_what_a_duckdb_build_publishes(built):
    """orchestration/published_columns.json is the contract a Spark build is cast to
    (issue 17): it must say exactly what DuckDB publishes, columns in order."""
    from orchestration.spark_engine import published_columns, read_columns

    contract = published_columns()
    with duckdb.connect(str(built.settings.published_db), read_only=True) as con:
        assert read_columns(con, sorted(contract)) == contract
    assert set(contract) == {t for t in PUBLISHED_TABLES if t != "insights"}
