"""What flows through the insight graph, and the run-scoped context beside it.

The state holds plain data only. The DuckDB connection, the config and the
run's wall-clock time travel in `InsightContext` (LangGraph's runtime context),
so nodes stay plain functions and nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

import duckdb

from achilles_core.insight_config import InsightConfig
from orchestration.graphs.detectors import (
    Correlation,
    Finding,
    SessionCluster,
    SessionSummary,
    TimelineEvent,
)


@dataclass(frozen=True, slots=True)
class RecentEvent:
    """One of the last N events of a session (the narration's context window)."""

    event_id: str
    event_seq: int | None
    timestamp: datetime
    event_type: str
    source_type: str
    actor: str | None
    file_path: str | None
    status: str | None
    error_type: str | None
    message: str | None  # truncated


@dataclass(frozen=True)
class SessionContext:
    """Everything loaded for one session that has new data."""

    summary: SessionSummary
    timeline: list[TimelineEvent] = field(default_factory=list)
    clusters: list[SessionCluster] = field(default_factory=list)
    correlations: list[Correlation] = field(default_factory=list)
    # kinds the loader showed cannot fire here (detect_all's `skip`)
    skip: frozenset[str] = frozenset()

    @property
    def session_id(self) -> str:
        return self.summary.session_id


@dataclass(frozen=True, slots=True)
class StoredInsight:
    """One row of the `insights` table."""

    insight_id: str
    session_id: str
    kind: str
    severity: str
    title: str
    detail: str
    evidence: str
    status: str
    detected_at: datetime | None
    first_computed_at: datetime
    resolved_at: datetime | None
    narrative: str | None = None

    @property
    def content(self) -> tuple[Any, ...]:
        return (self.severity, self.title, self.detail, self.evidence, self.detected_at)


@dataclass
class InsightContext:
    """Run-scoped dependencies, passed as `graph.invoke(..., context=...)`."""

    con: duckdb.DuckDBPyConnection
    config: InsightConfig = field(default_factory=InsightConfig)
    now: datetime | None = None  # wall clock of this run; None = datetime.now(UTC)


class InsightState(TypedDict, total=False):
    # input: sessions to evaluate; absent = every session with new data
    session_ids: list[str]
    # load_basic_context
    contexts: list[SessionContext]
    existing: dict[str, StoredInsight]
    # detect_basic_insights
    findings: list[Finding]
    # write_insights
    counts: dict[str, Any]
    narrate_ids: list[str]
    # narrate
    narrated: int
    narration_failed: int
