"""The seed's acceptance scenario, end to end over HTTP with a real server and a real run.

Agent refactor → failing test → human fix → passing test; then a session that
breaks and fixes the same thing twice. After one Dagster run the read endpoints
must show: every event stored, errors clustered, the agent action correlated to
the error, the agent's performance reflecting it, and the monitoring agent's
insights. Every response must validate against its documented schema.
"""

from datetime import UTC, datetime, timedelta

import pytest

from achilles.client import AchillesClient
from achilles.scenarios import break_fix_session, refactor_session
from achilles.server import ServerProcess
from achilles_core.settings import Settings
from ingest_api.schemas import (
    InsightsOut,
    SessionAgentPerformanceOut,
    SessionCorrelationsOut,
    SessionDetailOut,
    SessionErrorsOut,
    SessionEventsOut,
)
from orchestration.pipeline import run_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    data = tmp_path_factory.mktemp("acceptance") / "data"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    refactor = refactor_session(start)
    breakfix = break_fix_session(start + timedelta(minutes=30), cycles=2)
    with ServerProcess(data) as server, AchillesClient(server.url, "dev-key") as client:
        client.start_session(
            session_id="acc-refactor", agent="claude-code", started_at=refactor[0]["timestamp"]
        )
        assert client.send_batch(refactor, "acc-refactor")["accepted"] == len(refactor)
        client.end_session("acc-refactor")
        assert client.send_batch(breakfix, "acc-breakfix")["accepted"] == len(breakfix)

        assert run_pipeline(Settings(data_dir=data, _env_file=None), quiet=True)
        # The same server answers derived reads as soon as the snapshot is published.
        yield client, {"acc-refactor": refactor, "acc-breakfix": breakfix}


def test_all_events_stored_in_order(scenario):
    client, sent = scenario
    for sid, events in sent.items():
        page = SessionEventsOut.model_validate(client.get(f"/v1/sessions/{sid}/events", limit=1000))
        body = [e for e in page.events if e.event_type not in ("session_start", "session_end")]
        assert [e.message for e in body] == [e.get("message") for e in events]
        detail = SessionDetailOut.model_validate(client.session(sid))
        assert detail.summary is not None and detail.summary.event_count == len(events)


def test_errors_are_clustered(scenario):
    client, _ = scenario
    errors = SessionErrorsOut.model_validate(client.get("/v1/sessions/acc-refactor/errors"))
    assert len(errors.clusters) == 1 and errors.clusters[0].occurrences == 2
    # Break-fix: three panics on different temp dirs and line numbers, one cluster.
    bf = SessionErrorsOut.model_validate(client.get("/v1/sessions/acc-breakfix/errors"))
    assert [c.occurrences for c in bf.clusters] == [3]


def test_agent_action_correlated_to_error(scenario):
    client, sent = scenario
    out = SessionCorrelationsOut.model_validate(
        client.get("/v1/sessions/acc-refactor/correlations")
    )
    attributed = [c for c in out.correlations if c.attribution_rank == 1]
    assert attributed and all(c.confidence == 0.7 for c in attributed)
    edit = attributed[0]
    assert edit.agent == "claude-code" and edit.action_file_path == "src/billing/invoice.py"
    assert edit.same_file and 0 < edit.lag_s <= 10


def test_agent_performance_reflects_induced_errors(scenario):
    client, _ = scenario
    perf = SessionAgentPerformanceOut.model_validate(
        client.get("/v1/sessions/acc-refactor/agent-performance")
    )
    (agent,) = perf.agents
    assert agent.induced_error_count == 2
    assert agent.success_rate == pytest.approx((agent.total_actions - 2) / agent.total_actions)


def test_monitoring_agent_wrote_insights(scenario):
    client, _ = scenario
    caused = InsightsOut.model_validate(
        client.get("/v1/insights/recent", session_id="acc-refactor", kind="agent_caused_error")
    )
    assert caused.insights and caused.computed_at is not None
    first = caused.insights[0]
    assert "claude-code" in first.title and first.evidence["event_ids"]
    cycles = InsightsOut.model_validate(
        client.get("/v1/insights/recent", session_id="acc-breakfix", kind="break_fix_cycle")
    )
    (cycle,) = cycles.insights
    assert cycle.status == "open" and "2" in cycle.title


def test_insights_newest_first_and_filters(scenario):
    client, _ = scenario
    everything = InsightsOut.model_validate(client.get("/v1/insights/recent", limit=500))
    times = [i.detected_at for i in everything.insights]
    assert times == sorted(times, reverse=True)
    assert {i.session_id for i in everything.insights} == {"acc-refactor", "acc-breakfix"}
    one = client.get("/v1/insights/recent", limit=1)["insights"]
    assert len(one) == 1
    later = client.get("/v1/insights/recent", since=times[0].isoformat())["insights"]
    assert later and all(
        i["detected_at"] >= times[0].isoformat().replace("+00:00", "Z") for i in later
    )
    assert client.get("/v1/insights/recent", severity="critical")["insights"] == [
        i.model_dump(mode="json") for i in everything.insights if i.severity == "critical"
    ]
