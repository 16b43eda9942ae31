"""A warehouse built once per test session: sample sessions landed, the real Dagster job run.

Building costs a Dagster materialization plus `dbt build` (~20-30 s), so every test
that only reads the result shares this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from achilles_core.settings import Settings
from ingest_api.service import IngestService

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "sessions.json"


@dataclass
class BuiltWarehouse:
    settings: Settings
    sessions: list[dict]
    run_ok: bool


def land_sessions(settings: Settings, sessions: list[dict]) -> None:
    """Land sessions through the real ingest service, as the API would."""
    service = IngestService(settings)
    for s in sessions:
        start = s["start"]
        service.start_session(
            start["session_id"],
            **{k: v for k, v in start.items() if k != "session_id"},
            started_at=None,
        )
        results = service.ingest(s["events"], start["session_id"])
        assert all(r.status == "accepted" for r in results), results
        service.end_session(start["session_id"], s["outcome"])


def build_warehouse(root: Path, sessions: list[dict] | None = None) -> BuiltWarehouse:
    from orchestration.pipeline import run_pipeline

    settings = Settings(data_dir=root, _env_file=None)
    sessions = sessions if sessions is not None else json.loads(SAMPLES.read_text())
    land_sessions(settings, sessions)
    return BuiltWarehouse(settings, sessions, run_pipeline(settings, quiet=True))
