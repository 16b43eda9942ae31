"""Deterministic insight detectors: pure functions from session data to findings.

Every detector sorts its own input (by timestamp, then event_id — the order
`event_seq` uses), so row order never matters, and derives everything it
reports (key, text, evidence, detected_at) from the data alone: the same
session data always gives byte-identical findings.

Detectors look at the whole session history (the light `timeline` rows), not
only the last N events of the context window. A window would make a finding
depend on when the step happened to run: a break-fix cycle or a stall that
crosses the window's edge would change its key from run to run. With the whole
history, replaying the same events gives the same insights whatever the
schedule; only `high_error_density`, a statement about the session's current
ratio, can flip back and forth as the session grows.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from achilles_core.insight_config import InsightConfig

CRASH_STATUSES = frozenset({"crashed", "restarted"})
PASSED = "passed"


# ---------------------------------------------------------------- input rows


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event of the session, reduced to what the detectors need.

    `cluster_id` is set for errors that have a row in `error_occurrences`.
    """

    event_id: str
    timestamp: datetime
    event_type: str
    source_type: str
    actor: str | None = None
    file_path: str | None = None
    status: str | None = None
    cluster_id: str | None = None
    error_type: str | None = None

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.timestamp, self.event_id)

    @property
    def is_agent_action(self) -> bool:
        return self.event_type == "agent_action" and self.source_type == "agent"

    @property
    def is_passing_test(self) -> bool:
        return self.event_type == "test_run" and self.status == PASSED


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """The columns of the `sessions` row the detectors use."""

    session_id: str
    event_count: int
    error_count: int
    error_density: float
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionCluster:
    """One `session_error_clusters` row."""

    cluster_id: str
    error_type: str | None
    normalized_message: str | None
    occurrences: int


@dataclass(frozen=True, slots=True)
class Correlation:
    """One `event_correlations` row, plus the two events' short messages."""

    correlation_id: str
    method: str
    action_event_id: str
    error_event_id: str
    agent: str | None
    action_file_path: str | None
    error_file_path: str | None
    error_cluster_id: str | None
    action_timestamp: datetime
    error_timestamp: datetime
    lag_s: float
    same_file: bool
    confidence: float
    attribution_rank: int
    action_message: str | None = None
    error_message: str | None = None
    error_type: str | None = None


# ---------------------------------------------------------------- output


@dataclass(frozen=True)
class Finding:
    """A detected insight before it meets the store (no wall-clock fields)."""

    session_id: str
    kind: str
    key: str
    severity: str  # info | warning | critical
    title: str
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)
    detected_at: datetime | None = None

    @property
    def insight_id(self) -> str:
        return make_insight_id(self.session_id, self.kind, self.key)

    @property
    def evidence_json(self) -> str:
        return evidence_to_json(self.evidence)


def make_insight_id(session_id: str, kind: str, key: str) -> str:
    """Stable id: the same session, kind and key always give the same id."""
    raw = "\x1f".join((session_id, kind, key)).encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def evidence_to_json(evidence: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys, compact, UTC ISO timestamps)."""
    return orjson.dumps(evidence, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z).decode()


def _cap(ids: Sequence[str], limit: int) -> list[str]:
    return list(ids[:limit])


def _ordered(events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    return sorted(events, key=lambda e: e.order)


def _short(text: str | None, limit: int = 120) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- detectors


def detect_high_error_density(
    summary: SessionSummary,
    timeline: Sequence[TimelineEvent],
    clusters: Sequence[SessionCluster],
    config: InsightConfig,
) -> list[Finding]:
    """Session error density above the threshold, for sessions big enough to judge.

    The numbers come from the `sessions` row; detected_at is the first event at
    which the running ratio crossed the threshold (stable as the session grows).
    """
    threshold = config.error_density_threshold
    if summary.event_count < config.error_density_min_events:
        return []
    if summary.error_density <= threshold:
        return []

    events = _ordered(timeline)
    detected_at = summary.last_event_at
    errors = 0
    for seen, ev in enumerate(events, start=1):
        errors += ev.event_type == "error"
        if seen >= config.error_density_min_events and errors * 100.0 / seen > threshold:
            detected_at = ev.timestamp
            break
    if detected_at is None and events:
        detected_at = events[-1].timestamp
    if detected_at is None:  # no event time to anchor the insight on
        return []
    error_ids = [e.event_id for e in events if e.event_type == "error"]
    top = sorted(clusters, key=lambda c: (-c.occurrences, c.cluster_id))
    severity = "critical" if summary.error_density >= 2 * threshold else "warning"
    density = f"{summary.error_density:.1f}"
    return [
        Finding(
            session_id=summary.session_id,
            kind="high_error_density",
            key="session",
            severity=severity,
            title=f"High error density: {density} errors per 100 events",
            detail=(
                f"{summary.error_count} errors in {summary.event_count} events "
                f"(threshold {threshold:g} per 100 events) across {len(clusters)} error clusters."
            ),
            evidence={
                "event_ids": _cap(error_ids, config.max_evidence_ids),
                "cluster_ids": _cap([c.cluster_id for c in top], config.max_evidence_ids),
                "counts": {
                    "errors": summary.error_count,
                    "events": summary.event_count,
                    "error_density": round(summary.error_density, 4),
                    "threshold": threshold,
                    "clusters": len(clusters),
                },
            },
            detected_at=detected_at,
        )
    ]


def detect_agent_caused_errors(
    session_id: str, correlations: Sequence[Correlation], config: InsightConfig
) -> list[Finding]:
    """One finding per (action, error) pair an agent most likely caused.

    Keyed by the two event ids, not the correlation id, so a second correlator
    method that blames the same pair adds evidence, not a second insight.
    """
    best: dict[tuple[str, str], Correlation] = {}
    for c in correlations:
        if c.attribution_rank != 1 or c.confidence < config.correlation_min_confidence:
            continue
        pair = (c.action_event_id, c.error_event_id)
        current = best.get(pair)
        if current is None or (-c.confidence, c.method) < (-current.confidence, current.method):
            best[pair] = c
    methods: dict[tuple[str, str], list[str]] = {}
    for c in correlations:
        pair = (c.action_event_id, c.error_event_id)
        if pair in best and c.attribution_rank == 1:
            methods.setdefault(pair, []).append(c.method)

    findings = []
    for pair in sorted(best):
        c = best[pair]
        agent = c.agent or "unknown"
        file_path = c.action_file_path or c.error_file_path
        where = f" on {file_path}" if file_path else ""
        error_label = c.error_type or "error"
        error_text = _short(c.error_message)
        action_text = _short(c.action_message)
        detail = (
            f"Agent action {c.action_event_id}"
            + (f" ({action_text})" if action_text else "")
            + f"{where} preceded error {c.error_event_id} ({error_label}"
            + (f": {error_text}" if error_text else "")
            + f") by {c.lag_s:.1f} s; confidence {c.confidence:.2f} ({c.method})."
        )
        findings.append(
            Finding(
                session_id=session_id,
                kind="agent_caused_error",
                key=f"{c.action_event_id}|{c.error_event_id}",
                severity="warning",
                title=f"{agent} likely caused {error_label}{where}",
                detail=detail,
                evidence={
                    "event_ids": [c.action_event_id, c.error_event_id],
                    "action_event_id": c.action_event_id,
                    "error_event_id": c.error_event_id,
                    "agent": agent,
                    "file_path": file_path,
                    "cluster_ids": [c.error_cluster_id] if c.error_cluster_id else [],
                    "correlation_id": c.correlation_id,
                    "methods": sorted(set(methods[pair])),
                    "counts": {
                        "confidence": c.confidence,
                        "lag_s": round(c.lag_s, 3),
                        "same_file": c.same_file,
                    },
                },
                detected_at=c.error_timestamp,
            )
        )
    return findings


def _errors_by_cluster(events: Sequence[TimelineEvent]) -> dict[str, list[TimelineEvent]]:
    by_cluster: dict[str, list[TimelineEvent]] = {}
    for ev in events:
        if ev.event_type == "error" and ev.cluster_id:
            by_cluster.setdefault(ev.cluster_id, []).append(ev)
    return by_cluster


def detect_break_fix_cycles(
    session_id: str, timeline: Sequence[TimelineEvent], config: InsightConfig
) -> list[Finding]:
    """A cluster that fails, is fixed, and fails again.

    Between two consecutive occurrences of the cluster, "fixed" means a passing
    test run came in between, or (if `break_fix_quiet_s` is set) the error stayed
    away at least that long. Every such recurrence is one refail (one cycle).
    """
    events = _ordered(timeline)
    passes = [e for e in events if e.is_passing_test]
    pass_orders = [p.order for p in passes]
    findings = []
    for cluster_id, occ in sorted(_errors_by_cluster(events).items()):
        refails: list[TimelineEvent] = []
        fix_runs: list[str] = []
        quiet_fixes = 0
        for prev, nxt in zip(occ, occ[1:], strict=False):
            first_pass = bisect_right(pass_orders, prev.order)
            if first_pass < len(passes) and pass_orders[first_pass] < nxt.order:
                fix_runs.append(passes[first_pass].event_id)
            elif (
                config.break_fix_quiet_s is not None
                and (nxt.timestamp - prev.timestamp).total_seconds() >= config.break_fix_quiet_s
            ):
                quiet_fixes += 1
            else:
                continue
            refails.append(nxt)
        if len(refails) < config.break_fix_min_refails:
            continue
        cycles = len(refails)
        error_type = occ[0].error_type or "error"
        findings.append(
            Finding(
                session_id=session_id,
                kind="break_fix_cycle",
                key=cluster_id,
                severity="critical" if cycles >= 3 else "warning",
                title=f"Break-fix cycle: {error_type} came back {cycles} time(s) after a fix",
                detail=(
                    f"Error cluster {cluster_id} occurred {len(occ)} times; it failed again "
                    f"after {len(fix_runs)} passing test run(s) and {quiet_fixes} quiet period(s)."
                ),
                evidence={
                    "event_ids": _cap([e.event_id for e in occ], config.max_evidence_ids),
                    "refail_event_ids": _cap(
                        [e.event_id for e in refails], config.max_evidence_ids
                    ),
                    "passing_run_ids": _cap(fix_runs, config.max_evidence_ids),
                    "cluster_ids": [cluster_id],
                    "counts": {
                        "cycles": cycles,
                        "occurrences": len(occ),
                        "fixed_by_passing_run": len(fix_runs),
                        "fixed_by_quiet_period": quiet_fixes,
                    },
                },
                detected_at=refails[config.break_fix_min_refails - 1].timestamp,
            )
        )
    return findings


def detect_repeated_errors(
    session_id: str, timeline: Sequence[TimelineEvent], config: InsightConfig
) -> list[Finding]:
    """The same cluster N times in a row: the circuit-breaker signal.

    A streak is broken by a passing test run or by an error of another cluster.
    One finding per cluster, listing every streak of at least N errors.
    """
    n = config.repeated_error_threshold
    streaks: dict[str, list[list[TimelineEvent]]] = {}
    current: list[TimelineEvent] = []

    def close() -> None:
        if len(current) >= n:
            streaks.setdefault(current[0].cluster_id or "", []).append(list(current))
        current.clear()

    for ev in _ordered(timeline):
        if ev.is_passing_test:
            close()
        elif ev.event_type == "error" and ev.cluster_id:
            if current and current[-1].cluster_id != ev.cluster_id:
                close()
            current.append(ev)
    close()

    findings = []
    for cluster_id, found in sorted(streaks.items()):
        longest = max(len(s) for s in found)
        error_type = found[0][0].error_type or "error"
        findings.append(
            Finding(
                session_id=session_id,
                kind="repeated_error",
                key=cluster_id,
                severity="critical" if longest >= 2 * n else "warning",
                title=f"Repeated error: {error_type} {longest} times in a row",
                detail=(
                    f"Error cluster {cluster_id} repeated at least {n} times in a row without a "
                    f"passing test run, {len(found)} time(s); longest streak {longest}."
                ),
                evidence={
                    "event_ids": _cap(
                        [e.event_id for s in found for e in s], config.max_evidence_ids
                    ),
                    "streak_first_event_ids": [s[0].event_id for s in found],
                    "cluster_ids": [cluster_id],
                    "counts": {
                        "streaks": len(found),
                        "longest_streak": longest,
                        "threshold": n,
                        "errors_in_streaks": sum(len(s) for s in found),
                    },
                },
                detected_at=found[0][n - 1].timestamp,
            )
        )
    return findings


def detect_crash_loops(
    session_id: str, timeline: Sequence[TimelineEvent], config: InsightConfig
) -> list[Finding]:
    """At least K crashed/restarted process events within the window.

    Crash events chain while each follows the previous within the window; a
    chain that holds K events spanning at most the window is one loop, keyed by
    the chain's first event.
    """
    k, window = config.crash_loop_min_events, config.crash_loop_window_s
    crashes = [
        e for e in _ordered(timeline) if e.event_type == "process" and e.status in CRASH_STATUSES
    ]
    chains: list[list[TimelineEvent]] = []
    for ev in crashes:
        if chains and (ev.timestamp - chains[-1][-1].timestamp).total_seconds() <= window:
            chains[-1].append(ev)
        else:
            chains.append([ev])

    findings = []
    for chain in chains:
        trip = next(
            (
                chain[i + k - 1]
                for i in range(len(chain) - k + 1)
                if (chain[i + k - 1].timestamp - chain[i].timestamp).total_seconds() <= window
            ),
            None,
        )
        if trip is None:
            continue
        span = (chain[-1].timestamp - chain[0].timestamp).total_seconds()
        actors = sorted({e.actor for e in chain if e.actor})
        who = f" ({', '.join(actors)})" if actors else ""
        findings.append(
            Finding(
                session_id=session_id,
                kind="crash_loop",
                key=chain[0].event_id,
                severity="critical",
                title=f"Crash loop{who}: {len(chain)} crashes/restarts in {span:.0f} s",
                detail=(
                    f"{len(chain)} process events with status crashed/restarted, each within "
                    f"{window:g} s of the previous; at least {k} within {window:g} s."
                ),
                evidence={
                    "event_ids": _cap([e.event_id for e in chain], config.max_evidence_ids),
                    "cluster_ids": [],
                    "actors": actors,
                    "counts": {
                        "events": len(chain),
                        "crashed": sum(e.status == "crashed" for e in chain),
                        "restarted": sum(e.status == "restarted" for e in chain),
                        "span_s": round(span, 3),
                    },
                },
                detected_at=trip.timestamp,
            )
        )
    return findings


def detect_no_progress(
    session_id: str, timeline: Sequence[TimelineEvent], config: InsightConfig
) -> list[Finding]:
    """K agent actions in a row with no passing test and no new file touched.

    Progress is a passing test run, or an agent action on a file no action
    (agent or human) touched before in the session. Other events neither count
    nor reset. One finding per stalled run, keyed by its first action.
    """
    k = config.no_progress_actions
    seen_files: set[str] = set()
    runs: list[list[TimelineEvent]] = []
    current: list[TimelineEvent] = []

    def close() -> None:
        if len(current) >= k:
            runs.append(list(current))
        current.clear()

    for ev in _ordered(timeline):
        if ev.is_passing_test:
            close()
            continue
        if ev.event_type not in ("agent_action", "human_action"):
            continue
        new_file = bool(ev.file_path) and ev.file_path not in seen_files
        if ev.file_path:
            seen_files.add(ev.file_path)
        if not ev.is_agent_action:
            continue
        if new_file:
            close()
        else:
            current.append(ev)
    close()

    findings = []
    for run in runs:
        files = sorted({e.file_path for e in run if e.file_path})
        agents = sorted({e.actor or "unknown" for e in run})
        findings.append(
            Finding(
                session_id=session_id,
                kind="no_progress",
                key=run[0].event_id,
                severity="critical" if len(run) >= 2 * k else "warning",
                title=f"No progress: {len(run)} agent actions without a passing test or new file",
                detail=(
                    f"{', '.join(agents)} made {len(run)} actions in a row (threshold {k}) "
                    f"touching only already-touched files ({len(files)} distinct) and no test "
                    "run passed."
                ),
                evidence={
                    "event_ids": _cap([e.event_id for e in run], config.max_evidence_ids),
                    "first_event_id": run[0].event_id,
                    "last_event_id": run[-1].event_id,
                    "files": _cap(files, config.max_evidence_ids),
                    "agents": agents,
                    "cluster_ids": [],
                    "counts": {"actions": len(run), "threshold": k, "files": len(files)},
                },
                detected_at=run[k - 1].timestamp,
            )
        )
    return findings


# ---------------------------------------------------------------- all of them

TimelineDetector = Callable[[str, Sequence[TimelineEvent], InsightConfig], list[Finding]]
TIMELINE_DETECTORS: tuple[TimelineDetector, ...] = (
    detect_break_fix_cycles,
    detect_repeated_errors,
    detect_crash_loops,
    detect_no_progress,
)


def detect_all(
    summary: SessionSummary,
    timeline: Sequence[TimelineEvent],
    clusters: Sequence[SessionCluster],
    correlations: Sequence[Correlation],
    config: InsightConfig,
) -> list[Finding]:
    """Every detector on one session, sorted by insight_id."""
    sid = summary.session_id
    findings = detect_high_error_density(summary, timeline, clusters, config)
    findings += detect_agent_caused_errors(sid, correlations, config)
    for detector in TIMELINE_DETECTORS:
        findings += detector(sid, timeline, config)
    unique = {f.insight_id: f for f in findings}
    return [unique[i] for i in sorted(unique)]
