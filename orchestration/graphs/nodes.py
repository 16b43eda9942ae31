"""The graph's nodes: plain functions that return only the state keys they change."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from langgraph.graph import END
from langgraph.runtime import Runtime

from achilles_core.vocab import INSIGHT_KINDS
from orchestration.graphs.detectors import detect_all
from orchestration.graphs.llm import ChatProvider, clean_narrative, narration_messages
from orchestration.graphs.marts import load_contexts, load_recent_events
from orchestration.graphs.state import InsightContext, InsightState
from orchestration.graphs.store import (
    apply_merge,
    ensure_store,
    load_insights,
    plan_merge,
    sessions_to_evaluate,
    set_narrative,
)

log = logging.getLogger(__name__)


def _now(ctx: InsightContext) -> datetime:
    return ctx.now if ctx.now is not None else datetime.now(UTC)


def load_basic_context(state: InsightState, runtime: Runtime[InsightContext]) -> dict[str, Any]:
    """Load what the detectors need for each session with new data, plus its stored insights.

    Contexts given in the input were loaded already (`run_insights` reads the next
    batch while the graph evaluates this one); only the stored insights are read then.
    """
    ctx = runtime.context
    ensure_store(ctx.con)
    contexts = state.get("contexts")
    if contexts is None:
        session_ids = state.get("session_ids")
        if session_ids is None:
            session_ids = sessions_to_evaluate(ctx.con, ctx.config)
        contexts = load_contexts(ctx.con, session_ids, ctx.config) if session_ids else []
    evaluated = [c.session_id for c in contexts]
    existing = load_insights(ctx.con, evaluated) if evaluated else {}
    return {"contexts": contexts, "existing": existing}


def detect_basic_insights(state: InsightState, runtime: Runtime[InsightContext]) -> dict[str, Any]:
    """Run every deterministic detector on every loaded session."""
    config = runtime.context.config
    findings = []
    for c in state.get("contexts", []):
        findings += detect_all(c.summary, c.timeline, c.clusters, c.correlations, config, c.skip)
    return {"findings": findings}


def write_insights(state: InsightState, runtime: Runtime[InsightContext]) -> dict[str, Any]:
    """Merge the findings into `insights`, resolve what no longer holds, move watermarks."""
    ctx = runtime.context
    now = _now(ctx)
    contexts = state.get("contexts", [])
    findings = state.get("findings", [])
    evaluated = {c.session_id: c.summary.last_event_at or now for c in contexts}
    plan = plan_merge(state.get("existing", {}), findings, evaluated, now)
    apply_merge(ctx.con, plan, [c.summary for c in contexts], ctx.config, now)
    by_kind = dict.fromkeys(INSIGHT_KINDS, 0)
    for f in findings:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    counts = {
        "sessions_evaluated": len(contexts),
        "detected": len(findings),
        "new": len(plan.new_ids),
        "changed": len(plan.changed_ids),
        "reopened": len(plan.reopened_ids),
        "resolved": len(plan.resolved_ids),
        "unchanged": plan.unchanged,
        "by_kind": by_kind,
    }
    return {"counts": counts, "narrate_ids": plan.narrate_ids}


def route_after_write(state: InsightState) -> str:
    """Narrate only when something new needs words."""
    return "narrate" if state.get("narrate_ids") else END


def narrate(
    state: InsightState, runtime: Runtime[InsightContext], provider: ChatProvider
) -> dict[str, Any]:
    """Ask the model for a short narrative per new or changed insight.

    A failing call leaves that insight without a narrative (it is retried the
    next time the insight's text changes); it never fails the run.
    """
    ctx = runtime.context
    ids = state.get("narrate_ids", [])[: ctx.config.narrate_max_per_run]
    if not ids:
        return {"narrated": 0, "narration_failed": 0}
    stored = load_insights(ctx.con, sorted({c.session_id for c in state.get("contexts", [])}))
    sessions = sorted({stored[i].session_id for i in ids if i in stored})
    # the prompt shows the last narrative_context_events of the context window
    window = min(ctx.config.context_events, ctx.config.narrative_context_events)
    recent = load_recent_events(ctx.con, sessions, window) if window else {}
    narrated = failed = 0
    for iid in ids:
        insight = stored.get(iid)
        if insight is None:
            continue
        messages = narration_messages(
            insight, recent.get(insight.session_id, []), ctx.config.narrative_context_events
        )
        try:
            text = clean_narrative(provider.complete(messages))
        except Exception:  # a model outage must not fail the insight step
            log.warning("narration failed for insight %s", iid, exc_info=True)
            failed += 1
            continue
        if text:
            set_narrative(ctx.con, iid, text)
            narrated += 1
    return {"narrated": narrated, "narration_failed": failed}
