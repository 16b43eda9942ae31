"""The Claude Code hook receiver's mapping, on every real payload we have."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from achilles_core.contract import validate_event
from ingest_api.sources.claude_code import parse_claude_code
from ingest_api.sources.claude_code_hooks import parse_hook

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "claude-code-hooks"
AT = datetime(2026, 4, 17, 15, 0, 0, tzinfo=UTC)
FILES = sorted(p.name for p in FIXTURES.iterdir() if ".json" in p.name)


def payloads(name: str) -> list[dict[str, Any]]:
    data = (FIXTURES / name).read_bytes()
    return json.loads(gzip.decompress(data) if name.endswith(".gz") else data)


@pytest.mark.parametrize("name", FILES)
def test_every_real_payload_becomes_events(name: str) -> None:
    for payload in payloads(name):
        result = parse_hook(payload, received_at=AT)
        assert result.bad_lines == [] and result.events
        assert payload["session_id"] in result.sessions
        for event in result.events:
            assert event["session_id"] == payload["session_id"]
            validate_event(event)


def test_pre_and_post_tool_use_are_one_event_at_two_revisions() -> None:
    pre = {p["tool_use_id"]: p for p in payloads("pre_tool_use.json")}
    post = payloads("post_tool_use.json.gz")
    both = [p for p in post if p["tool_use_id"] in pre]
    assert both
    for payload in both:
        (first, *_) = parse_hook(pre[payload["tool_use_id"]], received_at=AT).events
        (second, *_) = parse_hook(payload, received_at=AT).events
        assert first["event_id"] == second["event_id"] == payload["tool_use_id"]
        assert (first["revision"], second["revision"]) == (0, 1)
        assert "status" not in first and second["status"] == "ok"
        assert second["tool_name"] == first["tool_name"]
        assert second["action_kind"] == first["action_kind"]


def test_post_tool_use_starts_duration_before_it_was_received() -> None:
    payload = next(p for p in payloads("post_tool_use.json.gz") if p["tool_name"] == "Edit")
    (action,) = parse_hook(payload, received_at=AT).events
    assert action["action_kind"] == "edit" and action["file_path"].endswith("bitlife-finance.html")
    assert action["duration_ms"] == payload["duration_ms"]
    assert action["timestamp"] == "2026-04-17T14:59:59.852000Z"


def test_failures_are_errors_with_the_error_lines() -> None:
    kinds: Counter[str] = Counter()
    for payload in payloads("post_tool_use_failure.json"):
        events = parse_hook(payload, received_at=AT).events
        action = events[0]
        assert action["status"] in ("error", "rejected") and action["revision"] == 1
        kinds.update(e["event_type"] for e in events)
        for error in (e for e in events if e["event_type"] == "error"):
            assert error["parent_id"] in (action["event_id"], f"{action['event_id']}:run")
            assert len(error["message"]) <= 4000
    assert kinds["agent_action"] == 14 and kinds["error"] >= 1


def test_prompt_lifecycle_and_unknown_hooks() -> None:
    prompt = payloads("user_prompt_submit.json")[0]
    (event,) = parse_hook(prompt, received_at=AT).events
    assert event["event_type"] == "human_action" and event["source_type"] == "human"
    assert event["attributes"] == {"length": len(prompt["prompt"])} and "message" not in event
    (kept,) = parse_hook(prompt, received_at=AT, include_prompts=True).events
    assert kept["message"] == prompt["prompt"]

    start = payloads("session_start.json")[0]
    (event,) = parse_hook(start, received_at=AT).events
    assert event["event_type"] == "session_start"
    assert event["attributes"] == {"source": "startup", "model": "claude-sonnet-4-6"}
    assert parse_hook(start, received_at=AT).sessions[start["session_id"]]["models"] == [
        "claude-sonnet-4-6"
    ]
    (end,) = parse_hook(payloads("session_end.json")[0], received_at=AT).events
    assert end["event_type"] == "session_end" and end["attributes"]["reason"] == "prompt_input_exit"

    (stop,) = parse_hook(payloads("stop.json")[0], received_at=AT).events
    assert (stop["event_type"], stop["source_type"]) == ("agent_action", "system")
    assert stop["attributes"]["hook_event_name"] == "Stop"
    assert "last_assistant_message" not in stop["attributes"]

    odd = {"session_id": "s1", "hook_event_name": "SomethingNew", "detail": "x"}
    (event,) = parse_hook(odd, received_at=AT).events
    assert event["attributes"] == {"hook_event_name": "SomethingNew", "detail": "x"}
    assert parse_hook({"hook_event_name": "Stop"}, received_at=AT).bad_lines == [
        (1, "no valid session_id")
    ]


def test_subagent_hooks_open_and_close_the_child_session() -> None:
    base = {"session_id": "p1", "agent_id": "a42", "agent_type": "Explore"}
    (start,) = parse_hook({**base, "hook_event_name": "SubagentStart"}, received_at=AT).events
    (stop,) = parse_hook({**base, "hook_event_name": "SubagentStop"}, received_at=AT).events
    assert start["session_id"] == stop["session_id"] == "p1.a42"
    assert (start["event_type"], stop["event_type"]) == ("session_start", "session_end")
    assert start["parent_session_id"] == "p1"
    inside = {
        **base,
        "hook_event_name": "PreToolUse",
        "tool_name": "Read",
        "tool_input": {"file_path": "/x"},
        "tool_use_id": "toolu_z",
    }
    (action,) = parse_hook(inside, received_at=AT).events
    assert action["session_id"] == "p1.a42" and action["parent_session_id"] == "p1"


def test_hook_and_transcript_agree_on_a_call() -> None:
    """The same Bash call, seen by PostToolUseFailure and in the transcript: same event."""
    payload = payloads("post_tool_use_failure.json")[1]
    line = {
        "type": "assistant",
        "sessionId": payload["session_id"],
        "timestamp": "2026-04-17T15:53:27Z",
        "message": {
            "id": "msg_x",
            "content": [
                {
                    "type": "tool_use",
                    "id": payload["tool_use_id"],
                    "name": "Bash",
                    "input": payload["tool_input"],
                }
            ],
        },
    }
    result_line = {
        "type": "user",
        "sessionId": payload["session_id"],
        "timestamp": "2026-04-17T15:53:28Z",
        "message": {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": payload["tool_use_id"],
                    "content": payload["error"],
                    "is_error": True,
                }
            ],
        },
        "toolUseResult": "Error: " + payload["error"],
    }
    lines = [json.dumps(line, separators=(",", ":")).encode() for line in (line, result_line)]
    from_log = parse_claude_code(lines, source="t.jsonl").events
    from_hook = parse_hook(payload, received_at=AT).events
    strip = ("timestamp",)
    assert [{k: v for k, v in e.items() if k not in strip} for e in from_log] == [
        {k: v for k, v in e.items() if k not in strip} for e in from_hook
    ]
