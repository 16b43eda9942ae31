"""`achilles serve --read-only`: a server beside the ingest one that answers reads only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from achilles_core.settings import Settings
from ingest_api.app import create_app
from ingest_api.service import IngestService

AUTH = {"Authorization": "Bearer dev-key"}


def test_a_read_only_server_reads_what_the_ingest_server_landed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    event = {"event_type": "error", "source_type": "ci", "timestamp": "2026-11-20T10:00:00Z"}
    IngestService(settings).ingest([event], "s1")
    reader = settings.model_copy(update={"read_only": True})
    with TestClient(create_app(reader), headers=AUTH) as c:
        assert c.get("/v1/sessions/s1/events").json()["total"] == 1
        for path in ("/v1/events/batch", "/v1/sessions/start", "/api/1/store/"):
            r = c.post(path, json={"session_id": "s1", "events": [event]})
            assert r.status_code == 405 and "ingest server" in r.json()["detail"], path
        assert c.get("/v1/sessions/s1/events").json()["total"] == 1
