"""What every source parser returns, and the vocabulary of the fields it adds.

A parser turns one agent log (a transcript file, a hook payload) into contract
events: plain dicts with the contract's fields, validated later by the same
`validate_event` every other event goes through.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Fields agent logs add to the contract (all optional):
#   tool_name               the tool's raw name ("Bash", "Edit", "exec_command", "apply_patch")
#   action_kind             ACTION_KINDS
#   duration_ms             how long the call or run took, where the log says
#   cache_read_tokens       input tokens read from the prompt cache
#   cache_write_tokens      input tokens written to the cache (all of them)
#   cache_write_1h_tokens   the part of cache_write_tokens written with a 1-hour TTL
#   reasoning_tokens        reasoning/thinking tokens (already inside output_tokens? see below)
#   parent_session_id       for a subagent's session: the session that delegated to it
#   revision                completeness order of one event_id: a later, fuller form of the
#                           same event (PostToolUse after PreToolUse, a response whose usage
#                           grew, a background run whose result arrived) has a higher revision;
#                           the highest revision of an event_id wins, whatever the arrival order.
# Token meaning is normalised across agents: input_tokens is UNCACHED input only (Codex and
# Gemini count cached input inside their input figure: subtract it); output_tokens includes
# reasoning tokens (reasoning_tokens is the part of it that was reasoning).
AGENT_FIELDS = (
    "tool_name",
    "action_kind",
    "duration_ms",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "parent_session_id",
    "revision",
)
ACTION_KINDS = ("edit", "command", "read", "search", "web", "delegate", "plan", "prompt", "other")
# status of an agent_action (a tool call): rejected = the user refused it; cancelled = it
# never ran (e.g. Claude Code's "Sibling tool call errored"). Neither is an error.
ACTION_STATUSES = ("ok", "error", "rejected", "cancelled")
# status of a test_run or check_run; unknown = the output does not show the outcome.
RUN_STATUSES = ("passed", "failed", "error", "skipped", "unknown")
# event types agent logs produce (check_run is new: linters, type checkers, builds, hooks)
AGENT_EVENT_TYPES = (
    "session_start",
    "session_end",
    "agent_action",
    "human_action",
    "llm_call",
    "test_run",
    "check_run",
    "error",
)


@dataclass
class ParseResult:
    """Events from one log, plus an account of every line that gave none."""

    events: list[dict[str, Any]] = field(default_factory=list)
    # lines read without analytic meaning, by reason ("progress", "file-history-snapshot", ...)
    skipped: Counter[str] = field(default_factory=Counter)
    # lines that could not be parsed: (line number from 1, reason)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    # sessions seen: session_id -> facts (agent, project/cwd, git_branch, models, parent_session_id)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: int = 0


def iso(ts: datetime) -> str:
    """RFC 3339 with offset, as the contract wants."""
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
