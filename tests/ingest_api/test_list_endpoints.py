"""GET /v1/sessions, /v1/clusters and /v1/agents over the warehouse built from the samples."""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

pytestmark = pytest.mark.slow

SORTS = ("started", "cost", "errors", "events", "failed_runs")


def mart(built, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def walk(client, path: str, **params) -> list[dict]:
    """Every page of a list, following next_cursor."""
    rows: list[dict] = []
    cursor = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = client.get(path, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        key = "sessions" if "sessions" in body else "clusters"
        rows += body[key]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("paging never ended")


def test_sessions_list_has_every_session_newest_first(built, built_client):
    body = built_client.get("/v1/sessions").json()
    expected = {s["start"]["session_id"] for s in built.sessions}
    assert body["total"] == len(expected)
    assert {s["session_id"] for s in body["sessions"]} == expected
    started = [s["started_at"] for s in body["sessions"]]
    assert started == sorted(started, reverse=True)
    row = next(s for s in body["sessions"] if s["session_id"] == "sample-breakfix")
    assert row["agent"] == "codex"
    assert row["test_runs_failed"] == 3
    assert row["has_failures"] is True


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_keyset_pages_have_no_gaps_or_duplicates(built_client, sort, order):
    whole = built_client.get("/v1/sessions", params={"sort": sort, "order": order}).json()
    paged = walk(built_client, "/v1/sessions", sort=sort, order=order, limit=1)
    ids = [s["session_id"] for s in paged]
    assert len(ids) == len(set(ids)) == whole["total"]
    # One row at a time gives the same order as one big page.
    assert ids == [s["session_id"] for s in whole["sessions"]]


def test_sort_keys_order_the_rows(built_client):
    rows = built_client.get("/v1/sessions", params={"sort": "errors", "order": "desc"}).json()
    errors = [(-s["error_count"], s["session_id"]) for s in rows["sessions"]]
    assert errors == sorted(errors)


def test_session_filters_narrow_the_list(built, built_client):
    by_agent = Counter(s["start"]["agent"] for s in built.sessions)
    for agent, n in by_agent.items():
        body = built_client.get("/v1/sessions", params={"agent": agent}).json()
        assert body["total"] == n
        assert {s["agent"] for s in body["sessions"]} == {agent}
    with_model = {
        s["start"]["session_id"]
        for s in built.sessions
        if any(e.get("model") == "claude-sonnet-4-5" for e in s["events"])
    }
    body = built_client.get("/v1/sessions", params={"model": "claude-sonnet-4-5"}).json()
    assert {s["session_id"] for s in body["sessions"]} == with_model
    shop = built_client.get("/v1/sessions", params={"project": "github.com/example/shop"}).json()
    assert {s["session_id"] for s in shop["sessions"]} == {
        s["start"]["session_id"]
        for s in built.sessions
        if s["start"].get("repo") == "github.com/example/shop"
    }
    assert shop["total"] == 2
    # every sample session has an error: none is free of failures
    assert built_client.get("/v1/sessions", params={"has_failures": "false"}).json()["total"] == 0
    assert built_client.get("/v1/sessions", params={"has_failures": "true"}).json()["total"] == 4
    (first,) = mart(built, "select min(coalesce(started_at, first_event_at)) from sessions")[0:1]
    after_first = built_client.get(
        "/v1/sessions", params={"since": first[0].isoformat().replace("+00:00", "Z")}
    ).json()
    assert after_first["total"] == 4
    before_first = built_client.get(
        "/v1/sessions", params={"until": first[0].isoformat().replace("+00:00", "Z")}
    ).json()
    assert before_first["total"] == 0
    assert built_client.get("/v1/sessions", params={"agent": "nobody"}).json()["sessions"] == []


def test_filters_and_paging_together(built_client):
    paged = walk(built_client, "/v1/sessions", agent="claude-code", limit=1, sort="cost")
    assert sorted(s["session_id"] for s in paged) == ["sample-refactor-1", "sample-refactor-2"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "bogus"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"has_failures": "maybe"}, "has_failures"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_field(built_client, params, field):
    r = built_client.get("/v1/sessions", params=params)
    assert r.status_code == 422, r.text
    assert any(item["field"] == field for item in r.json()["detail"])


def test_a_cursor_of_another_sort_is_refused(built_client):
    first = built_client.get("/v1/sessions", params={"sort": "cost", "limit": 1}).json()
    r = built_client.get(
        "/v1/sessions", params={"sort": "errors", "limit": 1, "cursor": first["next_cursor"]}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "cursor"


def test_lists_need_a_key(built):
    from fastapi.testclient import TestClient

    from ingest_api.app import create_app

    with TestClient(create_app(built.settings)) as anonymous:
        for path in ("/v1/sessions", "/v1/clusters", "/v1/agents"):
            assert anonymous.get(path).status_code == 401


def test_clusters_match_the_marts(built, built_client):
    sql = "select cluster_id, occurrences from error_clusters where project_id = 'default'"
    expected = dict(mart(built, sql))
    clusters = walk(built_client, "/v1/clusters", limit=2)
    assert {c["cluster_id"]: c["occurrences"] for c in clusters} == expected
    counts = [(-c["occurrences"], c["cluster_id"]) for c in clusters]
    assert counts == sorted(counts)
    for c in clusters:
        assert len(c["trend"]) == 30
        # the samples span a few days, so the 30-day trend holds every occurrence
        assert sum(p["errors"] for p in c["trend"]) == c["occurrences"]
        assert c["agents_affected"] == len(c["agents"]) >= 1


def test_clusters_name_the_change_they_were_attributed_to(built_client):
    clusters = built_client.get("/v1/clusters", params={"limit": 500}).json()["clusters"]
    evict = [c for c in clusters if "lru.go" in (c["sample_message"] or "")]
    assert evict, [c["sample_message"] for c in clusters]
    causes = [k for c in evict for k in c["causes"]]
    assert any(k["file_path"] == "pkg/cache/lru.go" for k in causes), causes


def test_cluster_filter(built_client):
    clusters = built_client.get("/v1/clusters", params={"limit": 500}).json()["clusters"]
    some_type = next(c["error_type"] for c in clusters if c["error_type"])
    narrowed = built_client.get("/v1/clusters", params={"error_type": some_type}).json()
    assert narrowed["total"] == sum(1 for c in clusters if c["error_type"] == some_type)
    assert {c["error_type"] for c in narrowed["clusters"]} == {some_type}


def test_agents_side_by_side(built, built_client):
    body = built_client.get("/v1/agents").json()
    expected = dict(
        mart(
            built,
            "select agent, induced_error_count from agent_performance "
            "where scope = 'overall' and project_id = 'default'",
        )
    )
    assert {a["agent"]: a["induced_error_count"] for a in body["agents"]} == expected
    for a in body["agents"]:
        assert a["induced_error_rate"] == pytest.approx(
            a["induced_error_count"] / a["total_actions"]
        )
    fields = ("edit_actions", "fixed_failures", "mean_fix_time_s", "cost_per_session")
    in_mart = {
        r[0]: r[1:]
        for r in mart(
            built,
            f"select agent, {', '.join(fields)} from agent_performance "
            "where scope = 'overall' and project_id = 'default'",
        )
    }
    assert {a["agent"]: tuple(a[f] for f in fields) for a in body["agents"]} == in_mart
