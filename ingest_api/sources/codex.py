"""Codex CLI rollouts (`~/.codex/sessions/**/rollout-*.jsonl`) as contract events.

A rollout is one JSON record per line: `session_meta`, `turn_context`, `response_item`
(the model's messages and tool calls with their outputs), `event_msg` (what the CLI
did: command ends, patch results, token counts, user messages) and a few more.

What needs care:
- a long `exec_command` answers "Process running with session ID N"; its output and exit
  code arrive in later `write_stdin` polls on that session, which are joined to it;
- `exec_command_end` / `patch_apply_end` events repeat a call's outcome in structured
  form (exit code, duration, changed files) when the CLI wrote them;
- `token_count` events carry running totals that may repeat unchanged: usage per
  response is the growth of the totals, as ccusage counts it;
- a fork (`forked_from_id`) first writes its source's rollout again: that replay is the
  source's history, not the fork's (see `_replayed`).
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
    load_json,
    parse_time,
)
from ingest_api.sources.runners import (
    CommandClass,
    classify_command,
    error_lines,
    iter_commands,
    read_outcome,
)
from ingest_api.sources.runs import call_error, run_errors

AGENT = "codex"
_MESSAGE_MAX = 8000

# tool name -> action kind (commands are refined by what they run)
TOOL_KINDS = {
    "exec_command": "command",
    "shell": "command",
    "local_shell": "command",
    "container.exec": "command",
    "shell_command": "command",
    "apply_patch": "edit",
    "update_plan": "plan",
    "web_search": "web",
    "view_image": "read",
    "tool_search": "search",
    "spawn_agent": "delegate",
    "send_input": "delegate",
    "wait_agent": "delegate",
}
_COMMAND_TOOLS = frozenset(
    {"exec_command", "shell", "local_shell", "container.exec", "shell_command"}
)
_POLL_TOOLS = frozenset({"write_stdin"})
_READ_PROGS = frozenset(
    {
        "cat",
        "head",
        "tail",
        "sed",
        "nl",
        "less",
        "more",
        "bat",
        "wc",
        "ls",
        "tree",
        "file",
        "stat",
        "pwd",
        "du",
        "strings",
        "od",
        "xxd",
        "hexdump",
        "readlink",
        "realpath",
        "jq",
    }
)
_SEARCH_PROGS = frozenset({"rg", "grep", "egrep", "fgrep", "ag", "ack", "find", "fd", "locate"})
_NEUTRAL_PROGS = frozenset({"cd", "echo", "printf", "sort", "uniq", "cut", "awk", "tr", "true"})

# exec_command says "Process exited with code N"; shell / shell_command / apply_patch in their
# freeform output (Codex 0.4x-0.9x, gpt-5-codex) say "Exit code: N\nWall time: …\nOutput:\n…"
_HEADER_EXIT = re.compile(r"^(?:Process exited with code|Exit code:) (-?\d+)\s*$", re.M)
_HEADER_RUNNING = re.compile(r"^Process running with session ID (\d+)\s*$", re.M)
_HEADER_WALL = re.compile(r"^Wall time: ([\d.]+) seconds\s*$", re.M)
_PATCH_FILE = re.compile(
    r"^\*\*\* (?:Add|Update|Delete) File: (.+?)\s*$|^\*\*\* Move to: (.+?)\s*$", re.M
)
# what Codex answers for a call the user refused ("exec command rejected by user" before
# 0.5x, "rejected by user" since) or one cut off by an interrupt (the synthetic "aborted")
_REJECTED = re.compile(r"^(?:exec command |patch )?rejected by user\b", re.I)
_ABORTED = re.compile(r"^aborted\b", re.I)
# environment context and AGENTS.md instructions that Codex sends as user messages: not prompts
_INJECTED_PREFIXES = (
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions for",
)
# Codex writes a fork's replayed history in one go: a pause this long ends it
_REPLAY_PAUSE = timedelta(seconds=1)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_SKIP_EVENT_MSGS = {
    "agent_message",
    "agent_reasoning",
    "agent_reasoning_raw_content",
    "agent_reasoning_section_break",
    "task_started",
    "task_complete",
    "turn_aborted",
    "context_compacted",
    "exec_command_begin",
    "exec_command_output_delta",
    "patch_apply_begin",
    "web_search_begin",
    "turn_diff",
    "entered_review_mode",
    "exited_review_mode",
    "item_completed",
    "plan_update",
    "background_event",
    "stream_error",
    "error",
    "warning",
}


@dataclass
class _Call:
    call_id: str
    name: str
    ts: datetime
    args: dict[str, Any]
    raw_input: str | None = None  # custom tools (apply_patch): the raw input
    output: list[str] = field(default_factory=list)  # output texts, polls appended
    output_seen: bool = False
    exit_code: int | None = None
    ended_at: datetime | None = None
    duration_ms: int | None = None
    running: bool = False  # answered "Process running with session ID"
    polls: int = 0
    failed_text: str | None = None  # a non-command tool's failure text
    success: bool | None = None  # patch_apply_end / custom output verdict
    files: list[str] = field(default_factory=list)
    structured_output: str | None = None  # exec_command_end aggregated_output
    not_run: str | None = None  # "rejected" (the user refused it) or "cancelled" (interrupted)
    no_exit: bool = False  # a command tool answered without an exit code: it never ran


@dataclass
class _State:
    source: str
    include_prompts: bool
    result: ParseResult = field(default_factory=ParseResult)
    session_id: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    model: str | None = None
    # file order of what becomes events: ("call", call_id) / ("event", dict) / ("web", dict)
    order: list[tuple[str, Any]] = field(default_factory=list)
    calls: dict[str, _Call] = field(default_factory=dict)
    processes: dict[str, str] = field(default_factory=dict)  # process session id -> call id
    polls_of: dict[str, str] = field(default_factory=dict)  # write_stdin call id -> call id
    prev_totals: dict[str, int] | None = None
    web_calls: list[tuple[datetime, int, dict[str, Any]]] = field(default_factory=list)
    web_ends: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    # a fork's replay of its source: while on, records are the source's (see `_replayed`)
    replaying: bool = False
    forked_at: datetime | None = None
    replay_last: datetime | None = None


def parse_codex(
    lines: Iterable[bytes], *, source: str, include_prompts: bool = False
) -> ParseResult:
    """Events of one Codex rollout file. Never raises on bad input: bad lines are counted."""
    st = _State(source=source, include_prompts=include_prompts)
    res = st.result
    for n, rec in jsonl_records(lines, res):
        ts = parse_time(rec.get("timestamp"))
        payload = rec.get("payload")
        kind = rec.get("type")
        if ts is None:
            res.bad_lines.append((n, "no timestamp"))
            continue
        if not isinstance(payload, dict):
            res.bad_lines.append((n, f"{kind}: no payload object"))
            continue
        if st.replaying and _replayed(st, ts, kind, payload):
            res.skipped["replayed from the source session (forked_from_id)"] += 1
            continue
        try:
            _record(st, n, ts, kind, payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a shape we never saw
            res.bad_lines.append((n, f"{kind}: {type(exc).__name__}: {exc}"[:200]))
    _finish(st)
    return res


def _record(st: _State, n: int, ts: datetime, kind: Any, p: dict[str, Any]) -> None:
    res = st.result
    ptype = p.get("type")
    if kind == "session_meta":
        sid = p.get("id")
        if st.session_id is None and isinstance(sid, str) and sid:
            st.session_id = sid
            st.facts.update(agent=AGENT, started_at=iso(parse_time(p.get("timestamp")) or ts))
            if isinstance(p.get("cwd"), str):
                st.facts["project"] = p["cwd"]
            git = p.get("git")
            if isinstance(git, dict) and isinstance(git.get("branch"), str):
                st.facts["git_branch"] = git["branch"]
            for key in ("cli_version", "originator", "model_provider"):
                if isinstance(p.get(key), str):
                    st.facts[key] = p[key]
            st.order.append(("start", parse_time(p.get("timestamp")) or ts))
            if isinstance(p.get("forked_from_id"), str) and p["forked_from_id"]:
                # a fork: what follows is its source's rollout written again
                st.replaying = True
                st.forked_at = parse_time(p.get("timestamp")) or ts
                st.replay_last = ts
        else:
            res.skipped["session_meta (repeated)"] += 1
        return
    if kind == "turn_context":
        model = p.get("model")
        if isinstance(model, str) and model:
            st.model = model
            if model not in st.models:
                st.models.append(model)
        if "project" not in st.facts and isinstance(p.get("cwd"), str):
            st.facts["project"] = p["cwd"]
        res.skipped["turn_context"] += 1
        return
    if kind == "response_item":
        _response_item(st, n, ts, ptype, p)
        return
    if kind == "event_msg":
        _event_msg(st, n, ts, ptype, p)
        return
    res.skipped[f"{kind}"] += 1  # compacted, and record types this parser does not know


def _replayed(st: _State, ts: datetime, kind: Any, p: dict[str, Any]) -> bool:
    """Whether a record of a fork's file is still the replay of its source's history.

    Codex writes the source's rollout lines (its session_meta first, a fork of a fork
    the whole chain) right after the fork's session_meta, in one go, each stamped with
    the time of writing. The fork's own turns start later: after a pause, with a
    `task_started` that started after the fork was made, or after its session_meta
    again. Replayed token totals are the base the fork's own totals grow from; the
    rest is the source's, counted from the source's own file (as ccusage 20 does).
    """
    if st.forked_at is None or st.replay_last is None:
        return False
    started = (
        p.get("started_at") if kind == "event_msg" and p.get("type") == "task_started" else None
    )
    if (
        (kind == "session_meta" and p.get("id") == st.session_id)
        or (ts - st.replay_last > _REPLAY_PAUSE and ts >= st.forked_at)
        or (isinstance(started, int | float) and started > st.forked_at.timestamp())
    ):
        st.replaying = False
        return False
    st.replay_last = max(st.replay_last, ts)
    info = p.get("info") if kind == "event_msg" and p.get("type") == "token_count" else None
    if isinstance(info, dict) and (total := _usage(info.get("total_token_usage"))) is not None:
        st.prev_totals = total
    return True


def _args(p: dict[str, Any]) -> dict[str, Any]:
    raw = p.get("arguments")
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            val = load_json(raw)
        except ValueError:
            return {"_raw": raw}
        return val if isinstance(val, dict) else {"_raw": raw}
    return {}


def _response_item(st: _State, n: int, ts: datetime, ptype: Any, p: dict[str, Any]) -> None:
    res = st.result
    if ptype in ("function_call", "custom_tool_call", "local_shell_call"):
        call_id = p.get("call_id") or p.get("id")
        if not isinstance(call_id, str) or not call_id:
            res.bad_lines.append((n, f"{ptype} without call_id"))
            return
        name: str = p["name"] if isinstance(p.get("name"), str) else str(ptype)
        args: dict[str, Any]
        if ptype == "local_shell_call":
            name = "local_shell"
            args = p["action"] if isinstance(p.get("action"), dict) else {}
        else:
            args = _args(p) if ptype == "function_call" else {}
        if name in _POLL_TOOLS:
            _poll(st, call_id, ts, args)
            res.skipped["write_stdin poll (joined to its command)"] += 1
            return
        if call_id in st.calls:
            res.skipped[f"{ptype} (repeated)"] += 1
            return
        call = _Call(call_id, name, ts, args)
        if ptype == "custom_tool_call" and isinstance(p.get("input"), str):
            call.raw_input = p["input"]
        st.calls[call_id] = call
        st.order.append(("call", call_id))
        return
    if ptype in ("function_call_output", "custom_tool_call_output"):
        call_id = p.get("call_id")
        out = p.get("output")
        if isinstance(call_id, str) and call_id in st.polls_of:
            _poll_output(st, st.polls_of[call_id], ts, out)
            return
        target = st.calls.get(call_id) if isinstance(call_id, str) else None
        if target is None:
            res.skipped[f"{ptype} (no call seen)"] += 1
            return
        _output(st, target, ts, out)
        res.skipped[f"{ptype} (merged into its call)"] += 1
        return
    if ptype == "web_search_call":
        st.web_calls.append((ts, n, p))
        return
    if ptype == "tool_search_call":
        call_id = p.get("call_id") or p.get("id") or f"tool_search:{n}"
        st.calls[str(call_id)] = _Call(str(call_id), "tool_search", ts, p, exit_code=None)
        st.order.append(("call", str(call_id)))
        return
    if ptype in ("message", "reasoning"):
        role = p.get("role")
        res.skipped[f"{ptype} ({role})" if role else ptype] += 1
        return
    res.skipped[f"response_item {ptype}"] += 1


def _exec_end(call: _Call, p: dict[str, Any]) -> None:
    """What `exec_command_end` adds to its call: exit code, duration, the whole output."""
    if p.get("status") == "declined":
        call.not_run = "rejected"  # the user refused it at the approval prompt
    if isinstance(p.get("exit_code"), int):
        call.exit_code = p["exit_code"]
    dur = p.get("duration")
    if isinstance(dur, dict):
        call.duration_ms = int(count(dur.get("secs")) * 1000 + count(dur.get("nanos")) / 1e6)
    if isinstance(p.get("aggregated_output"), str):
        call.structured_output = p["aggregated_output"]
    elif isinstance(p.get("stdout"), str) or isinstance(p.get("stderr"), str):
        call.structured_output = "\n".join(
            s for s in (p.get("stdout"), p.get("stderr")) if isinstance(s, str) and s
        )


def _patch_end(call: _Call, p: dict[str, Any]) -> None:
    """What `patch_apply_end` adds to its call: success, the changed files, the failure."""
    if p.get("status") == "declined":
        call.not_run = "rejected"
    if isinstance(p.get("success"), bool):
        call.success = p["success"]
    changes = p.get("changes")
    if isinstance(changes, dict) and not call.files:
        call.files = [str(k) for k in changes]
    if call.success is False:
        call.failed_text = "\n".join(
            s for s in (p.get("stderr"), p.get("stdout")) if isinstance(s, str) and s
        )


def _event_msg(st: _State, n: int, ts: datetime, ptype: Any, p: dict[str, Any]) -> None:
    res = st.result
    if ptype == "token_count":
        _token_count(st, n, ts, p)
        return
    if ptype == "user_message":
        text: str = p["message"] if isinstance(p.get("message"), str) else ""
        if p.get("kind") in (
            "environment_context",
            "user_instructions",
        ) or text.lstrip().startswith(_INJECTED_PREFIXES):
            # Codex 0.3x-0.4x also wrote its injected context as user_message events
            res.skipped["user_message (injected context, not a prompt)"] += 1
            return
        event: dict[str, Any] = {
            "event_type": "human_action",
            "source_type": "human",
            "timestamp": iso(ts),
            "event_id": f"prompt:{n}",
            "actor": "user",
            "action_kind": "prompt",
            "attributes": {"prompt_chars": len(text)},
        }
        images = [*(p.get("images") or []), *(p.get("local_images") or [])]
        if images:
            event["attributes"]["images"] = len(images)
        if st.include_prompts:
            event["message"] = clip(text, _MESSAGE_MAX)
        st.order.append(("event", event))
        return
    if ptype in ("exec_command_end", "patch_apply_end"):
        call = st.calls.get(p.get("call_id"))  # type: ignore[arg-type]
        if call is None:
            res.skipped[f"{ptype} (no call seen)"] += 1
            return
        (_exec_end if ptype == "exec_command_end" else _patch_end)(call, p)
        call.ended_at = max(call.ended_at or ts, ts)
        res.skipped[f"{ptype} (merged into its call)"] += 1
        return
    if ptype == "web_search_end":
        st.web_ends.append((ts, p))
        return
    if ptype in ("mcp_tool_call_begin", "mcp_tool_call_end"):
        _mcp_call(st, ts, ptype, p)
        return
    res.skipped[
        f"event_msg {ptype}" if ptype in _SKIP_EVENT_MSGS else f"event_msg {ptype} (unknown)"
    ] += 1


_MCP_REFUSED = "user cancelled MCP tool call"  # the approval was refused (or not given)


def _mcp_call(st: _State, ts: datetime, ptype: str, p: dict[str, Any]) -> None:
    """An MCP tool call's begin or end. The end says how it went ({"Ok": result with
    isError} or {"Err": message}); newer Codex may record the call by these alone,
    without a function_call naming it."""
    res = st.result
    call_id = p.get("call_id")
    if not isinstance(call_id, str) or not call_id:
        res.skipped[f"{ptype} (no call id)"] += 1
        return
    call = st.calls.get(call_id)
    if call is None:
        inv = p["invocation"] if isinstance(p.get("invocation"), dict) else {}
        server, tool = inv.get("server"), inv.get("tool")
        name = (
            f"mcp__{server}__{tool}" if isinstance(server, str) and isinstance(tool, str) else "mcp"
        )
        args = inv["arguments"] if isinstance(inv.get("arguments"), dict) else {}
        call = st.calls[call_id] = _Call(call_id, name, ts, args)
        st.order.append(("call", call_id))
    if ptype == "mcp_tool_call_begin":
        res.skipped["mcp_tool_call_begin (its call)"] += 1
        return
    res.skipped["mcp_tool_call_end (merged into its call)"] += 1
    result = p.get("result")
    call.ended_at = max(call.ended_at or ts, ts)
    if isinstance(result, dict) and "Err" in result:
        message = str(result["Err"])
        if _MCP_REFUSED in message:
            call.not_run = "rejected"
        else:
            call.success, call.failed_text = False, message
    elif isinstance(result, dict) and isinstance(result.get("Ok"), dict):
        ok = result["Ok"]
        if ok.get("isError") is True or ok.get("is_error") is True:
            call.success = False
            call.failed_text = content_text(ok.get("content"), "\n") or "MCP tool error"
        elif call.success is None:
            call.success = True


# -- outputs and polls -----------------------------------------------------------------


def _split_output(text: str) -> tuple[dict[str, Any], str]:
    """The header facts and the body of an exec output ("Chunk ID … Output:\\n<body>")."""
    head, sep, body = text.partition("Output:\n")
    if not sep:
        head, body = text, ""
    if not (_HEADER_EXIT.search(head) or _HEADER_RUNNING.search(head)):
        # no header: "Output:" was part of the command's own output (in old JSON outputs)
        return {}, text
    facts: dict[str, Any] = {}
    if m := _HEADER_EXIT.search(head):
        facts["exit_code"] = int(m.group(1))
    if m := _HEADER_RUNNING.search(head):
        facts["running"] = m.group(1)
    if m := _HEADER_WALL.search(head):
        facts["wall_ms"] = int(float(m.group(1)) * 1000)
    return facts, body


def _output_text(out: Any) -> tuple[str, dict[str, Any]]:
    """Text and metadata of a tool output: a string, or JSON {"output", "metadata"}."""
    meta: dict[str, Any]
    if isinstance(out, dict):
        meta = out["metadata"] if isinstance(out.get("metadata"), dict) else {}
        return str(out.get("output") or out.get("content") or ""), meta
    if not isinstance(out, str):
        return "", {}
    if out.startswith("{") and '"output"' in out[:200]:
        try:
            val = load_json(out)
        except ValueError:
            return out, {}
        if isinstance(val, dict) and "output" in val:
            meta = val["metadata"] if isinstance(val.get("metadata"), dict) else {}
            return str(val.get("output") or ""), meta
    return out, {}


def _output(st: _State, call: _Call, ts: datetime, out: Any) -> None:
    text, meta = _output_text(out)
    call.output_seen = True
    facts, body = _split_output(text)
    if not facts and not isinstance(meta.get("exit_code"), int):
        # no exit code: the call was refused, interrupted, or failed before it ran
        if _REJECTED.match(text.strip()):
            call.not_run = "rejected"
        elif _ABORTED.match(text.strip()):
            call.not_run = "cancelled"
        elif call.name in _COMMAND_TOOLS:
            call.no_exit = True  # "apply_patch verification failed", bad arguments, …
    if call.name not in _COMMAND_TOOLS and _MCP_REFUSED in body[:300]:
        call.not_run = "rejected"  # an MCP call whose approval was refused never ran
    if call.name in _COMMAND_TOOLS:
        call.output.append(body)
        if "running" in facts and "exit_code" not in facts:
            call.running = True
            st.processes[facts["running"]] = call.call_id
        if "exit_code" in facts:
            call.exit_code = facts["exit_code"]
            call.ended_at = ts
            if call.duration_ms is None and "wall_ms" in facts:
                call.duration_ms = facts["wall_ms"]
        if isinstance(meta.get("exit_code"), int):
            call.exit_code = meta["exit_code"]
            call.ended_at = ts
        if isinstance(meta.get("duration_seconds"), int | float) and call.duration_ms is None:
            call.duration_ms = int(meta["duration_seconds"] * 1000)
        return
    if facts:
        text = body  # apply_patch's freeform output has the exec header too
    call.output.append(text)
    call.ended_at = max(call.ended_at or ts, ts)
    if isinstance(meta.get("duration_seconds"), int | float):
        call.duration_ms = int(meta["duration_seconds"] * 1000)
    code = meta.get("exit_code", facts.get("exit_code"))
    if call.name == "apply_patch" or call.raw_input is not None:
        if (isinstance(code, int) and code != 0) or "verification failed" in text:
            call.success = False
            call.failed_text = text
        elif call.success is None:
            call.success = True
    elif isinstance(code, int) and code != 0:
        call.failed_text = text


def _poll(st: _State, call_id: str, ts: datetime, args: dict[str, Any]) -> None:
    target = st.processes.get(str(args.get("session_id")))
    if target is not None:
        st.polls_of[call_id] = target
        st.calls[target].polls += 1
    else:
        st.polls_of[call_id] = ""  # a poll on a process we never saw start


def _poll_output(st: _State, target: str, ts: datetime, out: Any) -> None:
    call = st.calls.get(target)
    if call is None:
        st.result.skipped["write_stdin output (process not seen)"] += 1
        return
    text, _ = _output_text(out)
    facts, body = _split_output(text)
    st.result.skipped["write_stdin output (joined to its command)"] += 1
    if not facts:
        return  # "write_stdin failed: stdin is closed…": the poll failed, not the command
    call.output.append(body)
    if "exit_code" in facts:
        call.exit_code = facts["exit_code"]
        call.ended_at = ts  # the poll that shows the exit ends the run


# -- tokens ------------------------------------------------------------------------------

_USAGE_KEYS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")


def _usage(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, dict):
        return None
    return {k: count(raw.get(k)) for k in _USAGE_KEYS}


def _token_count(st: _State, n: int, ts: datetime, p: dict[str, Any]) -> None:
    """One llm_call per growth of the running totals (ccusage's rule: repeats add nothing).

    When the totals shrink (a new totals series) or are absent, the event's own
    `last_token_usage` is the response's usage.
    """
    info = p.get("info")
    if not isinstance(info, dict):
        st.result.skipped["token_count (no usage)"] += 1
        return
    total = _usage(info.get("total_token_usage"))
    last = _usage(info.get("last_token_usage"))
    delta: dict[str, int] | None
    if total is not None:
        prev = st.prev_totals or dict.fromkeys(_USAGE_KEYS, 0)
        delta = {k: total[k] - prev[k] for k in _USAGE_KEYS}
        if any(v < 0 for v in delta.values()):
            delta = last
        st.prev_totals = total
    else:
        delta = last
    if delta is None or not any(delta.values()):
        st.result.skipped["token_count (totals unchanged)"] += 1
        return
    cached = delta["cached_input_tokens"]
    event = {
        "event_type": "llm_call",
        "source_type": "agent",
        "timestamp": iso(ts),
        "event_id": f"tokens:{n}",
        "actor": AGENT,
        "model": st.model,
        "input_tokens": max(delta["input_tokens"] - cached, 0),
        "output_tokens": delta["output_tokens"],
        "cache_read_tokens": cached,
        "cache_write_tokens": 0,
        "reasoning_tokens": delta["reasoning_output_tokens"],
    }
    st.order.append(("event", event))


def reported_call_events(
    session_id: str,
    call_id: str,
    ended_at: datetime,
    tool: str,
    arguments: Any,
    output: str,
    success: bool | None,
    duration_ms: int | None,
) -> list[dict[str, Any]]:
    """The events of one tool call Codex reported over OpenTelemetry (`codex.tool_result`:
    its arguments, the output it answered the model with, success, duration), mapped as
    the same call in a rollout is (its kind, its test or check run, its error; the same
    ids), so a session captured both ways is one set of events."""
    started = ended_at - timedelta(milliseconds=duration_ms) if duration_ms else ended_at
    st = _State(source="otlp", include_prompts=False)
    call = _Call(call_id, tool, started, {})
    if isinstance(arguments, str) and not arguments.lstrip().startswith("{"):
        call.raw_input = arguments  # a custom tool's raw input (apply_patch's patch)
    else:
        call.args = _args({"arguments": arguments})
    _output(st, call, ended_at, output)
    if call.name in _COMMAND_TOOLS and call.exit_code is None and call.not_run is None:
        # the output was cut before its exit header (Codex reports a preview): the
        # call's success says how it ended
        if success:
            call.exit_code, call.no_exit, call.ended_at = 0, False, ended_at
    elif call.success is None and success is not None and call.not_run is None:
        call.success = success
        if not success and call.failed_text is None:
            call.failed_text = output
    call.duration_ms = duration_ms if duration_ms is not None else call.duration_ms
    events = _call_events(st, call)
    for event in events:
        event["session_id"] = session_id
    return events


# -- building events ----------------------------------------------------------------------


def _command_of(call: _Call) -> str | None:
    a = call.args
    cmd = a.get("cmd", a.get("command"))
    if isinstance(cmd, list) and all(isinstance(x, str) for x in cmd):
        # ["bash", "-lc", "script"] runs the script; other lists are argv
        if (
            len(cmd) >= 3
            and cmd[1] in ("-lc", "-c")
            and cmd[0].rsplit("/", 1)[-1] in ("bash", "sh", "zsh")
        ):
            return cmd[2]
        return " ".join(cmd)
    return cmd if isinstance(cmd, str) else None


def _patch_files(patch: str) -> list[str]:
    files: list[str] = []
    for m in _PATCH_FILE.finditer(patch):
        path = m.group(1) or m.group(2)
        if path and path not in files:
            files.append(path)
    return files


def command_kind(command: str, cls: CommandClass) -> str:
    """read / search for commands that only look at files, else command."""
    if cls.kind is not None or cls.writes:
        return "command"
    try:
        progs = [w[0].rsplit("/", 1)[-1] for w in iter_commands(command) if w]
    except Exception:  # a quoting the lexer cannot follow: call it a command
        return "command"
    if not progs or progs[0] == "apply_patch":
        return "command"
    if any(p not in _READ_PROGS | _SEARCH_PROGS | _NEUTRAL_PROGS for p in progs):
        return "command"
    if any(p in _SEARCH_PROGS for p in progs):
        return "search"
    if any(p in _READ_PROGS for p in progs):
        return "read"
    return "command"


def _output_of(call: _Call) -> str:
    if call.structured_output is not None:
        return call.structured_output
    return "".join(call.output)


def _base(st: _State, event_type: str, ts: datetime) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "source_type": "agent",
        "timestamp": iso(ts),
        "actor": AGENT,
    }


def _call_events(st: _State, call: _Call) -> list[dict[str, Any]]:
    command = _command_of(call) if call.name in _COMMAND_TOOLS else None
    patch = call.raw_input if call.name == "apply_patch" else None
    if command is not None and command.lstrip().startswith("apply_patch"):
        patch = command
    kind = TOOL_KINDS.get(call.name, "other")
    if call.name.startswith("mcp__") or "." in call.name and call.name not in TOOL_KINDS:
        kind = "other"
    cls = classify_command(command) if command is not None and patch is None else None
    if patch is not None:
        kind = "edit"
    elif command is not None and cls is not None:
        kind = command_kind(command, cls)

    action = _base(st, "agent_action", call.ts)
    action.update(event_id=call.call_id, tool_name=call.name, action_kind=kind, revision=0)
    attributes: dict[str, Any] = {}
    if patch is not None:
        files = call.files or _patch_files(patch)
        if not call.files and files:
            call.files = files
        if files:
            action["file_path"] = files[0][:4096]
            attributes["files"] = [f[:1000] for f in files[:50]]
    if command is not None:
        attributes["command"] = clip(command, 1000)
        if cls is not None and cls.writes:
            attributes["writes"] = True  # a possible cause of a later failure
        if isinstance(call.args.get("workdir"), str):
            attributes["workdir"] = call.args["workdir"]
    ended = (
        call.exit_code is not None
        or call.success is not None
        or call.not_run is not None
        or call.no_exit
        or (call.output_seen and call.name not in _COMMAND_TOOLS)
    )
    status: str | None = None
    if ended:
        action["revision"] = 2 if call.polls else 1
        if call.not_run is not None:
            status = call.not_run  # refused or interrupted: it never ran, not an error
        elif call.name in _COMMAND_TOOLS and patch is None:
            status = "ok" if call.exit_code == 0 else "error"
            if kind == "search" and call.exit_code == 1 and not _output_of(call).strip():
                status = "ok"  # grep/rg exit 1 with no output: nothing matched, not a failure
            if call.exit_code is not None:
                attributes["exit_code"] = call.exit_code
        elif (
            call.success is False
            or call.failed_text is not None
            or (call.name in _COMMAND_TOOLS and call.exit_code != 0)
        ):
            # an apply_patch run through the shell tool fails by its exit code (or none)
            status = "error"
        else:
            status = "ok"
        action["status"] = status
    elif call.output_seen:
        action["revision"] = 1  # still running when the log ends
    if call.polls:
        attributes["polls"] = call.polls
    duration = call.duration_ms
    if duration is None and call.ended_at is not None and call.ended_at > call.ts:
        duration = int((call.ended_at - call.ts) / timedelta(milliseconds=1))
    if duration is not None and ended:
        action["duration_ms"] = duration
    if attributes:
        action["attributes"] = attributes
    events = [action]
    end = call.ended_at or call.ts
    output = _output_of(call)

    if cls is not None and cls.kind in ("test", "check") and command is not None:
        events.extend(_run_events(st, call, command, cls, output, ended, end, action["revision"]))
    elif status == "error":
        if patch is not None:
            text = call.failed_text or output
            etype = "patch_verification_failed" if "verification failed" in text else "patch_failed"
            message = "\n".join(text.strip().splitlines()[:20])
        elif command is not None:
            etype = "tool_error" if call.exit_code is None else f"exit_code_{call.exit_code}"
            message = error_lines(output) or output[-2000:]
        else:
            etype = "tool_error"
            message = "\n".join((call.failed_text or output).strip().splitlines()[:20])
        events.append(
            call_error(
                _base(st, "error", end),
                call.call_id,
                call.name,
                etype,
                clip(message, _MESSAGE_MAX),
                file_path=action.get("file_path"),
                exit_code=call.exit_code,
            )
        )
    return events


def _run_events(
    st: _State,
    call: _Call,
    command: str,
    cls: CommandClass,
    output: str,
    ended: bool,
    end: datetime,
    revision: int,
) -> list[dict[str, Any]]:
    run_id = f"{call.call_id}:run"
    run = _base(st, "test_run" if cls.kind == "test" else "check_run", call.ts)
    run.update(
        event_id=run_id,
        parent_id=call.call_id,
        message=clip(command, _MESSAGE_MAX),
        revision=revision,
    )
    attributes: dict[str, Any] = {"runner": cls.runner, "targets": list(cls.targets)}
    failures: list[Any] = []
    if call.not_run is not None:
        run["status"] = "skipped"  # refused or interrupted: the tests never ran
        attributes["not_run"] = call.not_run
    elif ended:
        result = read_outcome(cls, output, call.exit_code)
        run["status"] = result.status
        failures = result.failures
        if result.summary:
            attributes["summary"] = clip(result.summary, 1000)
        if call.exit_code is not None:
            attributes["exit_code"] = call.exit_code
        if end > call.ts:
            run["duration_ms"] = int((end - call.ts) / timedelta(milliseconds=1))
            attributes["ended_at"] = iso(end)
    else:
        run["status"] = "unknown"  # never finished in this log
    run["attributes"] = attributes
    errors = run_errors(
        _base(st, "error", end),
        run_id,
        cls.kind,
        run["status"],
        failures,
        output,
        message_max=_MESSAGE_MAX,
        with_line=True,
    )
    return [run, *errors]


def _web_events(st: _State) -> list[tuple[datetime, dict[str, Any]]]:
    """Web searches: `web_search_end` carries the id; the response item only the query."""
    out: list[tuple[datetime, dict[str, Any]]] = []
    if st.web_ends:
        for ts, p in st.web_ends:
            call_id = p.get("call_id")
            event = _base(st, "agent_action", ts)
            event.update(
                event_id=str(call_id) if call_id else f"web_search:{iso(ts)}",
                tool_name="web_search",
                action_kind="web",
                status="ok",
                revision=1,
            )
            if isinstance(p.get("query"), str):
                event["attributes"] = {"query": clip(p["query"], 1000)}
            out.append((ts, event))
        st.result.skipped["web_search_call (its web_search_end is the event)"] += len(st.web_calls)
        return out
    for ts, n, p in st.web_calls:
        event = _base(st, "agent_action", ts)
        event.update(
            event_id=str(p.get("id") or f"web_search:{n}"),
            tool_name="web_search",
            action_kind="web",
            status="ok" if p.get("status") in ("completed", None) else "error",
            revision=1,
        )
        action = p.get("action")
        if isinstance(action, dict) and isinstance(action.get("query"), str):
            event["attributes"] = {"query": clip(action["query"], 1000)}
        out.append((ts, event))
    return out


def _finish(st: _State) -> None:
    res = st.result
    sid = st.session_id
    if sid is None:
        # no session_meta (a cut file): the rollout's file name ends with the session id
        m = _UUID.search(st.source.rsplit("/", 1)[-1])
        if m is None:
            if st.order:
                res.skipped["record without a session id (no session_meta)"] += len(st.order)
            return
        sid = m.group(0)
        st.facts.setdefault("agent", AGENT)
    events: list[dict[str, Any]] = []
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    for what, item in st.order:
        if what == "start":
            start = {
                "event_type": "session_start",
                "source_type": "agent",
                "timestamp": iso(item),
                "event_id": f"{sid}:start",
                "actor": AGENT,
                "attributes": {k: v for k, v in st.facts.items() if k != "started_at"},
            }
            events.append(start)
            continue
        if what == "call":
            call = st.calls[item]
            events.extend(_call_events(st, call))
        else:
            events.append(item)
    events.extend(e for _, e in _web_events(st))
    for e in events:
        e["session_id"] = sid
        ts = parse_time(e["timestamp"])
        if ts is not None:
            first_ts = ts if first_ts is None or ts < first_ts else first_ts
            last_ts = ts if last_ts is None or ts > last_ts else last_ts
    res.events.extend(events)
    facts = dict(st.facts)
    facts["models"] = list(st.models)
    if last_ts is not None:
        facts["last_activity"] = iso(last_ts)
    res.sessions[sid] = facts
