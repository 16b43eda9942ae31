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
from tests.real_sessions import AGENT_FOLDERS, unpack

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

    empty = runner.invoke(app, ["import", "gemini", str(logs), *data])
    assert empty.exit_code == 2 and "no gemini logs" in empty.output

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
