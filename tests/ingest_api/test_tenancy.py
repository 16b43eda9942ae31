"""A key reaches its own project only (issue 13, part 5).

Two projects share one data dir and one built warehouse (tests/pipeline_fixtures.py):
the default project's samples, and OTHER_PROJECT's session with the SAME id as a
default sample but other content, plus alerts (so incidents) of its own. Every
route of the app is tried across them: the routes are enumerated from the app, so a
route added later is tried too, or the test fails naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from achilles.cli import app as cli_app
from achilles_core.settings import Settings
from ingest_api.app import create_app
from ingest_api.service import IngestService
from tests.pipeline_fixtures import (
    OTHER_AGENT,
    OTHER_MARKER,
    OTHER_PROJECT,
    SHARED_SESSION_ID,
    BuiltWarehouse,
)

KEY_A, KEY_B, ADMIN = "key-a", "key-b", "root-key"
A = {"Authorization": f"Bearer {KEY_A}"}  # project default (a bare key)
B = {"Authorization": f"Bearer {KEY_B}"}
ROOT = {"Authorization": f"Bearer {ADMIN}"}
# In the default project's copy of the shared session only (its error message).
A_MARKER = "index out of range"
# Sessions of the default project alone.
A_ONLY_SESSIONS = ("sample-crashloop", "sample-refactor-1", "sample-refactor-2")


def keyed(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"api_keys": [KEY_A, f"{OTHER_PROJECT}:{KEY_B}"], "admin_keys": [ADMIN]}
    )


def routes(app: Any) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation the app serves, from its own OpenAPI spec (its
    included routers do not flatten into `app.routes`). Every route is in the spec:
    none is hidden with include_in_schema=False."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    )


# -- key settings ------------------------------------------------------------------------


def test_keys_belong_to_projects(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("# team keys\nteam-c:key-c  # ops\n\nkey-d\n")
    settings = Settings(
        data_dir=tmp_path,
        api_keys="team-a:key1, team-b:key2,bare",
        api_keys_file=keys_file,
        admin_keys="root",
        _env_file=None,
    )
    table = settings.key_table()
    resolved = {k: table.resolve(k) for k in ("key1", "key2", "bare", "key-c", "key-d", "root")}
    assert {k: (c.project_id, c.is_admin) for k, c in resolved.items() if c} == {
        "key1": ("team-a", False),
        "key2": ("team-b", False),
        "bare": ("default", False),
        "key-c": ("team-c", False),
        "key-d": ("default", False),
        "root": ("default", True),
    }
    assert table.resolve("dev-key") is None  # configured keys replace the dev key
    assert table.resolve("key") is None


def test_bad_key_entries_are_refused_naming_them(tmp_path: Path) -> None:
    bad = tmp_path / "keys.txt"
    bad.write_text("ok:fine\nbad project:key\n")
    with pytest.raises(ValueError, match=r"keys.txt:2"):
        Settings(data_dir=tmp_path, api_keys_file=bad, _env_file=None).key_table()
    with pytest.raises(ValueError, match="configured twice"):
        Settings(data_dir=tmp_path, api_keys="a:same,b:same", _env_file=None).key_table()
    with pytest.raises(ValueError, match="ACHILLES_API_KEYS: empty key"):
        Settings(data_dir=tmp_path, api_keys="team-a:", _env_file=None).key_table()


# -- serving: loopback and /health ---------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_no_keys_no_open_server(tmp_path: Path, host: str) -> None:
    settings = Settings(data_dir=tmp_path, host=host, _env_file=None)
    with pytest.raises(RuntimeError, match="non-loopback address, with no API key configured"):
        create_app(settings)
    result = CliRunner().invoke(
        cli_app, ["serve", "--host", host, "--data-dir", str(tmp_path)], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "ACHILLES_API_KEYS" in result.output and "loopback" in result.output
    # With a key configured, the same address is allowed.
    assert keyed(settings).open_server_problem() is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_the_dev_key_serves_loopback(tmp_path: Path, host: str) -> None:
    settings = Settings(data_dir=tmp_path, host=host, _env_file=None)
    with TestClient(create_app(settings)) as c:
        assert c.get("/v1/usage", headers={"Authorization": "Bearer dev-key"}).status_code == 200


def test_health_without_a_key_says_only_ok(tmp_path: Path) -> None:
    settings = keyed(Settings(data_dir=tmp_path / "data", _env_file=None))
    with TestClient(create_app(settings)) as c:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = c.get("/health", headers=headers)
            assert r.status_code == 200 and r.json() == {"status": "ok"}
            assert str(tmp_path) not in r.text
        detail = c.get("/health", headers=A).json()
    assert detail["status"] == "ok" and detail["data_dir"] == str(settings.data_dir)
    assert detail["disk_free_bytes"] > 0 and detail["quarantined_files"] == 0


def test_a_key_of_one_project_cannot_name_another(tmp_path: Path) -> None:
    settings = keyed(Settings(data_dir=tmp_path / "data", _env_file=None))
    with TestClient(create_app(settings)) as c:
        r = c.get("/v1/usage", headers={**A, "X-Achilles-Project": OTHER_PROJECT})
        assert r.status_code == 403 and "default" in r.json()["detail"]
        r = c.get("/v1/usage", headers={**ROOT, "X-Achilles-Project": "no such/project"})
        assert r.status_code == 400


# -- writes: a key cannot end or append to another project's session ------------------------

ONLY_IN_B = "only-in-b"


def _event(i: int) -> dict[str, Any]:
    return {
        "event_type": "agent_action",
        "source_type": "agent",
        "timestamp": f"2026-11-20T10:00:{i:02d}Z",
        "actor": "writer-a",
        "message": f"written with key a #{i}",
    }


def write_requests() -> dict[tuple[str, str], list[dict[str, Any]]]:
    """How to call each writing route so that it names the other project's sessions.
    A route missing here fails test_every_write_route_stays_in_its_project by name."""
    alerts = json.loads(
        (
            Path(__file__).resolve().parent.parent
            / "fixtures"
            / "alertmanager"
            / "prometheus-msteams__prom_post_request.json"
        ).read_text()
    )
    sentry_event = {
        "event_id": "a" * 32,
        "timestamp": "2026-11-20T10:00:00Z",
        "platform": "python",
        "level": "error",
        "exception": {"values": [{"type": "ValueError", "value": "from key a"}]},
    }
    envelope = (
        json.dumps({"event_id": "b" * 32}).encode()
        + b"\n"
        + json.dumps({"type": "event"}).encode()
        + b"\n"
        + json.dumps({**sentry_event, "event_id": "b" * 32}).encode()
    )
    sentry_auth = {"X-Sentry-Auth": f"Sentry sentry_key={KEY_A}, sentry_version=7"}
    return {
        ("POST", "/v1/sessions/start"): [{"json": {"session_id": ONLY_IN_B, "agent": "a"}}],
        ("POST", "/v1/sessions/end"): [
            {"json": {"session_id": ONLY_IN_B, "outcome": "failed"}},
            {"json": {"session_id": SHARED_SESSION_ID, "outcome": "failed"}},
        ],
        ("POST", "/v1/events/batch"): [
            {"json": {"session_id": SHARED_SESSION_ID, "events": [_event(1)]}},
            {"json": {"events": [{**_event(2), "session_id": ONLY_IN_B}]}},
        ],
        ("POST", "/v1/hooks/claude-code"): [
            {
                "json": {
                    "session_id": ONLY_IN_B,
                    "hook_event_name": "UserPromptSubmit",
                    "prompt": "hello",
                    "cwd": "/w",
                }
            }
        ],
        ("POST", "/v1/alertmanager"): [{"json": alerts}],
        ("POST", "/v1/traces"): [{"json": {"resourceSpans": []}}],
        ("POST", "/v1/logs"): [{"json": {"resourceLogs": []}}],
        ("POST", "/v1/metrics"): [{"json": {"resourceMetrics": []}}],
        ("POST", "/api/{project}/store/"): [
            {"json": sentry_event, "headers": sentry_auth, "path": {"project": "42"}}
        ],
        ("POST", "/api/{project}/envelope/"): [
            {
                "content": envelope,
                "headers": {**sentry_auth, "Content-Type": "application/x-sentry-envelope"},
                "path": {"project": "42"},
            }
        ],
    }


def _landed(settings: Settings, project: str) -> list[str]:
    root = settings.project_events_dir(project)
    return sorted(str(p.relative_to(root)) for p in root.glob("*/*.parquet"))


def test_every_write_route_stays_in_its_project(tmp_path: Path) -> None:
    settings = keyed(Settings(data_dir=tmp_path / "data", _env_file=None))
    service = IngestService(settings)
    for sid in (SHARED_SESSION_ID, ONLY_IN_B):
        service.start_session(sid, agent=OTHER_AGENT, project_id=OTHER_PROJECT)
        service.ingest([_event(30)], sid, project_id=OTHER_PROJECT)
    before = _landed(settings, OTHER_PROJECT)
    table = write_requests()
    with TestClient(create_app(settings)) as c:
        b_view = {
            sid: c.get(f"/v1/sessions/{sid}", headers=B).json()
            for sid in (SHARED_SESSION_ID, ONLY_IN_B)
        }
        writes = [(m, p) for m, p in routes(c.app) if m != "GET"]
        missing = sorted(set(writes) - set(table))
        assert not missing, f"routes with no cross-project write check: {missing}"
        # Ending first: key a's project has neither session yet, so key a could only
        # have reached project b's; later writes create key a's own copies.
        writes.sort(key=lambda mp: mp[1] != "/v1/sessions/end")
        for method, path in writes:
            for call in table[(method, path)]:
                url = path.format(**call.get("path", {}))
                headers = {**A, **call.get("headers", {})}
                r = c.request(
                    method, url, headers=headers, json=call.get("json"), content=call.get("content")
                )
                assert r.status_code < 500, (path, r.status_code, r.text)
                if path == "/v1/sessions/end":
                    # Key a's project has no such session: it cannot end project b's.
                    assert r.status_code == 404, r.text
                else:
                    assert r.status_code in (200, 201), (path, r.status_code, r.text)
        # Nothing key a sent reached the other project...
        assert _landed(settings, OTHER_PROJECT) == before
        for sid, seen in b_view.items():
            assert c.get(f"/v1/sessions/{sid}", headers=B).json() == seen
        # ...it landed in key a's own project instead.
        mine = c.get(f"/v1/sessions/{SHARED_SESSION_ID}/events", headers=A).json()
        assert [e["actor"] for e in mine["events"]] == ["writer-a"]
        own = c.get(f"/v1/sessions/{ONLY_IN_B}", headers=A).json()
        assert own["agent"] != OTHER_AGENT and own["event_count"] >= 1


# -- reads: every read route, across projects, on a built warehouse -------------------------


@pytest.fixture(scope="module")
def two_projects(built: BuiltWarehouse) -> Iterator[TestClient]:
    assert built.other_sessions, "the shared warehouse lost its second project"
    with TestClient(create_app(keyed(built.settings))) as c:
        yield c


def _incident_ids(built: BuiltWarehouse, project: str) -> list[str]:
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        rows = con.execute(
            "select incident_id from incidents where project_id = ? order by 1", [project]
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


# Extra query strings some read routes are also tried with (default values alone would
# not show every grouping).
READ_VARIANTS: dict[str, list[dict[str, str]]] = {
    "/v1/usage": [{}, {"by": "session"}, {"by": "agent"}],
    "/v1/incidents/{incident_id}/export": [{"format": "md"}, {"format": "json"}],
}


def _read_urls(path: str, params: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    names = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    unknown = [n for n in names if n not in params]
    assert not unknown, f"read route {path} has a path parameter this test cannot fill: {unknown}"
    return [(path.format(**params), q) for q in READ_VARIANTS.get(path, [{}])]


@pytest.mark.slow
def test_every_read_route_shows_only_the_keys_project(
    built: BuiltWarehouse, two_projects: TestClient
) -> None:
    b_incidents = _incident_ids(built, OTHER_PROJECT)
    assert b_incidents, "the other project has no incident to hide"
    reads = [p for m, p in routes(two_projects.app) if m == "GET" and p != "/health"]
    assert reads, "no read route found"
    seen_b_data = False
    for path in reads:
        for url, query in _read_urls(
            path, {"session_id": SHARED_SESSION_ID, "incident_id": b_incidents[0]}
        ):
            a = two_projects.get(url, params=query, headers=A)
            b = two_projects.get(url, params=query, headers=B)
            assert a.status_code < 500 and b.status_code < 500, (url, a.text, b.text)
            # Key a never sees the other project's rows (a 404 names the id it was asked)...
            ids = b_incidents if a.status_code != 404 else []
            for leak in (OTHER_MARKER, OTHER_AGENT, *ids):
                assert leak not in a.text, f"{url} {query} showed key a project b's {leak!r}"
            if "{incident_id}" in path:
                assert a.status_code == 404, (url, a.text)
            # ...and key b never the default project's.
            for leak in (A_MARKER, *A_ONLY_SESSIONS):
                assert leak not in b.text, f"{url} {query} showed key b the default's {leak!r}"
            seen_b_data |= OTHER_MARKER in b.text or OTHER_AGENT in b.text
    assert seen_b_data, "key b saw none of its own data: the check above proves nothing"


@pytest.mark.slow
def test_the_same_session_id_stays_two_sessions_through_the_pipeline(
    built: BuiltWarehouse, two_projects: TestClient
) -> None:
    a = two_projects.get(f"/v1/sessions/{SHARED_SESSION_ID}", headers=A).json()
    b = two_projects.get(f"/v1/sessions/{SHARED_SESSION_ID}", headers=B).json()
    assert a["agent"] == "codex" and b["agent"] == OTHER_AGENT
    assert a["summary"] and b["summary"], "the pipeline summarised both"
    a_errors = two_projects.get(f"/v1/sessions/{SHARED_SESSION_ID}/errors", headers=A).json()
    b_errors = two_projects.get(f"/v1/sessions/{SHARED_SESSION_ID}/errors", headers=B).json()
    assert all(A_MARKER in c["sample_message"] for c in a_errors["clusters"])
    assert all(OTHER_MARKER in c["sample_message"] for c in b_errors["clusters"])
    assert a_errors["clusters"] and b_errors["clusters"]
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        rows = con.execute(
            "select project_id, agent from sessions where session_id = ? order by 1",
            [SHARED_SESSION_ID],
        ).fetchall()
        clusters = con.execute(
            "select project_id, count(*) from error_clusters group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("default", "codex"), (OTHER_PROJECT, OTHER_AGENT)]
    assert dict(clusters).keys() == {"default", OTHER_PROJECT}


@pytest.mark.slow
def test_an_admin_key_reads_every_project(built: BuiltWarehouse, two_projects: TestClient) -> None:
    insights = two_projects.get("/v1/insights/recent", params={"limit": 500}, headers=ROOT)
    sessions = {i["session_id"] for i in insights.json()["insights"]}
    assert SHARED_SESSION_ID in sessions and "sample-crashloop" in sessions
    mine = two_projects.get("/v1/insights/recent", params={"limit": 500}, headers=B).json()
    assert {i["session_id"] for i in mine["insights"]} <= {SHARED_SESSION_ID}
    assert len(mine["insights"]) < len(insights.json()["insights"])
    incidents = two_projects.get("/v1/incidents", headers=ROOT).json()["incidents"]
    assert {i["incident_id"] for i in incidents} >= set(_incident_ids(built, OTHER_PROJECT))
    # An admin acts in any project it names.
    as_b = two_projects.get(
        f"/v1/sessions/{SHARED_SESSION_ID}",
        headers={**ROOT, "X-Achilles-Project": OTHER_PROJECT},
    )
    assert as_b.json()["agent"] == OTHER_AGENT


@pytest.mark.slow
def test_sql_sees_one_project(built: BuiltWarehouse) -> None:
    runner = CliRunner()
    args = ["sql", "--data-dir", str(built.settings.data_dir)]
    query = "select distinct project_id || ':' || session_id as s from sessions order by 1"
    only_b = runner.invoke(cli_app, [*args, "--project", OTHER_PROJECT, "--format", "csv", query])
    assert only_b.exit_code == 0, only_b.output
    assert f"{OTHER_PROJECT}:{SHARED_SESSION_ID}" in only_b.stdout
    rows = only_b.stdout.splitlines()[1:]  # after the csv header
    assert rows and all(row.startswith(f"{OTHER_PROJECT}:") for row in rows), only_b.output
    both = runner.invoke(cli_app, [*args, query])
    assert f"default:{SHARED_SESSION_ID}" in both.output and OTHER_PROJECT in both.output
