"""The Claude Code transcript parser, on real transcripts and on small made-up ones."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from achilles_core.contract import SESSION_ID_PATTERN, validate_event
from ingest_api.sources.base import ParseResult
from ingest_api.sources.claude_code import parse_claude_code

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "claude-code"
BIG = "258c7280-ae70-4798-800f-63464d01a85d.jsonl.gz"
PARENT_258C = "258c7280-ae70-4798-800f-63464d01a85d"

# `CLAUDE_CONFIG_DIR=<dir> TZ=UTC npx ccusage@20.0.24 session --json --offline` with each
# file as <dir>/projects/p/<file>: (input, output, cache read, cache write) per session
CCUSAGE = {
    BIG: (180, 38899, 14771617, 349474),
    "session-3fe1b6bc.jsonl.gz": (15377, 34781, 5157884, 1707033),
    "session-9eda1058.jsonl": (47, 4509, 22912, 147267),
    "short.jsonl": (3, 13, 11515, 13835),
    "subagent.jsonl": (1576, 1586, 427286, 25842),
    "tool_heavy.jsonl": (54, 212, 88231, 17696),
}


def read_lines(name: str) -> list[bytes]:
    path = FIXTURES / name
    data = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    return data.splitlines(keepends=True)


def parse(name: str, **kwargs: Any) -> ParseResult:
    return parse_claude_code(read_lines(name), source=name, **kwargs)


def by_id(result: ParseResult) -> dict[str, dict[str, Any]]:
    return {e["event_id"]: e for e in result.events if e.get("event_id")}


def tokens(result: ParseResult, session_id: str) -> tuple[int, int, int, int]:
    calls = [
        e for e in result.events if e["event_type"] == "llm_call" and e["session_id"] == session_id
    ]
    return (
        sum(e["input_tokens"] for e in calls),
        sum(e["output_tokens"] for e in calls),
        sum(e["cache_read_tokens"] for e in calls),
        sum(e["cache_write_tokens"] for e in calls),
    )


def top_session(result: ParseResult) -> str:
    (sid,) = [s for s, facts in result.sessions.items() if "parent_session_id" not in facts]
    return sid


@pytest.mark.parametrize("name", sorted(CCUSAGE))
def test_real_files_parse_whole_and_tokens_equal_ccusage(name: str) -> None:
    result = parse(name)
    assert result.bad_lines == []
    assert result.lines == len(read_lines(name))
    assert tokens(result, top_session(result)) == CCUSAGE[name]
    for event in result.events:
        assert event["session_id"] and event["timestamp"].endswith("Z")
        assert event["actor"] == "claude-code"
        assert event["source_type"] == (
            "human" if event["event_type"] == "human_action" else "agent"
        )
        validate_event(event)


@pytest.mark.parametrize("name", sorted(CCUSAGE))
def test_every_edit_is_an_edit_action_with_its_file(name: str) -> None:
    result = parse(name)
    uses = 0
    for line in read_lines(name):
        rec = orjson.loads(line)
        if rec.get("type") != "assistant":
            continue
        for block in rec["message"].get("content") or []:
            if block.get("type") == "tool_use" and block["name"] in ("Edit", "Write", "MultiEdit"):
                uses += 1
                action = by_id(result)[block["id"]]
                assert action["action_kind"] == "edit"
                assert action["file_path"] == block["input"]["file_path"]
    edits = [e for e in result.events if e.get("action_kind") == "edit"]
    assert len(edits) == uses


def test_rejections_are_rejected_not_errors() -> None:
    result = parse("short.jsonl")
    actions = [e for e in result.events if e["event_type"] == "agent_action"]
    assert [(a["tool_name"], a["status"], a["revision"]) for a in actions] == [
        ("Bash", "rejected", 1),
        ("Glob", "rejected", 1),
    ]
    assert actions[0]["action_kind"] == "command" and actions[1]["action_kind"] == "search"
    assert not [e for e in result.events if e["event_type"] in ("error", "test_run", "check_run")]
    assert result.skipped["user:interrupt"] == 1
    assert result.skipped["progress:hook_progress"] == 3


def test_prompts_keep_their_length_and_text_only_when_asked() -> None:
    (prompt,) = [e for e in parse("short.jsonl").events if e["event_type"] == "human_action"]
    assert prompt["action_kind"] == "prompt"
    assert prompt["attributes"] == {"length": len("mix phx.server doesnt seem to start")}
    assert "message" not in prompt
    (kept,) = [
        e
        for e in parse("short.jsonl", include_prompts=True).events
        if e["event_type"] == "human_action"
    ]
    assert kept["message"] == "mix phx.server doesnt seem to start"


def test_slash_commands_meta_and_caveats_are_not_prompts() -> None:
    result = parse("tool_heavy.jsonl")
    prompts = [e for e in result.events if e["event_type"] == "human_action"]
    assert [p["attributes"]["length"] for p in prompts] == [
        len("start phoenix in background"),
        len(
            "scrolling back in xterm.js still does not work (maybe because outer web catches "
            "it)? websearch xterm.js tmux interactions"
        ),
    ]
    assert result.skipped["user:command"] == 2 and result.skipped["user:meta"] == 1


def test_subagent_from_progress_records_is_its_own_session() -> None:
    result = parse("subagent.jsonl")
    parent = "491e126e-1e71-469c-ade2-fcc8af567c74"
    child = f"{parent}.afb92ff"
    assert result.sessions[child]["parent_session_id"] == parent
    assert result.sessions[child]["models"] == ["claude-haiku-4-5-20251001"]
    assert result.sessions[parent]["models"] == ["claude-opus-4-6"]
    ids = by_id(result)
    task = ids["toolu_01Cz2Pnv7qNcnK1ZiocxWhQX"]
    assert task["action_kind"] == "delegate" and task["session_id"] == parent
    assert task["attributes"]["child_session_id"] == child
    assert task["duration_ms"] == 38799
    # the subagent's own calls: a read of a directory failed, its sibling was cancelled
    failed, sibling = ids["toolu_01LdecmEM8HVNM6T4ht7x8Gi"], ids["toolu_01QDUftK7MweJaWSx65d9Cmb"]
    assert failed["session_id"] == child and failed["parent_session_id"] == parent
    assert (failed["status"], sibling["status"]) == ("error", "cancelled")
    error = ids["toolu_01LdecmEM8HVNM6T4ht7x8Gi:error"]
    assert error["parent_id"] == failed["event_id"] and error["error_type"] == "is_a_directory"
    assert "toolu_01QDUftK7MweJaWSx65d9Cmb:error" not in ids
    assert ids["toolu_01ADkZx631DtfWJKXE19LZLP"]["action_kind"] == "plan"
    for sid in result.sessions:
        assert Counter(e["session_id"] for e in result.events)[sid] > 0
        assert re.match(SESSION_ID_PATTERN, sid)


def test_subagent_file_and_progress_copy_give_the_same_events() -> None:
    """A response in both the subagent's file and its parent's progress records counts once."""
    parent_lines = read_lines("subagent.jsonl")
    sub_lines = []
    for line in parent_lines:
        rec = orjson.loads(line)
        data = rec.get("data") or {}
        if rec.get("type") == "progress" and data.get("type") == "agent_progress":
            inner = dict(data["message"])
            inner.update(sessionId=rec["sessionId"], agentId=data["agentId"], isSidechain=True)
            sub_lines.append(orjson.dumps(inner))
    sub = parse_claude_code(sub_lines, source="491e126e/subagents/agent-afb92ff.jsonl")
    whole = parse("subagent.jsonl")
    child = "491e126e-1e71-469c-ade2-fcc8af567c74.afb92ff"
    from_progress = {
        e["event_id"]: e
        for e in whole.events
        if e["session_id"] == child and e["event_type"] == "llm_call"
    }
    from_file = {e["event_id"]: e for e in sub.events if e["event_type"] == "llm_call"}
    assert from_file == from_progress and len(from_file) == 5


def test_background_test_run_takes_its_outcome_from_the_later_read() -> None:
    ids = by_id(parse(BIG))
    run = ids["toolu_015vWPk1LbLJMS7eW65VHeY3:run"]
    assert run["event_type"] == "test_run" and run["parent_id"] == "toolu_015vWPk1LbLJMS7eW65VHeY3"
    assert run["status"] == "passed" and run["revision"] == 2
    assert run["attributes"]["background_task_id"] == "bd0afab"
    assert "43 tests, 0 failures" in run["attributes"]["summary"]
    # launched 20:45:52.780, its TaskOutput came back completed at 20:52:10.596
    assert run["attributes"]["ended_at"] == "2026-02-11T20:52:10.596000Z"
    assert ids["toolu_011NXYeWWxrZPLNNT8pFAZPi"]["status"] == "rejected"


def test_failing_mix_test_names_each_failing_test() -> None:
    result = parse(BIG)
    ids = by_id(result)
    run = ids["toolu_01PLQ59nPMTjqx8bjStFVShk:run"]
    assert run["status"] == "failed"
    assert ids["toolu_01PLQ59nPMTjqx8bjStFVShk"]["status"] == "error"
    failures = [e for e in result.events if e.get("parent_id") == run["event_id"]]
    assert len(failures) == 5
    for failure in failures:
        assert failure["event_type"] == "error"
        assert failure["attributes"]["test_id"]
        assert failure["file_path"].endswith("project_review_live_test.exs")
        assert len(failure["message"]) < 2000
    # a non-zero exit of a test run is the run's failure, not a second error on the call
    assert "toolu_01PLQ59nPMTjqx8bjStFVShk:error" not in ids


def test_piped_test_run_reads_the_summary() -> None:
    run = by_id(parse(BIG))["toolu_01XZmvHqSoXvt2mfNr7PBLgv:run"]
    assert run["message"] == "mix test 2>&1 | tail -5"
    assert run["status"] == "passed" and "65 tests, 0 failures" in run["attributes"]["summary"]


def test_run_counts_in_the_big_session() -> None:
    result = parse(BIG)
    counts = Counter(e["event_type"] for e in result.events)
    tests = [e for e in result.events if e["event_type"] == "test_run"]
    assert len(tests) == 14
    statuses = Counter(e["status"] for e in tests)
    # 3 runs with failing tests, 1 that did not compile
    assert (statuses["failed"], statuses["error"], statuses["unknown"]) == (3, 1, 0)
    assert counts["agent_action"] == 188 and counts["llm_call"] == 154
    assert result.skipped["system:compact_boundary"] == 1


# --- made-up transcripts: the edge cases ----------------------------------------------------

SID = "11111111-2222-3333-4444-555555555555"


def rec(kind: str, ts: str, **fields: Any) -> bytes:
    base = {"type": kind, "sessionId": SID, "timestamp": ts, "cwd": "/p", "version": "2.1.40"}
    base.update(fields)
    return orjson.dumps(base) + b"\n"


def use(ts: str, call_id: str, name: str, tool_input: dict[str, Any], out: int = 5) -> bytes:
    return rec(
        "assistant",
        ts,
        requestId="req_1",
        message={
            "id": "msg_1",
            "model": "claude-opus-4-6",
            "content": [{"type": "tool_use", "id": call_id, "name": name, "input": tool_input}],
            "usage": {
                "input_tokens": 3,
                "output_tokens": out,
                "cache_read_input_tokens": 100,
                "cache_creation_input_tokens": 50,
                "cache_creation": {"ephemeral_1h_input_tokens": 50},
            },
        },
    )


def result_line(ts: str, call_id: str, content: str, is_error: bool, tur: Any) -> bytes:
    block = {"type": "tool_result", "tool_use_id": call_id, "content": content}
    block["is_error"] = is_error
    return rec("user", ts, message={"role": "user", "content": [block]}, toolUseResult=tur)


EDIT_FAIL = [
    use("2026-01-01T10:00:00Z", "toolu_a", "Edit", {"file_path": "/p/x.py"}, out=5),
    use("2026-01-01T10:00:01Z", "toolu_b", "Bash", {"command": "ls /nope"}, out=40),
    rec("system", "2026-01-01T10:00:02Z", subtype="compact_boundary"),
    result_line(
        "2026-01-01T10:00:03Z",
        "toolu_a",
        "<tool_use_error>String to replace not found in file.\nString: foo</tool_use_error>",
        True,
        "Error: String to replace not found in file.\nString: foo",
    ),
]


def test_usage_of_one_response_counts_once_with_its_last_output() -> None:
    result = parse_claude_code(EDIT_FAIL, source="x.jsonl")
    (call,) = [e for e in result.events if e["event_type"] == "llm_call"]
    assert (call["event_id"], call["input_tokens"], call["output_tokens"]) == ("msg_1", 3, 40)
    assert (call["cache_read_tokens"], call["cache_write_tokens"]) == (100, 50)
    assert call["cache_write_1h_tokens"] == 50 and call["revision"] == 1
    assert call["timestamp"] == "2026-01-01T10:00:00Z"


def test_failed_edit_is_an_error_and_a_call_without_result_stays_open() -> None:
    ids = by_id(parse_claude_code(EDIT_FAIL, source="x.jsonl"))
    edit = ids["toolu_a"]
    assert (edit["status"], edit["revision"], edit["file_path"]) == ("error", 1, "/p/x.py")
    error = ids["toolu_a:error"]
    assert error["parent_id"] == "toolu_a" and error["error_type"] == "string_not_found"
    assert error["message"].startswith("String to replace not found")
    assert "tool_use_error" not in error["message"]
    # the Bash call's result never came (compacted away): revision 0, no status
    bash = ids["toolu_b"]
    assert bash["revision"] == 0 and "status" not in bash


def test_half_written_file_then_whole_only_raises_revisions() -> None:
    lines = EDIT_FAIL + [
        result_line(
            "2026-01-01T10:00:09Z",
            "toolu_b",
            "Exit code 2\nls: cannot access '/nope': No such file or directory",
            True,
            "Error: Exit code 2\nls: cannot access '/nope': No such file or directory",
        )
    ]
    whole = by_id(parse_claude_code(lines, source="x.jsonl"))
    for cut in range(len(lines)):
        part = parse_claude_code(lines[:cut], source="x.jsonl")
        for event_id, event in by_id(part).items():
            later = whole[event_id]
            assert later.get("revision", 0) >= event.get("revision", 0)
            if later.get("revision") == event.get("revision"):
                assert later == event
    error = whole["toolu_b:error"]
    assert error["error_type"] == "exit_code_2" and "cannot access" in error["message"]
    assert "Exit code" not in error["message"]


def test_bad_lines_are_counted_and_never_raise() -> None:
    lines = [
        b'{"type":"user","sessionId":"' + SID.encode() + b'","timestamp":"2026-01-01T1',
        b"[1, 2]\n",
        b"\n",
        rec("user", "not a time", message={"role": "user", "content": "hi"}),
        rec("assistant", "2026-01-01T10:00:00Z", message="oops"),
        rec("user", "2026-01-01T10:00:00Z", message={"role": "user", "content": "hello"}),
        rec("assistant", "2026-01-01T10:00:00Z", message={"model": "<synthetic>", "id": "m"}),
        rec("mystery", "2026-01-01T10:00:00Z"),
    ]
    result = parse_claude_code(lines, source="x.jsonl")
    assert [n for n, _ in result.bad_lines] == [1, 2, 4, 5]
    assert [e["event_type"] for e in result.events] == ["human_action"]
    assert result.skipped == Counter(
        {"blank line": 1, "assistant:synthetic": 1, "unknown:mystery": 1}
    )
    assert result.lines == 8


def prompt_lengths(lines: list[bytes]) -> list[int]:
    result = parse_claude_code(lines, source="x.jsonl")
    return [e["attributes"]["length"] for e in result.events if e["event_type"] == "human_action"]


def test_sidechain_prompt_kept_in_the_parent_file_is_not_a_human_prompt() -> None:
    # older Claude Code wrote a Task's subagent into the parent's file: isSidechain, no agentId
    lines = [
        rec("user", "2026-01-01T10:00:00.000Z", message={"role": "user", "content": "find foo"}),
        use("2026-01-01T10:00:01.000Z", "toolu_t", "Task", {"prompt": "Search for foo"}),
        rec(
            "user",
            "2026-01-01T10:00:02.000Z",
            isSidechain=True,
            parentUuid=None,
            message={"role": "user", "content": "Search for foo"},
        ),
    ]
    assert prompt_lengths(lines) == [len("find foo")]


def test_bash_mode_and_system_reminders_are_not_prompts() -> None:
    def user(ts: str, content: Any) -> bytes:
        return rec("user", ts, message={"role": "user", "content": content})

    reminder = "<system-reminder>\nThe user opened the file /p/a.py in the IDE.\n</system-reminder>"
    lines = [
        user("2026-01-01T10:00:00.000Z", "<bash-input>git status</bash-input>"),
        user(
            "2026-01-01T10:00:01.000Z",
            "<bash-stdout>On branch main</bash-stdout><bash-stderr></bash-stderr>",
        ),
        user("2026-01-01T10:00:02.000Z", [{"type": "text", "text": reminder}]),
        user(
            "2026-01-01T10:00:03.000Z",
            [{"type": "text", "text": reminder}, {"type": "text", "text": "fix it"}],
        ),
    ]
    assert prompt_lengths(lines) == [len("fix it")]


BG_FILE = "/tmp/claude-1000/-p/tasks/b1234ab.output"
PYTEST_OUT = """\
============================= test session starts ==============================
collected 3 items

tests/test_a.py .F.                                                      [100%]

=================================== FAILURES ===================================
___________________________________ test_two ___________________________________

    def test_two():
>       assert 1 == 2
E       assert 1 == 2

tests/test_a.py:5: AssertionError
=========================== short test summary info ============================
FAILED tests/test_a.py::test_two - assert 1 == 2
========================= 1 failed, 2 passed in 0.12s ==========================
"""
BG_START = [
    use(
        "2026-01-01T10:00:00.000Z",
        "toolu_bg",
        "Bash",
        {"command": "pytest tests/", "run_in_background": True, "description": "run tests"},
    ),
    result_line(
        "2026-01-01T10:00:01.000Z",
        "toolu_bg",
        f"Command running in background with ID: b1234ab. Output is being written to: {BG_FILE}",
        False,
        {"stdout": "", "stderr": "", "interrupted": False, "isImage": False,
         "noOutputExpected": False, "backgroundTaskId": "b1234ab"},
    ),
]  # fmt: skip
BG_NOTIFIED = rec(
    "user",
    "2026-01-01T10:01:00.000Z",
    message={
        "role": "user",
        "content": f"<task-notification>\n<task-id>b1234ab</task-id>\n"
        f"<output-file>{BG_FILE}</output-file>\n<status>failed</status>\n"
        '<summary>Background command "run tests" failed with exit code 1</summary>\n'
        f"</task-notification>\nRead the output file to retrieve the result: {BG_FILE}",
    },
)
# what the model sees of a Read: numbered lines ("     1→..."); toolUseResult has the file
BG_NUMBERED = "\n".join(f"{i:6d}→{ln}" for i, ln in enumerate(PYTEST_OUT.splitlines(), 1))
BG_READ_FILE = {"type": "text", "file": {"filePath": BG_FILE, "content": PYTEST_OUT,
                "numLines": 16, "startLine": 1, "totalLines": 16}}  # fmt: skip


def bg_read(tur: Any) -> list[bytes]:
    return [
        use("2026-01-01T10:01:05.000Z", "toolu_rd", "Read", {"file_path": BG_FILE}),
        result_line("2026-01-01T10:01:06.000Z", "toolu_rd", BG_NUMBERED, False, tur),
    ]


def bg_run(lines: list[bytes]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    events = parse_claude_code(lines, source="x.jsonl").events
    (run,) = [e for e in events if e.get("event_id") == "toolu_bg:run"]
    return run, [e for e in events if e.get("parent_id") == "toolu_bg:run"]


@pytest.mark.parametrize("tur", [BG_READ_FILE, None], ids=["toolUseResult", "content-only"])
def test_background_run_read_back_through_a_read_of_its_output_file(tur: Any) -> None:
    run, errors = bg_run(BG_START + bg_read(tur))
    assert (run["status"], run["revision"]) == ("failed", 2)
    assert "1 failed, 2 passed" in run["attributes"]["summary"]
    (error,) = errors
    assert error["attributes"]["test_id"] == "tests/test_a.py::test_two"
    assert (error["file_path"], error["message"]) == ("tests/test_a.py", "assert 1 == 2")


def test_background_run_notified_then_read_names_its_failures() -> None:
    lines = [*BG_START, BG_NOTIFIED, *bg_read(BG_READ_FILE)]
    run, errors = bg_run(lines)
    # the notification's exit code and time, the failures from the output read after it
    assert (run["status"], run["revision"]) == ("failed", 3)
    assert run["attributes"]["ended_at"] == "2026-01-01T10:01:00Z"
    assert [e["attributes"]["test_id"] for e in errors] == ["tests/test_a.py::test_two"]
    # imported before the read, the run is a lower revision, so the fuller one wins
    early, _ = bg_run(lines[:3])
    assert early["revision"] == 2


def test_a_call_the_record_marks_as_denied_is_rejected_not_an_error() -> None:
    text = (
        "This Bash command contains multiple operations. The following part requires "
        'approval: ./scan --stdin; echo "EXIT=$?"'
    )
    refused = result_line("2026-01-01T10:00:01.000Z", "toolu_d", text, True, f"Error: {text}")
    lines = [
        use("2026-01-01T10:00:00.000Z", "toolu_d", "Bash", {"command": "./scan --stdin"}),
        refused.replace(b'"toolUseResult"', b'"toolDenialKind":"user-rejected","toolUseResult"'),
    ]
    ids = by_id(parse_claude_code(lines, source="x.jsonl"))
    assert ids["toolu_d"]["status"] == "rejected"
    assert "toolu_d:error" not in ids
    # without the mark, the same text is a failed call
    plain = by_id(parse_claude_code([lines[0], refused], source="x.jsonl"))
    assert plain["toolu_d"]["status"] == "error"
    # a call the record marks as cancelled never ran either, but nobody refused it
    cancelled = refused.replace(b'"toolUseResult"', b'"toolDenialKind":"cancelled","toolUseResult"')
    ids = by_id(parse_claude_code([lines[0], cancelled], source="x.jsonl"))
    assert ids["toolu_d"]["status"] == "cancelled"
    assert "toolu_d:error" not in ids


FORK = "99999999-8888-7777-6666-555555555555"


def forked_copy(line: bytes) -> bytes:
    """`line` as a resumed/forked session copies it: its own session id, marked forkedFrom."""
    record = orjson.loads(line)
    record.update(sessionId=FORK, forkedFrom={"sessionId": SID, "messageUuid": "u-1"})
    return orjson.dumps(record) + b"\n"


def test_a_forks_copied_history_belongs_to_the_session_it_came_from() -> None:
    # Claude Code's --resume / --fork-session starts the new session with a copy of the
    # old one's records (same message, request and tool ids), each marked forkedFrom.
    own = orjson.loads(use("2026-01-02T09:00:00Z", "toolu_new", "Bash", {"command": "ls"}))
    own["sessionId"] = FORK
    own["message"]["id"] = "msg_2"
    own["requestId"] = "req_2"
    fork_file = [forked_copy(line) for line in EDIT_FAIL] + [orjson.dumps(own) + b"\n"]
    fork = parse_claude_code(fork_file, source=f"{FORK}.jsonl")
    parent = parse_claude_code(EDIT_FAIL, source=f"{SID}.jsonl")
    # the fork's own session holds only what happened after the fork
    assert {e["event_id"] for e in fork.events if e["session_id"] == FORK} == {"toolu_new", "msg_2"}
    # the copies are the source session's events, the same as its own file gives
    copies = [e for e in fork.events if e["session_id"] == SID]
    assert sorted(copies, key=lambda e: e["event_id"]) == sorted(
        parent.events, key=lambda e: e["event_id"]
    )
    # a record that names its own session as the source is not a copy
    same = [forked_copy(line).replace(FORK.encode(), SID.encode()) for line in EDIT_FAIL]
    assert {e["session_id"] for e in parse_claude_code(same, source="x.jsonl").events} == {SID}


def queued(ts: str, prompt: str, mode: str, origin: str | None) -> bytes:
    """A prompt queued while the agent was busy, as newer Claude Code records it."""
    att: dict[str, Any] = {"type": "queued_command", "prompt": prompt, "commandMode": mode}
    if origin is not None:
        att["origin"] = {"kind": origin}
    return rec("attachment", ts, attachment=att)


def test_queued_prompts_and_notifications_are_read_from_attachments() -> None:
    typed = queued("2026-01-01T10:00:30.000Z", "and check the logs", "prompt", "human")
    older = queued("2026-01-01T10:00:31.000Z", "also the docs", "prompt", None)
    other_agent = queued("2026-01-01T10:00:32.000Z", "[from agent b] done", "prompt", "coordinator")
    note = orjson.loads(BG_NOTIFIED)["message"]["content"]
    notified = queued("2026-01-01T10:01:00.000Z", note, "task-notification", "task-notification")
    listing = rec("attachment", "2026-01-01T10:00:02.000Z", attachment={"type": "skill_listing"})
    result = parse_claude_code(
        [*BG_START, listing, typed, older, other_agent, notified], source="x.jsonl"
    )
    prompts = [e for e in result.events if e["event_type"] == "human_action"]
    # a person's queued prompts are prompts (lengths only); another agent's message is not
    assert [p["attributes"]["length"] for p in prompts] == [18, 13]
    assert result.skipped["attachment:skill_listing"] == 1
    assert result.skipped["attachment:queued_command (not a person's prompt)"] == 1
    # the notification ends the background run, as the same text in a user line does
    run, _ = bg_run([*BG_START, notified])
    as_user_line, _ = bg_run([*BG_START, BG_NOTIFIED])
    assert run == as_user_line
    # (pytest's exit code 1, with no output read: its tests ran and some failed)
    assert run["status"] == "failed" and run["attributes"]["ended_at"] == "2026-01-01T10:01:00Z"
