"""Claude Code hook payloads (what a hook command reads on stdin) to contract events.

The mapping is the transcript parser's (`claude_code.tool_call_events`, `tool_outcome`),
so the ids agree: PreToolUse gives the tool call's `agent_action` at revision 0,
PostToolUse / PostToolUseFailure the same event_id at revision 1 with its status,
and a later import of the session's transcript lands on the same events.

Payloads carry no reliable time, so events take the time the payload was received
(a PostToolUse's call started `duration_ms` before that). A hook event we do not
know is still kept: an event naming it in `attributes["hook_event_name"]`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ingest_api.sources.base import ParseResult, iso
from ingest_api.sources.claude_code import (
    AGENT,
    action_kind,
    child_session_id,
    tool_call_events,
    tool_outcome,
)

_SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# payload fields that are not worth keeping on a lifecycle event: text the agent or
# user wrote (not stored by default), paths and ids the event already has
_NOT_KEPT = {
    "session_id",
    "transcript_path",
    "agent_transcript_path",
    "cwd",
    "hook_event_name",
    "prompt",
    "last_assistant_message",
    "tool_input",
    "tool_response",
    "raw_input",
    # added by payload loggers, not by Claude Code
    "timestamp",
    "logged_at",
}


def _event(
    session_id: str, event_type: str, source_type: str, ts: datetime, **fields: Any
) -> dict[str, Any]:
    event = {
        "session_id": session_id,
        "event_type": event_type,
        "source_type": source_type,
        "timestamp": iso(ts),
        "actor": AGENT,
    }
    event.update({k: v for k, v in fields.items() if v is not None})
    return event


def _scalars(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload's small scalar fields, for an event we have no richer mapping for."""
    kept: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _NOT_KEPT:
            continue
        if isinstance(value, str):
            kept[key] = value[:200]
        elif isinstance(value, bool | int | float) or value is None:
            kept[key] = value
    return kept


def parse_hook(
    payload: dict[str, Any], *, received_at: datetime, include_prompts: bool = False
) -> ParseResult:
    """Map one hook payload to events; `received_at` (aware) stands in for its time."""
    res = ParseResult(lines=1)
    if not isinstance(payload, dict):
        res.bad_lines.append((1, "payload is not a JSON object"))
        return res
    sid = payload.get("session_id")
    if not isinstance(sid, str) or not _SESSION_ID_RE.match(sid):
        res.bad_lines.append((1, "no valid session_id"))
        return res
    name = payload.get("hook_event_name")
    name = name if isinstance(name, str) and name else "unknown"
    parent: str | None = None
    agent_id = payload.get("agent_id")
    if isinstance(agent_id, str) and agent_id and name not in ("SubagentStart", "SubagentStop"):
        # a hook fired inside a subagent: the subagent's own session
        parent, sid = sid, child_session_id(sid, agent_id)
    facts: dict[str, Any] = {"agent": AGENT, "models": []}
    if isinstance(payload.get("cwd"), str):
        facts["project"] = payload["cwd"]
    if isinstance(payload.get("model"), str):
        facts["models"].append(payload["model"])
    if parent:
        facts["parent_session_id"] = parent
    res.sessions[sid] = facts

    tool_use_id = payload.get("tool_use_id")
    tool_name = payload.get("tool_name")
    raw_input = payload.get("tool_input")
    tool_input: dict[str, Any] = raw_input if isinstance(raw_input, dict) else {}
    if name in ("PreToolUse", "PostToolUse", "PostToolUseFailure") and (
        isinstance(tool_use_id, str) and isinstance(tool_name, str)
    ):
        ts, outcome, ended = received_at, None, None
        if name == "PostToolUse":
            response = payload.get("tool_response")
            content = response if isinstance(response, str | list) else None
            outcome = tool_outcome(content, False, response)
        elif name == "PostToolUseFailure":
            error = payload.get("error")
            outcome = tool_outcome(error, True, error if isinstance(error, str) else None)
            if payload.get("is_interrupt") is True:
                outcome.status = "rejected"
        child: str | None = None
        if outcome is not None:
            if outcome.agent_id and action_kind(tool_name) == "delegate":
                # why: the importer links a Task/Agent call to its subagent's session from
                # the result's agentId; the hook's copy is the same revision, so it must too
                child = child_session_id(parent or sid, outcome.agent_id)
            duration = payload.get("duration_ms")
            if isinstance(duration, int | float) and not isinstance(duration, bool):
                outcome.duration_ms = int(duration)
                ts = received_at - timedelta(milliseconds=duration)
            ended = received_at
        res.events.extend(
            tool_call_events(
                sid,
                tool_use_id[:128],
                ts,
                tool_name,
                tool_input,
                outcome,
                ended_at=ended,
                parent_session_id=parent,
                child_session=child,
            )
        )
    elif name == "UserPromptSubmit" and isinstance(payload.get("prompt"), str):
        prompt = payload["prompt"]
        # no event_id, as in the transcript parser: the content hash and its window
        # make the hook's copy and the transcript's one event
        res.events.append(
            _event(
                sid,
                "human_action",
                "human",
                received_at,
                action_kind="prompt",
                attributes={"length": len(prompt)},
                message=prompt[: 64 * 1024] if include_prompts else None,
            )
        )
    elif name in ("SessionStart", "SessionEnd"):
        res.events.append(
            _event(
                sid,
                "session_start" if name == "SessionStart" else "session_end",
                "agent",
                received_at,
                attributes=_scalars(payload) or None,
            )
        )
    elif name in ("SubagentStart", "SubagentStop") and isinstance(agent_id, str) and agent_id:
        child = child_session_id(sid, agent_id)
        res.sessions[child] = {"agent": AGENT, "models": [], "parent_session_id": sid}
        if "project" in facts:
            res.sessions[child]["project"] = facts["project"]
        res.events.append(
            _event(
                child,
                "session_start" if name == "SubagentStart" else "session_end",
                "agent",
                received_at,
                parent_session_id=sid,
                attributes=_scalars(payload) or None,
            )
        )
    else:
        # Stop, Notification, PreCompact, ... and hooks we do not know: kept as a
        # system event so they count neither as tool calls nor as prompts
        attributes = {"hook_event_name": name, **_scalars(payload)}
        message = payload.get("message") if name == "Notification" else None
        res.events.append(
            _event(
                sid,
                "agent_action",
                "system",
                received_at,
                action_kind="other",
                parent_session_id=parent,
                message=message[:4096] if isinstance(message, str) else None,
                attributes=attributes,
            )
        )
    return res
