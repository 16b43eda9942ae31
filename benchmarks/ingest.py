"""Ingest throughput: 500-event batches over HTTP vs. the same work in process.

Both paths validate, hash, dedupe and durably land (fsync) every batch; the
ratio shows what HTTP, JSON and the server add on top of that floor.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from achilles.server import ServerProcess
from achilles_core.settings import Settings
from ingest_api.service import IngestService

BATCH = 500
TYPES = [
    ("agent_action", "agent", None),
    ("llm_call", "agent", None),
    ("test_run", "ci", "passed"),
    ("error", "ci", None),
    ("human_action", "human", None),
]


def make_batches(n_batches: int, sessions: int = 16) -> list[tuple[str, list[dict[str, Any]]]]:
    """Realistic-sized events, spread over `sessions` sessions, all distinct."""
    base = datetime(2026, 11, 1, tzinfo=UTC)
    batches = []
    for b in range(n_batches):
        sid = f"bench-{b % sessions}"
        events = []
        for i in range(BATCH):
            k = b * BATCH + i
            etype, source, status = TYPES[k % len(TYPES)]
            ev: dict[str, Any] = {
                "event_type": etype,
                "source_type": source,
                "timestamp": (base + timedelta(milliseconds=250 * k)).isoformat(),
                "actor": "claude-code" if source == "agent" else "dev",
                "file_path": f"src/module_{k % 300}.py",
                "message": f"step {k}: edit module_{k % 300} to handle the empty case",
                "attributes": {"tool": "Edit", "lines": k % 40},
            }
            if status:
                ev["status"] = status
            if etype == "llm_call":
                ev.update(model="claude-sonnet-4-5", input_tokens=4000 + k % 900, output_tokens=300)
            events.append(ev)
        batches.append((sid, events))
    return batches


def inprocess(data_dir: Path, batches: list) -> dict[str, float]:
    service = IngestService(Settings(data_dir=data_dir, _env_file=None))
    bodies = [orjson.dumps({"session_id": s, "events": e}) for s, e in batches]
    times = []
    start = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        payload = orjson.loads(body)  # the server parses JSON too
        results = service.ingest(payload["events"], payload["session_id"])
        assert all(r.status == "accepted" for r in results)
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    return {"events_per_s": len(batches) * BATCH / elapsed, "p95_batch_ms": _p95(times)}


def over_http(data_dir: Path, batches: list, workers: int = 1, clients: int = 4) -> dict:
    bodies = [orjson.dumps({"session_id": s, "events": e}) for s, e in batches]
    times: list[float] = []
    lock = threading.Lock()
    with ServerProcess(data_dir, workers=workers) as server:

        def run(chunk: list[bytes]) -> None:
            with httpx.Client(
                base_url=server.url,
                headers={"Authorization": "Bearer dev-key", "Content-Type": "application/json"},
                timeout=60,
            ) as http:
                for body in chunk:
                    t0 = time.perf_counter()
                    r = http.post("/v1/events/batch", content=body)
                    r.raise_for_status()
                    with lock:
                        times.append(time.perf_counter() - t0)

        threads = [threading.Thread(target=run, args=(bodies[i::clients],)) for i in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    return {"events_per_s": len(bodies) * BATCH / elapsed, "p95_batch_ms": _p95(times)}


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000 if len(samples) > 1 else 0.0


if __name__ == "__main__":
    import sys
    import tempfile

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    batches = make_batches(n)
    with tempfile.TemporaryDirectory() as tmp:
        ip = inprocess(Path(tmp) / "a", batches)
        http = over_http(Path(tmp) / "b", batches)
    print(f"in-process: {ip['events_per_s']:,.0f} events/s, p95 {ip['p95_batch_ms']:.1f} ms")
    print(
        f"HTTP (1 worker): {http['events_per_s']:,.0f} events/s, p95 {http['p95_batch_ms']:.1f} ms"
    )
    print(f"ratio: {http['events_per_s'] / ip['events_per_s']:.2f}")
