"""The dedupe rule, on its own and through the API (window edges, event ids)."""

from ingest_api.dedupe import SessionDedupeState

W = 2_000_000  # 2 s in µs


def test_window_is_inclusive_at_the_edge():
    state = SessionDedupeState()
    state.add("a", "derived", "h1", 10_000_000)
    assert state.is_duplicate("b", "derived", "h1", 12_000_000, W)  # exactly 2 s later
    assert state.is_duplicate("b", "derived", "h1", 8_000_000, W)  # 2 s earlier
    assert not state.is_duplicate("b", "derived", "h1", 12_000_001, W)
    assert not state.is_duplicate("b", "derived", "h1", 7_999_999, W)


def test_other_content_is_never_a_duplicate():
    state = SessionDedupeState()
    state.add("a", "derived", "h1", 0)
    assert not state.is_duplicate("b", "derived", "h2", 0, W)


def test_client_event_id_is_a_duplicate_whenever_seen():
    state = SessionDedupeState()
    state.add("evt-1", "client", "h1", 0)
    assert state.is_duplicate("evt-1", "client", "h-other", 3_600_000_000, W)


def test_client_ids_skip_the_hash_window():
    state = SessionDedupeState()
    state.add("evt-1", "client", "h1", 0)
    assert not state.is_duplicate("evt-2", "client", "h1", 1, W)


def _err(ts, **over):
    return {
        "event_type": "error",
        "source_type": "ci",
        "timestamp": ts,
        "message": "AssertionError: expected 3",
        **over,
    }


def post(client, events, session_id="s1"):
    r = client.post("/v1/events/batch", json={"session_id": session_id, "events": events})
    assert r.status_code == 200, r.text
    return [x["status"] for x in r.json()["results"]]


def test_api_retry_within_window_is_duplicate(client):
    assert post(client, [_err("2026-11-21T10:00:00Z")]) == ["accepted"]
    assert post(client, [_err("2026-11-21T10:00:02Z")]) == ["duplicate"]
    assert post(client, [_err("2026-11-21T10:00:02.001Z")]) == ["accepted"]


def test_api_same_error_a_minute_later_is_new(client):
    statuses = post(client, [_err("2026-11-21T10:00:00Z"), _err("2026-11-21T10:01:00Z")])
    assert statuses == ["accepted", "accepted"]
    assert client.get("/v1/sessions/s1").json()["event_count"] == 2


def test_api_duplicates_inside_one_batch(client):
    e = _err("2026-11-21T10:00:00Z", event_id="e-1")
    assert post(client, [e, e, _err("2026-11-21T10:00:00.5Z")]) == [
        "accepted",
        "duplicate",
        "accepted",  # has no client id, and the one before it does
    ]


def test_api_event_id_repeat_is_duplicate_even_with_new_content(client):
    post(client, [_err("2026-11-21T10:00:00Z", event_id="e-1")])
    assert post(client, [_err("2026-11-21T11:00:00Z", event_id="e-1", message="other")]) == [
        "duplicate"
    ]


def test_api_dedupe_is_per_session(client):
    post(client, [_err("2026-11-21T10:00:00Z")], "s1")
    assert post(client, [_err("2026-11-21T10:00:00Z")], "s2") == ["accepted"]


def test_api_dedupe_sees_files_landed_by_another_process(settings, client):
    """A second service on the same data dir (another worker) must see the first's events."""
    from ingest_api.service import IngestService

    post(client, [_err("2026-11-21T10:00:00Z")])
    other = IngestService(settings)
    assert other.ingest([_err("2026-11-21T10:00:01Z", session_id="s1")])[0].status == "duplicate"
    other.ingest([_err("2026-11-21T10:05:00Z", session_id="s1")])
    # ...and the first process picks up the other's new file on its next batch.
    assert post(client, [_err("2026-11-21T10:05:01Z")]) == ["duplicate"]
