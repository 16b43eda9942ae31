# ruff: noqa: E501  (session messages are kept on one line)
"""The Gemini CLI session parser, on the real sessions and on small made-up ones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from ingest_api.sources.base import ParseResult
from ingest_api.sources.gemini import parse_gemini, parse_gemini_jsonl
from tests.real_sessions import gemini_jsonl

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gemini"
LEAD = "session-2025-12-01T21-45-5b959dae.json"
FILE_OPS = "session-2026-01-16T11-01-file-ops-37b7abef.json"


def parse_fixture(name: str, **kw: Any) -> ParseResult:
    return parse_gemini((FIXTURES / name).read_bytes(), source=name, **kw)


def by_type(res: ParseResult) -> Counter[str]:
    return Counter(e["event_type"] for e in res.events)


def token_sums(res: ParseResult) -> dict[str, int]:
    total: Counter[str] = Counter()
    for e in res.events:
        if e["event_type"] == "llm_call":
            for key in ("input_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens"):
                total[key] += e[key]
    return dict(total)


def test_lead_session_counts() -> None:
    res = parse_fixture(LEAD)
    assert (res.lines, res.bad_lines, dict(res.skipped)) == (14, [], {})
    # 3 prompts; 11 model responses; 10 tool calls (7 read_file, 1 list_directory, a write, a replace)
    assert by_type(res) == {
        "session_start": 1,
        "human_action": 3,
        "llm_call": 11,
        "agent_action": 10,
    }
    kinds = Counter(
        (e["tool_name"], e["action_kind"], e["status"])
        for e in res.events
        if e["event_type"] == "agent_action"
    )
    assert kinds == {
        ("read_file", "read", "ok"): 7,
        ("list_directory", "read", "ok"): 1,
        ("write_file", "edit", "ok"): 1,
        ("replace", "edit", "ok"): 1,
    }
    edits = [(e["event_id"], e["file_path"]) for e in res.events if e.get("action_kind") == "edit"]
    target = "/Users/Jane_Smith/Documents/projects/epm-cdme/assistants/lead_gemini.txt"
    assert edits == [
        ("write_file-1764625701890-a743f9e75c7ca8", target),
        ("replace-1764625798347-f99f59ca989958", target),
    ]
    sid = "5b959dae-8655-4cd1-b10f-720b8c336ea2"
    assert {e["session_id"] for e in res.events} == {sid}
    assert res.sessions[sid]["models"] == ["gemini-3-pro-image-preview"]


def test_file_ops_session_counts() -> None:
    res = parse_fixture(FILE_OPS)
    assert (res.lines, res.bad_lines) == (14, [])
    assert by_type(res) == {
        "session_start": 1,
        "human_action": 5,
        "llm_call": 9,
        "agent_action": 14,
    }
    kinds = Counter(e["action_kind"] for e in res.events if e["event_type"] == "agent_action")
    assert kinds == {"read": 6, "plan": 3, "edit": 3, "delegate": 1, "search": 1}
    assert [e["file_path"] for e in res.events if e.get("action_kind") == "edit"] == [
        "hello.md"
    ] * 3
    facts = res.sessions["37b7abef-713d-4522-85f0-8ff15a4e6d17"]
    # no cwd in the file: recovered from "hello.md" answered as an absolute path
    assert facts["project"] == "/Users/Nikita_Levyankov/repos/EPMCDME/codemie-ai/codemie-code"


def test_tokens_against_ccusage() -> None:
    # `HOME=… npx ccusage@20.0.24 gemini session --json --offline` on these files:
    #   5b959dae: inputTokens 45092, cacheReadTokens 56538, outputTokens 2734, totalTokens 105857
    #   37b7abef: inputTokens 25301, cacheReadTokens 62117, outputTokens 1441, totalTokens 91773
    # ccusage's output leaves the thoughts out (its total has them); ours includes them, as
    # the contract says, with reasoning_tokens the part that was thoughts.
    for name, (inp, cache, out, total) in {
        LEAD: (45092, 56538, 2734, 105857),
        FILE_OPS: (25301, 62117, 1441, 91773),
    }.items():
        t = token_sums(parse_fixture(name))
        assert t["input_tokens"] == inp
        assert t["cache_read_tokens"] == cache
        assert t["output_tokens"] - t["reasoning_tokens"] == out
        assert t["input_tokens"] + t["cache_read_tokens"] + t["output_tokens"] == total
    assert token_sums(parse_fixture(LEAD))["reasoning_tokens"] == 1493


def test_prompts_length_only_unless_asked() -> None:
    res = parse_fixture(FILE_OPS)
    prompts = [e for e in res.events if e["event_type"] == "human_action"]
    assert [p["attributes"]["prompt_chars"] for p in prompts] == [10, 75, 20, 26, 19]
    assert all("message" not in p for p in prompts)
    with_text = parse_fixture(FILE_OPS, include_prompts=True)
    assert [p["message"] for p in with_text.events if p["event_type"] == "human_action"][
        0
    ] == "show tools"


def test_events_fit_the_contract() -> None:
    from achilles_core.contract import validate_event

    for name in (LEAD, FILE_OPS):
        for e in parse_fixture(name).events:
            assert e["timestamp"].endswith("Z")
            validate_event(e)


# ---------------------------------------------------------------- made-up shapes


def session(*messages: Any) -> bytes:
    return orjson.dumps(
        {
            "sessionId": "g-1",
            "projectHash": "h",
            "startTime": "2026-01-01T00:00:00Z",
            "messages": list(messages),
        }
    )


def shell_call(cid: str, command: str, output: str, status: str = "success") -> dict[str, Any]:
    return {
        "id": cid,
        "name": "run_shell_command",
        "args": {"command": command},
        "status": status,
        "timestamp": "2026-01-01T00:00:05Z",
        "result": [
            {
                "functionResponse": {
                    "id": cid,
                    "name": "run_shell_command",
                    "response": {"output": output},
                }
            }
        ],
    }


def test_shell_test_run_and_failed_command() -> None:
    pytest_out = (
        "Command: pytest -q\nDirectory: (root)\nStdout: ..F\n"
        "FAILED tests/test_a.py::test_x - assert 1 == 2\n1 failed, 2 passed in 0.05s\n"
        "Stderr: (empty)\nError: (none)\nExit Code: 1\nSignal: (none)\nBackground PIDs: (none)\nProcess Group PGID: 1"
    )
    ls_out = "Command: ls nope\nDirectory: (root)\nStdout: (empty)\nStderr: ls: nope: No such file or directory\nError: (none)\nExit Code: 1\nSignal: (none)"
    data = session(
        {
            "id": "m1",
            "timestamp": "2026-01-01T00:00:04Z",
            "type": "gemini",
            "model": "gemini-2.5-pro",
            "tokens": {
                "input": 100,
                "output": 5,
                "cached": 40,
                "thoughts": 7,
                "tool": 0,
                "total": 112,
            },
            "toolCalls": [
                shell_call("t1", "pytest -q", pytest_out),
                shell_call("t2", "ls nope", ls_out),
            ],
        },
    )
    res = parse_gemini(data, source="s.json")
    t1, run, failure, t2, err = [
        e for e in res.events if e["event_type"] not in ("session_start", "llm_call")
    ]
    assert (t1["status"], t1["attributes"]["exit_code"]) == ("error", 1)
    assert (run["event_type"], run["status"], run["parent_id"]) == ("test_run", "failed", "t1")
    assert (failure["parent_id"], failure["error_type"], failure["file_path"]) == (
        "t1:run",
        "AssertionError",
        "tests/test_a.py",
    )
    assert (t2["action_kind"], t2["status"]) == ("command", "error")
    assert (err["parent_id"], err["error_type"]) == ("t2", "exit_code_1")
    assert err["message"] == "ls: nope: No such file or directory"
    (llm,) = [e for e in res.events if e["event_type"] == "llm_call"]
    assert (
        llm["input_tokens"],
        llm["cache_read_tokens"],
        llm["output_tokens"],
        llm["reasoning_tokens"],
    ) == (60, 40, 12, 7)


def test_failed_and_cancelled_tool_calls() -> None:
    data = session(
        {
            "id": "m1",
            "timestamp": "2026-01-01T00:00:04Z",
            "type": "gemini",
            "toolCalls": [
                {
                    "id": "r1",
                    "name": "replace",
                    "args": {"file_path": "/p/a.py", "old_string": "x", "new_string": "y"},
                    "status": "error",
                    "timestamp": "2026-01-01T00:00:05Z",
                    "result": [
                        {
                            "functionResponse": {
                                "id": "r1",
                                "name": "replace",
                                "response": {
                                    "error": "Failed to edit, could not find the string to replace."
                                },
                            }
                        }
                    ],
                },
                {
                    "id": "w1",
                    "name": "write_file",
                    "args": {"file_path": "/p/b.py", "content": "z"},
                    "status": "cancelled",
                    "timestamp": "2026-01-01T00:00:06Z",
                },
            ],
        },
        {
            "id": "m2",
            "timestamp": "2026-01-01T00:00:07Z",
            "type": "info",
            "content": "Request cancelled.",
        },
    )
    res = parse_gemini(data, source="s.json")
    r1, err, w1 = [e for e in res.events if e["event_type"] != "session_start"]
    assert (r1["action_kind"], r1["status"], r1["file_path"]) == ("edit", "error", "/p/a.py")
    assert (err["parent_id"], err["error_type"], err["file_path"]) == (
        "r1",
        "tool_error",
        "/p/a.py",
    )
    assert err["message"] == "Failed to edit, could not find the string to replace."
    assert (w1["status"], w1["file_path"]) == ("cancelled", "/p/b.py")
    assert res.skipped["message info"] == 1


def test_bad_input_never_raises() -> None:
    assert parse_gemini(b"{oops", source="s.json").bad_lines == [(0, "not JSON")]
    assert parse_gemini(b"[]", source="s.json").bad_lines == [
        (0, "not a Gemini session (no messages list)")
    ]
    res = parse_gemini(
        session(
            "nope",
            {"type": "user", "content": "hi"},
            {
                "id": "u",
                "type": "user",
                "timestamp": "2026-01-01T00:00:01Z",
                "content": [{"text": "hey"}],
            },
        ),
        source="s.json",
    )
    assert res.bad_lines == [(1, "message is not an object"), (2, "message without timestamp")]
    assert [
        e["attributes"]["prompt_chars"] for e in res.events if e["event_type"] == "human_action"
    ] == [3]


def cancelled_call(cid: str, name: str, args: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "args": args,
        "status": "cancelled",
        "timestamp": "2026-01-01T00:00:05Z",
        "result": [
            {
                "functionResponse": {
                    "id": cid,
                    "name": name,
                    "response": {"error": f"[Operation Cancelled] Reason: {reason}"},
                }
            }
        ],
    }


def test_user_denial_is_rejected_an_interrupt_cancelled() -> None:
    # the confirmation prompt's "No" cancels the call with "User did not allow tool call"
    data = session(
        {
            "id": "m1",
            "timestamp": "2026-01-01T00:00:04Z",
            "type": "gemini",
            "toolCalls": [
                cancelled_call(
                    "w1",
                    "write_file",
                    {"file_path": "/p/b.py", "content": "z"},
                    "User did not allow tool call",
                ),
                cancelled_call(
                    "s1",
                    "run_shell_command",
                    {"command": "pytest -q"},
                    "User did not allow tool call",
                ),
                cancelled_call(
                    "s2",
                    "run_shell_command",
                    {"command": "npm test"},
                    "User cancelled tool execution.",
                ),
            ],
        },
    )
    res = parse_gemini(data, source="s.json")
    events = [e for e in res.events if e["event_type"] != "session_start"]
    assert not [e for e in events if e["event_type"] == "error"]
    actions = {e["event_id"]: e["status"] for e in events if e["event_type"] == "agent_action"}
    assert actions == {"w1": "rejected", "s1": "rejected", "s2": "cancelled"}
    runs = {
        e["parent_id"]: (e["status"], e["attributes"]["not_run"])
        for e in events
        if e["event_type"] == "test_run"
    }
    assert runs == {"s1": ("skipped", "rejected"), "s2": ("skipped", "cancelled")}


# ---------------------------------------------------------------- the JSONL form


def test_jsonl_gives_the_events_of_the_legacy_document() -> None:
    for name in (LEAD, FILE_OPS):
        lines = gemini_jsonl(FIXTURES / name)
        res = parse_gemini_jsonl(b"".join(lines), source=name + "l")
        legacy = parse_fixture(name)
        assert res.events == legacy.events  # same ids, types, tokens, statuses
        assert res.sessions == legacy.sessions
        assert token_sums(res) == token_sums(legacy)
        assert res.lines == len(lines) == 19 and res.bad_lines == []
        assert res.skipped == {
            "message (superseded by a later copy)": 1,
            "$set (metadata update)": 2,
            "$rewindTo (rewound messages kept)": 1,
        }


def test_jsonl_last_record_of_a_message_wins_at_its_first_place() -> None:
    lines = gemini_jsonl(FIXTURES / LEAD)
    unfinished = orjson.loads(lines[4])
    call_ids = {c["id"] for c in unfinished["toolCalls"]}
    # cut before the whole copy: the message has no tokens yet, its calls are running
    early = parse_gemini_jsonl(b"".join(lines[:6]), source="s.jsonl")
    assert unfinished["id"] not in {e["event_id"] for e in early.events}  # no llm_call yet
    running = [e for e in early.events if e["event_id"] in call_ids]
    assert running and all(e["revision"] == 0 and "status" not in e for e in running)
    # the whole copy wins (revision 1 beats 0 in every read) and keeps the first place
    done = parse_gemini_jsonl(b"".join(lines), source="s.jsonl")
    ids = [e["event_id"] for e in done.events]
    assert ids.index(unfinished["id"]) < ids.index(orjson.loads(lines[5])["id"])
    finished = [e for e in done.events if e["event_id"] in call_ids]
    assert [(e["revision"], e["status"]) for e in finished] == [(1, "ok")] * len(call_ids)


def test_jsonl_bad_and_unknown_lines_are_counted_never_fatal() -> None:
    lines = gemini_jsonl(FIXTURES / LEAD)
    broken = [*lines[:3], b'{"id": "x", "type": \n', b"\n", b'{"what": 1}\n', b"[1]\n", *lines[3:]]
    res = parse_gemini_jsonl(b"".join(broken), source="s.jsonl")
    assert [n for n, _ in res.bad_lines] == [4, 7]
    assert res.bad_lines[0][1].startswith("not JSON")
    assert res.skipped["blank line"] == 1 and res.skipped["record of unknown shape"] == 1
    assert res.lines == len(broken)
    assert res.events == parse_fixture(LEAD).events
    # no metadata line: nothing to attach the messages to
    headless = parse_gemini_jsonl(b"".join(lines[1:]), source="s.jsonl")
    assert headless.events == [] and headless.bad_lines == [
        (0, "no session metadata line (sessionId, projectHash)")
    ]
    assert parse_gemini_jsonl(b"", source="s.jsonl").bad_lines == []


def test_jsonl_subagent_names_its_parent() -> None:
    meta = {"sessionId": "sub-1", "projectHash": "h", "startTime": "2026-01-01T00:00:00Z"}
    msg = {
        "id": "m1",
        "timestamp": "2026-01-01T00:00:04Z",
        "type": "gemini",
        "tokens": {"input": 10, "output": 2, "cached": 0, "total": 12},
    }
    data = b"".join(orjson.dumps(r) + b"\n" for r in ({**meta, "kind": "subagent"}, msg))
    res = parse_gemini_jsonl(data, source="s.jsonl", parent_session_id="parent-1")
    assert res.sessions["sub-1"]["parent_session_id"] == "parent-1"
    assert {e.get("parent_session_id") for e in res.events} == {"parent-1"}
    # a main session's folder is not its parent
    main = b"".join(orjson.dumps(r) + b"\n" for r in (meta, msg))
    res = parse_gemini_jsonl(main, source="s.jsonl", parent_session_id="chats-like")
    assert "parent_session_id" not in res.sessions["sub-1"]
    assert all("parent_session_id" not in e for e in res.events)
