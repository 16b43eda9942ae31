"""Request and response bodies of the HTTP API (`<Thing>In` / `<Thing>Out`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from achilles_core.contract import (
    SESSION_ID_PATTERN,
    check_rfc3339,
    json_value_problem,
    to_utc,
)
from achilles_core.vocab import InsightSeverity, InsightStatus

EXAMPLE_EVENT = {
    "event_type": "agent_action",
    "source_type": "agent",
    "timestamp": "2026-11-21T10:15:03.120Z",
    "actor": "claude-code",
    "file_path": "src/billing/invoice.py",
    "message": "Edit: extract compute_total() from Invoice.render",
    "attributes": {"tool": "Edit"},
}


class ErrorItemOut(BaseModel):
    field: str = Field(description="The offending field, dotted (e.g. `metadata`, `limit`).")
    reason: str
    loc: list[str | int] | None = Field(None, description="Where FastAPI found it, if it did.")


class ErrorOut(BaseModel):
    """Every 4xx/5xx body: a sentence, or one item per bad field. Never echoes the input."""

    detail: str | list[ErrorItemOut]


# A time as the API takes it: an RFC 3339 string with an offset (no bare numbers),
# converted to UTC, refused (not a 500) when UTC falls outside years 1-9999.
RFC3339Time = Annotated[datetime, BeforeValidator(check_rfc3339), AfterValidator(to_utc)]


def _iso_day(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a day as YYYY-MM-DD")
    return value


# A day as the API takes it: YYYY-MM-DD, nothing looser (no bare numbers).
IsoDay = Annotated[date, BeforeValidator(_iso_day)]


class SessionStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(
        None,
        pattern=SESSION_ID_PATTERN,
        description="Your own id for the session; the server makes one when left out.",
        examples=["sess-2026-11-21-refactor"],
    )
    actor: str | None = Field(None, max_length=256, description="Who drives the session.")
    agent: str | None = Field(None, max_length=256, description="The coding agent, if any.")
    repo: str | None = Field(None, max_length=1024)
    branch: str | None = Field(None, max_length=256)
    metadata: dict[str, Any] | None = Field(None, description="Free-form, size-capped.")
    started_at: RFC3339Time | None = Field(None, description="RFC 3339 with offset; default now.")

    @field_validator("metadata")
    @classmethod
    def _storable(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        problem = None if value is None else json_value_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class SessionEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(..., pattern=SESSION_ID_PATTERN)
    outcome: str = Field(
        "completed",
        min_length=1,
        max_length=64,
        description="How the session ended, e.g. completed, failed, abandoned.",
    )
    ended_at: RFC3339Time | None = Field(None, description="RFC 3339 with offset; default now.")


class SessionStartOut(BaseModel):
    session_id: str
    created: bool = Field(description="False when the session had already been started.")


class SessionEndOut(BaseModel):
    session_id: str
    ended: bool = Field(description="False when the session had already been ended.")
    outcome: str


class BatchIn(BaseModel):
    """Documented shape of `POST /v1/events/batch` (parsed by hand for speed and 413s)."""

    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(
        None,
        pattern=SESSION_ID_PATTERN,
        description="Default session for events that carry none.",
        examples=["sess-1"],
    )
    events: list[dict[str, Any]] = Field(
        description="Events as in the event contract.", examples=[[EXAMPLE_EVENT]]
    )


class EventResultOut(BaseModel):
    index: int
    status: Literal["accepted", "duplicate", "rejected"]
    event_id: str | None = None
    field: str | None = None
    reason: str | None = None


class BatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResultOut]


class EventOut(BaseModel):
    event_id: str
    session_id: str
    event_type: str
    source_type: str
    timestamp: datetime
    actor: str | None = None
    file_path: str | None = None
    message: str | None = None
    error_type: str | None = None
    severity: str | None = None
    status: str | None = None
    parent_id: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    attributes: dict[str, Any] | None = None
    tool_name: str | None = None
    action_kind: str | None = None
    duration_ms: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    cache_write_1h_tokens: int | None = None
    reasoning_tokens: int | None = None
    parent_session_id: str | None = None
    revision: int | None = None
    event_hash: str
    received_at: datetime


class Page(BaseModel):
    total: int | None = Field(
        description="Items in the whole list; null on pages asked for by `cursor`."
    )
    limit: int
    offset: int
    next_offset: int | None = Field(
        description="Offset of the next page; null on the last, and on cursor pages."
    )
    next_cursor: str | None = Field(
        None,
        description="Pass as `cursor` for the next page (keyset: each page costs the same "
        "however deep); null on the last.",
    )


class SessionEventsOut(Page):
    session_id: str
    events: list[EventOut]


class HealthOut(BaseModel):
    """Without a key only `status`; with a valid key the details too."""

    status: Literal["ok", "unavailable"] = Field(
        description="'unavailable' (with a 503) when the data dir cannot take writes."
    )
    version: str | None = None
    data_dir: str | None = None
    warehouse_published_at: datetime | None = None
    disk_free_bytes: int | None = Field(None, description="Free space where the data dir lives.")
    quarantined_files: int | None = Field(
        None,
        description="Unreadable landing files of the key's project (an admin's: all projects) "
        "moved to quarantine/ (see README).",
    )


class SessionOut(BaseModel):
    """A session as the landing zone knows it (available at once after ingest)."""

    session_id: str
    actor: str | None = None
    agent: str | None = None
    repo: str | None = None
    branch: str | None = None
    metadata: dict[str, Any] | None = None
    started_at: datetime | None = Field(None, description="The session_start event's time.")
    ended_at: datetime | None = Field(None, description="The session_end event's time.")
    outcome: str | None = None
    event_count: int = Field(description="Events, not counting the start/end markers.")
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
    last_received_at: datetime
    counts_by_type: dict[str, int]


class SessionSummaryOut(BaseModel):
    """Derived by the pipeline; `computed_at` is when that snapshot was published."""

    computed_at: datetime
    event_count: int
    agent_activity_score: int = Field(description="Events with source_type agent.")
    error_count: int
    error_density: float = Field(description="Errors per 100 events.")
    test_runs_passed: int
    test_runs_failed: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    distinct_files: int


class SessionDetailOut(SessionOut):
    summary: SessionSummaryOut | None = Field(
        None, description="Null until a pipeline run has included this session."
    )


class SessionClusterOut(BaseModel):
    cluster_id: str
    error_type: str | None
    normalized_message: str
    sample_message: str | None
    occurrences: int = Field(description="Occurrences in this session.")
    first_seen_at: datetime
    last_seen_at: datetime
    total_occurrences: int = Field(description="Occurrences across all sessions.")
    sessions_affected: int


class SessionErrorsOut(Page):
    session_id: str
    computed_at: datetime | None
    clusters: list[SessionClusterOut]


class CorrelationOut(BaseModel):
    correlation_id: str
    method: str
    action_event_id: str
    error_event_id: str
    agent: str
    action_file_path: str | None
    error_file_path: str | None
    error_cluster_id: str | None
    action_timestamp: datetime
    error_timestamp: datetime
    lag_s: float
    same_file: bool
    confidence: float
    attribution_rank: int = Field(description="1 = the action this error is attributed to.")


class SessionCorrelationsOut(Page):
    session_id: str
    computed_at: datetime | None
    correlations: list[CorrelationOut]


class AgentPerformanceOut(BaseModel):
    agent: str
    scope: Literal["session", "overall"]
    sessions_count: int
    total_actions: int
    induced_error_count: int
    success_rate: float = Field(
        description="max(0, (total_actions - induced_error_count) / total_actions)"
    )
    first_action_at: datetime | None
    last_action_at: datetime | None


class SessionAgentPerformanceOut(BaseModel):
    session_id: str
    computed_at: datetime | None
    agents: list[AgentPerformanceOut] = Field(description="Each agent in this session.")
    overall: list[AgentPerformanceOut] = Field(description="The same agents across all sessions.")


class InsightOut(BaseModel):
    insight_id: str = Field(description="Deterministic: same inputs, same id.")
    project_id: str = Field(description="The session's project (an admin key sees several).")
    session_id: str
    kind: str
    severity: InsightSeverity
    title: str
    detail: str
    evidence: dict[str, Any] = Field(description="Event ids, cluster ids, counts.")
    status: InsightStatus
    detected_at: datetime = Field(description="Time of the data that raised it.")
    first_computed_at: datetime = Field(description="When a pipeline run first wrote it.")
    resolved_at: datetime | None = None
    narrative: str | None = Field(None, description="LLM narrative, when narration is on.")


class InsightsOut(BaseModel):
    computed_at: datetime | None
    insights: list[InsightOut]


# --- Usage and cost (issue #11) -------------------------------------------------------


class UsageRowOut(BaseModel):
    """One group of LLM calls; exactly one of the key fields is set, per `by`."""

    date: str | None = Field(None, description="UTC day (by=day).")
    session_id: str | None = Field(None, description="by=session.")
    parent_session_id: str | None = Field(None, description="by=session: a subagent's parent.")
    model: str | None = Field(None, description="by=model.")
    agent: str | None = Field(None, description="by=agent.")
    project: str | None = Field(None, description="by=project.")
    models: list[str]
    llm_calls: int
    input_tokens: int | None = Field(description="Uncached input tokens.")
    output_tokens: int | None = Field(description="Output tokens, reasoning included.")
    cache_read_tokens: int | None
    cache_write_tokens: int | None = Field(description="Cache writes, 1-hour ones included.")
    cache_write_1h_tokens: int | None
    reasoning_tokens: int | None
    total_tokens: int | None
    cost_usd: float | None = Field(
        description="Computed cost of the priced calls; null when none could be priced."
    )
    unpriced_calls: int = Field(description="Calls with no price (see llm_usage.cost_status).")
    client_cost_usd: float | None = Field(description="Sum of the costs clients sent.")
    first_call_at: datetime | None
    last_call_at: datetime | None


class UsageOut(BaseModel):
    computed_at: datetime | None
    by: str
    usage: list[UsageRowOut]
