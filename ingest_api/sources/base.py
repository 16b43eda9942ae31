"""What every source parser returns, and the vocabulary of the fields it adds.

A parser turns one agent log (a transcript file, a hook payload) into contract
events: plain dicts with the contract's fields, validated later by the same
`validate_event` every other event goes through.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

# The fields agent logs add to the contract (tool_name, action_kind, duration_ms, the
# cache and reasoning token counts, parent_session_id, revision) are defined with the
# rest of it in achilles_core/contract.py and explained in docs/agent-logs.md. Token
# meaning is normalised across agents: input_tokens is uncached input only (Codex and
# Gemini count cached input inside their input figure); output_tokens includes reasoning.


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


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def load_json(data: bytes | str) -> Any:
    """Parse JSON as agents write it, raising `ValueError` when it is not JSON.

    Real logs hold escaped lone surrogates (`\\udc90`, half a character cut by a
    tool). orjson refuses those; the standard parser takes them, and each becomes
    U+FFFD, so the line keeps its events instead of being dropped.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "surrogate" not in str(exc):
            raise ValueError(str(exc)) from None
    try:
        return _replace_surrogates(json.loads(data))
    except json.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None


def jsonl_records(lines: Iterable[bytes], res: ParseResult) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number from 1, record) of each JSON object line of a JSONL log.

    Every line is counted in `res`; a blank line is skipped, and a line that is not
    JSON, or not an object, is a bad line (its number and why), never an abort.
    """
    for number, raw in enumerate(lines, start=1):
        res.lines += 1
        if not raw.strip():
            res.skipped["blank line"] += 1
            continue
        try:
            rec = load_json(raw)
        except ValueError as exc:
            res.bad_lines.append((number, f"not JSON: {exc}"[:200]))
            continue
        if not isinstance(rec, dict):
            res.bad_lines.append((number, "not a JSON object"))
            continue
        yield number, rec


def iso(ts: datetime) -> str:
    """RFC 3339 with offset, as the contract wants."""
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Small readers every parser shares: agent logs are untrusted, so each returns a safe
# default for a value of the wrong type instead of raising.


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time with an offset ("Z" or "+hh:mm"); None when absent, bad or naive."""
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


def clip(text: str | None, limit: int) -> str | None:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def count(value: Any) -> int:
    """A token or time count: a non-negative int, else 0 (bools, floats, null are not counts)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def content_text(content: Any, sep: str) -> str:
    """The text of a message's content: a string, or the `text` of its parts joined by `sep`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return sep.join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


# The id every session's start event has, whoever lands it (API, importer, hooks).
SESSION_START_ID = "session_start"
# Session facts that never change while a log grows; models and last activity do,
# and are derived from the events instead.
STABLE_FACTS = (
    "agent",
    "project",
    "git_branch",
    "version",
    "cli_version",
    "originator",
    "parent_session_id",
)


def _parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def with_session_starts(result: ParseResult) -> list[dict[str, Any]]:
    """The parsed events with one `session_start` per session, carrying its facts.

    Parsers mark where a session started (Codex's session_meta, Gemini's startTime,
    a SessionStart hook) with a `session_start` of their own; those are replaced by
    one built here, at that time or else at the session's first event, so the API,
    the importer and the hooks land the same start. Its content is only the facts a
    growing log cannot change, so re-importing a longer file lands no second version.
    """
    starts: dict[str, datetime] = {}
    first: dict[str, datetime] = {}
    body: list[dict[str, Any]] = []
    for event in result.events:
        sid, ts = event["session_id"], _parse_ts(event["timestamp"])
        if event["event_type"] == "session_start":
            starts[sid] = min(ts, starts.get(sid, ts))
            continue
        first[sid] = min(ts, first.get(sid, ts))
        body.append(event)
    out = []
    for sid in sorted(first.keys() | starts.keys()):
        facts = result.sessions.get(sid, {})
        attributes = {k: facts[k] for k in STABLE_FACTS if facts.get(k) is not None}
        start: dict[str, Any] = {
            "session_id": sid,
            "event_id": SESSION_START_ID,
            "event_type": "session_start",
            "source_type": "system",
            "timestamp": iso(starts.get(sid) or first[sid]),
            "actor": facts.get("agent"),
            "attributes": attributes or None,
            # Hooks and transcripts may state other facts: both land, one is kept.
            "revision": 0,
        }
        if facts.get("parent_session_id"):
            start["parent_session_id"] = facts["parent_session_id"]
        out.append(start)
    return out + body
