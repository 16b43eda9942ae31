"""Gemini CLI sessions (`~/.gemini/tmp/<project hash>/chats/`) as contract events.

Two forms of one conversation record (`sessionId`, `projectHash`, `startTime`,
`messages`). A `user` message is a prompt; a `gemini` message is one model response
with its `tokens` and the `toolCalls` it made, each with its id, arguments, status
and result.

- Legacy `session-*.json` (`parse_gemini`): one JSON document. Its "lines" are its
  messages: `ParseResult.lines` counts messages and `bad_lines` names a bad message by
  its number (from 1); 0 means the whole document.
- Current `session-*.jsonl` (`parse_gemini_jsonl`), subagents' in
  `chats/<parent session id>/<session id>.jsonl`: a metadata line, then message
  records (appended again whole when they change), `{"$set": …}` metadata updates and
  `{"$rewindTo": id}` marks. Lines are physical lines. A resumed legacy session is
  copied to `<same name>.jsonl`; both forms give the same event ids.
"""

from __future__ import annotations

import re
from datetime import datetime
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
from ingest_api.sources.runners import classify_command, error_lines, read_outcome
from ingest_api.sources.runs import call_error, run_errors

AGENT = "gemini"
_MESSAGE_MAX = 8000

TOOL_KINDS = {
    "read_file": "read",
    "read_many_files": "read",
    "list_directory": "read",
    "ls": "read",
    "glob": "search",
    "search_file_content": "search",
    "grep": "search",
    "grep_search": "search",
    "write_file": "edit",
    "replace": "edit",
    "edit": "edit",
    "smart_edit": "edit",
    "run_shell_command": "command",
    "google_web_search": "web",
    "web_fetch": "web",
    "write_todos": "plan",
    "delegate_to_agent": "delegate",
    "codebase_investigator": "delegate",
    "save_memory": "other",
}
_PATH_KEYS = ("file_path", "absolute_path", "path", "dir_path")
_STATUS = {"success": "ok", "error": "error", "cancelled": "cancelled", "canceled": "cancelled"}
# a cancelled call's reason when the user said no at the confirmation prompt (else it was
# interrupted: "User cancelled tool execution")
_DENIED = "User did not allow tool call"
_EXIT = re.compile(r"^Exit Code: (-?\d+)\s*$", re.M)
_SHELL_FIELDS = re.compile(
    r"^(Command|Directory|Stdout|Stderr|Output|Error|Exit Code|Signal|Background PIDs|"
    r"Process Group PGID): ?",
    re.M,
)
_WROTE = re.compile(r"(?:file|File):? (/\S+?)\.?(?: \(|$)", re.M)


def _result(call: dict[str, Any]) -> tuple[str, str | None]:
    """(output, error) of a tool call's functionResponse."""
    out: list[str] = []
    err: str | None = None
    result = call.get("result")
    for part in result if isinstance(result, list) else []:
        resp = part.get("functionResponse") if isinstance(part, dict) else None
        body = resp.get("response") if isinstance(resp, dict) else None
        if not isinstance(body, dict):
            continue
        if isinstance(body.get("output"), str):
            out.append(body["output"])
        if isinstance(body.get("error"), str):
            err = body["error"]
    if not out and isinstance(call.get("resultDisplay"), str):
        out.append(call["resultDisplay"])
    return "\n".join(out), err


def _shell(text: str) -> tuple[str, int | None]:
    """Output and exit code of run_shell_command's result ("Stdout: … Exit Code: 1 …")."""
    code: int | None = None
    if m := _EXIT.search(text):
        code = int(m.group(1))
    fields: dict[str, str] = {}
    marks = list(_SHELL_FIELDS.finditer(text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        fields[m.group(1)] = text[m.end() : end].strip()
    if not fields:
        return text, code
    body = [fields.get(k, "") for k in ("Output", "Stdout", "Stderr", "Error")]
    return "\n".join(b for b in body if b and b not in ("(empty)", "(none)")), code


def _base(sid: str, event_type: str, ts: datetime, source_type: str = "agent") -> dict[str, Any]:
    return {
        "session_id": sid,
        "event_type": event_type,
        "source_type": source_type,
        "timestamp": iso(ts),
        "actor": AGENT if source_type == "agent" else "user",
    }


def parse_gemini(
    data: bytes,
    *,
    source: str,
    include_prompts: bool = False,
    parent_session_id: str | None = None,
) -> ParseResult:
    """Events of one legacy Gemini CLI session file (one JSON document). Never raises."""
    res = ParseResult()
    try:
        doc = load_json(data)
    except ValueError:
        res.bad_lines.append((0, "not JSON"))
        return res
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        res.bad_lines.append((0, "not a Gemini session (no messages list)"))
        return res
    res.lines = len(doc["messages"])
    numbers = list(range(1, res.lines + 1))
    _conversation(res, doc, numbers, include_prompts, parent_session_id)
    return res


def parse_gemini_jsonl(
    data: bytes,
    *,
    source: str,
    include_prompts: bool = False,
    parent_session_id: str | None = None,
) -> ParseResult:
    """Events of one JSONL Gemini CLI session file. Never raises on bad input.

    The conversation is rebuilt as the CLI rebuilds it (the last record of a message
    id wins, at the place of its first record), except that `$rewindTo` drops
    nothing: the rewound messages' tools ran and their tokens were spent, and a file
    imported before a rewind must give the events of one import after it.
    `parent_session_id` is the folder a `kind: "subagent"` file is in.
    """
    res = ParseResult()
    meta: dict[str, Any] = {}
    messages: dict[str, tuple[int, dict[str, Any]]] = {}  # id -> (line, last record)
    for number, rec in jsonl_records(data.splitlines(), res):
        # (checked in the CLI's order: a rewind, a message, an update, the metadata)
        if isinstance(rec.get("$rewindTo"), str):
            res.skipped["$rewindTo (rewound messages kept)"] += 1
        elif isinstance(rec.get("id"), str):
            if rec["id"] in messages:
                res.skipped["message (superseded by a later copy)"] += 1
            messages[rec["id"]] = (number, rec)  # an existing key keeps its place
        elif isinstance(rec.get("$set"), dict):
            # `sessionId` stays the first line's (a growing file keeps its session); a
            # `messages` re-sync is not read: each message was recorded on its own line,
            # and the re-sync may hold masked tool output
            meta.update(
                (k, v) for k, v in rec["$set"].items() if k not in ("sessionId", "messages")
            )
            res.skipped["$set (metadata update)"] += 1
        elif isinstance(rec.get("sessionId"), str) and isinstance(rec.get("projectHash"), str):
            if "sessionId" in meta:
                res.skipped["session metadata (repeated)"] += 1
            meta = {**rec, **meta}  # the first line's values stay
        else:
            res.skipped["record of unknown shape"] += 1
    if "sessionId" not in meta:
        if messages:
            res.bad_lines.append((0, "no session metadata line (sessionId, projectHash)"))
        return res
    meta["messages"] = [rec for _, rec in messages.values()]
    numbers = [n for n, _ in messages.values()]
    _conversation(res, meta, numbers, include_prompts, parent_session_id)
    return res


def _conversation(
    res: ParseResult,
    doc: dict[str, Any],
    numbers: list[int],
    include_prompts: bool,
    parent_session_id: str | None,
) -> None:
    """The events of a conversation record; `numbers[i]` is where message i was read."""
    sid = doc.get("sessionId")
    if not isinstance(sid, str) or not sid:
        res.bad_lines.append((0, "no sessionId"))
        return
    facts: dict[str, Any] = {"agent": AGENT, "models": []}
    if isinstance(doc.get("projectHash"), str):
        facts["project_hash"] = doc["projectHash"]
    first = len(res.events)
    start = parse_time(doc.get("startTime"))
    if start is not None:
        start_event = _base(sid, "session_start", start)
        start_event["event_id"] = f"{sid}:start"
        res.events.append(start_event)
    for i, msg in enumerate(doc["messages"]):
        n = numbers[i]
        if not isinstance(msg, dict):
            res.bad_lines.append((n, "message is not an object"))
            continue
        ts = parse_time(msg.get("timestamp"))
        if ts is None:
            res.bad_lines.append((n, "message without timestamp"))
            continue
        try:
            _message(res, sid, facts, n, i + 1, ts, msg, include_prompts)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a shape we never saw
            res.bad_lines.append((n, f"{type(exc).__name__}: {exc}"[:200]))
    project = _project_dir(doc["messages"])
    if project:
        facts["project"] = project
    last = parse_time(doc.get("lastUpdated"))
    if last is not None:
        facts["last_activity"] = iso(last)
    if parent_session_id and doc.get("kind") == "subagent":
        facts["parent_session_id"] = parent_session_id
        for event in res.events[first:]:
            event["parent_session_id"] = parent_session_id
    res.sessions[sid] = facts


def _message(
    res: ParseResult,
    sid: str,
    facts: dict[str, Any],
    n: int,
    index: int,
    ts: datetime,
    msg: dict[str, Any],
    include_prompts: bool,
) -> None:
    """One message's events; `n` is its line for errors, `index` its place (from 1)."""
    kind = msg.get("type")
    mid: str = msg["id"] if isinstance(msg.get("id"), str) and msg["id"] else f"{sid}:{index}"
    if kind == "user":
        text = content_text(msg.get("content"), "")
        event = _base(sid, "human_action", ts, "human")
        event.update(event_id=mid, action_kind="prompt", attributes={"prompt_chars": len(text)})
        if include_prompts:
            event["message"] = clip(text, _MESSAGE_MAX)
        res.events.append(event)
        return
    if kind != "gemini":
        res.skipped[f"message {kind}"] += 1  # info, warning, error notices of the CLI
        return
    model = msg.get("model") if isinstance(msg.get("model"), str) else None
    if model and model not in facts["models"]:
        facts["models"].append(model)
    tokens = msg.get("tokens")
    if isinstance(tokens, dict):
        cached = count(tokens.get("cached"))
        thoughts = count(tokens.get("thoughts"))
        llm = _base(sid, "llm_call", ts)
        llm.update(
            event_id=mid,
            model=model,
            # Gemini counts cached input inside `input`, thoughts apart from `output`
            input_tokens=max(count(tokens.get("input")) - cached, 0),
            output_tokens=count(tokens.get("output")) + thoughts,
            cache_read_tokens=cached,
            cache_write_tokens=0,
            reasoning_tokens=thoughts,
        )
        if count(tokens.get("tool")):
            llm["attributes"] = {"tool_tokens": count(tokens.get("tool"))}
        res.events.append(llm)
    calls = msg.get("toolCalls")
    if not isinstance(calls, list):
        if not isinstance(tokens, dict):
            res.skipped["gemini message without tokens or tool calls"] += 1
        return
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            res.bad_lines.append((n, f"tool call {i} is not an object"))
            continue
        res.events.extend(_call_events(sid, ts, mid, i, call))


def _call_events(
    sid: str, msg_ts: datetime, mid: str, i: int, call: dict[str, Any]
) -> list[dict[str, Any]]:
    name: str = call["name"] if isinstance(call.get("name"), str) else "unknown"
    call_id: str = call["id"] if isinstance(call.get("id"), str) and call["id"] else f"{mid}:{i}"
    ts = parse_time(call.get("timestamp")) or msg_ts
    args: dict[str, Any] = call["args"] if isinstance(call.get("args"), dict) else {}
    kind = TOOL_KINDS.get(name, "other")
    action = _base(sid, "agent_action", ts)
    action.update(event_id=call_id, tool_name=name, action_kind=kind, revision=1)
    path = next((args[k] for k in _PATH_KEYS if isinstance(args.get(k), str)), None)
    if path:
        action["file_path"] = path[:4096]
    status = _STATUS.get(str(call.get("status")))
    output, error = _result(call)
    if status == "cancelled" and error and _DENIED in error:
        status = "rejected"  # the user refused it: not the same signal as an interrupt
    raw_command = args.get("command")
    command = raw_command if name == "run_shell_command" and isinstance(raw_command, str) else None
    attributes: dict[str, Any] = {}
    exit_code: int | None = None
    if command is not None:
        attributes["command"] = clip(command, 1000)
        output, exit_code = _shell(output)
        if exit_code is not None:
            attributes["exit_code"] = exit_code
            if status == "ok" and exit_code != 0:
                status = "error"
    if error and status == "ok":
        status = "error"
    if status:
        action["status"] = status
    else:  # still running: its finished copy, recorded later, must win
        action["revision"] = 0
    cls = classify_command(command) if command is not None else None
    if cls is not None and cls.writes:
        attributes["writes"] = True  # a possible cause of a later failure
    if attributes:
        action["attributes"] = attributes
    events = [action]
    if cls is not None and cls.kind in ("test", "check") and command is not None:
        events.extend(_run_events(sid, ts, call_id, command, cls, output, exit_code, status))
    elif status == "error":
        text = error or output
        message = error_lines(text) if command else "\n".join(text.strip().splitlines()[:20])
        # (Gemini's result states its exit code in the call's attributes only)
        events.append(
            call_error(
                _base(sid, "error", ts),
                call_id,
                name,
                f"exit_code_{exit_code}" if exit_code else "tool_error",
                clip(message, _MESSAGE_MAX),
                file_path=action.get("file_path"),
            )
        )
    return events


def _run_events(
    sid: str,
    ts: datetime,
    call_id: str,
    command: str,
    cls: Any,
    output: str,
    exit_code: int | None,
    status: str | None,
) -> list[dict[str, Any]]:
    run_id = f"{call_id}:run"
    run = _base(sid, "test_run" if cls.kind == "test" else "check_run", ts)
    run.update(
        event_id=run_id,
        parent_id=call_id,
        message=clip(command, _MESSAGE_MAX),
        revision=1 if status else 0,  # as its call: a running call's run is not final
    )
    attributes: dict[str, Any] = {"runner": cls.runner, "targets": list(cls.targets)}
    failures: list[Any] = []
    if status in ("cancelled", "rejected"):
        run["status"] = "skipped"
        attributes["not_run"] = status
    else:
        result = read_outcome(cls, output, exit_code)
        run["status"] = result.status
        failures = result.failures
        if result.summary:
            attributes["summary"] = clip(result.summary, 1000)
    run["attributes"] = attributes
    errors = run_errors(
        _base(sid, "error", ts),
        run_id,
        cls.kind,
        run["status"],
        failures,
        output,
        message_max=_MESSAGE_MAX,
        with_line=False,
    )
    return [run, *errors]


def _project_dir(messages: list[Any]) -> str | None:
    """The session file has no cwd: recover it where a relative path was answered absolute."""
    for msg in messages:
        calls = msg.get("toolCalls") if isinstance(msg, dict) else None
        for call in calls if isinstance(calls, list) else []:
            if not isinstance(call, dict):
                continue
            args: dict[str, Any] = call["args"] if isinstance(call.get("args"), dict) else {}
            rel = args.get("file_path")
            if not isinstance(rel, str) or rel.startswith("/") or not rel:
                continue
            output, _ = _result(call)
            for m in _WROTE.finditer(output):
                absolute = m.group(1)
                if absolute.endswith("/" + rel.lstrip("./")):
                    return absolute[: -len(rel.lstrip("./")) - 1]
    return None
