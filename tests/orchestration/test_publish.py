"""A failed build must leave the last good snapshot in place; readers survive a swap."""

import duckdb
import pytest

from achilles_core.settings import Settings
from orchestration.pipeline import run_pipeline
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
