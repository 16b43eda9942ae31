"""The landing zone: immutable files, invisible temp files, compaction that loses nothing."""

import pyarrow.parquet as pq

from achilles_core.landing import SCHEMA, LandingZone
from ingest_api.service import IngestService
from ingest_api.session_reads import SessionReader


def _batch(service, session_id, n, start=0):
    return service.ingest(
        [
            {
                "session_id": session_id,
                "event_type": "agent_action",
                "source_type": "agent",
                "timestamp": f"2026-11-21T10:{(start + i) // 60:02d}:{(start + i) % 60:02d}Z",
                "message": f"step {start + i}",
            }
            for i in range(n)
        ]
    )


def test_files_follow_the_schema_and_sort_by_arrival(settings):
    service = IngestService(settings)
    for k in range(3):
        _batch(service, "s", 2, start=10 * k)
    files = service.landing.session_files("s")
    assert len(files) == 3 and files == sorted(files)
    assert pq.read_schema(files[0]).remove_metadata() == SCHEMA
    received = [pq.read_table(f).column("received_at")[0].as_py() for f in files]
    assert received == sorted(received)


def test_a_batch_of_many_sessions_lands_each_its_own_rows(settings):
    # the batch's rows are built as one table and cut per session: each file must hold
    # its session's rows only, numbered from 0, under one batch id of its own
    service = IngestService(settings)
    raw = [
        {
            "session_id": sid,
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": f"2026-11-21T10:00:{i:02d}Z",
            "message": f"{sid} step {i}",
            "attributes": {"i": i},
        }
        for i in range(6)
        for sid in ("a", "b", "c")[: 1 + i % 3]
    ]
    assert all(r.status == "accepted" for r in service.ingest(raw))
    batch_ids = set()
    for sid in ("a", "b", "c"):
        (file,) = service.landing.session_files(sid)
        rows = pq.read_table(file).to_pylist()
        expected = [r for r in raw if r["session_id"] == sid]
        assert [r["message"] for r in rows] == [r["message"] for r in expected]
        assert [r["attributes"] for r in rows] == [
            f'{{"i":{e["attributes"]["i"]}}}' for e in expected
        ]
        assert [r["batch_index"] for r in rows] == list(range(len(expected)))
        assert len({r["batch_id"] for r in rows}) == 1
        batch_ids.add(rows[0]["batch_id"])
    assert len(batch_ids) == 3


def test_temp_files_are_never_read(settings):
    service = IngestService(settings)
    _batch(service, "s", 2)
    (settings.events_dir / "s" / ".tmp-abc.partial").write_bytes(b"half a file")
    events, total = SessionReader(settings).session_events("s", 100, 0)
    assert total == 2


def test_compaction_keeps_every_event_and_order(settings):
    service = IngestService(settings)
    for k in range(5):
        _batch(service, "s", 3, start=10 * k)
    before, _ = SessionReader(settings).session_events("s", 100, 0)
    zone = LandingZone(settings.events_dir)
    assert zone.compact(min_files=3) == (1, 5)
    assert len(zone.session_files("s")) == 1
    after, _ = SessionReader(settings).session_events("s", 100, 0)
    assert after == before
    # Dedupe state is rebuilt after compaction: a retry is still caught, new events land.
    assert _batch(service, "s", 1)[0].status == "duplicate"
    assert _batch(service, "s", 1, start=200)[0].status == "accepted"
    assert zone.compact(min_files=3) == (0, 0)


def test_compaction_leftovers_are_read_once(settings):
    """A crash between writing the merged file and deleting inputs must not double events."""
    service = IngestService(settings)
    _batch(service, "s", 3)
    _batch(service, "s", 3, start=10)
    zone = LandingZone(settings.events_dir)
    originals = {f: f.read_bytes() for f in zone.session_files("s")}
    zone.compact(min_files=2)
    for path, data in originals.items():  # as if the deletes never happened
        path.write_bytes(data)
    assert len(zone.session_files("s")) == 3
    assert SessionReader(settings).session_events("s", 100, 0)[1] == 6
