"""`achilles import`: real agent logs in, idempotent, incremental, and clear about failures."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from achilles.cli import app
from achilles.importer import AGENTS, Cursors, ImportFailed, LocalSink, run_import, watch_files
from achilles_core.landing import LandingZone
from achilles_core.settings import Settings
from ingest_api.session_reads import SessionReader
from tests.real_sessions import AGENT_FOLDERS, gemini_jsonl, unpack

BIG = "258c7280-ae70-4798-800f-63464d01a85d.jsonl"


def settings_at(root: Path) -> Settings:
    return Settings(data_dir=root / "data", _env_file=None)


def final_events(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Every session's events as the API reads them (deduplicated, highest revision)."""
    reader = SessionReader(settings)
    out = {}
    for sid in LandingZone(settings.events_dir).session_ids():
        events, _ = reader.session_events(sid, 100_000, 0)
        out[sid] = [{k: v for k, v in e.items() if k not in ("received_at",)} for e in events]
    return out


@pytest.mark.parametrize("agent", sorted(AGENT_FOLDERS))
def test_real_logs_import_whole_and_a_second_import_adds_nothing(agent, tmp_path):
    logs = unpack(AGENT_FOLDERS[agent], tmp_path / "logs")
    settings = settings_at(tmp_path)
    cursors = Cursors.load(tmp_path / "cursors.json")
    first = run_import(agent, [logs], LocalSink(settings), cursors)
    files = len(list(logs.iterdir()))
    assert first.files_read == files and not first.files_failed
    assert first.bad_lines == [] and first.rejected == []
    assert sum(first.accepted_by_type.values()) > 0 and first.duplicates == 0
    # No line unaccounted for: each gave events, was skipped for a named reason, or was bad.
    assert first.lines_with_events + sum(first.skipped.values()) == first.lines
    assert first.lines_with_events > 0

    again = run_import(agent, [logs], LocalSink(settings), Cursors.load(tmp_path / "cursors.json"))
    assert again.files_unchanged == files and again.files_read == 0
    assert sum(again.accepted_by_type.values()) == 0


def test_a_file_imported_half_written_then_whole_equals_one_whole_import(tmp_path):
    whole = unpack("claude-code", tmp_path / "all") / BIG
    data = whole.read_bytes()
    growing = tmp_path / "growing" / BIG
    growing.parent.mkdir()
    growing.write_bytes(data[: int(len(data) * 0.6)])  # cut in the middle of a line
    assert not growing.read_bytes().endswith(b"\n")

    twice = settings_at(tmp_path / "twice")
    cursors = Cursors.load(tmp_path / "twice.cursors")
    half = run_import("claude-code", [growing], LocalSink(twice), cursors)
    assert half.bad_lines == [] and half.skipped["partial last line"] == 1
    growing.write_bytes(data)
    grown = run_import("claude-code", [growing], LocalSink(twice), cursors)
    assert grown.files_read == 1 and sum(grown.accepted_by_type.values()) > 0
    assert grown.duplicates > 0  # the first part was already landed

    once = settings_at(tmp_path / "once")
    run_import("claude-code", [whole], LocalSink(once), Cursors.load(tmp_path / "once.cursors"))
    assert final_events(twice) == final_events(once)


GEMINI_LEAD = "session-2025-12-01T21-45-5b959dae.json"


def llm_tokens(settings: Settings) -> dict[str, list[int]]:
    """Per session: input, cache read, output, reasoning tokens of its llm_calls."""
    keys = ("input_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens")
    return {
        sid: [sum(e[k] for e in events if e["event_type"] == "llm_call") for k in keys]
        for sid, events in final_events(settings).items()
    }


def test_gemini_jsonl_chats_and_subagents_under_a_folder(tmp_path):
    legacy = unpack("gemini", tmp_path / "legacy")
    chats = tmp_path / ".gemini" / "tmp" / "abc" / "chats"
    chats.mkdir(parents=True)
    jsonl = chats / (GEMINI_LEAD + "l")
    jsonl.write_bytes(b"".join(gemini_jsonl(legacy / GEMINI_LEAD)))
    parent = orjson.loads(jsonl.read_bytes().splitlines()[0])["sessionId"]
    sub = {
        "sessionId": "sub-1",
        "projectHash": "h",
        "startTime": "2026-01-01T00:00:00Z",
        "kind": "subagent",
    }
    call = {
        "id": "m1",
        "timestamp": "2026-01-01T00:00:04Z",
        "type": "gemini",
        "tokens": {"input": 10, "output": 2, "cached": 0, "total": 12},
    }
    (chats / parent).mkdir()
    (chats / parent / "sub-1.jsonl").write_bytes(
        b"".join(orjson.dumps(r) + b"\n" for r in (sub, call))
    )
    unpack("claude-code", chats / "other")  # another agent's JSONL is no Gemini chat

    settings = settings_at(tmp_path)
    summary = run_import("gemini", [chats], LocalSink(settings), Cursors(tmp_path / "c.json"))
    assert summary.files_read == 2 and len(summary.files_other) == 6
    assert summary.bad_lines == [] and summary.rejected == []
    assert summary.lines == 19 + 2
    assert summary.lines_with_events + sum(summary.skipped.values()) == summary.lines
    events = final_events(settings)
    assert set(events) == {parent, "sub-1"}
    assert {e["parent_session_id"] for e in events["sub-1"]} == {parent}
    assert all(e["parent_session_id"] is None for e in events[parent])

    once = settings_at(tmp_path / "once")
    run_import("gemini", [legacy / GEMINI_LEAD], LocalSink(once), Cursors(tmp_path / "d"))
    assert final_events(once)[parent] == events[parent]


def test_gemini_legacy_chat_and_its_migrated_jsonl_count_once(tmp_path):
    # a resumed legacy chat is copied to <name>.jsonl; the .json stays beside it
    chats = unpack("gemini", tmp_path / "chats")
    (chats / (GEMINI_LEAD + "l")).write_bytes(b"".join(gemini_jsonl(chats / GEMINI_LEAD)))
    both = settings_at(tmp_path / "both")
    summary = run_import("gemini", [chats], LocalSink(both), Cursors(tmp_path / "c"), jobs=2)
    assert summary.files_read == 3 and summary.duplicates > 0
    one = settings_at(tmp_path / "one")
    run_import("gemini", [chats / GEMINI_LEAD], LocalSink(one), Cursors(tmp_path / "d"))
    sid = next(iter(final_events(one)))
    assert llm_tokens(both)[sid] == llm_tokens(one)[sid]
    assert final_events(both)[sid] == final_events(one)[sid]


def test_a_gemini_jsonl_imported_half_written_then_whole_equals_one_whole_import(tmp_path):
    lines = gemini_jsonl(unpack("gemini", tmp_path / "legacy") / GEMINI_LEAD)
    whole = tmp_path / "whole" / (GEMINI_LEAD + "l")
    whole.parent.mkdir()
    whole.write_bytes(b"".join(lines))
    growing = tmp_path / "growing" / whole.name
    growing.parent.mkdir()
    # cut inside the message's whole copy: its first copy (calls running) lands first
    growing.write_bytes(b"".join(lines[:6]) + lines[6][: len(lines[6]) // 2])

    twice = settings_at(tmp_path / "twice")
    cursors = Cursors.load(tmp_path / "twice.cursors")
    half = run_import("gemini", [growing], LocalSink(twice), cursors)
    assert half.bad_lines == [] and half.skipped["partial last line"] == 1
    assert sum(half.accepted_by_type.values()) > 0
    for cut in (12, len(lines)):  # before the rewind, then the whole file
        growing.write_bytes(b"".join(lines[:cut]))
        grown = run_import("gemini", [growing], LocalSink(twice), cursors)
        assert grown.files_read == 1 and grown.duplicates > 0
    again = run_import("gemini", [growing], LocalSink(twice), cursors)
    assert again.files_unchanged == 1

    once = settings_at(tmp_path / "once")
    run_import("gemini", [whole], LocalSink(once), Cursors.load(tmp_path / "once.cursors"))
    assert final_events(twice) == final_events(once)


def test_watch_follows_a_growing_file(tmp_path):
    whole = unpack("claude-code", tmp_path / "all") / "subagent.jsonl"
    lines = whole.read_bytes().splitlines(keepends=True)
    log = tmp_path / "live" / "subagent.jsonl"
    log.parent.mkdir()
    log.write_bytes(b"".join(lines[:30]))
    settings = settings_at(tmp_path)
    rounds: list[int] = []

    def on_round(summary) -> None:
        rounds.append(sum(summary.accepted_by_type.values()))
        log.write_bytes(b"".join(lines))  # the agent writes on

    watch_files(
        "claude-code",
        [log.parent],
        LocalSink(settings),
        Cursors.load(tmp_path / "cursors.json"),
        interval_s=0,
        include_prompts=False,
        on_round=on_round,
        rounds=3,
    )
    assert rounds[0] > 0 and rounds[1] > 0 and rounds[2] == 0
    once = settings_at(tmp_path / "once")
    run_import("claude-code", [whole], LocalSink(once), Cursors.load(tmp_path / "once.cursors"))
    assert final_events(settings) == final_events(once)


def test_a_bad_line_is_reported_with_file_and_line_and_the_rest_lands(tmp_path):
    src = unpack("claude-code", tmp_path / "all") / "tool_heavy.jsonl"
    lines = src.read_bytes().splitlines(keepends=True)
    broken = tmp_path / "broken" / "tool_heavy.jsonl"
    broken.parent.mkdir()
    broken.write_bytes(b"".join(lines[:10] + [b'{"type": "user", "message": \n'] + lines[10:]))
    summary = run_import(
        "claude-code", [broken], LocalSink(settings_at(tmp_path)), Cursors(tmp_path / "c.json")
    )
    assert [(f, n) for f, n, _ in summary.bad_lines] == [(str(broken), 11)]
    clean = run_import(
        "claude-code", [src], LocalSink(settings_at(tmp_path / "clean")), Cursors(tmp_path / "d")
    )
    assert summary.accepted_by_type == clean.accepted_by_type


def test_prompts_keep_only_their_length_unless_asked(tmp_path):
    logs = unpack("claude-code", tmp_path / "logs")
    plain = settings_at(tmp_path / "plain")
    run_import("claude-code", [logs / "short.jsonl"], LocalSink(plain), Cursors(tmp_path / "a"))
    full = settings_at(tmp_path / "full")
    run_import(
        "claude-code",
        [logs / "short.jsonl"],
        LocalSink(full),
        Cursors(tmp_path / "b"),
        include_prompts=True,
    )

    def prompts(s: Settings) -> list[dict]:
        return [
            e for events in final_events(s).values() for e in events if e["action_kind"] == "prompt"
        ]

    assert prompts(plain) and all(p["message"] is None for p in prompts(plain))
    assert all(p["attributes"]["length"] > 0 for p in prompts(plain))
    assert all(p["message"] for p in prompts(full))


runner = CliRunner()


def test_cli_exit_codes_and_messages(tmp_path):
    logs = unpack("codex", tmp_path / "codex")
    data = ["--data-dir", str(tmp_path / "data")]
    ok = runner.invoke(app, ["import", "codex", str(logs), *data])
    assert ok.exit_code == 0, ok.output
    assert "Files: 2 read" in ok.output and "Lines:" in ok.output

    missing = runner.invoke(app, ["import", "codex", str(tmp_path / "nope"), *data])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output

    claude = unpack("claude-code", tmp_path / "cc") / "short.jsonl"
    wrong = runner.invoke(app, ["import", "codex", str(claude), *data])
    assert wrong.exit_code == 1 and "not a codex log" in wrong.output

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("x")
    empty = runner.invoke(app, ["import", "gemini", str(notes), *data])
    assert empty.exit_code == 2 and "no gemini logs (*.json, *.jsonl)" in empty.output
    # Gemini takes *.jsonl too: Codex rollouts are found, and left alone
    others = runner.invoke(app, ["import", "gemini", str(logs), *data])
    assert others.exit_code == 0 and "2 not this agent's" in others.output

    unknown = runner.invoke(app, ["import", "copilot", *data])
    assert unknown.exit_code == 2 and "claude-code, codex, gemini" in unknown.output

    as_json = runner.invoke(app, ["import", "codex", str(logs), "--json", *data])
    summary = orjson.loads(as_json.stdout)
    assert summary["files_unchanged"] == 2 and summary["events_accepted"] == {}


def test_default_locations_follow_the_agents_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert AGENTS["claude-code"].default_roots() == [tmp_path / "claude" / "projects"]
    assert AGENTS["codex"].default_roots() == [tmp_path / "codex" / "sessions"]
    chats = tmp_path / "home" / ".gemini" / "tmp" / "abc123" / "chats"
    chats.mkdir(parents=True)
    assert AGENTS["gemini"].default_roots() == [chats]

    unpack("claude-code", tmp_path / "claude" / "projects" / "-home-dana-app")
    result = runner.invoke(app, ["import", "claude-code", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0 and "Files: 6 read" in result.output


def test_an_import_leaves_the_cycle_collector_as_it_found_it(tmp_path):
    """The import runs the collector less often; after it, even one that failed, the
    caller's process collects as before."""
    before = (gc.get_threshold(), gc.get_freeze_count())
    logs = unpack("claude-code", tmp_path / "logs")
    sink, cursors = LocalSink(settings_at(tmp_path)), Cursors.load(tmp_path / "cursors.json")
    assert run_import("claude-code", [logs], sink, cursors, jobs=1).files_read > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    with pytest.raises(ImportFailed):
        run_import("claude-code", [tmp_path / "nowhere"], sink, cursors, jobs=1)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
