"""Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl`) to contract events.

One transcript line is one record: a user or assistant message (one content block
per line), a progress tick, a file-history snapshot, a system note. What becomes
an event:

- each `tool_use` block: one `agent_action` whose event_id is the tool_use id,
  completed (revision 1) by its `tool_result`; a command that runs tests or checks
  adds a `test_run` / `check_run`, and failures add `error` events;
- each model response: one `llm_call` per message id, from the last of its lines;
- each human prompt: one `human_action`.

A subagent (its own `subagents/agent-*.jsonl` file, or the `agent_progress`
records its parent keeps) is a session of its own, `<parent>.<agentId>`, so both
copies of its responses land under the same ids and count once.

The mapping of one tool call (kind, status, runs, errors) lives in `tool_call_events`
and is shared with the hook receiver (`claude_code_hooks`), so a call captured
live and later imported has the same ids and the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ingest_api.sources.base import (
    ParseResult,
    clip,
    content_text,
    count,
    iso,
    jsonl_records,
    parse_time,
)
from ingest_api.sources.runners import (
    CommandOutcome,
    classify_command,
    error_lines,
    read_outcome,
)
from ingest_api.sources.runs import call_error, run_errors

AGENT = "claude-code"
_MESSAGE_MAX = 64 * 1024
_SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

_TOOL_KINDS = {
    "Edit": "edit",
    "Write": "edit",
    "MultiEdit": "edit",
    "NotebookEdit": "edit",
    "Bash": "command",
    "BashOutput": "command",
    "KillShell": "command",
    "KillBash": "command",
    "TaskOutput": "command",
    "TaskStop": "command",
    "Read": "read",
    "NotebookRead": "read",
    "Grep": "search",
    "Glob": "search",
    "LS": "search",
    "ToolSearch": "search",
    "WebFetch": "web",
    "WebSearch": "web",
    "Task": "delegate",
    "Agent": "delegate",
    "TodoWrite": "plan",
    "TodoRead": "plan",
    "ExitPlanMode": "plan",
    "EnterPlanMode": "plan",
    "TaskCreate": "plan",
    "TaskUpdate": "plan",
    "TaskList": "plan",
    "TaskGet": "plan",
}
# tools whose input names one file: (tool, input key)
_FILE_KEYS = {
    "Edit": "file_path",
    "Write": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
    "Read": "file_path",
    "NotebookRead": "notebook_path",
}

_REJECTED_MARKS = (
    "The user doesn't want to proceed with this tool use",
    "The user doesn't want to take this action",
    "[Request interrupted by user for tool use]",
    "User rejected tool use",
)
_CANCELLED_MARKS = ("Sibling tool call errored", "Cancelled: parallel tool call")
_EXIT_RE = re.compile(r"^(?:Error: )?Exit code (\d+)")
_BACKGROUND_RE = re.compile(r"Command running in background with ID: ([A-Za-z0-9_-]+)")
_TASK_FILE_RE = re.compile(r"/tasks/([A-Za-z0-9_-]+)\.output\b")
_TAG_RE = re.compile(r"</?tool_use_error>")
# context Claude Code adds to a user message (an opened file, a hook's output); not typed
_REMINDER_RE = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)
# a Read result numbers its lines ("    12→text", older "    12\ttext"); read runs without them
_READ_LINE_NO_RE = re.compile(r"^ *\d+(?:→|\t)", re.M)
_ERROR_TYPES = (
    ("File does not exist", "file_not_found"),
    ("No such file or directory", "file_not_found"),
    ("String to replace not found", "string_not_found"),
    ("File has not been read yet", "file_not_read"),
    ("File has been modified since read", "file_modified"),
    ("EISDIR", "is_a_directory"),
    ("InputValidationError", "invalid_input"),
    ("timed out", "timeout"),
)


def action_kind(tool_name: str) -> str:
    """What kind of action a tool call is (base.ACTION_KINDS)."""
    return _TOOL_KINDS.get(tool_name, "other")


@dataclass
class ToolOutcome:
    """How a tool call ended, read from its result."""

    status: str  # ok, error, rejected, cancelled
    output: str  # the result text (command output, error message)
    exit_code: int | None = None
    background_id: str | None = None
    duration_ms: int | None = None
    agent_id: str | None = None  # a Task/Agent call: the subagent that ran it


def tool_outcome(content: Any, is_error: bool | None, result: Any) -> ToolOutcome:
    """Status and output of a tool call from its result.

    `content` is the tool_result content shown to the model, `result` the
    structured `toolUseResult` (an object on success, a string on failure).
    Hooks pass `tool_response` / `error` the same way.
    """
    text = content_text(content, "\n")
    if not text and isinstance(result, str):
        text = result
    if is_error or isinstance(result, str):
        # only a failed result can be a refusal: a successful Read may quote these words
        flat = f"{text}\n{result if isinstance(result, str) else ''}"
        if any(mark in flat for mark in _REJECTED_MARKS):
            return ToolOutcome("rejected", text)
        if any(mark in flat for mark in _CANCELLED_MARKS):
            return ToolOutcome("cancelled", text)
    out = ToolOutcome("error" if is_error else "ok", text)
    if isinstance(result, dict):
        stdout, stderr = result.get("stdout"), result.get("stderr")
        if isinstance(stdout, str) or isinstance(stderr, str):
            out.output = "\n".join(s for s in (stdout, stderr) if isinstance(s, str) and s)
            if result.get("interrupted") is True:
                out.status = "rejected"
            elif not is_error:
                out.exit_code = 0
        if isinstance(result.get("backgroundTaskId"), str):
            out.background_id = result["backgroundTaskId"]
            out.exit_code = None
        for key, scale in (("durationMs", 1), ("totalDurationMs", 1), ("durationSeconds", 1000)):
            value = result.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.duration_ms = int(value * scale)
                break
        if isinstance(result.get("agentId"), str):
            out.agent_id = result["agentId"]
    if out.background_id is None:
        match = _BACKGROUND_RE.search(text)
        if match:
            out.background_id = match.group(1)
            out.exit_code = None
    if out.status == "error":
        match = _EXIT_RE.match(text)
        if match:
            out.exit_code = int(match.group(1))
    return out


def _error_type(tool_name: str, outcome: ToolOutcome) -> str:
    if outcome.exit_code:
        return f"exit_code_{outcome.exit_code}"
    for mark, kind in _ERROR_TYPES:
        if mark in outcome.output:
            return kind
    return "tool_error"


def _error_message(outcome: ToolOutcome, is_command: bool) -> str:
    text = _TAG_RE.sub("", outcome.output).strip()
    if text.startswith("Error: "):
        text = text[len("Error: ") :]
    if is_command:
        text = _EXIT_RE.sub("", text, count=1).strip() or text
        return error_lines(text) or text[:2000]
    return "\n".join(text.splitlines()[:20])[:4000]


@dataclass
class RunResult:
    """A background run's outcome read later (TaskOutput, its output file, a notification)."""

    output: str
    exit_code: int | None
    ended_at: datetime
    read: CommandOutcome | None = None  # read_outcome(output, exit_code), when already read
    revision: int = 2  # the run's; 3 once the output completes a notification's exit code


def child_session_id(parent: str, agent_id: str) -> str:
    """The session id of a subagent: its parent's id and its own agent id."""
    agent = re.sub(r"[^A-Za-z0-9_.-]", "_", agent_id)
    sid = f"{parent}.{agent}"
    if not _SESSION_ID_RE.match(sid):
        sid = sid[:128]
    return sid


def _base(session_id: str, event_type: str, source_type: str, ts: datetime) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "event_type": event_type,
        "source_type": source_type,
        "timestamp": iso(ts),
        "actor": AGENT,
    }


def tool_call_events(
    session_id: str,
    call_id: str,
    ts: datetime,
    tool_name: str,
    tool_input: dict[str, Any],
    outcome: ToolOutcome | None,
    *,
    ended_at: datetime | None = None,
    parent_session_id: str | None = None,
    child_session: str | None = None,
    background: RunResult | None = None,
) -> list[dict[str, Any]]:
    """The events of one tool call: its agent_action, a test/check run, its errors.

    `outcome` None means only the call is known (revision 0); `background` is the
    later-read result of a command that went to the background (revision 2).
    """
    kind = action_kind(tool_name)
    action = _base(session_id, "agent_action", "agent", ts)
    action.update(event_id=call_id, tool_name=tool_name, action_kind=kind, revision=0)
    path_key = _FILE_KEYS.get(tool_name)
    if path_key and isinstance(tool_input.get(path_key), str):
        action["file_path"] = tool_input[path_key][:4096]
    attributes: dict[str, Any] = {}
    if child_session:
        attributes["child_session_id"] = child_session
    if parent_session_id:
        action["parent_session_id"] = parent_session_id
    if outcome is not None:
        action["revision"] = 1
        action["status"] = outcome.status
        if outcome.duration_ms is not None:
            action["duration_ms"] = outcome.duration_ms
        if outcome.exit_code is not None and kind == "command":
            attributes["exit_code"] = outcome.exit_code
        if outcome.background_id:
            attributes["background_task_id"] = outcome.background_id
    if attributes:
        action["attributes"] = attributes
    events = [action]

    command = tool_input.get("command") if tool_name == "Bash" else None
    cls = classify_command(command) if isinstance(command, str) else None
    if cls is not None and cls.writes:
        # a command that changes the tree can cause a later failure (change_set correlator)
        action.setdefault("attributes", {})["writes"] = True
    end = ended_at or ts
    if isinstance(command, str) and cls is not None and cls.kind in ("test", "check"):
        events.extend(_run_events(session_id, call_id, ts, end, command, cls, outcome, background))
        for e in events[1:]:
            if parent_session_id:
                e["parent_session_id"] = parent_session_id
    elif outcome is not None and outcome.status == "error":
        err = call_error(
            _base(session_id, "error", "agent", end),
            call_id,
            tool_name,
            _error_type(tool_name, outcome),
            clip(_error_message(outcome, kind == "command"), _MESSAGE_MAX),
            file_path=action.get("file_path"),
            exit_code=outcome.exit_code,
        )
        if parent_session_id:
            err["parent_session_id"] = parent_session_id
        events.append(err)
    return events


def _run_events(
    session_id: str,
    call_id: str,
    ts: datetime,
    end: datetime,
    command: str,
    cls: Any,
    outcome: ToolOutcome | None,
    background: RunResult | None,
) -> list[dict[str, Any]]:
    run_id = f"{call_id}:run"
    run = _base(session_id, "test_run" if cls.kind == "test" else "check_run", "agent", ts)
    run.update(event_id=run_id, parent_id=call_id, message=clip(command, _MESSAGE_MAX), revision=0)
    attributes: dict[str, Any] = {"runner": cls.runner, "targets": list(cls.targets)}
    run["status"] = "unknown"
    failures: list[Any] = []
    output = ""
    if outcome is not None:
        run["revision"] = 1
        if outcome.status in ("rejected", "cancelled"):
            # it never ran
            run["status"] = "skipped"
            attributes["not_run"] = outcome.status
        elif background is not None:
            run["revision"] = background.revision
            end = background.ended_at
            attributes["background_task_id"] = outcome.background_id
            result = background.read or read_outcome(cls, background.output, background.exit_code)
            run["status"] = result.status
            attributes["summary"] = result.summary
            failures, output = result.failures, background.output
        elif outcome.background_id is not None:
            attributes["background_task_id"] = outcome.background_id
        else:
            # read_outcome ignores the exit code when a pipe (`| tail`) hides the runner's
            result = read_outcome(cls, outcome.output, outcome.exit_code)
            run["status"] = result.status
            attributes["summary"] = result.summary
            failures, output = result.failures, outcome.output
        if end > ts:
            run["duration_ms"] = int((end - ts) / timedelta(milliseconds=1))
            attributes["ended_at"] = iso(end)
    if attributes.get("summary") is None:
        attributes.pop("summary", None)
    else:
        attributes["summary"] = clip(attributes["summary"], 1000)
    run["attributes"] = attributes
    errors = run_errors(
        _base(session_id, "error", "agent", end),
        run_id,
        cls.kind,
        run["status"],
        failures,
        output,
        message_max=_MESSAGE_MAX,
        with_line=False,
    )
    return [run, *errors]


# --- transcripts ---------------------------------------------------------------------------


@dataclass
class _Call:
    session_id: str
    call_id: str
    ts: datetime
    tool_name: str
    tool_input: dict[str, Any]
    parent_session_id: str | None
    outcome: ToolOutcome | None = None
    ended_at: datetime | None = None
    child_session: str | None = None
    background: RunResult | None = None


@dataclass
class _Response:
    session_id: str
    event_id: str
    ts: datetime
    model: str | None
    usage: dict[str, Any]
    parent_session_id: str | None
    lines: int = 0


@dataclass
class _State:
    include_prompts: bool
    result: ParseResult = field(default_factory=ParseResult)
    # output order: ("call", id) / ("response", key) / ("event", dict)
    order: list[tuple[str, Any]] = field(default_factory=list)
    calls: dict[str, _Call] = field(default_factory=dict)
    responses: dict[tuple[str, str | None], _Response] = field(default_factory=dict)
    response_ids: set[str] = field(default_factory=set)
    # background task id -> the call that started it
    background: dict[str, str] = field(default_factory=dict)


def _session_facts(state: _State, session_id: str, rec: dict[str, Any], parent: str | None) -> None:
    facts = state.result.sessions.get(session_id)
    if facts is None:
        facts = state.result.sessions[session_id] = {"agent": AGENT, "models": []}
        if parent:
            facts["parent_session_id"] = parent
    for key, name in (("cwd", "project"), ("gitBranch", "git_branch"), ("version", "version")):
        value = rec.get(key)
        if isinstance(value, str) and value and name not in facts:
            facts[name] = value


def parse_claude_code(
    lines: Iterable[bytes],
    *,
    source: str,
    include_prompts: bool = False,
    parent_session_id: str | None = None,
) -> ParseResult:
    """Parse one Claude Code transcript file into contract events.

    `source` names the file (a subagent file `agent-<id>.jsonl` gives the agent id
    when its records lack one); `parent_session_id` marks the file as a subagent's.
    """
    state = _State(include_prompts)
    file_agent = re.search(r"agent-([A-Za-z0-9_-]+)\.jsonl$", source)
    res = state.result
    for number, rec in jsonl_records(lines, res):
        try:
            reason = _record(
                state, rec, parent_session_id, file_agent.group(1) if file_agent else None
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # a record of a shape we do not know; what it already added stays consistent
            res.bad_lines.append((number, f"unexpected shape: {exc!r}"[:200]))
            continue
        if reason is not None:
            if reason.startswith("bad:"):
                res.bad_lines.append((number, reason[4:]))
            else:
                res.skipped[reason] += 1
    _finish(state)
    return res


def _record(
    state: _State, rec: dict[str, Any], parent_hint: str | None, file_agent: str | None
) -> str | None:
    """Take one record; return why it gave no event (a skip reason or "bad:...")."""
    fork = rec.get("forkedFrom")
    source = fork.get("sessionId") if isinstance(fork, dict) else None
    if isinstance(source, str) and source != rec.get("sessionId"):
        # a resumed or forked session starts with a copy of the session it came from,
        # each copied record marked `forkedFrom`: that history (its calls, its billed
        # responses) belongs to the source session, where it lands under the same ids
        # and counts once, not again in the fork
        rec = {**rec, "sessionId": source}
    rtype = rec.get("type")
    if rtype == "progress":
        data = rec.get("data")
        sub = data.get("type") if isinstance(data, dict) else None
        if (
            sub == "agent_progress"
            and isinstance(data, dict)
            and isinstance(data.get("message"), dict)
        ):
            inner = dict(data["message"])
            agent = data.get("agentId")
            parent = rec.get("sessionId")
            if not isinstance(agent, str) or not isinstance(parent, str):
                return "progress:agent_progress"
            inner.update(sessionId=parent, agentId=agent, isSidechain=True)
            for key in ("cwd", "gitBranch", "version"):
                inner.setdefault(key, rec.get(key))
            inner.setdefault("timestamp", rec.get("timestamp"))
            link = rec.get("parentToolUseID")
            call = state.calls.get(link) if isinstance(link, str) else None
            if call is not None and call.child_session is None:
                call.child_session = child_session_id(parent, agent)
            return _record(state, inner, None, None)
        return f"progress:{sub or 'unknown'}"
    if rtype == "attachment":
        # newer Claude Code: context it attached to a turn (hook output, memory files, tool
        # listings), and prompts queued while the agent was busy, which never become a user
        # line: a person's typed prompt, or a background task's notification
        att = rec.get("attachment")
        kind = att.get("type") if isinstance(att, dict) else None
        if not isinstance(att, dict) or kind != "queued_command":
            return f"attachment:{kind or 'unknown'}"
        prompt = att.get("prompt")
        origin = att.get("origin")
        who = origin.get("kind") if isinstance(origin, dict) else None
        if not isinstance(prompt, str) or (
            att.get("commandMode") == "prompt" and who not in (None, "human")
        ):
            return "attachment:queued_command (not a person's prompt)"
        rec = {**rec, "type": "user", "message": {"role": "user", "content": prompt}}
        rtype = "user"
    if rtype in ("file-history-snapshot", "queue-operation", "summary", "pr-link"):
        return str(rtype)
    if rtype == "system":
        return f"system:{rec.get('subtype') or 'unknown'}"
    if rtype not in ("user", "assistant"):
        return f"unknown:{rtype}"

    sid = rec.get("sessionId")
    if not isinstance(sid, str) or not _SESSION_ID_RE.match(sid):
        return "bad:no valid sessionId"
    ts = parse_time(rec.get("timestamp"))
    if ts is None:
        return "bad:no timestamp with offset"
    message = rec.get("message")
    if not isinstance(message, dict):
        return "bad:message is not an object"
    agent = rec.get("agentId") if isinstance(rec.get("agentId"), str) else None
    if agent is None and (rec.get("isSidechain") or parent_hint) and file_agent:
        agent = file_agent
    parent = None
    if agent is not None and (rec.get("isSidechain") or parent_hint):
        parent = parent_hint or sid
        sid = child_session_id(parent, agent)
    _session_facts(state, sid, rec, parent)
    if rtype == "assistant":
        return _assistant(state, sid, parent, ts, rec, message)
    return _user(state, sid, parent, ts, rec, message)


def _assistant(
    state: _State,
    sid: str,
    parent: str | None,
    ts: datetime,
    rec: dict[str, Any],
    message: dict[str, Any],
) -> str | None:
    model = message.get("model")
    if model == "<synthetic>":
        return "assistant:synthetic"
    used = False
    for block in message.get("content") or []:
        if not isinstance(block, dict) or block.get("type") != "tool_use":
            continue
        call_id, name = block.get("id"), block.get("name")
        if not isinstance(call_id, str) or not isinstance(name, str) or call_id in state.calls:
            continue
        raw_input = block.get("input")
        tool_input: dict[str, Any] = raw_input if isinstance(raw_input, dict) else {}
        state.calls[call_id] = _Call(sid, call_id[:128], ts, name, tool_input, parent)
        state.order.append(("call", call_id))
        used = True
    usage = message.get("usage")
    mid = message.get("id")
    if isinstance(usage, dict) and isinstance(mid, str):
        rid = rec.get("requestId") if isinstance(rec.get("requestId"), str) else None
        key = (mid, rid)
        resp = state.responses.get(key)
        if resp is None:
            event_id = mid if mid not in state.response_ids else f"{mid}:{rid}"
            state.response_ids.add(mid)
            resp = _Response(
                sid, event_id[:128], ts, model if isinstance(model, str) else None, usage, parent
            )
            state.responses[key] = resp
            state.order.append(("response", key))
            if resp.model:
                models = state.result.sessions[sid]["models"]
                if resp.model not in models:
                    models.append(resp.model)
        resp.usage = usage  # the last line's usage is final
        resp.lines += 1
        used = True
    return None if used else "assistant:no-usage"


def _is_prompt_text(text: str) -> bool:
    head = text.lstrip()[:40]
    return not (
        head.startswith("<command-")
        or head.startswith("<local-command")
        # bash mode (`!cmd`): the person's shell command and its output, not a prompt
        or head.startswith("<bash-input>")
        or head.startswith("<bash-stdout>")
        or head.startswith("<bash-stderr>")
        or head.startswith("<task-notification>")
        or head.startswith("[Request interrupted by user")
        or head.startswith("<user-prompt-submit-hook>")
        or head.startswith("Caveat: The messages below")
    )


def _user(
    state: _State,
    sid: str,
    parent: str | None,
    ts: datetime,
    rec: dict[str, Any],
    message: dict[str, Any],
) -> str | None:
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
    if results:
        for block in results:
            _tool_result(state, ts, rec, block, len(results))
        return None
    text = content if isinstance(content, str) else content_text(content, "\n")
    if "<system-reminder>" in text:
        text = _REMINDER_RE.sub("", text).strip()
        if not text:
            return "user:system-reminder"
    if rec.get("isMeta"):
        return "user:meta"
    if rec.get("isCompactSummary"):
        return "user:compact-summary"
    if text.lstrip().startswith("<task-notification>"):
        _task_notification(state, ts, text)
        return "user:task-notification"
    if text.lstrip().startswith("[Request interrupted by user"):
        return "user:interrupt"
    if not _is_prompt_text(text):
        return "user:command"
    if parent is not None or rec.get("isSidechain") is True:
        # in a subagent the "user" is the delegating agent, not a person (older transcripts
        # keep sidechains in the parent's file, marked isSidechain but with no agentId)
        return "user:subagent-prompt"
    event = _base(sid, "human_action", "human", ts)
    # no event_id: a hook cannot know this record's uuid, so the transcript and the
    # hook both leave the id to the contract's content hash, and its 2 s window makes
    # a prompt captured both ways one event
    event.update(action_kind="prompt", attributes={"length": len(text)})
    if state.include_prompts:
        event["message"] = clip(text, _MESSAGE_MAX)
    state.order.append(("event", event))
    return None


def _tool_result(
    state: _State, ts: datetime, rec: dict[str, Any], block: dict[str, Any], n_results: int
) -> None:
    call = state.calls.get(block.get("tool_use_id", ""))
    if call is None:
        # its tool_use is in an earlier part of the file we did not see (or was compacted)
        state.result.skipped["user:orphan-tool-result"] += 1
        return
    result = rec.get("toolUseResult") if n_results == 1 else None
    outcome = tool_outcome(block.get("content"), bool(block.get("is_error")), result)
    denial = rec.get("toolDenialKind") if n_results == 1 else None
    if outcome.status == "error" and isinstance(denial, str):
        # newer Claude Code marks a call that never ran on the record (user-rejected,
        # interrupted, permission-rule, automode-blocked, cancelled), with texts beyond the
        # ones _REJECTED_MARKS knows ("The following part requires approval: ..."): it was
        # refused or cut off, it did not fail
        outcome.status = "cancelled" if denial == "cancelled" else "rejected"
    call.outcome = outcome
    call.ended_at = ts
    if (
        outcome.agent_id
        and call.child_session is None
        and action_kind(call.tool_name) == "delegate"
    ):
        call.child_session = child_session_id(
            call.parent_session_id or call.session_id, outcome.agent_id
        )
    if outcome.background_id and call.tool_name == "Bash":
        state.background[outcome.background_id] = call.call_id
    _background_read(state, ts, call, outcome, result)


def _background_read(
    state: _State, ts: datetime, reader: _Call, outcome: ToolOutcome, result: Any
) -> None:
    """A later read of a background command's output: TaskOutput, BashOutput, its file."""
    if outcome.status != "ok":
        return
    task_id: str | None = None
    output, exit_code, final = outcome.output, None, False
    if reader.tool_name in ("TaskOutput", "BashOutput"):
        raw_id = reader.tool_input.get("task_id") or reader.tool_input.get("bash_id")
        task_id = raw_id if isinstance(raw_id, str) else None
        task = result.get("task") if isinstance(result, dict) else None
        info = task if isinstance(task, dict) else result if isinstance(result, dict) else {}
        status = info.get("status")
        if isinstance(info.get("exitCode"), int):
            exit_code = info["exitCode"]
        if isinstance(info.get("output"), str):
            output = info["output"]
        elif isinstance(info.get("stdout"), str):
            output = "\n".join(
                s for s in (info.get("stdout"), info.get("stderr")) if isinstance(s, str)
            )
        if status is None:
            match = re.search(r"<status>(\w+)</status>", outcome.output)
            status = match.group(1) if match else None
            code = re.search(r"<exit_code>(-?\d+)</exit_code>", outcome.output)
            exit_code = int(code.group(1)) if code else exit_code
        final = status in ("completed", "failed", "killed") or exit_code is not None
    else:
        where = (
            reader.tool_input.get("file_path")
            if reader.tool_name == "Read"
            else reader.tool_input.get("command")
        )
        match = _TASK_FILE_RE.search(where) if isinstance(where, str) else None
        task_id = match.group(1) if match else None
        if reader.tool_name == "Read":
            file = result.get("file") if isinstance(result, dict) else None
            content = file.get("content") if isinstance(file, dict) else None
            output = content if isinstance(content, str) else _READ_LINE_NO_RE.sub("", output)
    if task_id is None or task_id not in state.background:
        return
    run_call = state.calls[state.background[task_id]]
    prior = run_call.background
    if prior is not None:
        if not prior.output and output.strip():
            # a <task-notification> gave the exit code and end time but no output; the
            # output read now names the failures
            run_call.background = RunResult(output, prior.exit_code, prior.ended_at, revision=3)
        return  # the first complete read decided it
    cmd = run_call.tool_input.get("command")
    cls = classify_command(cmd) if isinstance(cmd, str) else None
    if cls is None or cls.kind is None:
        return
    read = None
    if not final:
        read = read_outcome(cls, output, None)
        if read.status == "unknown":
            return  # still running, or a tail that does not show the outcome yet
    run_call.background = RunResult(output, exit_code, ts, read)


def _task_notification(state: _State, ts: datetime, text: str) -> None:
    """Claude Code telling the agent a background command ended (exit code only)."""
    match = re.search(r"<task-id>([A-Za-z0-9_-]+)</task-id>", text)
    if not match or match.group(1) not in state.background:
        return
    run_call = state.calls[state.background[match.group(1)]]
    code = re.search(r"exit code (-?\d+)", text)
    if run_call.background is None and code:
        run_call.background = RunResult("", int(code.group(1)), ts)


def _finish(state: _State) -> None:
    events = state.result.events
    for kind, item in state.order:
        if kind == "event":
            events.append(item)
        elif kind == "call":
            c = state.calls[item]
            events.extend(
                tool_call_events(
                    c.session_id,
                    c.call_id,
                    c.ts,
                    c.tool_name,
                    c.tool_input,
                    c.outcome,
                    ended_at=c.ended_at,
                    parent_session_id=c.parent_session_id,
                    child_session=c.child_session,
                    background=c.background,
                )
            )
        else:
            events.append(_llm_event(state.responses[item]))
    for event in events:
        if "parent_session_id" not in event:
            parent = state.result.sessions.get(event["session_id"], {}).get("parent_session_id")
            if parent:
                event["parent_session_id"] = parent


def _llm_event(resp: _Response) -> dict[str, Any]:
    u = resp.usage
    event = _base(resp.session_id, "llm_call", "agent", resp.ts)
    raw_cache = u.get("cache_creation")
    cache: dict[str, Any] = raw_cache if isinstance(raw_cache, dict) else {}
    event.update(
        event_id=resp.event_id,
        model=resp.model,
        input_tokens=count(u.get("input_tokens")),
        output_tokens=count(u.get("output_tokens")),
        cache_read_tokens=count(u.get("cache_read_input_tokens")),
        cache_write_tokens=count(u.get("cache_creation_input_tokens")),
        cache_write_1h_tokens=count(cache.get("ephemeral_1h_input_tokens")),
        # lines seen of this response: a later, fuller import has a higher revision
        revision=resp.lines - 1,
    )
    if resp.parent_session_id:
        event["parent_session_id"] = resp.parent_session_id
    return event
