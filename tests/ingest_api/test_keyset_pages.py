"""Keyset pagination: `cursor` pages equal offset pages, and cost the same at any depth
(issue 13, part 7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest_api import pagination


def event(ts: str, **over):
    return {"event_type": "agent_action", "source_type": "agent", "timestamp": ts, **over}


def _all_by_cursor(client, path: str, key: str, limit: int, **params) -> list[dict]:
    got: list[dict] = []
    page = client.get(path, params={"limit": limit, **params}).json()
    got += page[key]
    while page["next_cursor"]:
        page = client.get(path, params={"limit": limit, "cursor": page["next_cursor"], **params})
        assert page.status_code == 200, page.text
        page = page.json()
        assert page["total"] is None and page["next_offset"] is None
        got += page[key]
    return got


def test_event_cursor_pages_equal_the_whole_list(client):
    # Ties on timestamp, so event_id must break them across page boundaries.
    events = [
        event(f"2026-11-21T10:00:0{i % 4}Z", event_id=f"e{i:02d}", message=str(i))
        for i in range(25)
    ]
    assert (
        client.post("/v1/events/batch", json={"session_id": "k", "events": events}).status_code
        == 200
    )
    whole = client.get("/v1/sessions/k/events", params={"limit": 1000}).json()
    assert whole["total"] == 25 and whole["next_cursor"] is None
    paged = _all_by_cursor(client, "/v1/sessions/k/events", "events", 7)
    assert [e["event_id"] for e in paged] == [e["event_id"] for e in whole["events"]]
    first = client.get("/v1/sessions/k/events", params={"limit": 7}).json()
    assert first["total"] == 25 and first["next_offset"] == 7 and first["next_cursor"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "e30",  # {}
        pagination.ERRORS.encode(
            {
                "occurrences": 1,
                "first_seen_at": datetime(2026, 1, 1, tzinfo=UTC),
                "cluster_id": "c",
            },
            ("occurrences", "first_seen_at", "cluster_id"),
        ),
        "x" * 3000,
    ],
)
def test_foreign_or_broken_cursor_is_422(client, cursor):
    client.post(
        "/v1/events/batch", json={"session_id": "k", "events": [event("2026-11-21T10:00:00Z")]}
    )
    r = client.get("/v1/sessions/k/events", params={"cursor": cursor})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "cursor"


def test_cursor_and_offset_together_is_422(client):
    client.post(
        "/v1/events/batch", json={"session_id": "k", "events": [event("2026-11-21T10:00:00Z")]}
    )
    c = client.get("/v1/sessions/k/events", params={"limit": 1}).json()
    first = c["events"][0]
    cur = pagination.EVENTS.encode(
        first | {"timestamp": datetime.fromisoformat(first["timestamp"])},
        ("timestamp", "event_id"),
    )
    r = client.get("/v1/sessions/k/events", params={"cursor": cur, "offset": 3})
    assert r.status_code == 422 and "not both" in r.json()["detail"][0]["reason"]


@pytest.mark.slow
@pytest.mark.parametrize("tail,key", [("errors", "clusters"), ("correlations", "correlations")])
def test_derived_cursor_pages_equal_the_whole_list(built, built_client, tail, key):
    longest = 0
    for s in built.sessions:
        path = f"/v1/sessions/{s['start']['session_id']}/{tail}"
        whole = built_client.get(path, params={"limit": 1000}).json()
        longest = max(longest, len(whole[key]))
        assert _all_by_cursor(built_client, path, key, 1) == whole[key]
    if tail == "correlations":
        assert longest >= 2, "the samples should give a list of several rows"


def test_error_cluster_cursor_pages_with_ties(tmp_path):
    """Clusters order by occurrences desc, then first seen, then id: ties on both."""
    import duckdb

    from ingest_api import reads
    from ingest_api.warehouse import WarehouseReader

    path = tmp_path / "snap.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("create table achilles_publish as select now() as published_at")
        db.execute(
            """create table session_error_clusters as
            select 'default' as project_id, 's' as session_id, 'c' || i as cluster_id,
                'E' as error_type, 'm' || i as normalized_message, (i % 3) + 1 as occurrences,
                timestamptz '2026-01-01 00:00:00+00' + to_seconds(i % 2) as first_seen_at,
                timestamptz '2026-01-02 00:00:00+00' as last_seen_at
            from range(10) t(i)"""
        )
        db.execute(
            """create table error_clusters as select project_id, cluster_id, normalized_message as
            sample_message, occurrences, 1 as sessions_affected from session_error_clusters"""
        )
    reader = WarehouseReader(path)
    whole, total, more, _ = reads.session_errors(reader, "default", "s", 1000, 0)
    assert total == 10 and not more
    names = ("occurrences", "first_seen_at", "cluster_id")
    got, after = [], None
    while True:
        rows, total, more, _ = reads.session_errors(reader, "default", "s", 3, 0, after)
        got += rows
        if not more:
            break
        after = pagination.ERRORS.decode(pagination.ERRORS.encode(rows[-1], names))
    reader.close()
    assert [r["cluster_id"] for r in got] == [r["cluster_id"] for r in whole]


@pytest.mark.slow
def test_snapshot_event_cursor_pages(built_client):
    path = "/v1/sessions/sample-refactor-1/events"
    whole = built_client.get(path, params={"limit": 1000}).json()
    assert _all_by_cursor(built_client, path, "events", 3) == whole["events"]
