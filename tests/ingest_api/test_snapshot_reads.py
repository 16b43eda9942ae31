"""Session reads answered from the published snapshot equal the landing scan, and
fall back to the landing scan whenever the snapshot did not see the folder as it is.

Every test works on a copy of the built data dir, so the shared `built` warehouse
stays as the pipeline left it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from achilles_core.landing import LandingZone
from achilles_core.settings import Settings
from ingest_api.app import create_app
from tests.conftest import AUTH

pytestmark = pytest.mark.slow

# Pages that cover the first, a middle, the last and a past-the-end page.
PAGES: list[dict[str, int]] = [
    {"limit": 1000},
    {"limit": 5},
    {"limit": 5, "offset": 5},
    {"limit": 7, "offset": 14},
    {"limit": 5, "offset": 100},
]


def _copy(built, dest: Path, *, landing: bool = True, warehouse: bool = True) -> Settings:
    settings = Settings(data_dir=dest, _env_file=None)
    if landing:
        shutil.copytree(built.settings.events_dir, settings.events_dir)
    if warehouse:
        settings.warehouse_dir.mkdir(parents=True)
        shutil.copy2(built.settings.published_db, settings.published_db)
    return settings


@contextmanager
def _client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=AUTH) as c:
        yield c


def _reads(client: TestClient, session_id: str) -> dict[str, Any]:
    """Both endpoints' bodies for one session; the overview without the pipeline summary."""
    overview = client.get(f"/v1/sessions/{session_id}")
    assert overview.status_code == 200, overview.text
    out: dict[str, Any] = {"overview": {k: v for k, v in overview.json().items() if k != "summary"}}
    for page in PAGES:
        r = client.get(f"/v1/sessions/{session_id}/events", params=page)
        assert r.status_code == 200, r.text
        out[str(page)] = r.json()
    return out


def _sample_ids(built) -> list[str]:
    return [s["start"]["session_id"] for s in built.sessions]


def test_snapshot_answers_equal_the_landing_scan(built, tmp_path):
    scan = _copy(built, tmp_path / "scan", warehouse=False)  # no snapshot: landing scan
    # Same file names as the build saw, but emptied: only the snapshot can answer these.
    fast = _copy(built, tmp_path / "fast")
    for f in fast.events_dir.rglob("*.parquet"):
        f.write_bytes(b"")
    with _client(scan) as scan_client, _client(fast) as fast_client:
        for session_id in _sample_ids(built):
            expected = _reads(scan_client, session_id)
            assert expected["overview"]["event_count"] > 0
            assert _reads(fast_client, session_id) == expected, session_id


def test_event_landed_after_the_snapshot_is_read_at_once(built, tmp_path):
    settings = _copy(built, tmp_path / "data")
    session_id = _sample_ids(built)[0]
    late = {
        "event_type": "error",
        "source_type": "ci",
        "message": "late one",
        "timestamp": datetime.now(UTC).isoformat(),
    }
    with _client(settings) as client:
        before = _reads(client, session_id)
        r = client.post("/v1/events/batch", json={"session_id": session_id, "events": [late]})
        assert r.json()["results"][0]["status"] == "accepted"
        after = _reads(client, session_id)
    assert after["overview"]["event_count"] == before["overview"]["event_count"] + 1
    assert after["overview"]["last_received_at"] > before["overview"]["last_received_at"]
    everything = after[str({"limit": 1000})]
    assert everything["total"] == before[str({"limit": 1000})]["total"] + 1
    assert everything["events"][-1]["message"] == "late one"  # newest timestamp sorts last


def test_older_snapshot_without_landing_sessions_falls_back(built, tmp_path):
    scan = _copy(built, tmp_path / "scan", warehouse=False)
    old = _copy(built, tmp_path / "old")
    con = duckdb.connect(str(old.published_db))
    try:
        con.execute("drop table if exists landing_sessions")
    finally:
        con.close()
    with _client(scan) as scan_client, _client(old) as old_client:
        for session_id in _sample_ids(built):
            assert _reads(old_client, session_id) == _reads(scan_client, session_id)


def test_compacted_folder_falls_back_to_the_landing_scan(built, tmp_path):
    settings = _copy(built, tmp_path / "data")
    session_id = _sample_ids(built)[0]
    with _client(settings) as client:
        before = _reads(client, session_id)
        assert LandingZone(settings.events_dir).compact_session(session_id) > 1
        assert _reads(client, session_id) == before
