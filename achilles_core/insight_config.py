"""Knobs of the insight step, with their defaults.

Settings nests one (`Settings.insight`) and fills each knob from its own
variable (ACHILLES_INSIGHT_<KNOB>, ACHILLES_LLM_<...>); this model itself never
reads the environment, so the graph and its tests get exactly what they pass.
`rules_fingerprint` covers every knob that changes what the detectors find, so
changing a threshold re-evaluates every session.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, SecretStr

# Bump when a detector's logic changes: every session is then re-evaluated once.
RULES_VERSION = "2"  # 2: scope-aware detectors (issue #7 / 10)

# Knobs that only affect narration or batching: changing them never re-evaluates.
_NON_RULE_FIELDS = frozenset(
    {
        "session_batch_size",
        "llm_provider",
        "llm_base_url",
        "llm_api_key",
        "llm_model",
        "llm_timeout_s",
        "narrate_max_per_run",
        "narrative_context_events",
    }
)


class InsightConfig(BaseModel):
    """Thresholds of the deterministic detectors and the optional narration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    context_events: int = Field(
        default=200, ge=1, description="Last N events of a session the narration may show."
    )
    error_density_threshold: float = Field(
        default=20.0, ge=0, description="high_error_density: errors per 100 events above this."
    )
    error_density_min_events: int = Field(
        default=10,
        ge=1,
        description="high_error_density: only sessions with at least this many events.",
    )
    correlation_min_confidence: float = Field(
        default=0.7, ge=0, le=1, description="agent_caused_error: lowest correlation confidence."
    )
    break_fix_min_refails: int = Field(
        default=1, ge=1, description="break_fix_cycle: fewest fail-after-fix recurrences reported."
    )
    break_fix_quiet_s: float | None = Field(
        default=600.0,
        gt=0,
        description=(
            "break_fix_cycle: an error that stayed away this long counts as fixed even "
            "without a passing test run; None = only a passing test run counts."
        ),
    )
    repeated_error_threshold: int = Field(
        default=3, ge=2, description="repeated_error: same cluster this many times in a row."
    )
    crash_loop_min_events: int = Field(
        default=3, ge=2, description="crash_loop: this many crashed/restarted process events..."
    )
    crash_loop_window_s: float = Field(
        default=300.0, gt=0, description="crash_loop: ...within this span."
    )
    no_progress_actions: int = Field(
        default=20, ge=2, description="no_progress: this many agent actions without progress."
    )
    max_evidence_ids: int = Field(
        default=50, ge=1, description="Longest id list kept in an insight's evidence."
    )
    session_batch_size: int = Field(
        default=500, ge=1, description="Sessions loaded and evaluated per graph invocation."
    )

    # Narration (off unless llm_provider is set).
    llm_provider: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL (…/v1) or Ollama URL."
    )
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0)
    narrate_max_per_run: int = Field(
        default=50, ge=0, description="Most insights narrated per graph invocation."
    )
    narrative_context_events: int = Field(
        default=20, ge=0, description="Recent events shown to the model with each insight."
    )

    def rules_fingerprint(self) -> str:
        """Hash of the detector knobs; stored with each session's watermark."""
        rules = self.model_dump(mode="json", exclude=set(_NON_RULE_FIELDS))
        payload = orjson.dumps({"version": RULES_VERSION, **rules}, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(payload).hexdigest()[:16]
