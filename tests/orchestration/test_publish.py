"""A failed build must leave the last good snapshot in place; readers survive a swap."""

import duckdb
import pytest

from achilles_core.settings import Settings
from orchestration.pipeline import run_pipeline
from tests.pipeline_fixtures import build_warehouse

pytestmark = pytest.mark.slow


def test_failed_build_keeps_the_last_snapshot_and_readers_keep_reading(tmp_path, monkeypatch):

    built = build_warehouse(tmp_path / "data")
    assert built.run_ok
    published = built.settings.published_db
    before = published.read_bytes()
    reader = duckdb.connect(str(published), read_only=True)

    # A corrupt landing file makes dbt fail; nothing may be published.
    bad = built.settings.events_dir / "broken-session"
    bad.mkdir()
    (bad / "00000000000000000001-x.parquet").write_bytes(b"not parquet at all")
    monkeypatch.setenv("ACHILLES_DATA_DIR", str(built.settings.data_dir))
    assert (
        run_pipeline(Settings(data_dir=built.settings.data_dir, _env_file=None), quiet=True)
        is False
    )
    assert published.read_bytes() == before
    assert reader.execute("select count(*) from sessions").fetchone()[0] == len(built.sessions)
    reader.close()
