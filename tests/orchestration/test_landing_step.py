"""The landing step opens only the files landed since its last pass (files are
immutable), yet still brings every file of an older version to today's columns."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dagster import materialize

from achilles_core.landing import COLUMNS, LandingZone
from achilles_core.settings import Settings
from ingest_api.service import IngestService
from orchestration.defs.landing import VERIFIED_MARKER, landing_events
from orchestration.pipeline import PARENT_PID_VAR


def _event(message: str) -> dict:
    return {
        "event_type": "agent_action",
        "source_type": "agent",
        "timestamp": "2026-11-18T10:00:00+00:00",
        "actor": "claude-code",
        "file_path": "a.py",
        "message": message,
    }


def _pass(settings: Settings) -> dict:
    result = materialize([landing_events], resources={"settings": settings})
    assert result.success
    (mat,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in mat.materialization.metadata.items()}


def _files(settings: Settings) -> list[Path]:
    return sorted(LandingZone(settings.events_dir).all_files())


def test_only_new_files_are_opened_and_old_columns_are_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PARENT_PID_VAR, str(os.getpid()))  # as under `achilles run`
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    service = IngestService(settings)
    service.ingest([_event("one")], "s1")
    service.ingest([_event("two")], "s2")

    # An older version landed s2's file without the newest column.
    (old,) = [f for f in _files(settings) if f.parent.name == "s2"]
    table = pq.read_table(old)
    pq.write_table(table.drop_columns([COLUMNS[-1]]), old)
    os.utime(old, (1_000_000_000, 1_000_000_000))  # long before any pass

    first = _pass(settings)
    assert (first["rows_in_new_files"], first["files_upgraded"]) == (2, 1)
    assert tuple(pq.read_schema(old).names) == COLUMNS

    # Nothing new: nothing opened. A new file: only it.
    for f in _files(settings):
        os.utime(f, (1_000_000_000, 1_000_000_000))
    assert _pass(settings)["rows_in_new_files"] == 0
    service.ingest([_event("three")], "s3")
    assert _pass(settings)["rows_in_new_files"] == 1

    # A pass recorded by a version with other columns: every file is checked again.
    marker = settings.landing_dir / VERIFIED_MARKER
    marker.write_text("event_id,session_id")
    again = _pass(settings)
    assert (again["rows_in_new_files"], again["files_upgraded"]) == (3, 0)
