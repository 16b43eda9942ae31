"""An event acknowledged with 2xx survives kill -9 of the server mid-load."""

import threading
import time

import httpx
import pyarrow.parquet as pq
import pytest

from achilles.client import AchillesClient
from achilles.server import ServerProcess

pytestmark = pytest.mark.slow


def _load(url, worker, acked, stop):
    http = httpx.Client(base_url=url, headers={"Authorization": "Bearer dev-key"}, timeout=10)
    n = 0
    while not stop.is_set():
        ids = [f"w{worker}-{n}-{i}" for i in range(50)]
        events = [
            {
                "event_id": eid,
                "event_type": "agent_action",
                "source_type": "agent",
                "timestamp": "2026-11-21T10:00:00Z",
                "message": eid,
            }
            for eid in ids
        ]
        try:
            r = http.post(
                "/v1/events/batch", json={"session_id": f"load-{worker}", "events": events}
            )
        except httpx.HTTPError:
            return  # the server died under us: this batch was never acknowledged
        if r.status_code == 200:
            acked.update(ids)
        n += 1


def test_acknowledged_events_survive_sigkill(tmp_path):
    data = tmp_path / "data"
    server = ServerProcess(data, workers=2).start()
    acked: set[str] = set()
    stop = threading.Event()
    threads = [threading.Thread(target=_load, args=(server.url, w, acked, stop)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    server.kill()  # SIGKILL to the whole process group, mid-load
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 500, "the load did not get going"

    landed = set()
    for f in (data / "landing" / "events").glob("*/*.parquet"):
        landed.update(pq.read_table(f, columns=["event_id"]).column("event_id").to_pylist())
    assert acked <= landed, f"{len(acked - landed)} acknowledged events lost"

    # A restarted server serves them, temp leftovers of the killed writes notwithstanding.
    with ServerProcess(data) as again, AchillesClient(again.url, "dev-key") as client:
        served = {e["event_id"] for w in range(4) for e in client.iter_events(f"load-{w}")}
    assert acked <= served
