"""`achilles demo`: a session sent over HTTP and read back, checked end to end."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from achilles.client import AchillesClient
from achilles.scenarios import refactor_session


class RoundTripError(AssertionError):
    pass


def round_trip(client: AchillesClient, echo: Any = print) -> dict[str, Any]:
    """Start a session, send a refactor scenario, end it, read it back and compare."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=15)
    session_id = client.start_session(
        session_id=f"demo-{uuid.uuid4().hex[:12]}",
        agent="claude-code",
        actor="dana",
        repo="github.com/example/shop",
        branch="refactor-invoice",
        started_at=start.isoformat(),
    )
    events = refactor_session(start + timedelta(seconds=1))
    # Two batches, as a streaming client would send them.
    half = len(events) // 2
    results = [
        client.send_batch(events[:half], session_id),
        client.send_batch(events[half:], session_id),
    ]
    accepted = sum(r["accepted"] for r in results)
    rejected = [x for r in results for x in r["results"] if x["status"] == "rejected"]
    if rejected:
        raise RoundTripError(f"server rejected events: {rejected}")
    # A session ends at its last event, not whenever the demo happened to run.
    client.end_session(session_id, "completed", ended_at=last_timestamp(events))

    stored = list(client.iter_events(session_id))
    session = client.session(session_id)
    body = [e for e in stored if e["event_type"] not in ("session_start", "session_end")]
    problems = []
    if len(body) != len(events) or accepted != len(events):
        problems.append(f"sent {len(events)} events, server stored {len(body)}")
    if [e["timestamp"] for e in stored] != sorted(e["timestamp"] for e in stored):
        problems.append("events did not come back in timestamp order")
    sent_msgs = [e.get("message") for e in events]
    if [e["message"] for e in body] != sent_msgs:
        problems.append("events came back in a different order than sent")
    if stored[0]["event_type"] != "session_start" or stored[-1]["event_type"] != "session_end":
        problems.append("session start/end markers missing")
    if session["event_count"] != len(events) or session["outcome"] != "completed":
        problems.append(f"session summary disagrees: {session}")
    if problems:
        raise RoundTripError("; ".join(problems))

    by_type = Counter(e["event_type"] for e in body)
    tokens = sum((e["input_tokens"] or 0) + (e["output_tokens"] or 0) for e in body)
    echo(f"Round trip OK for session {session_id}")
    echo(f"  sent {len(events)} events in 2 batches; stored {len(body)} + start/end markers")
    echo("  by type: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())))
    echo(f"  LLM tokens: {tokens:,}; order by timestamp preserved; outcome {session['outcome']}")
    return {"session_id": session_id, "sent": len(events), "stored": len(body)}


def last_timestamp(events: list[dict[str, Any]]) -> str:
    """When the last of `events` happened (their list order need not be time order)."""
    return max(events, key=lambda e: datetime.fromisoformat(e["timestamp"]))["timestamp"]


def send_samples(client: AchillesClient, sessions: list[dict[str, Any]], echo: Any = print) -> int:
    """Send the bundled sample sessions (start, events in batches, end); returns events sent."""
    sent = 0
    for s in sessions:
        session_id = client.start_session(**s["start"], started_at=s["events"][0]["timestamp"])
        events = s["events"]
        for i in range(0, len(events), 10):
            out = client.send_batch(events[i : i + 10], session_id)
            if out["rejected"]:
                raise RoundTripError(f"sample event rejected: {out['results']}")
        client.end_session(session_id, s["outcome"], ended_at=last_timestamp(events))
        sent += len(events)
    echo(f"Sent {len(sessions)} sample sessions ({sent} events)")
    return sent
