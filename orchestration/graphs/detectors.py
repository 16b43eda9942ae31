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
from operator import attrgetter
from typing import Any

import orjson

from achilles_core.insight_config import InsightConfig

CRASH_STATUSES = frozenset({"crashed", "restarted"})
PASSED = "passed"
RUN_TYPES = frozenset({"test_run", "check_run"})
FAILED_RUN_STATUSES = frozenset({"failed", "error"})
# what an agent does to find its way: neither progress nor a stall right after a prompt
EXPLORATION_KINDS = frozenset({"read", "search", "web", "plan", "delegate"})
# correlators whose rank-1 row names a cause of a failure (method 'self' is the call's own)
CAUSE_METHODS = frozenset({"time_window", "change_set"})
# The event types some detector reads. Every other type (llm_call, alert...) goes through
# every detector's loop without changing anything; it matters only as an error's parent
# (`TimelineEvent.parent_known`), as a correlation's end, or as the session's last event
# (high_error_density's fallback detected_at), so the loader leaves it out otherwise.
TIMELINE_TYPES = frozenset(
    {"agent_action", "human_action", "test_run", "check_run", "error", "process"}
)
# Kinds whose detector needs every event of TIMELINE_TYPES; for a session where set-based
# bounds show they cannot fire (marts.py), the loader gives the other detectors only runs,
# errors, process events, changes (one per run of consecutive changes) and the
# correlations' ends, and `detect_all` skips these.
WHOLE_TIMELINE_KINDS = frozenset({"high_error_density", "no_progress"})


# ---------------------------------------------------------------- input rows


@dataclass(slots=True)
class TimelineEvent:
    """One event of the session, reduced to what the detectors need (read-only).

    Not a frozen dataclass: a frozen one's constructor costs twice as much, and the
    insight step builds one per event of every session it evaluates.

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
    action_kind: str | None = None
    parent_id: str | None = None
    # test_run / check_run: what the run covers, "<runner>|<targets joined by space>";
    # an empty target list ("pytest|") is the whole suite
    scope: str | None = None
    # agent_action command: it changes the tree (attributes.writes)
    writes: bool = False
    # what an action looked at or ran: its file_path, else its command text
    target: str | None = None
    # errors, as loaded from the warehouse: whether parent_id names an event of the
    # session (the loader may leave out events that are only parents). None: look it
    # up in the timeline given.
    parent_known: bool | None = None

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.timestamp, self.event_id)

    @property
    def is_agent_action(self) -> bool:
        return self.event_type == "agent_action" and self.source_type == "agent"

    @property
    def is_passing_test(self) -> bool:
        return self.event_type == "test_run" and self.status == PASSED

    @property
    def is_run(self) -> bool:
        return self.event_type in RUN_TYPES

    @property
    def is_failing_run(self) -> bool:
        return self.is_run and self.status in FAILED_RUN_STATUSES

    @property
    def is_change(self) -> bool:
        """An action that can change the code: an edit that went through, a command
        that writes. Producers that send no action_kind (older clients, synthetic
        feeds): an action on a file counts as a change."""
        if self.event_type not in ("agent_action", "human_action") or self.status == "error":
            return False
        if self.action_kind is None:
            return bool(self.file_path) and self.event_type == "agent_action"
        return self.action_kind == "edit" or (self.action_kind == "command" and self.writes)

    @property
    def is_prompt(self) -> bool:
        return self.event_type == "human_action" and (
            self.action_kind == "prompt" or self.action_kind is None
        )

    @property
    def is_exploration(self) -> bool:
        return self.action_kind in EXPLORATION_KINDS


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


class Timeline(list[TimelineEvent]):
    """A session's events already in (timestamp, event_id) order, sorted once per
    session by `detect_all` rather than once per detector; it keeps its `_Index`."""

    __slots__ = ("lookup",)

    def __init__(self, events: Iterable[TimelineEvent] = ()) -> None:
        super().__init__(events)
        self.lookup: _Index | None = None


_ORDER = attrgetter("timestamp", "event_id")  # TimelineEvent.order, without the property


def _ordered(events: Iterable[TimelineEvent]) -> Timeline:
    if isinstance(events, Timeline):
        return events
    return Timeline(sorted(events, key=_ORDER))


def _index(events: Sequence[TimelineEvent]) -> _Index:
    """The events' `_Index`, built once per `Timeline`."""
    if not isinstance(events, Timeline):
        return _Index(events)
    if events.lookup is None:
        events.lookup = _Index(events)
    return events.lookup


def _short(text: str | None, limit: int = 120) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- detectors


class _Index:
    """The session's events by id, to find an error's run and an action's kind."""

    def __init__(self, events: Iterable[TimelineEvent]) -> None:
        self.by_id = {e.event_id: e for e in events}

    def run_of(self, ev: TimelineEvent | None) -> TimelineEvent | None:
        """The test/check run an outcome belongs to: itself, or its error's parent run."""
        if ev is None:
            return None
        if ev.is_run:
            return ev
        parent = self.by_id.get(ev.parent_id or "")
        return parent if parent is not None and parent.is_run else None

    def is_standalone(self, ev: TimelineEvent) -> bool:
        """An error that belongs to no run and no tool call (a production feed, a CI job)."""
        if ev.parent_known is not None:
            return not ev.parent_known
        return (ev.parent_id or "") not in self.by_id


def _scope(run: TimelineEvent) -> str:
    return run.scope or f"{run.event_type}|"


def _covers(passing: TimelineEvent, scope: str) -> bool:
    """A passing run clears `scope`: the same scope, or its runner's whole suite."""
    mine = _scope(passing)
    runner, _, targets = mine.partition("|")
    return mine == scope or (not targets and scope.partition("|")[0] == runner)


def detect_high_error_density(
    summary: SessionSummary,
    timeline: Sequence[TimelineEvent],
    clusters: Sequence[SessionCluster],
    config: InsightConfig,
) -> list[Finding]:
    """Failures per 100 steps above the threshold, for sessions big enough to judge.

    Counted from the timeline, not the `sessions` row: the denominator is the steps of
    the work (agent and human actions, test/check runs, process events, and errors that
    belong to no run or tool call), never llm_calls, which a chatty model multiplies.
    A failure is a failing run (once, however many tests it failed), a tool call's own
    error, or a standalone error (one right after a failing run, with no step between,
    is taken as that run's unlinked failure and not counted again). detected_at is the
    step at which the running ratio first crossed the threshold with at least
    `error_density_min_events` steps.
    """
    threshold = config.error_density_threshold
    events = _ordered(timeline)
    index = _index(events)
    steps = failures = 0
    detected_at: datetime | None = None
    failure_ids: list[str] = []
    after_failing_run = False  # the last step was a failing run, nothing since
    for ev in events:
        under_run = ev.event_type == "error" and index.run_of(ev) is not None
        standalone = ev.event_type == "error" and index.is_standalone(ev)
        if standalone and after_failing_run:
            # a producer that does not link errors to runs: an error right after a
            # failing run (no step between) is that run's failure, counted once
            continue
        if (ev.event_type == "error" and not under_run) or ev.is_failing_run:
            failures += 1
            failure_ids.append(ev.event_id)
        is_step = (
            ev.event_type in ("agent_action", "human_action", "process") or ev.is_run or standalone
        )
        if not is_step:
            continue
        after_failing_run = ev.is_failing_run
        steps += 1
        if (
            detected_at is None
            and steps >= config.error_density_min_events
            and failures * 100.0 / steps > threshold
        ):
            detected_at = ev.timestamp
    if steps < config.error_density_min_events or steps == 0:
        return []
    density = failures * 100.0 / steps
    if density <= threshold:
        return []
    if detected_at is None:
        detected_at = events[-1].timestamp
    top = sorted(clusters, key=lambda c: (-c.occurrences, c.cluster_id))
    severity = "critical" if density >= 2 * threshold else "warning"
    return [
        Finding(
            session_id=summary.session_id,
            kind="high_error_density",
            key="session",
            severity=severity,
            title=f"High error density: {density:.1f} failures per 100 steps",
            detail=(
                f"{failures} failures in {steps} steps (actions, runs and standalone errors; "
                f"threshold {threshold:g} per 100) across {len(clusters)} error clusters."
            ),
            evidence={
                "event_ids": _cap(failure_ids, config.max_evidence_ids),
                "cluster_ids": _cap([c.cluster_id for c in top], config.max_evidence_ids),
                "counts": {
                    "errors": failures,
                    "events": steps,
                    "error_density": round(density, 4),
                    "threshold": threshold,
                    "clusters": len(clusters),
                },
            },
            detected_at=detected_at,
        )
    ]


def detect_agent_caused_errors(
    session_id: str,
    correlations: Sequence[Correlation],
    config: InsightConfig,
    timeline: Sequence[TimelineEvent] = (),
) -> list[Finding]:
    """One finding per causing agent action and failing scope, listing the errors.

    Rank-1 correlations of confidence >= correlation_min_confidence from the cause
    correlators (not 'self': a call's own failure). A failing run and the errors under
    it are one scope (the run's runner and targets), so an edit that broke five tests
    of one run, or the same run three times, is one insight; an error of no run is its
    own scope by cluster. Human changes are no agent's doing and raise none.
    """
    index = _index(timeline)
    groups: dict[tuple[str, str], list[Correlation]] = {}
    for c in correlations:
        if c.method == "self" or c.attribution_rank != 1:
            continue
        if c.confidence < config.correlation_min_confidence:
            continue
        action = index.by_id.get(c.action_event_id)
        if action is not None and not action.is_agent_action:
            continue
        outcome = index.by_id.get(c.error_event_id)
        run = index.run_of(outcome)
        if run is not None:
            scope = f"run:{_scope(run)}"
        elif c.error_cluster_id:
            scope = f"cluster:{c.error_cluster_id}"
        else:
            scope = f"error:{c.error_event_id}"
        groups.setdefault((c.action_event_id, scope), []).append(c)

    findings = []
    for (action_id, scope), group in sorted(groups.items()):
        group.sort(key=lambda c: (-c.confidence, c.method, c.error_timestamp, c.error_event_id))
        best = group[0]
        runs = sorted(
            {
                c.error_event_id
                for c in group
                if (o := index.by_id.get(c.error_event_id)) and o.is_run
            }
        )
        errors = sorted({c.error_event_id for c in group} - set(runs))
        first = min(group, key=lambda c: (c.error_timestamp, c.error_event_id))
        agent = best.agent or "unknown"
        file_path = best.action_file_path or best.error_file_path
        where = f" on {file_path}" if file_path else ""
        labelled = next((c for c in group if c.error_type), None)
        error_label = labelled.error_type if labelled and labelled.error_type else "a failing run"
        error_text = _short(labelled.error_message if labelled else best.error_message)
        action_text = _short(best.action_message)
        failing = ", ".join(errors[:3] + runs[:3])
        detail = (
            f"Agent action {action_id}"
            + (f" ({action_text})" if action_text else "")
            + f"{where} preceded {len(errors)} error(s) and {len(runs)} failing run(s) "
            + f"of {scope.partition(':')[2] or scope} ({failing}; {error_label}"
            + (f": {error_text}" if error_text else "")
            + f"); lag {first.lag_s:.1f} s; confidence {best.confidence:.2f} ({best.method})."
        )
        findings.append(
            Finding(
                session_id=session_id,
                kind="agent_caused_error",
                key=f"{action_id}|{scope}",
                severity="warning",
                title=f"{agent} likely caused {error_label}{where}",
                detail=detail,
                evidence={
                    "event_ids": _cap([action_id, *errors, *runs], config.max_evidence_ids),
                    "action_event_id": action_id,
                    "error_event_id": first.error_event_id,
                    "error_event_ids": _cap(errors, config.max_evidence_ids),
                    "run_ids": _cap(runs, config.max_evidence_ids),
                    "scope": scope,
                    "agent": agent,
                    "file_path": file_path,
                    "cluster_ids": sorted(
                        {c.error_cluster_id for c in group if c.error_cluster_id}
                    ),
                    "correlation_id": best.correlation_id,
                    "methods": sorted({c.method for c in group}),
                    "counts": {
                        "confidence": best.confidence,
                        "lag_s": round(first.lag_s, 3),
                        "same_file": best.same_file,
                        "errors": len(errors),
                        "runs": len(runs),
                    },
                },
                detected_at=first.error_timestamp,
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
    """A scope that was green, turned red after a change, and green again after more.

    Per scope (a run's runner and targets): a break is a failing run after a passing
    one with a change (edit, writing command) in between; it is fixed by a passing
    run with further changes since the failure. A red with no change since the green,
    or a green with no change since the red, is flakiness, neither a break nor a fix.
    One finding per scope with at least `break_fix_min_refails` breaks of which at
    least one was fixed; its count is the breaks.

    Errors that belong to no run and no tool call (production feeds, clients that do
    not link errors to runs) have no scope: for them the cluster rule stays (the same
    cluster again after a passing test run, or after `break_fix_quiet_s` without it),
    unless the session's runs already show a scope cycle.
    """
    events = _ordered(timeline)
    findings = _scope_cycles(session_id, events, config)
    if not findings:
        findings = _standalone_cluster_cycles(session_id, events, config)
    return findings


def _scope_cycles(
    session_id: str, events: Sequence[TimelineEvent], config: InsightConfig
) -> list[Finding]:
    index = _index(events)
    changes = 0
    green: dict[str, tuple[TimelineEvent, int]] = {}
    # per scope, every break (a red after a green with a change between) and its fix
    breaks: dict[str, list[list[TimelineEvent]]] = {}
    open_break: dict[str, int] = {}  # changes counted when the scope went red
    for ev in events:
        if ev.is_change:
            changes += 1
            continue
        if not ev.is_run or ev.status not in FAILED_RUN_STATUSES | {PASSED}:
            continue
        scope = _scope(ev)
        if ev.status == PASSED:
            red_at = open_break.pop(scope, None)
            if red_at is not None and changes > red_at:
                breaks[scope][-1].append(ev)  # fixed by further changes
            elif red_at is not None:
                breaks[scope].pop()  # green again with no change: the red was flaky
            green[scope] = (ev, changes)
        elif scope in green and scope not in open_break and changes > green[scope][1]:
            breaks.setdefault(scope, []).append([green[scope][0], ev])
            open_break[scope] = changes
    errors_of: dict[str, list[TimelineEvent]] = {}
    for ev in events:
        run = index.run_of(ev) if ev.event_type == "error" else None
        if run is not None:
            errors_of.setdefault(run.event_id, []).append(ev)

    findings = []
    for scope, found in sorted(breaks.items()):
        fixed = [b for b in found if len(b) == 3]
        if not fixed or len(found) < config.break_fix_min_refails:
            continue
        reds = [b[1] for b in found]
        errors = [e for red in reds for e in errors_of.get(red.event_id, [])]
        cluster_ids = sorted({e.cluster_id for e in errors if e.cluster_id})
        n = len(found)
        name = scope.rstrip("|")
        findings.append(
            Finding(
                session_id=session_id,
                kind="break_fix_cycle",
                key=f"scope:{scope}",
                severity="critical" if n >= 3 else "warning",
                title=f"Break-fix cycle: {name} broke {n} time(s) after passing",
                detail=(
                    f"Runs of {name} passed, then failed after a change, {n} time(s); "
                    f"{len(fixed)} of those were fixed by further changes."
                ),
                evidence={
                    "event_ids": _cap(
                        [r.event_id for b in found for r in b], config.max_evidence_ids
                    ),
                    "refail_event_ids": _cap([r.event_id for r in reds], config.max_evidence_ids),
                    "passing_run_ids": _cap(
                        [b[2].event_id for b in fixed], config.max_evidence_ids
                    ),
                    "error_event_ids": _cap([e.event_id for e in errors], config.max_evidence_ids),
                    "cluster_ids": _cap(cluster_ids, config.max_evidence_ids),
                    "scope": scope,
                    "counts": {"cycles": n, "fixed": len(fixed), "failing_runs": len(reds)},
                },
                detected_at=max(
                    fixed[0][2].timestamp, found[config.break_fix_min_refails - 1][1].timestamp
                ),
            )
        )
    return findings


def _standalone_cluster_cycles(
    session_id: str, events: Sequence[TimelineEvent], config: InsightConfig
) -> list[Finding]:
    index = _index(events)
    passes = [e for e in events if e.is_passing_test]
    pass_orders = [p.order for p in passes]
    standalone = [e for e in events if e.event_type == "error" and index.is_standalone(e)]
    findings = []
    for cluster_id, occ in sorted(_errors_by_cluster(standalone).items()):
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
    """The same failure again and again while the agent retries: the circuit breaker.

    Per cluster, an occurrence is a failing run that raised it (however many of its
    tests did) or an error outside any run. A streak ends when a run clears the scope
    the failure came from (a pass of the same runner and targets, or of the runner's
    whole suite); an error outside runs ends its streak at any passing test run.
    Failures of other clusters in between do not end it: the agent is still stuck.
    One finding per cluster listing every streak of at least N occurrences.
    """
    n = config.repeated_error_threshold
    timeline = _ordered(timeline)
    index = _index(timeline)
    open_streaks: dict[str, tuple[str | None, list[list[TimelineEvent]]]] = {}
    streaks: dict[str, list[list[list[TimelineEvent]]]] = {}

    def close(cluster_id: str) -> None:
        _, occurrences = open_streaks.pop(cluster_id)
        if len(occurrences) >= n:
            streaks.setdefault(cluster_id, []).append(occurrences)

    for ev in _ordered(timeline):
        if ev.is_run and ev.status == PASSED:
            for cluster_id in sorted(open_streaks):
                scope = open_streaks[cluster_id][0]
                if (scope is None and ev.event_type == "test_run") or (
                    scope is not None and _covers(ev, scope)
                ):
                    close(cluster_id)
            continue
        if ev.event_type != "error" or not ev.cluster_id:
            continue
        run = index.run_of(ev)
        scope = _scope(run) if run is not None else None
        _, occurrences = open_streaks.setdefault(ev.cluster_id, (scope, []))
        open_streaks[ev.cluster_id] = (scope, occurrences)
        last = occurrences[-1] if occurrences else None
        if run is not None and last is not None and index.run_of(last[0]) is run:
            last.append(ev)  # another test of the same run: the same occurrence
        else:
            occurrences.append([ev])
    for cluster_id in sorted(open_streaks):
        close(cluster_id)

    findings = []
    for cluster_id, found in sorted(streaks.items()):
        longest = max(len(s) for s in found)
        first_error = found[0][0][0]
        error_type = first_error.error_type or "error"
        errors = [e for s in found for occ in s for e in occ]
        runs = sorted({r.event_id for e in errors if (r := index.run_of(e)) is not None})
        findings.append(
            Finding(
                session_id=session_id,
                kind="repeated_error",
                key=cluster_id,
                severity="critical" if longest >= 2 * n else "warning",
                title=f"Repeated error: {error_type} {longest} times in a row",
                detail=(
                    f"Error cluster {cluster_id} failed at least {n} times with no run "
                    f"clearing its scope in between, {len(found)} time(s); longest streak "
                    f"{longest}."
                ),
                evidence={
                    "event_ids": _cap([e.event_id for e in errors], config.max_evidence_ids),
                    "streak_first_event_ids": [s[0][0].event_id for s in found],
                    "run_ids": _cap(runs, config.max_evidence_ids),
                    "cluster_ids": [cluster_id],
                    "counts": {
                        "streaks": len(found),
                        "longest_streak": longest,
                        "threshold": n,
                        "errors_in_streaks": len(errors),
                    },
                },
                detected_at=found[0][n - 1][0].timestamp,
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
    """K agent actions in a row with no edit, no newly passing run and no new prompt.

    Progress is a change (an edit that went through, a command that writes), a pass
    of a scope that was not passing (its first pass, or red to green), or a new user
    prompt. Exploration is no stall: a read, search, web look-up or plan of something
    not yet looked at since the last progress counts for nothing (an agent reading its
    way into a code base after a prompt); looking at the same file or running the same
    command again does count, as do all other actions. One finding per stalled run,
    keyed by its first action.
    """
    k = config.no_progress_actions
    verdicts: dict[str, str] = {}
    runs: list[list[TimelineEvent]] = []
    current: list[TimelineEvent] = []
    explored: set[str] = set()

    def close() -> None:
        if len(current) >= k:
            runs.append(list(current))
        current.clear()
        explored.clear()

    for ev in _ordered(timeline):
        if ev.is_prompt:
            close()
        elif ev.is_run and ev.status in FAILED_RUN_STATUSES | {PASSED}:
            scope = _scope(ev)
            if ev.status == PASSED and verdicts.get(scope) != PASSED:
                close()
            verdicts[scope] = ev.status or ""
        elif ev.is_change:
            close()
        elif ev.is_agent_action:
            if ev.is_exploration and (ev.target is None or ev.target not in explored):
                if ev.target is not None:
                    explored.add(ev.target)
                continue
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
                title=f"No progress: {len(run)} agent actions without a change or a new pass",
                detail=(
                    f"{', '.join(agents)} made {len(run)} actions in a row (threshold {k}) "
                    "with no edit, no newly passing run and no new prompt."
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
    skip: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Every detector on one session, sorted by insight_id.

    `skip`: kinds (of WHOLE_TIMELINE_KINDS) the loader has shown cannot fire in this
    session; their detectors do not run, and `timeline` may lack what only they read.
    """
    sid = summary.session_id
    events = _ordered(timeline)
    findings = []
    if "high_error_density" not in skip:
        findings += detect_high_error_density(summary, events, clusters, config)
    findings += detect_agent_caused_errors(sid, correlations, config, events)
    for detector in TIMELINE_DETECTORS:
        if detector is detect_no_progress and "no_progress" in skip:
            continue
        findings += detector(sid, events, config)
    unique = {f.insight_id: f for f in findings}
    return [unique[i] for i in sorted(unique)]
