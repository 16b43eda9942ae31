# ruff: noqa: E501  (records are kept on one line, as in a rollout)
"""The Codex rollout parser, on the real rollouts and on small made-up ones."""

from __future__ import annotations

import gzip
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ingest_api.sources.base import ParseResult
from ingest_api.sources.codex import parse_codex

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "codex"
TDD = "rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl.gz"
READER = "rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl.gz"


def parse_fixture(name: str, **kw: Any) -> ParseResult:
    with gzip.open(FIXTURES / name, "rb") as fh:
        return parse_codex(fh, source=name, **kw)


def by_type(res: ParseResult) -> Counter[str]:
    return Counter(e["event_type"] for e in res.events)


def event_lines(res: ParseResult) -> int:
    """Lines that became events: every line is either that, skipped (by reason) or bad."""
    return res.lines - sum(res.skipped.values()) - len(res.bad_lines)


# ---------------------------------------------------------------- the TDD rollout


def test_tdd_rollout_counts() -> None:
    res = parse_fixture(TDD)
    assert res.lines == 386
    assert res.bad_lines == []
    assert by_type(res) == {
        "session_start": 1,
        "human_action": 2,
        "agent_action": 51,  # 43 exec_command, 3 apply_patch, 2 update_plan, 3 web searches
        "llm_call": 66,
        "test_run": 3,
        "check_run": 1,
        "error": 2,
    }
    # the 54 write_stdin polls are joined to the commands they poll, not calls of their own
    assert res.skipped["write_stdin poll (joined to its command)"] == 54
    assert res.skipped["write_stdin output (joined to its command)"] == 54
    # lines that gave events: session_meta, 48 calls, 2 prompts, 66 token counts, 3 searches
    assert event_lines(res) == 1 + 48 + 2 + 66 + 3


def test_tdd_rollout_session_facts() -> None:
    res = parse_fixture(TDD)
    sid = "019e1625-789d-76c0-80ab-3724b5ddb799"
    assert {e["session_id"] for e in res.events} == {sid}
    facts = res.sessions[sid]
    assert facts["agent"] == "codex"
    assert facts["project"] == "/Users/Sample_User/repos/codemie-ai/codemie-code"
    assert facts["git_branch"] == "feat/codex-agent-plugin"
    assert facts["models"] == ["gpt-5.5"]


def test_tdd_rollout_edits_with_their_files() -> None:
    res = parse_fixture(TDD)
    edits = [e for e in res.events if e.get("action_kind") == "edit"]
    root = "/Users/Sample_User/repos/codemie-ai/codemie-code/"
    assert [(e["tool_name"], e["status"], e["file_path"]) for e in edits] == [
        ("apply_patch", "ok", root + "src/agents/plugins/__tests__/codemie-code-reasoning.test.ts"),
        ("apply_patch", "ok", root + "src/agents/plugins/codemie-code.plugin.ts"),
        ("apply_patch", "ok", root + "src/agents/plugins/opencode/opencode.plugin.ts"),
    ]
    assert all(e["attributes"]["files"] == [e["file_path"]] for e in edits)
    assert edits[0]["duration_ms"] == 2200


def test_tdd_rollout_red_green_test_runs() -> None:
    res = parse_fixture(TDD)
    runs = [e for e in res.events if e["event_type"] == "test_run"]
    assert [(r["status"], r["attributes"]["runner"]) for r in runs] == [
        ("failed", "npm test"),
        ("passed", "npm test"),
        ("passed", "npm test"),
    ]
    red = runs[0]
    assert (
        red["attributes"]["summary"]
        == "Test Files  1 failed (1) | Tests  1 failed | 15 skipped (16)"
    )
    # the run went on in the background: it ends with the write_stdin poll that saw the exit
    assert red["attributes"]["ended_at"] == "2026-05-11T08:42:13.170000Z"
    assert red["parent_id"] == red["event_id"].removesuffix(":run")
    (failure,) = [e for e in res.events if e.get("parent_id") == red["event_id"]]
    assert failure["error_type"] == "AssertionError"
    assert failure["file_path"] == "src/agents/plugins/__tests__/codemie-code-reasoning.test.ts"
    assert failure["attributes"]["test_id"].endswith(
        "Compaction Config > sets default context compaction threshold to 90%"
    )
    assert failure["message"] == (
        "AssertionError: expected undefined to deeply equal { auto: true, prune: true, …(1) }"
    )
    (build,) = [e for e in res.events if e["event_type"] == "check_run"]
    assert (build["message"], build["status"]) == ("npm run build", "passed")


def test_tdd_rollout_failed_command_is_one_error_with_its_lines() -> None:
    res = parse_fixture(TDD)
    errors = [
        e for e in res.events if e["event_type"] == "error" and e["error_type"] == "exit_code_2"
    ]
    (err,) = errors
    assert err["parent_id"] == "call_NqXBF7JK4NH5M85YXgojxxmC"
    assert err["message"].startswith("rg: node_modules/opencode-ai: No such file or directory")
    # rg exit 1 with no output is "nothing matched": not an error
    no_match = [
        e
        for e in res.events
        if e["event_type"] == "agent_action" and e.get("attributes", {}).get("exit_code") == 1
    ]
    assert {e["action_kind"] for e in no_match} >= {"search"}


def test_tdd_rollout_tokens_equal_ccusage() -> None:
    # `CODEX_HOME=… npx ccusage@20.0.24 codex session --json --offline` on this file:
    # inputTokens 1126300, cacheReadTokens 4929536, outputTokens 9118, reasoningOutputTokens 1759
    res = parse_fixture(TDD)
    calls = [e for e in res.events if e["event_type"] == "llm_call"]
    total: Counter[str] = Counter()
    for e in calls:
        for key in ("input_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens"):
            total[key] += e[key]
    assert dict(total) == {
        "input_tokens": 1126300,
        "cache_read_tokens": 4929536,
        "output_tokens": 9118,
        "reasoning_tokens": 1759,
    }
    assert {e["model"] for e in calls} == {"gpt-5.5"}


def test_prompts_keep_only_their_length_unless_asked() -> None:
    res = parse_fixture(TDD)
    prompts = [e for e in res.events if e["event_type"] == "human_action"]
    assert [p["attributes"]["prompt_chars"] for p in prompts] == [10, 57]
    assert all("message" not in p and p["action_kind"] == "prompt" for p in prompts)
    with_text = parse_fixture(TDD, include_prompts=True)
    assert [p["message"] for p in with_text.events if p["event_type"] == "human_action"][0] == (
        "show tools"
    )


def test_every_event_has_a_timestamp_with_offset_and_fits_the_contract() -> None:
    from achilles_core.contract import validate_event

    for name in (TDD, READER):
        for e in parse_fixture(name).events:
            assert e["timestamp"].endswith("Z")
            validate_event(e)


# ---------------------------------------------------------------- the reading rollout


def test_reader_rollout_without_event_msgs() -> None:
    res = parse_fixture(READER)
    assert res.lines == 99
    assert res.bad_lines == []
    assert by_type(res) == {"session_start": 1, "human_action": 3, "agent_action": 38, "error": 1}
    kinds = Counter(
        (e["tool_name"], e["action_kind"]) for e in res.events if e["event_type"] == "agent_action"
    )
    assert kinds == {
        ("exec_command", "read"): 30,
        ("exec_command", "search"): 3,
        ("exec_command", "command"): 2,
        ("js", "other"): 3,
    }
    # no event_msg: exit codes come from the plain-text output header
    (err,) = [e for e in res.events if e["event_type"] == "error"]
    assert (err["error_type"], err["message"]) == (
        "exit_code_1",
        "zsh:1: operation not permitted: ps",
    )
    # no token_count records: no llm_call (ccusage reports no usage for it either)
    assert res.sessions["019e1695-0522-7c83-8b39-0dd379793f80"]["models"] == []
    assert event_lines(res) == 1 + 38 + 3


# ---------------------------------------------------------------- made-up shapes


def rec(ts: str, kind: str, payload: dict[str, Any]) -> bytes:
    return orjson.dumps({"timestamp": ts, "type": kind, "payload": payload})


META = rec("2026-01-01T00:00:00.000Z", "session_meta", {"id": "s-1", "cwd": "/p"})
CTX = rec("2026-01-01T00:00:00.100Z", "turn_context", {"model": "gpt-5", "cwd": "/p"})


def call(ts: str, call_id: str, name: str, args: dict[str, Any]) -> bytes:
    payload = {
        "type": "function_call",
        "name": name,
        "arguments": orjson.dumps(args).decode(),
        "call_id": call_id,
    }
    return rec(ts, "response_item", payload)


def output(ts: str, call_id: str, text: str) -> bytes:
    return rec(
        ts, "response_item", {"type": "function_call_output", "call_id": call_id, "output": text}
    )


def tokens(
    ts: str, total: tuple[int, int, int, int] | None, last: tuple[int, int, int, int] | None
) -> bytes:
    def u(t: tuple[int, int, int, int]) -> dict[str, int]:
        return {
            "input_tokens": t[0],
            "cached_input_tokens": t[1],
            "output_tokens": t[2],
            "reasoning_output_tokens": t[3],
        }

    info: dict[str, Any] = {}
    if total:
        info["total_token_usage"] = u(total)
    if last:
        info["last_token_usage"] = u(last)
    return rec(ts, "event_msg", {"type": "token_count", "info": info})


def test_repeated_token_counts_add_nothing_and_a_new_series_uses_last() -> None:
    lines = [
        META,
        CTX,
        tokens("2026-01-01T00:00:01Z", (100, 50, 10, 2), (100, 50, 10, 2)),
        tokens("2026-01-01T00:00:02Z", (100, 50, 10, 2), (100, 50, 10, 2)),  # a repeat
        tokens("2026-01-01T00:00:03Z", (300, 150, 30, 4), (200, 100, 20, 2)),
        tokens("2026-01-01T00:00:04Z", (50, 10, 5, 1), (50, 10, 5, 1)),  # totals restarted
        tokens("2026-01-01T00:00:05Z", None, (7, 0, 1, 0)),  # no totals: its own figure
    ]
    res = parse_codex(lines, source="x.jsonl")
    usage = [
        (e["input_tokens"], e["cache_read_tokens"], e["output_tokens"], e["reasoning_tokens"])
        for e in res.events
        if e["event_type"] == "llm_call"
    ]
    assert usage == [(50, 50, 10, 2), (100, 100, 20, 2), (40, 10, 5, 1), (7, 0, 1, 0)]
    assert res.skipped["token_count (totals unchanged)"] == 1


def test_background_command_joined_through_polls() -> None:
    lines = [
        META,
        call("2026-01-01T00:00:01Z", "c1", "exec_command", {"cmd": "pytest -q 2>&1 | tail -3"}),
        output(
            "2026-01-01T00:00:02Z",
            "c1",
            "Chunk ID: a\nWall time: 1.0 seconds\nProcess running with session ID 7\nOriginal token count: 0\nOutput:\n",
        ),
        call("2026-01-01T00:00:03Z", "p1", "write_stdin", {"session_id": 7, "chars": ""}),
        output(
            "2026-01-01T00:00:08Z",
            "p1",
            "Chunk ID: b\nWall time: 5.0 seconds\nProcess running with session ID 7\nOriginal token count: 3\nOutput:\n..F\n",
        ),
        call("2026-01-01T00:00:09Z", "p2", "write_stdin", {"session_id": 7, "chars": ""}),
        output(
            "2026-01-01T00:00:10Z",
            "p2",
            "Chunk ID: c\nWall time: 0.0 seconds\nProcess exited with code 0\nOriginal token count: 9\nOutput:\n"
            "FAILED tests/test_a.py::test_x - KeyError: 'k'\n"
            "==== 1 failed, 2 passed in 0.10s ====\n",
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    action, run, failure = [e for e in res.events if e["event_type"] != "session_start"]
    assert (action["event_id"], action["status"], action["revision"]) == ("c1", "ok", 2)
    assert action["attributes"]["polls"] == 2
    # exit 0 is tail's: the summary decides
    assert (run["event_type"], run["status"], run["event_id"]) == ("test_run", "failed", "c1:run")
    assert run["attributes"]["ended_at"] == "2026-01-01T00:00:10Z"
    assert run["duration_ms"] == 9000
    assert (failure["parent_id"], failure["error_type"]) == ("c1:run", "KeyError")
    assert failure["attributes"]["test_id"] == "tests/test_a.py::test_x"


def test_unfinished_run_is_unknown() -> None:
    lines = [
        META,
        call("2026-01-01T00:00:01Z", "c1", "exec_command", {"cmd": "mix test"}),
        output(
            "2026-01-01T00:00:02Z",
            "c1",
            "Chunk ID: a\nWall time: 1.0 seconds\nProcess running with session ID 7\nOriginal token count: 0\nOutput:\n",
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    action, run = [e for e in res.events if e["event_type"] != "session_start"]
    assert "status" not in action
    assert run["status"] == "unknown"


def test_apply_patch_several_files_and_verification_failure() -> None:
    patch = (
        "*** Begin Patch\n*** Add File: a.py\n+x = 1\n*** Update File: b.py\n@@\n-y\n+z\n"
        "*** Delete File: c.py\n*** End Patch\n"
    )
    lines = [
        META,
        rec(
            "2026-01-01T00:00:01Z",
            "response_item",
            {"type": "custom_tool_call", "call_id": "e1", "name": "apply_patch", "input": patch},
        ),
        rec(
            "2026-01-01T00:00:02Z",
            "response_item",
            {
                "type": "custom_tool_call_output",
                "call_id": "e1",
                "output": '{"output":"Success. Updated the following files:\\nA a.py\\nM b.py\\nD c.py\\n","metadata":{"exit_code":0,"duration_seconds":0.1}}',
            },
        ),
        rec(
            "2026-01-01T00:00:03Z",
            "response_item",
            {
                "type": "custom_tool_call",
                "call_id": "e2",
                "name": "apply_patch",
                "input": "*** Begin Patch\n*** Update File: d.py\n@@\n-nope\n+x\n*** End Patch\n",
            },
        ),
        rec(
            "2026-01-01T00:00:04Z",
            "response_item",
            {
                "type": "custom_tool_call_output",
                "call_id": "e2",
                "output": "apply_patch verification failed: Failed to find expected lines in d.py:\nnope",
            },
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    e1, e2, err = [e for e in res.events if e["event_type"] != "session_start"]
    assert (e1["action_kind"], e1["status"], e1["file_path"]) == ("edit", "ok", "a.py")
    assert e1["attributes"]["files"] == ["a.py", "b.py", "c.py"]
    assert e1["duration_ms"] == 100
    assert (e2["status"], e2["file_path"]) == ("error", "d.py")
    assert (err["parent_id"], err["error_type"], err["file_path"]) == (
        "e2",
        "patch_verification_failed",
        "d.py",
    )
    assert err["message"].startswith("apply_patch verification failed")


def test_bad_lines_are_counted_never_raised() -> None:
    lines = [
        META,
        b"{not json",
        b"[1, 2]",
        orjson.dumps({"type": "event_msg", "payload": {"type": "user_message", "message": "hi"}}),
        b"",
        rec("2026-01-01T00:00:05Z", "event_msg", {"type": "user_message", "message": "hello"}),
        rec("2026-01-01T00:00:06Z", "response_item", {"type": "function_call", "name": "x"}),
    ]
    res = parse_codex(lines, source="x.jsonl")
    assert res.bad_lines[0][0] == 2 and res.bad_lines[0][1].startswith("not JSON: ")
    assert res.bad_lines[1:] == [
        (3, "not a JSON object"),
        (4, "no timestamp"),
        (7, "function_call without call_id"),
    ]
    assert res.skipped["blank line"] == 1
    assert by_type(res) == {"session_start": 1, "human_action": 1}


def test_last_line_without_newline_and_cut_file() -> None:
    whole = b"\n".join([META, CTX, tokens("2026-01-01T00:00:01Z", (10, 0, 1, 0), (10, 0, 1, 0))])
    res = parse_codex(whole.split(b"\n"), source="x.jsonl")
    assert by_type(res)["llm_call"] == 1
    # half-written last line: reported, the rest kept
    cut = whole[:-10]
    res = parse_codex(cut.split(b"\n"), source="x.jsonl")
    assert [(n, why.split(":")[0]) for n, why in res.bad_lines] == [(3, "not JSON")]
    assert by_type(res) == {"session_start": 1}


def test_no_session_meta_takes_the_id_from_the_file_name() -> None:
    name = "rollout-2026-01-01T00-00-00-019e1695-0522-7c83-8b39-0dd379793f80.jsonl"
    res = parse_codex(
        [rec("2026-01-01T00:00:05Z", "event_msg", {"type": "user_message", "message": "hi"})],
        source=name,
    )
    assert [e["session_id"] for e in res.events] == ["019e1695-0522-7c83-8b39-0dd379793f80"]


def custom_call(ts: str, call_id: str, patch: str) -> bytes:
    payload = {
        "type": "custom_tool_call",
        "call_id": call_id,
        "name": "apply_patch",
        "input": patch,
    }
    return rec(ts, "response_item", payload)


def custom_output(ts: str, call_id: str, text: str) -> bytes:
    payload = {"type": "custom_tool_call_output", "call_id": call_id, "output": text}
    return rec(ts, "response_item", payload)


def test_freeform_exit_code_header_of_shell_command_and_apply_patch() -> None:
    # Codex 0.4x-0.9x (gpt-5-codex): shell_command, and shell / apply_patch in freeform mode,
    # answer "Exit code: N\nWall time: …\nOutput:\n…" (no exec_command_end in those rollouts)
    lines = [
        META,
        call(
            "2026-01-01T00:00:01Z", "c1", "shell_command", {"command": "pytest -q", "workdir": "/p"}
        ),
        output(
            "2026-01-01T00:00:03Z",
            "c1",
            "Exit code: 1\nWall time: 1.5 seconds\nOutput:\n"
            "FAILED tests/test_a.py::test_x - KeyError: 'k'\n1 failed, 2 passed in 0.10s\n",
        ),
        call("2026-01-01T00:00:04Z", "c2", "shell_command", {"command": "ls"}),
        output(
            "2026-01-01T00:00:05Z", "c2", "Exit code: 0\nWall time: 0.1 seconds\nOutput:\na.py\n"
        ),
        custom_call(
            "2026-01-01T00:00:06Z",
            "e1",
            "*** Begin Patch\n*** Update File: a.py\n@@\n-x\n+y\n*** End Patch",
        ),
        custom_output(
            "2026-01-01T00:00:07Z",
            "e1",
            "Exit code: 1\nWall time: 0 seconds\nOutput:\nFailed to find expected lines in a.py:\n-x\n",
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    c1, run, failure, c2, e1, err = [e for e in res.events if e["event_type"] != "session_start"]
    assert (c1["status"], c1["attributes"]["exit_code"], c1["duration_ms"]) == ("error", 1, 1500)
    assert (run["status"], run["attributes"]["summary"]) == (
        "failed",
        "1 failed, 2 passed in 0.10s",
    )
    assert (failure["parent_id"], failure["error_type"]) == ("c1:run", "KeyError")
    assert (c2["action_kind"], c2["status"], c2["attributes"]["exit_code"]) == ("read", "ok", 0)
    assert (e1["status"], e1["file_path"]) == ("error", "a.py")
    assert (err["parent_id"], err["error_type"]) == ("e1", "patch_failed")
    assert err["message"] == "Failed to find expected lines in a.py:\n-x"


def test_refused_and_interrupted_calls_are_not_errors() -> None:
    lines = [
        META,
        call("2026-01-01T00:00:01Z", "r1", "shell", {"command": ["bash", "-lc", "rm -rf dist"]}),
        output("2026-01-01T00:00:02Z", "r1", "exec command rejected by user"),  # before 0.5x
        call("2026-01-01T00:00:03Z", "r2", "exec_command", {"cmd": "pytest -q", "workdir": "/p"}),
        rec(
            "2026-01-01T00:00:04Z",
            "event_msg",
            {"type": "exec_command_end", "call_id": "r2", "status": "declined", "exit_code": -1},
        ),
        output("2026-01-01T00:00:04Z", "r2", "rejected by user"),
        custom_call(
            "2026-01-01T00:00:05Z", "r3", "*** Begin Patch\n*** Add File: b.py\n+x\n*** End Patch"
        ),
        custom_output("2026-01-01T00:00:06Z", "r3", "patch rejected by user"),
        call("2026-01-01T00:00:07Z", "a1", "shell", {"command": ["bash", "-lc", "cargo test"]}),
        output("2026-01-01T00:00:09Z", "a1", "aborted"),  # the user interrupted the turn
        rec("2026-01-01T00:00:09Z", "event_msg", {"type": "turn_aborted", "reason": "interrupted"}),
    ]
    res = parse_codex(lines, source="x.jsonl")
    events = [e for e in res.events if e["event_type"] != "session_start"]
    assert not [e for e in events if e["event_type"] == "error"]
    actions = {e["event_id"]: e["status"] for e in events if e["event_type"] == "agent_action"}
    assert actions == {"r1": "rejected", "r2": "rejected", "r3": "rejected", "a1": "cancelled"}
    runs = {
        e["event_id"]: (e["status"], e["attributes"]["not_run"])
        for e in events
        if e["event_type"] == "test_run"
    }
    assert runs == {"r2:run": ("skipped", "rejected"), "a1:run": ("skipped", "cancelled")}


def test_apply_patch_through_the_shell_tool_fails_by_its_exit_code() -> None:
    patch = "*** Begin Patch\n*** Update File: x.py\n@@\n-a\n+b\n*** End Patch"
    lines = [
        META,
        call("2026-01-01T00:00:01Z", "p1", "shell", {"command": ["apply_patch", patch]}),
        output(
            "2026-01-01T00:00:02Z",
            "p1",
            '{"output":"Failed to find expected lines in x.py:\\n-a\\n","metadata":{"exit_code":1,"duration_seconds":0.0}}',
        ),
        call("2026-01-01T00:00:03Z", "p2", "shell", {"command": ["apply_patch", patch]}),
        output(
            "2026-01-01T00:00:04Z",
            "p2",
            "apply_patch verification failed: Failed to find expected lines in /p/x.py:\n-a",
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    p1, err1, p2, err2 = [e for e in res.events if e["event_type"] != "session_start"]
    assert (p1["action_kind"], p1["status"], p2["status"]) == ("edit", "error", "error")
    assert (err1["parent_id"], err1["error_type"]) == ("p1", "patch_failed")
    assert (err2["parent_id"], err2["error_type"]) == ("p2", "patch_verification_failed")


def test_a_command_answered_without_an_exit_code_never_ran() -> None:
    lines = [
        META,
        call("2026-01-01T00:00:01Z", "c1", "shell", {"command": ["bash", "-lc", "make"]}),
        output(
            "2026-01-01T00:00:02Z",
            "c1",
            "failed to parse function arguments: missing field `command`",
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    action, err = [e for e in res.events if e["event_type"] != "session_start"]
    assert (action["status"], "exit_code" in action["attributes"]) == ("error", False)
    assert (err["parent_id"], err["error_type"]) == ("c1", "tool_error")


def test_output_word_inside_an_old_json_output_keeps_the_whole_text() -> None:
    lines = [
        META,
        call("2026-01-01T00:00:01Z", "c1", "shell", {"command": ["bash", "-lc", "./check.sh"]}),
        output(
            "2026-01-01T00:00:02Z",
            "c1",
            '{"output":"error: golden file differs\\nExpected Output:\\nfoo\\n","metadata":{"exit_code":1,"duration_seconds":0.2}}',
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    (err,) = [e for e in res.events if e["event_type"] == "error"]
    assert err["message"].startswith("error: golden file differs")


def test_injected_context_user_messages_are_not_prompts() -> None:
    # Codex 0.3x-0.4x wrote its environment context and AGENTS.md instructions as user_message
    # events too (with a `kind`, or recognisable by their opening tag)
    lines = [
        META,
        rec(
            "2026-01-01T00:00:01Z",
            "event_msg",
            {
                "type": "user_message",
                "message": "<environment_context>\n  <cwd>/p</cwd>\n</environment_context>",
                "kind": "environment_context",
            },
        ),
        rec(
            "2026-01-01T00:00:01Z",
            "event_msg",
            {
                "type": "user_message",
                "message": "<user_instructions>\n\nbe brief\n\n</user_instructions>",
            },
        ),
        rec(
            "2026-01-01T00:00:01Z",
            "event_msg",
            {
                "type": "user_message",
                "message": "# AGENTS.md instructions for /p\n\n<INSTRUCTIONS>\nx\n</INSTRUCTIONS>",
            },
        ),
        rec(
            "2026-01-01T00:00:02Z",
            "event_msg",
            {"type": "user_message", "message": "fix the test", "kind": "plain"},
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    prompts = [e for e in res.events if e["event_type"] == "human_action"]
    assert [p["attributes"]["prompt_chars"] for p in prompts] == [12]
    assert res.skipped["user_message (injected context, not a prompt)"] == 3


# ---------------------------------------------------------------- forks

# A fork (`codex fork`, a Codex Desktop fork, a forked subagent) gets a new rollout: its own
# session_meta (with `forked_from_id`), then the source's rollout lines written again, each
# stamped with the time of writing (the fork's creation), the source's own session_meta
# first; then the fork's own turns, whose `total_token_usage` continues from the source's.
FORK = "019e163c-5b2c-7a11-9f3e-5d2c1e0f4a10"
FORK_CREATED = datetime(2026, 5, 11, 9, 0, 0, 100000, tzinfo=UTC)


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _line(t: datetime, kind: str, payload: dict[str, Any]) -> bytes:
    return orjson.dumps({"timestamp": _stamp(t), "type": kind, "payload": payload})


def tdd_lines() -> list[bytes]:
    with gzip.open(FIXTURES / TDD, "rb") as fh:
        return fh.read().splitlines()


def fork_of(
    source: list[bytes],
    fork_id: str = FORK,
    created: datetime = FORK_CREATED,
    own_after: timedelta | None = timedelta(seconds=70),
) -> list[bytes]:
    """A fork of `source` as Codex writes it, with one own turn `own_after` its creation
    (a prompt, a test command and two responses), or none."""
    recs = [orjson.loads(x) for x in source]
    meta = next(r["payload"] for r in recs if r["type"] == "session_meta")
    parent = meta["id"]
    out = [
        _line(
            created,
            "session_meta",
            {**meta, "id": fork_id, "timestamp": _stamp(created), "forked_from_id": parent},
        )
    ]
    totals = dict.fromkeys(
        (
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "reasoning_output_tokens",
            "total_tokens",
        ),
        0,
    )
    for i, r in enumerate(recs):  # the replay: written in one go, ~0.1 ms a line
        out.append(_line(created + timedelta(microseconds=100 * i), r["type"], r["payload"]))
        info = r["payload"].get("info") if r["payload"].get("type") == "token_count" else None
        if info:
            totals = info["total_token_usage"]
    context = [
        r for r in recs if r["type"] == "response_item" and r["payload"].get("role") == "developer"
    ][:1]
    for r in context:  # the fork's own initial context, written at its creation
        out.append(_line(created + timedelta(milliseconds=45), r["type"], r["payload"]))
    if own_after is None:
        return out
    t0 = created + own_after
    turn = "019e163c-9e50-7000-8000-0000000000f1"
    ctx = next(
        (r["payload"] for r in reversed(recs) if r["type"] == "turn_context"), {"model": "gpt-5.5"}
    )

    def grow(inp: int, cached: int, out_: int, reasoning: int) -> dict[str, Any]:
        nonlocal totals
        last = {
            "input_tokens": inp,
            "cached_input_tokens": cached,
            "output_tokens": out_,
            "reasoning_output_tokens": reasoning,
            "total_tokens": inp + out_,
        }
        totals = {k: totals[k] + last[k] for k in last}
        return {
            "type": "token_count",
            "info": {
                "total_token_usage": totals,
                "last_token_usage": last,
                "model_context_window": 258400,
            },
            "rate_limits": None,
        }

    repeat = {
        "type": "token_count",
        "info": {
            "total_token_usage": totals,
            "last_token_usage": totals,
            "model_context_window": 258400,
        },
        "rate_limits": None,
    }
    own = [
        (
            "event_msg",
            {
                "type": "task_started",
                "turn_id": turn,
                "started_at": int(t0.timestamp()),
                "model_context_window": 258400,
            },
        ),
        ("turn_context", {**ctx, "turn_id": turn}),
        (
            "response_item",
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "now run the unit tests"}],
            },
        ),
        (
            "event_msg",
            {
                "type": "user_message",
                "message": "now run the unit tests",
                "images": [],
                "local_images": [],
                "text_elements": [],
            },
        ),
        ("event_msg", repeat),  # the totals it inherited, shown again: nothing new
        (
            "response_item",
            {
                "type": "function_call",
                "name": "exec_command",
                "arguments": '{"cmd":"npm test"}',
                "call_id": f"call_own_{fork_id[-4:]}",
            },
        ),
        ("event_msg", grow(132410, 131200, 212, 64)),
        (
            "response_item",
            {
                "type": "function_call_output",
                "call_id": f"call_own_{fork_id[-4:]}",
                "output": "Chunk ID: 1a2b3c\nWall time: 4.2 seconds\nProcess exited with code 0\nOriginal token count: 12\nOutput:\nTests: 41 passed, 41 total\n",
            },
        ),
        ("event_msg", grow(133020, 132352, 388, 0)),
        (
            "event_msg",
            {"type": "task_complete", "turn_id": turn, "last_agent_message": "All 41 tests pass."},
        ),
    ]
    out.extend(_line(t0 + timedelta(seconds=k), kind, p) for k, (kind, p) in enumerate(own))
    return out


def token_totals(res: ParseResult) -> dict[str, dict[str, int]]:
    """Per session: input, output, cache read, cache write, reasoning (as ccusage names them)."""
    out: dict[str, dict[str, int]] = {}
    for e in res.events:
        if e["event_type"] == "llm_call":
            t = out.setdefault(
                e["session_id"],
                dict.fromkeys(("input", "output", "cache_read", "cache_write", "reasoning"), 0),
            )
            for key in t:
                t[key] += e[f"{key}_tokens"]
    return out


# `CODEX_HOME=<dir> TZ=UTC ccusage@20.0.24 codex session --json --offline`, <dir>/sessions
# holding the TDD rollout and `fork_of(tdd_lines())` (and, in a second run, the fork alone),
# written one compact JSON object a line: inputTokens, outputTokens, cacheReadTokens,
# cacheCreationTokens, reasoningOutputTokens per session. The fork's figures are the growth
# of its own two responses (132410+133020 input of which 131200+132352 cached, 212+388 out).
CCUSAGE_TDD = {
    "input": 1126300,
    "output": 9118,
    "cache_read": 4929536,
    "cache_write": 0,
    "reasoning": 1759,
}
CCUSAGE_FORK = {
    "input": 1878,
    "output": 600,
    "cache_read": 263552,
    "cache_write": 0,
    "reasoning": 64,
}


def test_fork_alone_holds_only_its_own_turn() -> None:
    res = parse_codex(fork_of(tdd_lines()), source=f"rollout-2026-05-11T12-00-00-{FORK}.jsonl")
    assert res.bad_lines == []
    assert {e["session_id"] for e in res.events} == {FORK}
    assert token_totals(res) == {FORK: CCUSAGE_FORK}
    # the source's 48 calls, 2 prompts, 4 runs and 2 errors are not the fork's
    assert by_type(res) == {
        "session_start": 1,
        "human_action": 1,
        "agent_action": 1,
        "test_run": 1,
        "llm_call": 2,
    }
    assert [
        e["attributes"]["command"] for e in res.events if e["event_type"] == "agent_action"
    ] == ["npm test"]
    assert res.skipped["replayed from the source session (forked_from_id)"] == 386 + 1
    facts = res.sessions[FORK]
    assert facts["project"] == "/Users/Sample_User/repos/codemie-ai/codemie-code"
    assert facts["models"] == ["gpt-5.5"]
    start = next(e for e in res.events if e["event_type"] == "session_start")
    assert start["timestamp"] == "2026-05-11T09:00:00.100000Z"
    # a fork with no turn of its own yet has nothing but its start (ccusage: no session)
    empty = parse_codex(fork_of(tdd_lines(), own_after=None), source="f.jsonl")
    assert by_type(empty) == {"session_start": 1}


def test_fork_and_its_source_totals_equal_ccusage() -> None:
    source = parse_fixture(TDD)
    fork = parse_codex(fork_of(tdd_lines()), source=f"rollout-2026-05-11T12-00-00-{FORK}.jsonl")
    totals = token_totals(source) | token_totals(fork)
    assert totals == {"019e1625-789d-76c0-80ab-3724b5ddb799": CCUSAGE_TDD, FORK: CCUSAGE_FORK}


def test_half_written_fork_then_whole_gives_the_same_events() -> None:
    whole_lines = fork_of(tdd_lines())
    whole = parse_codex(whole_lines, source="f.jsonl").events
    by_id = {e["event_id"]: e for e in whole}
    for cut in (2, 50, 200, 387, 388, 390, 393, 396, len(whole_lines)):
        text = b"\n".join(whole_lines[:cut])
        for data in (text, text[:-20]):  # ends at a line's end, or inside one
            events = parse_codex(data.split(b"\n"), source="f.jsonl").events
            # nothing of the source leaks in; what the fork did so far is as in the whole file
            assert all(e["event_id"] in by_id for e in events), cut
            done = [
                e
                for e in events
                if e["event_type"] in ("session_start", "human_action", "llm_call")
            ]
            assert done == [by_id[e["event_id"]] for e in done]
            if cut <= 388:  # still inside the replay
                assert by_type(parse_codex(data.split(b"\n"), source="f.jsonl")) == {
                    "session_start": 1
                }


def test_fork_of_a_fork() -> None:
    # its file replays the first fork's file, which replays the TDD rollout; ccusage 20.0.24
    # on the three files gives this fork the same figures as the first (the same own turn)
    second_id = "019e1658-0000-7000-8000-00000000ff02"
    second = fork_of(fork_of(tdd_lines()), second_id, FORK_CREATED + timedelta(minutes=30))
    res = parse_codex(second, source="f2.jsonl")
    assert token_totals(res) == {second_id: CCUSAGE_FORK}
    assert by_type(res) == {
        "session_start": 1,
        "human_action": 1,
        "agent_action": 1,
        "test_run": 1,
        "llm_call": 2,
    }


def test_fork_with_nothing_replayed_keeps_every_line_after_its_session_meta() -> None:
    meta, _replayed_meta, *own = fork_of([tdd_lines()[0]])
    res = parse_codex([meta, *own], source="f.jsonl")
    assert token_totals(res) == {FORK: CCUSAGE_FORK}  # its totals grow from zero
    assert by_type(res) == {
        "session_start": 1,
        "human_action": 1,
        "agent_action": 1,
        "test_run": 1,
        "llm_call": 2,
    }


def test_fork_turn_begun_with_the_replay_and_its_session_meta_again() -> None:
    # `codex fork <id> "prompt"` starts the fork's turn as soon as the replay is written:
    # its task_started (started after the fork's creation) ends the replay, not a pause.
    # (ccusage 20.0.24 gives the fork these figures beside its source; alone, it takes
    # this turn, written within a second of the replay, for part of it and reports none)
    lines = fork_of(tdd_lines(), own_after=timedelta(milliseconds=1500))
    sped = []
    for n, raw in enumerate(lines):
        rec = orjson.loads(raw)
        if n >= 388:  # the own turn: one line a millisecond
            rec["timestamp"] = _stamp(FORK_CREATED + timedelta(milliseconds=60 + n - 388))
        sped.append(orjson.dumps(rec))
    again = orjson.loads(sped[0])
    sped.insert(390, orjson.dumps({**again, "timestamp": orjson.loads(sped[390])["timestamp"]}))
    res = parse_codex(sped, source="f.jsonl")
    assert token_totals(res) == {FORK: CCUSAGE_FORK}
    assert by_type(res) == {
        "session_start": 1,
        "human_action": 1,
        "agent_action": 1,
        "test_run": 1,
        "llm_call": 2,
    }
    assert res.skipped["session_meta (repeated)"] == 1


def test_mcp_calls_take_their_outcome_from_the_end_event() -> None:
    """An MCP call's end says how it went: an error result is an error, a refused
    approval ("user cancelled MCP tool call") is rejected; newer Codex may record the
    call by its begin/end events alone."""

    def mcp(ts: str, kind: str, call_id: str, server: str, tool: str, **extra: Any) -> bytes:
        payload = {"type": kind, "call_id": call_id, "invocation": {"server": server, "tool": tool}}
        return rec(ts, "event_msg", {**payload, **extra})

    error_result = {"Ok": {"content": [{"type": "text", "text": "rate limited"}], "isError": True}}
    refused_text = (
        "Wall time: 0.0260 seconds\nOutput:\n"
        '[{"type":"text","text":"user cancelled MCP tool call"}]'
    )
    lines = [
        META,
        call("2026-01-01T00:00:01Z", "c1", "github__list", {}),
        mcp("2026-01-01T00:00:02Z", "mcp_tool_call_begin", "c1", "github", "list"),
        mcp(
            "2026-01-01T00:00:03Z", "mcp_tool_call_end", "c1", "github", "list", result=error_result
        ),
        output("2026-01-01T00:00:03Z", "c1", "rate limited"),
        mcp("2026-01-01T00:00:04Z", "mcp_tool_call_begin", "c2", "pw", "navigate"),
        mcp(
            "2026-01-01T00:00:05Z",
            "mcp_tool_call_end",
            "c2",
            "pw",
            "navigate",
            result={"Err": "user cancelled MCP tool call"},
        ),
        call("2026-01-01T00:00:06Z", "c3", "docs__search", {}),
        output("2026-01-01T00:00:07Z", "c3", refused_text),
        mcp(
            "2026-01-01T00:00:08Z",
            "mcp_tool_call_end",
            "c4",
            "db",
            "query",
            result={"Ok": {"content": [{"type": "text", "text": "3 rows"}]}},
        ),
    ]
    res = parse_codex(lines, source="x.jsonl")
    actions = {e["event_id"]: e for e in res.events if e["event_type"] == "agent_action"}
    assert {k: (a["tool_name"], a["status"]) for k, a in actions.items()} == {
        "c1": ("github__list", "error"),
        "c2": ("mcp__pw__navigate", "rejected"),
        "c3": ("docs__search", "rejected"),
        "c4": ("mcp__db__query", "ok"),
    }
    (error,) = [e for e in res.events if e["event_type"] == "error"]
    assert (error["parent_id"], error["message"]) == ("c1", "rate limited")
    assert res.bad_lines == []
