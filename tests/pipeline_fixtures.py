"""A warehouse built once per test session: sample sessions landed, the real Dagster job run.

Building costs a Dagster materialization plus `dbt build` (~20-30 s), so every test
that only reads the result shares this one.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from achilles_core.settings import Settings
from ingest_api.service import IngestService
from ingest_api.sources.alertmanager import parse_webhook

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "sessions.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# A second project in the shared warehouse: a session with the SAME id as one of the
# default project's samples but other content, and Alertmanager alerts of its own, so
# every test of the built warehouse also sees that projects stay apart.
OTHER_PROJECT = "team-b"
SHARED_SESSION_ID = "sample-breakfix"
OTHER_AGENT = "team-b-agent"
# Every message of the other project's session carries this; no default row does.
OTHER_MARKER = "team-b-only"


@dataclass
class BuiltWarehouse:
    settings: Settings
    sessions: list[dict]  # the default project's
    run_ok: bool
    other_sessions: list[dict] = field(default_factory=list)  # OTHER_PROJECT's


def land_sessions(settings: Settings, sessions: list[dict], project_id: str = "default") -> None:
    """Land sessions through the real ingest service, as the API would."""
    service = IngestService(settings)
    for s in sessions:
        start = s["start"]
        service.start_session(
            start["session_id"],
            **{k: v for k, v in start.items() if k != "session_id"},
            started_at=None,
            project_id=project_id,
        )
        results = service.ingest(s["events"], start["session_id"], project_id=project_id)
        assert all(r.status == "accepted" for r in results), results
        service.end_session(start["session_id"], s["outcome"], project_id=project_id)


def other_project_sessions(samples: list[dict]) -> list[dict]:
    """The shared session id with other content: another agent, marked messages."""
    (base,) = [s for s in samples if s["start"]["session_id"] == SHARED_SESSION_ID]
    other = copy.deepcopy(base)
    other["start"]["agent"] = OTHER_AGENT
    other["start"]["actor"] = OTHER_AGENT
    for i, event in enumerate(other["events"]):
        if event.get("message"):
            event["message"] = f"{OTHER_MARKER} {event['event_type']} #{i}"
        if event.get("actor") == base["start"]["agent"]:
            event["actor"] = OTHER_AGENT
    return [other]


def land_other_project(settings: Settings, sessions: list[dict]) -> None:
    land_sessions(settings, sessions, OTHER_PROJECT)
    payload = json.loads(
        (FIXTURES / "alertmanager" / "prometheus-msteams__prom_post_request.json").read_text()
    )
    parsed = parse_webhook(payload, received_at=datetime.now(UTC))
    results = IngestService(settings).ingest(parsed.events, project_id=OTHER_PROJECT)
    assert all(r.status == "accepted" for r in results), results


def build_warehouse(root: Path, sessions: list[dict] | None = None) -> BuiltWarehouse:
    """Sessions (default: the samples) in the default project, plus, with the samples,
    the OTHER_PROJECT's session and alerts; then the real pipeline."""
    from orchestration.pipeline import run_pipeline

    settings = Settings(data_dir=root, _env_file=None)
    samples = json.loads(SAMPLES.read_text())
    sessions = sessions if sessions is not None else samples
    land_sessions(settings, sessions)
    other = other_project_sessions(samples) if sessions is samples else []
    if other:
        land_other_project(settings, other)
    return BuiltWarehouse(settings, sessions, run_pipeline(settings, quiet=True), other)
