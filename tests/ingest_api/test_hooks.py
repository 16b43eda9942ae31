"""`POST /v1/hooks/claude-code` takes Claude Code's hook payloads as they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from achilles.cli import app
from achilles.hook_config import OTHER_HOOKS, TOOL_HOOKS
from tests.conftest import AUTH
from tests.real_sessions import hook_payloads

JSON = {"Content-Type": "application/json"}


def post(client, body: bytes):
    return client.post("/v1/hooks/claude-code", content=body, headers=JSON)


def test_every_recorded_payload_is_accepted(client):
    accepted: dict[str, int] = {}
    for name, body in hook_payloads():
        r = post(client, body)
        assert r.status_code == 200, (name, r.text)
        out = r.json()
        assert out["rejected"] == [], (name, out)
        hook = out["hook_event_name"]
        accepted[hook] = accepted.get(hook, 0) + out["accepted"]
    assert set(accepted) == {
        "PreToolUse",
        "PostToolUse",
        "PostToolUseFailure",
        "UserPromptSubmit",
        "Stop",
        "SessionStart",
        "SessionEnd",
    }
    # Each kind landed events; identical payloads posted within the dedupe window (the
    # recordings replayed in a second) count once, as a retried hook would.
    assert all(n > 0 for name, n in accepted.items() if name != "SessionStart"), accepted


def test_pre_then_post_is_one_tool_call_at_its_fuller_revision(client):
    base = {"session_id": "live-1", "cwd": "/w/app", "transcript_path": "/t.jsonl"}
    call = {
        "tool_name": "Edit",
        "tool_use_id": "toolu_1",
        "tool_input": {"file_path": "/w/app/a.py"},
    }
    pre = post(client, json.dumps({**base, **call, "hook_event_name": "PreToolUse"}).encode())
    assert pre.json()["accepted"] >= 1
    done = {**base, **call, "hook_event_name": "PostToolUse", "tool_response": {"success": True}}
    assert post(client, json.dumps(done).encode()).json()["accepted"] == 1
    # The same payload again (a retry of the hook) adds nothing.
    assert post(client, json.dumps(done).encode()).json()["accepted"] == 0
    events = client.get("/v1/sessions/live-1/events").json()["events"]
    (edit,) = [e for e in events if e["event_id"] == "toolu_1"]
    assert edit["action_kind"] == "edit" and edit["status"] == "ok" and edit["revision"] == 1
    assert edit["file_path"] == "/w/app/a.py"


def test_an_unknown_hook_event_is_stored_not_refused(client):
    body = {"session_id": "live-2", "hook_event_name": "SomethingNew", "detail": "x"}
    r = post(client, json.dumps(body).encode())
    assert r.status_code == 200 and r.json()["accepted"] >= 1


def test_bad_payloads_are_4xx_naming_the_problem(client):
    assert post(client, b"{not json").status_code == 400
    assert post(client, b"[1, 2]").status_code == 400
    r = post(client, json.dumps({"hook_event_name": "Stop"}).encode())
    assert r.status_code == 422 and "session_id" in r.json()["detail"]
    assert (
        client.post(
            "/v1/hooks/claude-code", content=b"{}", headers={**JSON, "Authorization": "Bearer no"}
        ).status_code
        == 401
    )


def test_hooks_command_prints_a_settings_block_for_every_hook():
    result = CliRunner().invoke(
        app, ["hooks", "claude-code", "--url", "http://team:8000", "--api-key", "k1"]
    )
    assert result.exit_code == 0, result.output
    settings = json.loads(result.stdout)
    assert set(settings["hooks"]) == set(TOOL_HOOKS) | set(OTHER_HOOKS)
    command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    assert "http://team:8000/v1/hooks/claude-code" in command and "Bearer k1" in command
    assert command.endswith("|| true")  # a server that is down never fails the agent's hook


def test_prompt_text_is_kept_only_when_configured(tmp_path):
    from fastapi.testclient import TestClient

    from achilles_core.settings import Settings
    from ingest_api.app import create_app

    body = {"session_id": "p1", "hook_event_name": "UserPromptSubmit", "prompt": "fix the bug"}
    for include, expected in ((False, None), (True, "fix the bug")):
        settings = Settings(
            data_dir=tmp_path / str(include), hooks_include_prompts=include, _env_file=None
        )
        with TestClient(create_app(settings), headers=AUTH) as c:
            assert post(c, json.dumps(body).encode()).status_code == 200
            events = c.get("/v1/sessions/p1/events").json()["events"]
        (prompt,) = [e for e in events if e["action_kind"] == "prompt"]
        assert prompt["message"] == expected and prompt["attributes"]["length"] == 11
    assert datetime.fromisoformat(prompt["timestamp"]) <= datetime.now(UTC)


def test_a_task_calls_post_links_its_subagent_as_the_transcript_does():
    """PostToolUse for Task/Agent: `tool_response.agentId` names the subagent, as the
    transcript's toolUseResult does; both copies of the call (same id, same revision)
    must link the child session."""
    from ingest_api.sources.claude_code import parse_claude_code
    from ingest_api.sources.claude_code_hooks import parse_hook

    call = {"description": "find", "prompt": "look", "subagent_type": "Explore"}
    result = {"status": "completed", "agentId": "a1b2c3", "totalDurationMs": 5000}
    hook = {
        "session_id": "live-3",
        "transcript_path": "/t.jsonl",
        "cwd": "/w",
        "permission_mode": "default",
        "hook_event_name": "PostToolUse",
        "tool_name": "Task",
        "tool_input": call,
        "tool_response": {**result, "content": [{"type": "text", "text": "done"}]},
        "tool_use_id": "toolu_T",
    }
    (live,) = parse_hook(hook, received_at=datetime(2026, 1, 1, tzinfo=UTC)).events
    common = {"sessionId": "live-3", "cwd": "/w", "timestamp": "2026-01-01T00:00:00Z"}
    lines = [
        {
            **common,
            "type": "assistant",
            "uuid": "u1",
            "message": {
                "id": "msg_1",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [{"type": "tool_use", "id": "toolu_T", "name": "Task", "input": call}],
                "usage": {"input_tokens": 1, "output_tokens": 1},
            },
        },
        {
            **common,
            "type": "user",
            "uuid": "u2",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_T", "content": "done"}],
            },
            "toolUseResult": result,
        },
    ]
    imported = parse_claude_code((json.dumps(x).encode() for x in lines), source="t.jsonl")
    (action,) = [e for e in imported.events if e.get("event_id") == "toolu_T"]
    assert action["attributes"]["child_session_id"] == "live-3.a1b2c3"
    assert live["event_id"] == "toolu_T" and live["revision"] == action["revision"]
    assert live["attributes"] == action["attributes"]
