"""Freshness: from a marker event's 2xx to its session summary and its insight.

    python -m benchmarks.freshness --data-dir DIR [--rate 1000] [--seconds 180]

On a data dir whose warehouse is built and published (the bench's), this starts the
production scheduling (`achilles daemon`: the new-landing-files sensor at its
default interval) and an ingest server, posts a steady load of `rate` events/s to
sessions of their own, and every `marker_every_s` posts a marker: a new session
whose third error of the same failure trips `repeated_error` (the circuit breaker
a lead wants while the agent is still looping). For each marker it measures the
time from the marker batch's 2xx to
  - `summary_s`: `GET /v1/sessions/{id}` shows the marker (event count 3),
  - `insight_s`: `/v1/insights/recent?session_id=...` lists its `repeated_error`.
`freshness.p50_s` / `p95_s` are over the later of the two per marker; a marker not
seen within `settle_s` after the load stops counts as missed (and as `settle_s`).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from achilles.server import ServerProcess
from benchmarks.ingest_load import run_load

ACHILLES = Path(sys.executable).parent / "achilles"
POLL_S = 0.5
MARKER_ERRORS = 3  # the insight config's default repeated_error_threshold


@dataclass
class Marker:
    session_id: str
    acked_at: float
    summary_at: float | None = None
    insight_at: float | None = None


def marker_events(start: datetime) -> list[dict[str, Any]]:
    """An edit, then the same assertion failing MARKER_ERRORS times: repeated_error."""
    events: list[dict[str, Any]] = [
        {
            "event_type": "agent_action",
            "source_type": "agent",
            "timestamp": start.isoformat(),
            "actor": "claude-code",
            "file_path": "src/billing/invoice.py",
            "message": "edit src/billing/invoice.py",
        }
    ]
    for k in range(MARKER_ERRORS):
        events.append(
            {
                "event_type": "error",
                "source_type": "agent",
                "timestamp": (start + timedelta(seconds=20 * (k + 1))).isoformat(),
                "actor": "pytest",
                "error_type": "AssertionError",
                "message": "assert invoice.total() == Decimal('42.00')",
                "file_path": "tests/test_invoice.py",
            }
        )
    return events


def _p(samples: list[float], q: int) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return round(samples[0], 2)
    return round(statistics.quantiles(samples, n=100, method="inclusive")[q - 1], 2)


class _Watcher(threading.Thread):
    """Polls the read API for every marker not yet seen in full."""

    def __init__(self, url: str, api_key: str):
        super().__init__(daemon=True)
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        )
        self.markers: list[Marker] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def add(self, marker: Marker) -> None:
        with self.lock:
            self.markers.append(marker)

    def pending(self) -> list[Marker]:
        with self.lock:
            return [m for m in self.markers if m.summary_at is None or m.insight_at is None]

    def run(self) -> None:
        while not self.stopping.is_set():
            for m in self.pending():
                self._look(m)
            self.stopping.wait(POLL_S)
        self.http.close()

    def _look(self, m: Marker) -> None:
        try:
            if m.summary_at is None:
                r = self.http.get(f"/v1/sessions/{m.session_id}")
                summary = r.json().get("summary") if r.status_code == 200 else None
                if summary and summary.get("event_count") == MARKER_ERRORS + 1:
                    m.summary_at = time.monotonic()
            if m.insight_at is None:
                r = self.http.get("/v1/insights/recent", params={"session_id": m.session_id})
                found = r.json().get("insights", []) if r.status_code == 200 else []
                if any(i["kind"] == "repeated_error" for i in found):
                    m.insight_at = time.monotonic()
        except httpx.HTTPError:
            pass  # the server is busy: look again next round


def _daemon(data_dir: Path, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(
        [str(ACHILLES), "daemon"],
        env={**os.environ, "ACHILLES_DATA_DIR": str(data_dir), **env},
        stdout=out,
        stderr=out,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_freshness(
    data_dir: Path,
    logs: Path,
    echo: Any = print,
    rate: float = 1000.0,
    seconds: float = 180.0,
    marker_every_s: float = 10.0,
    settle_s: float = 180.0,
    warmup_s: float = 20.0,
    env: dict[str, str] | None = None,
    api_key: str = "dev-key",
) -> dict[str, Any]:
    """Run daemon + server + load + markers on `data_dir`; returns the figures."""
    logs.mkdir(parents=True, exist_ok=True)
    nonce = uuid.uuid4().hex[:8]
    daemon = _daemon(data_dir, logs / "freshness-daemon.log", env or {})
    load_result: dict[str, float] = {}
    markers: list[Marker] = []
    try:
        with ServerProcess(
            data_dir, workers=2, env=env, log_path=logs / "freshness-server.log"
        ) as srv:
            watcher = _Watcher(srv.url, api_key)
            watcher.start()
            # The load starts first, so the daemon is already busy with it when the
            # first marker lands, as it would be in production.
            loader = threading.Thread(
                target=lambda: load_result.update(
                    run_load(srv.url, rate, warmup_s + seconds, prefix=f"fresh-load-{nonce}")
                ),
                daemon=True,
            )
            loader.start()
            echo(
                f"[freshness] daemon + load {rate:,.0f} events/s; markers every "
                f"{marker_every_s:.0f} s for {seconds:.0f} s after {warmup_s:.0f} s warm-up"
            )
            time.sleep(warmup_s)
            headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
            end = time.monotonic() + seconds
            with httpx.Client(base_url=srv.url, headers=headers, timeout=60) as http:
                k = 0
                while time.monotonic() < end:
                    sid = f"fresh-marker-{nonce}-{k}"
                    body = orjson.dumps(
                        {
                            "session_id": sid,
                            "events": marker_events(datetime.now(UTC) - timedelta(minutes=2)),
                        }
                    )
                    r = http.post("/v1/events/batch", content=body)
                    if r.status_code != 200:
                        raise RuntimeError(f"marker refused: {r.status_code} {r.text[:500]}")
                    m = Marker(sid, time.monotonic())
                    markers.append(m)
                    watcher.add(m)
                    k += 1
                    time.sleep(marker_every_s)
            loader.join()
            deadline = time.monotonic() + settle_s
            while watcher.pending() and time.monotonic() < deadline:
                if daemon.poll() is not None:
                    break
                time.sleep(1)
            watcher.stopping.set()
            watcher.join()
    finally:
        _stop(daemon)

    def lag(at: float | None, m: Marker) -> float:
        return (at - m.acked_at) if at is not None else settle_s

    summary = [lag(m.summary_at, m) for m in markers]
    insight = [lag(m.insight_at, m) for m in markers]
    both = [max(a, b) for a, b in zip(summary, insight, strict=True)]
    missed = sum(1 for m in markers if m.summary_at is None or m.insight_at is None)
    result = {
        "p50_s": _p(both, 50),
        "p95_s": _p(both, 95),
        "summary_p50_s": _p(summary, 50),
        "summary_p95_s": _p(summary, 95),
        "insight_p50_s": _p(insight, 50),
        "insight_p95_s": _p(insight, 95),
        "markers": len(markers),
        "missed": missed,
        "ingest_events_per_s": round(load_result.get("events_per_s", 0.0)),
        "ingest_failed_requests": load_result.get("failed_requests"),
        "target_events_per_s": rate,
        "sensor_interval_s": int((env or {}).get("ACHILLES_SENSOR_INTERVAL_S", 0)) or None,
        "daemon_exit": daemon.returncode,
    }
    echo(
        f"[freshness] p50 {result['p50_s']} s, p95 {result['p95_s']} s over "
        f"{len(markers)} markers ({missed} missed); summary p95 {result['summary_p95_s']} s, "
        f"insight p95 {result['insight_p95_s']} s"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--marker-every-s", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    data_dir = args.data_dir.resolve()
    result = run_freshness(
        data_dir,
        data_dir / "bench" / "logs",
        rate=args.rate,
        seconds=args.seconds,
        marker_every_s=args.marker_every_s,
    )
    if args.out:
        args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0 if result["missed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
