"""A steady ingest load in its own process, for `read.p95_under_ingest_ms`.

    python -m benchmarks.ingest_load URL --rate 13000 --seconds 10 --out load.json

Posts 500-event batches (`benchmarks/ingest.py`'s events, bodies serialised before
the clock starts) at `rate` events/s, paced, to sessions of their own (`load-*`), with
two connections so one slow answer does not stall the pace. Writes what it achieved:
events sent, seconds, events/s, failed requests. Its own process, so the load's CPU
is not the reading bench's.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson

from benchmarks.ingest import BATCH, make_batches

CONNECTIONS = 2


def run_load(
    url: str, rate: float, seconds: float, prefix: str = "load", api_key: str = "dev-key"
) -> dict[str, float]:
    """Post at `rate` events/s for `seconds` to sessions `<prefix>-<n>` (a new prefix for
    each run against one data dir, or the events are duplicates and land nothing)."""
    n_batches = max(1, int(rate * seconds / BATCH) + 1)
    bodies = [
        orjson.dumps({"session_id": sid.replace("bench", prefix), "events": events})
        for sid, events in make_batches(n_batches, sessions=64)
    ]
    interval = CONNECTIONS * BATCH / rate  # each connection's pace
    sent = [0] * CONNECTIONS
    failed = [0] * CONNECTIONS
    start = time.perf_counter()
    deadline = start + seconds

    def run(k: int) -> None:
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            next_at = start + k * interval / CONNECTIONS
            for body in bodies[k::CONNECTIONS]:
                now = time.perf_counter()
                if now >= deadline:
                    break
                if next_at > now:
                    time.sleep(next_at - now)
                try:
                    ok = http.post("/v1/events/batch", content=body).status_code == 200
                except httpx.HTTPError:
                    ok = False
                sent[k] += BATCH if ok else 0
                failed[k] += 0 if ok else 1
                next_at += interval

    threads = [threading.Thread(target=run, args=(k,)) for k in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "target_events_per_s": rate,
        "events": float(sum(sent)),
        "seconds": elapsed,
        "events_per_s": sum(sent) / elapsed,
        "failed_requests": float(sum(failed)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=13_000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prefix", default="load", help="session ids: <prefix>-<n>")
    args = parser.parse_args(argv)
    result = run_load(args.url, args.rate, args.seconds, args.prefix)
    args.out.write_bytes(orjson.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
