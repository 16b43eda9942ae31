"""Every closed vocabulary of Achilles, defined once.

Events: their types, sources, severities and the statuses some types require.
Insights: their kinds, severities and statuses. The API, the contract, the
insight step and the warehouse DDL all take their values from here; a new
event source adds its words here and nowhere else.

Event vocabularies are StrEnums (the contract validates against them); insight
vocabularies are Literal types, usable as FastAPI parameter types, with the
tuple of values derived from each.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class EventType(StrEnum):
    agent_action = "agent_action"
    human_action = "human_action"
    test_run = "test_run"
    check_run = "check_run"  # linters, type checkers, builds, pre-commit hooks
    error = "error"
    llm_call = "llm_call"
    session_start = "session_start"
    session_end = "session_end"
    process = "process"
    alert = "alert"


class SourceType(StrEnum):
    agent = "agent"
    human = "human"
    system = "system"
    ci = "ci"
    external = "external"


class Severity(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"
    critical = "critical"
    fatal = "fatal"


# test_run and check_run; unknown = the output does not show the outcome (cut, never read).
RUN_STATUSES = ("passed", "failed", "error", "skipped", "unknown")
PROCESS_STATUSES = ("spawned", "exited", "crashed", "restarted", "rolled_back")
# Only these event types constrain `status`; elsewhere it is a short free label.
STATUS_RULES: dict[str, tuple[str, ...]] = {
    EventType.test_run: RUN_STATUSES,
    EventType.check_run: RUN_STATUSES,
    EventType.process: PROCESS_STATUSES,
}
# What an agent_action (a tool call) or human_action did.
ActionKind = Literal[
    "edit", "command", "read", "search", "web", "delegate", "plan", "prompt", "other"
]
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)
# The status of a tool call: rejected = the user refused it; cancelled = it never ran
# (e.g. Claude Code's "Sibling tool call errored"). Neither is an error.
ACTION_STATUSES = ("ok", "error", "rejected", "cancelled")
# The agents whose own logs Achilles reads.
AGENTS = ("claude-code", "codex", "gemini")

InsightKind = Literal[
    "high_error_density",
    "agent_caused_error",
    "break_fix_cycle",
    "repeated_error",
    "crash_loop",
    "no_progress",
]
InsightSeverity = Literal["info", "warning", "critical"]
InsightStatus = Literal["open", "resolved"]

INSIGHT_KINDS: tuple[str, ...] = get_args(InsightKind)
INSIGHT_SEVERITIES: tuple[str, ...] = get_args(InsightSeverity)
INSIGHT_STATUSES: tuple[str, ...] = get_args(InsightStatus)
